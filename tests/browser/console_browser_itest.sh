#!/usr/bin/env bash
# The staff console in a real browser (issue 8): scripts/run.sh brings the whole stack up with the
# binaries of the build under test (CHELETE_RUN_PREBUILT), on ports and a var directory of its
# own, with a watchlist that holds one test sender; then console.spec.mjs seeds it through the
# public API and drives Debian's chromium with playwright-core (node_modules, pinned) through
# login, an agency approval, a held remittance's decision and the daily return's download.
# Screenshots are kept in <build dir>/test-artifacts/console/ (docs/testing.md). Everything it
# starts is stopped on every way out, and each step is bounded in time.
# Usage: console_browser_itest.sh <build dir>
set -euo pipefail
BUILD=$(realpath "${1:?usage: console_browser_itest.sh <build dir>}")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
RUN="$ROOT/scripts/run.sh"

[[ -f "$ROOT/node_modules/playwright-core/package.json" ]] ||
    die "node_modules/playwright-core is missing: run npm ci (scripts/test.sh does)"
CHROMIUM=${CHELETE_CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || die "$CHROMIUM is missing: install Debian's chromium (scripts/test.sh does)"

WORK=$(mktemp -d /tmp/chelete-console.XXXXXX)
chmod 755 "$WORK" # the postgres account must reach the data directory below it
ARTIFACTS=${CHELETE_CONSOLE_ARTIFACTS:-$BUILD/test-artifacts/console}
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"

export CHELETE_RUN_VAR="$WORK/var" CHELETE_RUN_PREBUILT="$BUILD"
export CHELETE_RUN_PG_PORT=${CHELETE_CONSOLE_TEST_PG_PORT:-25497}
export CHELETE_RUN_REDIS_PORT=${CHELETE_CONSOLE_TEST_REDIS_PORT:-26497}
export CHELETE_HTTP_PORT=${CHELETE_CONSOLE_TEST_HTTP_PORT:-18590}
export CHELETE_RUN_SIM_PORT_BASE=${CHELETE_CONSOLE_TEST_SIM_PORT_BASE:-18620}
# One sender on Chelete's internal list, so that their remittance is held for an officer.
printf 'id,full_name,aliases,date_of_birth,list,reference\nINT-9,Lerato Ramakatsa,,,internal,console test\n' \
    >"$WORK/watchlist.csv"
export CHELETE_COMPLIANCE_WATCHLIST="$WORK/watchlist.csv"
# The browser and the seeding share one address: the per-address limit is not under test here.
export CHELETE_RATE_LIMIT_ANONYMOUS=100000 CHELETE_RATE_BURST_ANONYMOUS=10000
export CHELETE_LOG_FORMAT=json

step_pid=""
cleanup() {
    local status=$?
    trap '' INT TERM # a second Ctrl-C must not cut the stopping short
    # A step still running (signalled mid-way): its timeout leads a process group of its own.
    if [[ -n $step_pid ]]; then
        kill -TERM -- "-$step_pid" 2>/dev/null || true
        wait "$step_pid" 2>/dev/null || true
    fi
    "$RUN" stop >"$WORK/stop.log" 2>&1 || true
    if ((status != 0)); then
        cp "$CHELETE_RUN_VAR"/logs/chelete.log "$ARTIFACTS/" 2>/dev/null || true
        echo "failed; screenshots and the server log are in $ARTIFACTS"
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each step runs in the background under `timeout` and is waited for, so that a signal reaches
# the trap at once instead of after the step (bash defers traps while a foreground child runs).
run_step() { # run_step <seconds> <command...>
    timeout --kill-after=10 "$@" &
    step_pid=$!
    local status=0
    wait "$step_pid" || status=$?
    step_pid=""
    return "$status"
}

echo "== the stack (scripts/run.sh start, binaries of $BUILD)"
if ! run_step 150 "$RUN" start >"$WORK/start.log" 2>&1; then
    tail -30 "$WORK/start.log"
    exit 1
fi
admin_password=$(grep '^CHELETE_ADMIN_PASSWORD=' "$CHELETE_RUN_VAR/secrets.env" | cut -d= -f2-)

echo "== the console in chromium (node --test tests/browser/console.spec.mjs)"
# timeout signals its whole process group: node and the chromium it started.
export CONSOLE_URL="http://127.0.0.1:$CHELETE_HTTP_PORT" CONSOLE_ADMIN_PASSWORD="$admin_password"
export CONSOLE_ARTIFACTS="$ARTIFACTS" CONSOLE_CHROMIUM="$CHROMIUM" CONSOLE_PSQL="$(pg_bindir)/psql"
export CONSOLE_PG_PORT="$CHELETE_RUN_PG_PORT"
run_step 230 node --test --test-reporter=spec --test-timeout=120000 "$ROOT/tests/browser/console.spec.mjs"
echo "screenshots: $ARTIFACTS"
