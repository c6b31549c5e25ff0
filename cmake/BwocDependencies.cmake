# Finding what a bwoc library links, once, where the library is declared.
#
# bwoc's libraries are static by default: a program linking one must also
# link what it links privately, so the installed bwocConfig.cmake has to find
# those packages again. bwoc_find_package and bwoc_find_pkg_config find a
# package for the library beside them and record the same search for
# bwocConfig.cmake; plain find_package is for what no consumer needs
# (header-only packages, linked as $<BUILD_INTERFACE:...>).

# bwoc_find_package(<find_package arguments>): find_package(... REQUIRED)
# here, find_dependency(...) in bwocConfig.cmake.
macro(bwoc_find_package)
  find_package(${ARGV} REQUIRED)
  set(_bwoc_dependency_args ${ARGV})
  list(REMOVE_ITEM _bwoc_dependency_args REQUIRED)
  list(JOIN _bwoc_dependency_args " " _bwoc_dependency_args)
  set_property(GLOBAL APPEND PROPERTY BWOC_CONFIG_DEPENDENCIES
    "find_dependency(${_bwoc_dependency_args})")
  unset(_bwoc_dependency_args)
endmacro()

# bwoc_find_pkg_config(<prefix> <module spec>): the imported target
# PkgConfig::<prefix> for a library that only pkg-config describes.
macro(bwoc_find_pkg_config prefix module)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET ${module})
  set_property(GLOBAL APPEND PROPERTY BWOC_CONFIG_DEPENDENCIES
    "bwoc_find_dependency_pkg_config(${prefix} \"${module}\")")
endmacro()
