# chelete::warnings carries the warning set; every project target links it PRIVATE.
add_library(chelete_warnings INTERFACE)
add_library(chelete::warnings ALIAS chelete_warnings)
target_compile_options(chelete_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
    $<$<BOOL:${CHELETE_WERROR}>:-Werror>
    # GCC 12 at -O2/-O3 reports impossible overlaps inside std::string concatenation
    # (GCC bug 105651, -Wrestrict false positive in char_traits::copy); clang checks the same code.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)

# Sanitizers apply to the whole build tree (libraries and tests alike), so they are
# directory-wide on purpose: a half-instrumented binary gives false TSan reports.
if(CHELETE_SANITIZE)
    add_compile_options(-fsanitize=${CHELETE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${CHELETE_SANITIZE})
endif()
