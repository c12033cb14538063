# NMFKIT_SANITIZE=address,undefined turns on the named sanitizers for every nmfkit target.
function(nmfkit_set_sanitizers target)
  if(NMFKIT_SANITIZE)
    string(REPLACE "," ";" _list "${NMFKIT_SANITIZE}")
    foreach(s IN LISTS _list)
      target_compile_options(${target} PRIVATE -fsanitize=${s} -fno-omit-frame-pointer)
      # Public: a sanitized static library needs the runtime wherever it is linked (the
      # installed package included).
      target_link_options(${target} PUBLIC -fsanitize=${s})
    endforeach()
    # A report ends the program (non-zero exit) instead of printing and going on.
    target_compile_options(${target} PRIVATE -fno-sanitize-recover=all)
    target_link_options(${target} PUBLIC -fno-sanitize-recover=all)
  endif()
endfunction()
