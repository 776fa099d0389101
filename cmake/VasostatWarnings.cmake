# Warnings, arch and sanitizer flags for vasostat's own tests, benchmarks and examples only:
# linked PRIVATE, never put on the exported INTERFACE targets.
add_library(vasostat_warnings INTERFACE)
target_compile_options(vasostat_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  $<$<BOOL:${VASOSTAT_WERROR}>:-Werror>
  # GCC 12 reports a false -Wrestrict inside std::string assignment at -O2/-O3 (GCC PR 105651).
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
if(VASOSTAT_NATIVE)
  target_compile_options(vasostat_warnings INTERFACE -march=native)
endif()
if(VASOSTAT_SANITIZE)
  target_compile_options(vasostat_warnings INTERFACE -fsanitize=${VASOSTAT_SANITIZE}
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(vasostat_warnings INTERFACE -fsanitize=${VASOSTAT_SANITIZE})
endif()
