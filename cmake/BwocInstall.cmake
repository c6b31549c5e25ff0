# Installing bwoc as a CMake package: the libraries as bwoc::<name>, their
# public headers, and bwocConfig.cmake so that find_package(bwoc) works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(BWOC_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/bwoc CACHE STRING
  "Where bwocConfig.cmake is installed, relative to the prefix")

# bwoc_install_library(<target> <name>): installs <target> as bwoc::<name>
# with the public headers of the calling directory: include/ beside its
# CMakeLists.txt and, when there is one, include/ in its binary directory
# (generated headers).
function(bwoc_install_library target name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  if(NOT BWOC_INSTALL)
    return()
  endif()
  install(TARGETS ${target} EXPORT bwocTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  foreach(dir ${CMAKE_CURRENT_SOURCE_DIR}/include ${CMAKE_CURRENT_BINARY_DIR}/include)
    if(IS_DIRECTORY ${dir})
      install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
    endif()
  endforeach()
endfunction()

# The package files, once every library has declared itself.
function(bwoc_install_package)
  get_property(find_dependencies GLOBAL PROPERTY BWOC_CONFIG_DEPENDENCIES)
  list(REMOVE_DUPLICATES find_dependencies)
  list(JOIN find_dependencies "\n" BWOC_FIND_DEPENDENCIES)
  configure_package_config_file(
    ${PROJECT_SOURCE_DIR}/cmake/bwocConfig.cmake.in ${PROJECT_BINARY_DIR}/bwocConfig.cmake
    INSTALL_DESTINATION ${BWOC_INSTALL_CMAKEDIR})
  # Before 1.0 a minor version may change the interfaces.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/bwocConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
  install(EXPORT bwocTargets NAMESPACE bwoc:: DESTINATION ${BWOC_INSTALL_CMAKEDIR})
  install(FILES ${PROJECT_BINARY_DIR}/bwocConfig.cmake ${PROJECT_BINARY_DIR}/bwocConfigVersion.cmake
    DESTINATION ${BWOC_INSTALL_CMAKEDIR})
endfunction()
