# Finds OpenBLAS (Debian's libopenblas-dev) and exposes it as nmfkit::openblas.
find_path(NMFKIT_CBLAS_INCLUDE_DIR cblas.h
          PATHS /usr/include/x86_64-linux-gnu /usr/include/aarch64-linux-gnu
          PATH_SUFFIXES openblas openblas-pthread REQUIRED)
find_library(NMFKIT_OPENBLAS_LIBRARY NAMES openblas REQUIRED)
add_library(nmfkit_openblas INTERFACE)
add_library(nmfkit::openblas ALIAS nmfkit_openblas)
target_include_directories(nmfkit_openblas SYSTEM INTERFACE ${NMFKIT_CBLAS_INCLUDE_DIR})
target_link_libraries(nmfkit_openblas INTERFACE ${NMFKIT_OPENBLAS_LIBRARY})
message(STATUS "OpenBLAS: ${NMFKIT_OPENBLAS_LIBRARY} (cblas.h in ${NMFKIT_CBLAS_INCLUDE_DIR})")
