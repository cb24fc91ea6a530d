# chelete::warnings carries the warning set; every project target links it PRIVATE.
add_library(chelete_warnings INTERFACE)
add_library(chelete::warnings ALIAS chelete_warnings)
target_compile_options(chelete_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    $<$<BOOL:${CHELETE_WERROR}>:-Werror>)

# Sanitizers apply to the whole build tree (libraries and tests alike), so they are
# directory-wide on purpose: a half-instrumented binary gives false TSan reports.
if(CHELETE_SANITIZE)
    add_compile_options(-fsanitize=${CHELETE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${CHELETE_SANITIZE})
endif()
