# What every nmfkit target gets: warnings, sanitizers (NMFKIT_SANITIZE) and, with
# NMFKIT_NATIVE=ON, code for this machine only (-march=native). Flags are set per target, never
# through CMAKE_CXX_FLAGS.
include(NmfkitWarnings)
include(NmfkitSanitizers)
include(CheckCXXCompilerFlag)

function(nmfkit_set_native target)
  if(NMFKIT_NATIVE)
    check_cxx_compiler_flag(-march=native NMFKIT_HAS_MARCH_NATIVE)
    if(NMFKIT_HAS_MARCH_NATIVE)
      target_compile_options(${target} PRIVATE -march=native)
    endif()
  endif()
endfunction()

function(nmfkit_target_defaults target)
  nmfkit_set_warnings(${target})
  nmfkit_set_sanitizers(${target})
  nmfkit_set_native(${target})
endfunction()
