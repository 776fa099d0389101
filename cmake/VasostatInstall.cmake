include(CMakePackageConfigHelpers)
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(_vasostat_targets vasostat vasostat_boost_math)
foreach(m IN LISTS VASOSTAT_MODULES)
  list(APPEND _vasostat_targets vasostat_${m})
endforeach()
install(TARGETS ${_vasostat_targets} EXPORT vasostatTargets)
set(VASOSTAT_CMAKE_DIR ${CMAKE_INSTALL_DATADIR}/cmake/vasostat)
install(EXPORT vasostatTargets NAMESPACE vasostat:: DESTINATION ${VASOSTAT_CMAKE_DIR})
configure_package_config_file(cmake/vasostatConfig.cmake.in
  ${PROJECT_BINARY_DIR}/vasostatConfig.cmake INSTALL_DESTINATION ${VASOSTAT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vasostatConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/vasostatConfig.cmake
  ${PROJECT_BINARY_DIR}/vasostatConfigVersion.cmake cmake/VasostatXsimdFix.cmake
  DESTINATION ${VASOSTAT_CMAKE_DIR})
