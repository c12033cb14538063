# `cmake --install`: the public headers, the core library, the CLI and a CMake package, so that
#   find_package(nmfkit 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE nmfkit::nmfkit)
# builds against the core (tests/install checks this). io and viz are the CLI's own: their headers
# are private, so they are not installed.
include(CMakePackageConfigHelpers)

set(NMFKIT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/nmfkit" CACHE STRING
    "Where the CMake package files of nmfkit are installed (relative to the prefix)")

set_target_properties(nmfkit_headers PROPERTIES EXPORT_NAME headers)
set_target_properties(nmfkit_openblas PROPERTIES EXPORT_NAME openblas)
install(TARGETS nmfkit_core nmfkit_headers nmfkit_openblas EXPORT nmfkitTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/nmfkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(TARGETS nmfkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT nmfkitTargets NAMESPACE nmfkit:: DESTINATION ${NMFKIT_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/nmfkitConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/nmfkitConfig.cmake
                              INSTALL_DESTINATION ${NMFKIT_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nmfkitConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nmfkitConfig.cmake ${PROJECT_BINARY_DIR}/nmfkitConfigVersion.cmake
        DESTINATION ${NMFKIT_INSTALL_CMAKEDIR})
