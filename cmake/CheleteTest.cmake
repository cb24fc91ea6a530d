# chelete_add_test(<name> LABEL unit|pg|itest|fuzz [TIMEOUT s] [CONCURRENCY] SOURCES ... LIBRARIES ...)
#
# The only way to add a test. Labels (STYLE.md §2.1):
#   unit  - nothing outside the process: no sockets, files, sleeps or real clock (30 s)
#   pg    - needs PostgreSQL (CHELETE_TEST_PG_DSN), own schema per test (120 s)
#   itest - needs PostgreSQL and/or Redis and running components (300 s)
# Every test executable joins the `check` target. CONCURRENCY marks a test whose process runs
# threads against each other (pools, relays, consumers, the ledger's writer, racing requests): it
# joins `concurrency_tests`, the targets scripts/test.sh builds and runs again under
# ThreadSanitizer, where (CHELETE_SANITIZE=thread) its label is `concurrency`.
set(CHELETE_TEST_LABELS unit pg itest)
add_custom_target(check)
add_custom_target(concurrency_tests)

function(chelete_add_test name)
    cmake_parse_arguments(ARG "CONCURRENCY" "LABEL;TIMEOUT" "SOURCES;LIBRARIES" ${ARGN})
    if(NOT ARG_LABEL IN_LIST CHELETE_TEST_LABELS)
        message(FATAL_ERROR "chelete_add_test(${name}): LABEL must be one of ${CHELETE_TEST_LABELS}, got '${ARG_LABEL}'")
    endif()
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "chelete_add_test(${name}): SOURCES is required")
    endif()
    if(NOT ARG_TIMEOUT)
        if(ARG_LABEL STREQUAL "unit")
            set(ARG_TIMEOUT 30)
        elseif(ARG_LABEL STREQUAL "pg")
            set(ARG_TIMEOUT 120)
        else()
            set(ARG_TIMEOUT 300)
        endif()
    endif()
    # In the ThreadSanitizer tree a concurrency test is labelled `concurrency` alone (one label:
    # gtest_discover_tests spreads a list over its PROPERTIES and mangles them).
    set(labels ${ARG_LABEL})
    if(ARG_CONCURRENCY AND CHELETE_SANITIZE STREQUAL "thread")
        set(labels concurrency)
    endif()
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} GTest::gtest GTest::gmock GTest::gtest_main chelete::warnings)
    gtest_discover_tests(${name}
        DISCOVERY_TIMEOUT 60
        PROPERTIES LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT})
    add_dependencies(check ${name})
    if(ARG_CONCURRENCY)
        add_dependencies(concurrency_tests ${name})
    endif()
endfunction()

# chelete_add_fuzzer(<name> SOURCES ... LIBRARIES ... [CORPUS dir])
# Builds only with CHELETE_BUILD_FUZZERS (clang, -fsanitize=fuzzer,address,undefined).
# scripts/fuzz.sh runs each for a bounded time; tests/fuzz/CMakeLists.txt registers the
# bounded runs as ctest tests labelled `fuzz`.
set(CHELETE_FUZZERS "" CACHE INTERNAL "")
function(chelete_add_fuzzer name)
    cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;LIBRARIES" ${ARGN})
    if(NOT CHELETE_BUILD_FUZZERS)
        return()
    endif()
    add_executable(${name} ${ARG_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
    set(corpus "")
    if(ARG_CORPUS)
        get_filename_component(corpus "${ARG_CORPUS}" ABSOLUTE)
    endif()
    set(CHELETE_FUZZERS ${CHELETE_FUZZERS} "${name}|${corpus}" CACHE INTERNAL "")
endfunction()

# chelete_add_script_test(<name> LABEL unit|pg|itest [TIMEOUT s] SCRIPT <file> [ARGS ...])
# A test that is a shell script (the operator's scripts tested as an operator runs them). The
# script exits non-zero on failure and prints what it checked.
function(chelete_add_script_test name)
    cmake_parse_arguments(ARG "" "LABEL;TIMEOUT;SCRIPT" "ARGS" ${ARGN})
    if(NOT ARG_LABEL IN_LIST CHELETE_TEST_LABELS)
        message(FATAL_ERROR "chelete_add_script_test(${name}): LABEL must be one of ${CHELETE_TEST_LABELS}, got '${ARG_LABEL}'")
    endif()
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 300)
    endif()
    add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_SCRIPT} ${ARG_ARGS})
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABEL}" TIMEOUT ${ARG_TIMEOUT})
endfunction()
