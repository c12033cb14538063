# Installs an nmfkit build into a fresh prefix, then configures, builds and runs
# tests/install/consumer against it with find_package(nmfkit): the installed package must be
# usable on its own, down to a data class written against the installed headers alone. Run by
# CTest as
#   cmake -DBUILD_DIR=<build> -DWORK_DIR=<scratch> -DCONSUMER_DIR=<consumer source>
#         -DCXX_COMPILER=<compiler> -DGENERATOR=<generator> -P check_install.cmake
foreach(var BUILD_DIR WORK_DIR CONSUMER_DIR CXX_COMPILER GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_install.cmake needs -D${var}=...")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${what} failed (${code}):\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(file include/nmfkit/nmfkit.hpp include/nmfkit/fit.hpp bin/nmfkit)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "cmake --install did not install ${file}")
  endif()
endforeach()
file(GLOB private_headers "${prefix}/include/kernels" "${prefix}/include/core" "${prefix}/include/io")
if(private_headers)
  message(FATAL_ERROR "private headers were installed: ${private_headers}")
endif()

# Only the prefix is searched: the consumer must not find the build tree's package.
run("configuring the consumer" ${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build"
    -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run("building the consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("running the consumer" "${WORK_DIR}/build/consumer")
message(STATUS "${run_output}")
if(NOT run_output MATCHES "relative error [0-9.e+-]+ after 500 iterations" OR
   NOT run_output MATCHES "own data class: format custom")
  message(FATAL_ERROR "unexpected consumer output: ${run_output}")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
