# Install rules: headers, the nuq::nuq target and a package config so that
# find_package(nuq) works from the install prefix.
include(CMakePackageConfigHelpers)
install(DIRECTORY include/nuq DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS nuq nuq_headers EXPORT nuq-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT nuq-targets NAMESPACE nuq:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nuq)
configure_package_config_file(cmake/nuq-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/nuq-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nuq)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/nuq-config-version.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/nuq-config.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/nuq-config-version.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/nuq)
