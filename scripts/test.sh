#!/usr/bin/env bash
# Builds Chelete and passes every test: unit, PostgreSQL (pg) and integration (itest) tests
# against a throw-away PostgreSQL 15 and Redis 7 it starts for the run (and always stops), the
# OpenAPI lint, then an ASan+UBSan build (clang-14) that runs the unit tests and every libFuzzer
# target for a bounded time, then a TSan build of the concurrency tests. Exits non-zero on any
# failure, any skipped test or any missing piece.
#
#   scripts/test.sh                 everything (what CI runs)
#   CHELETE_FUZZ_SECONDS=60 ...     seconds per fuzz target (default 30)
#   CHELETE_TEST_JOBS=2 ...         ctest parallelism (default: nproc)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

started=$(date +%s)
VAR="$CHELETE_ROOT/var/test"
BUILD="$CHELETE_ROOT/build/test"
SAN_BUILD="$CHELETE_ROOT/build/sanitize"
TSAN_BUILD="$CHELETE_ROOT/build/tsan"
PG_PORT=${CHELETE_TEST_PG_PORT:-25432}
REDIS_PORT=${CHELETE_TEST_REDIS_PORT_BASE:-26379}
JOBS=${CHELETE_TEST_JOBS:-$(nproc)}
FUZZ_SECONDS=${CHELETE_FUZZ_SECONDS:-30}
SUMMARY="$VAR/summary.txt"

cleanup() {
    local status=$?
    redis_stop "$VAR/redis" "$REDIS_PORT"
    pg_stop "$VAR/pg"
    exit "$status"
}

elapsed() { echo "$(( $(date +%s) - started ))s"; }

ensure_packages
ensure_npm_tools

log "building (Debug, warnings as errors) in $BUILD"
cmake_build "$BUILD" Debug -DCHELETE_WERROR=ON -DCHELETE_BUILD_TESTS=ON

# Throw-away servers: a fresh data directory every run.
pg_stop "$VAR/pg"
redis_stop "$VAR/redis" "$REDIS_PORT"
rm -rf "$VAR"
mkdir -p "$VAR"
trap cleanup EXIT
# fsync off: the crash tests kill processes, not the machine, so the OS keeps every write.
pg_start "$VAR/pg" "$PG_PORT" fsync=off full_page_writes=off
redis_start "$VAR/redis" "$REDIS_PORT" volatile
export CHELETE_TEST_PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=chelete user=chelete"
export CHELETE_TEST_REDIS_HOST=127.0.0.1 CHELETE_TEST_REDIS_PORT="$REDIS_PORT"
export CHELETE_TEST_REDIS_SPARE_PORT=$((REDIS_PORT + 11))
export CHELETE_TEST_REQUIRE_SERVERS=1
export CHELETE_TEST_BIN_DIR="$BUILD/bin"

run_ctest() {
    local dir=$1 labels=$2 log_file=$3
    local status=0
    ctest --test-dir "$dir" -L "$labels" -j "$JOBS" --output-on-failure --no-tests=error >"$log_file" 2>&1 || status=$?
    grep -E "tests passed|tests failed|Total Test time" "$log_file" | sed "s#^#[$(basename "$dir") $labels] #" >>"$SUMMARY"
    if grep -qE "\*\*\*Skipped|Not Run" "$log_file"; then
        grep -E "\*\*\*Skipped|Not Run" "$log_file" >&2
        echo "skipped tests are failures here" >&2
        status=1
    fi
    if ((status != 0)); then
        grep -E "Failed|\*\*\*|Timeout|Exception" "$log_file" | tail -40 >&2 || true
        grep -E "tests passed|tests failed" "$log_file" >&2 || true
        log "ctest failed ($labels); full log: $log_file"
        return "$status"
    fi
}

# Listed to a variable first: `ctest -N | grep -q` under pipefail fails at random when grep exits
# on the first match and ctest dies of SIGPIPE (it did in CI once the list grew long enough).
test_list=$(ctest --test-dir "$BUILD" -N)
grep -q "openapi_lint" <<<"$test_list" || die "the OpenAPI lint test is missing (is node_modules/.bin/redocly installed?)"
grep -q "console_browser_itest" <<<"$test_list" ||
    die "the console's browser test is missing (is node_modules/playwright-core installed?)"

log "running unit, pg and itest tests ($JOBS at a time)"
run_ctest "$BUILD" 'unit|pg|itest' "$VAR/ctest.log"
log "tests passed after $(elapsed)"

log "building with clang-14, ASan and UBSan, and the libFuzzer targets in $SAN_BUILD"
sanitize_build "$SAN_BUILD" "$FUZZ_SECONDS"
export CHELETE_TEST_BIN_DIR="$SAN_BUILD/bin"
log "running the unit and pg tests under ASan+UBSan"
run_ctest "$SAN_BUILD" 'unit|pg' "$VAR/ctest-sanitize.log"
log "fuzzing each target for ${FUZZ_SECONDS}s"
JOBS=$JOBS run_ctest "$SAN_BUILD" 'fuzz' "$VAR/ctest-fuzz.log"

# ThreadSanitizer over the tests that race threads against each other (CONCURRENCY in their
# chelete_add_test; label `concurrency`): only those targets are built. Debian's libpq, hiredis
# and libcurl are not instrumented; scripts/tsan.supp may name reports from inside them only.
log "building the concurrency tests with clang-14 and TSan in $TSAN_BUILD"
cmake_configure "$TSAN_BUILD" Debug -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCHELETE_SANITIZE=thread -DCHELETE_BUILD_TESTS=ON -DCHELETE_BUILD_BENCH=OFF
cmake --build "$TSAN_BUILD" -j "$(nproc)" --target concurrency_tests
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$CHELETE_ROOT/scripts/tsan.supp"
export CHELETE_TEST_BIN_DIR="$TSAN_BUILD/bin"
log "running the concurrency tests under TSan"
run_ctest "$TSAN_BUILD" 'concurrency' "$VAR/ctest-tsan.log"

echo
log "summary (whole run $(elapsed)):"
cat "$SUMMARY" >&2
