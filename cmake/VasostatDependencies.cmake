# Finds xsimd, Eigen and Boost (headers) with find_package first; fetches them when absent.
# No version is passed to find_package for xsimd/Eigen: their version files reject newer
# majors (STYLE.md §3.4); the minimum is checked by hand here and by static_assert in
# core/config.hpp, which also covers the fetched case where <pkg>_VERSION is empty.
include(FetchContent)

FetchContent_Declare(xsimd SYSTEM
  URL https://github.com/xtensor-stack/xsimd/archive/refs/tags/13.2.0.tar.gz
  FIND_PACKAGE_ARGS CONFIG)
set(CMAKE_EXPORT_PACKAGE_REGISTRY OFF)
set(EIGEN_BUILD_TESTING OFF CACHE BOOL "")
set(EIGEN_BUILD_DOC OFF CACHE BOOL "")
set(EIGEN_BUILD_BLAS OFF CACHE BOOL "")
set(EIGEN_BUILD_LAPACK OFF CACHE BOOL "")
set(EIGEN_BUILD_DEMOS OFF CACHE BOOL "")
set(BUILD_TESTING_SAVED "${BUILD_TESTING}")
FetchContent_Declare(Eigen3 SYSTEM
  URL https://gitlab.com/libeigen/eigen/-/archive/3.4.0/eigen-3.4.0.tar.gz
  FIND_PACKAGE_ARGS CONFIG)
FetchContent_MakeAvailable(xsimd Eigen3)

if(xsimd_VERSION AND xsimd_VERSION VERSION_LESS 8.1)
  message(FATAL_ERROR "vasostat needs xsimd >= 8.1, found ${xsimd_VERSION}")
endif()
if(Eigen3_VERSION AND Eigen3_VERSION VERSION_LESS 3.4)
  message(FATAL_ERROR "vasostat needs Eigen >= 3.4, found ${Eigen3_VERSION}")
endif()
if(NOT TARGET Eigen3::Eigen AND TARGET eigen)
  add_library(Eigen3::Eigen ALIAS eigen)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/VasostatXsimdFix.cmake)

# Boost.Math is header-only; Debian 12 (1.74) exports only Boost::headers, newer ones Boost::math.
find_package(Boost 1.74 CONFIG QUIET)
if(NOT Boost_FOUND)
  FetchContent_Declare(boost_math SYSTEM
    URL https://github.com/boostorg/math/archive/refs/tags/boost-1.86.0.tar.gz)
  set(BOOST_MATH_STANDALONE ON CACHE BOOL "")
  FetchContent_MakeAvailable(boost_math)
endif()
add_library(vasostat_boost_math INTERFACE)
set_target_properties(vasostat_boost_math PROPERTIES EXPORT_NAME boost_math)
if(TARGET Boost::math)
  target_link_libraries(vasostat_boost_math INTERFACE Boost::math)
elseif(TARGET Boost::headers)
  target_link_libraries(vasostat_boost_math INTERFACE Boost::headers)
elseif(TARGET boost_math)
  target_link_libraries(vasostat_boost_math INTERFACE boost_math)
endif()
