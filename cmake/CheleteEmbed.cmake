# chelete_embed_files(<target> NAMESPACE <ns> HEADER <name.hpp> FILES <file>...)
#
# Turns text files (SQL migrations, SQL statements, the OpenAPI document, static pages) into
# `inline constexpr std::string_view` constants in a generated header, so the binary carries them
# and nothing is read from the source tree at run time. The constant for `insert_outbox.sql` is
# `kInsertOutbox`; `chelete_embed_files` also emits `kAllFiles`, an array of {name, text} pairs in
# the order given (migrations rely on that order).
function(chelete_embed_files target)
    cmake_parse_arguments(ARG "" "NAMESPACE;HEADER" "FILES" ${ARGN})
    if(NOT ARG_NAMESPACE OR NOT ARG_HEADER OR NOT ARG_FILES)
        message(FATAL_ERROR "chelete_embed_files(${target}): NAMESPACE, HEADER and FILES are required")
    endif()
    set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/embedded/${target}")
    set(out "${out_dir}/${ARG_HEADER}")
    set(abs_files "")
    foreach(f IN LISTS ARG_FILES)
        get_filename_component(abs "${f}" ABSOLUTE)
        list(APPEND abs_files "${abs}")
    endforeach()
    add_custom_command(
        OUTPUT "${out}"
        COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE} "-DFILES=${abs_files}"
                -P "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
        DEPENDS ${abs_files} "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
        COMMENT "Embedding ${ARG_HEADER} for ${target}"
        VERBATIM)
    # Listing the generated header as a source makes the target depend on it.
    target_sources(${target} PRIVATE "${out}")
    target_include_directories(${target} PRIVATE "${out_dir}")
endfunction()
