# Debian 12's xsimd 8.1.0 exports target `xsimd` with a bare `xtl` in its link interface, which
# turns into `-lxtl` and fails every link (fixed upstream in 11.0). Installed with the package
# and included from vasostatConfig.cmake so consumers get the fix too.
if(TARGET xsimd)
  get_target_property(_vasostat_xsimd_aliased xsimd ALIASED_TARGET)
  if(NOT _vasostat_xsimd_aliased)
    get_target_property(_vasostat_xsimd_links xsimd INTERFACE_LINK_LIBRARIES)
    if(_vasostat_xsimd_links AND "xtl" IN_LIST _vasostat_xsimd_links AND NOT TARGET xtl)
      find_package(xtl CONFIG QUIET)
      if(NOT TARGET xtl)
        list(REMOVE_ITEM _vasostat_xsimd_links xtl)
        set_target_properties(xsimd PROPERTIES INTERFACE_LINK_LIBRARIES "${_vasostat_xsimd_links}")
      endif()
    endif()
  endif()
  unset(_vasostat_xsimd_links)
  unset(_vasostat_xsimd_aliased)
endif()
