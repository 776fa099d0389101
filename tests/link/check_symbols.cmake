# cmake -DNM=<nm> -DOBJECT=<object file> -P check_symbols.cmake
# Fails when the object defines a strong external symbol (nm types T, D, B, R, G, S): such a
# definition in a header breaks the link as soon as two translation units include it. Inline
# functions, templates and inline variables are weak or unique (W, V, u) and pass.
execute_process(COMMAND ${NM} --defined-only --extern-only -C ${OBJECT}
                OUTPUT_VARIABLE symbols RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${OBJECT}")
endif()
string(REPLACE "\n" ";" lines "${symbols}")
set(strong)
foreach(line IN LISTS lines)
  if(line MATCHES "^[0-9a-fA-F]* [TDBRGS] (.*)$")
    list(APPEND strong "${CMAKE_MATCH_1}")
  endif()
endforeach()
if(strong)
  list(JOIN strong "\n  " shown)
  message(FATAL_ERROR "strong symbols defined by the headers (make them inline):\n  ${shown}")
endif()
message(STATUS "no strong symbols in ${OBJECT}")
