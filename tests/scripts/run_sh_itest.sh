#!/usr/bin/env bash
# scripts/run.sh as a new engineer meets it, on ports and a var directory of its own, with the
# binaries of the build under test (CHELETE_RUN_PREBUILT) instead of a Release build:
#   1. `start` brings everything up: /healthz, /readyz, /docs, /openapi.yaml, the admin login;
#   2. a second `start` does no harm (same process, still serving);
#   3. `stop` leaves nothing running;
#   4. the foreground mode stops everything on Ctrl-C (SIGINT to its process group, as a terminal
#      sends it);
#   5. a start that fails (the HTTP port taken) stops the servers it had started.
# Usage: run_sh_itest.sh <build dir>
set -euo pipefail
BUILD=$(realpath "${1:?usage: run_sh_itest.sh <build dir>}")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN="$ROOT/scripts/run.sh"

WORK=$(mktemp -d /tmp/chelete-run-sh.XXXXXX)
chmod 755 "$WORK" # the postgres account must reach the data directory below it
export CHELETE_RUN_VAR="$WORK/var" CHELETE_RUN_PREBUILT="$BUILD"
export CHELETE_RUN_PG_PORT=${CHELETE_RUN_SH_TEST_PG_PORT:-25495}
export CHELETE_RUN_REDIS_PORT=${CHELETE_RUN_SH_TEST_REDIS_PORT:-26495}
export CHELETE_HTTP_PORT=${CHELETE_RUN_SH_TEST_HTTP_PORT:-18580}
export CHELETE_RUN_SIM_PORT_BASE=${CHELETE_RUN_SH_TEST_SIM_PORT_BASE:-18600}
URL="http://127.0.0.1:$CHELETE_HTTP_PORT"
blocker_pid=""

cleanup() {
    [[ -n $blocker_pid ]] && kill "$blocker_pid" 2>/dev/null
    "$RUN" stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

failures=0
check() { # check <what> <command...>
    local what=$1
    shift
    if "$@"; then
        echo "ok   $what"
    else
        echo "FAIL $what"
        failures=$((failures + 1))
    fi
}
http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL$1" || true; }
pg_up() { pg_isready -q -h 127.0.0.1 -p "$CHELETE_RUN_PG_PORT"; }
redis_up() { redis-cli -h 127.0.0.1 -p "$CHELETE_RUN_REDIS_PORT" ping >/dev/null 2>&1; }
sims_up() { # how many simulator pid files name a live process
    local n=0 f
    for f in "$CHELETE_RUN_VAR"/sim-*.pid; do
        [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null && n=$((n + 1))
    done
    echo "$n"
}
nothing_left() {
    [[ $(http_status /healthz) == 000 ]] && ! pg_up && ! redis_up && [[ $(sims_up) == 0 ]] &&
        [[ ! -f $CHELETE_RUN_VAR/chelete.pid ]]
}
wait_ready() {
    local i
    for i in $(seq 1 300); do
        [[ $(http_status /readyz) == 200 ]] && return 0
        sleep 0.2
    done
    return 1
}

echo "== start"
"$RUN" start >"$WORK/start1.log" 2>&1 || { cat "$WORK/start1.log"; exit 1; }
check "start says where it serves" grep -q "Chelete is up: $URL" "$WORK/start1.log"
check "/healthz 200" test "$(http_status /healthz)" = 200
check "/readyz names both servers ok" bash -c "curl -fsS '$URL/readyz' | grep -q '\"postgresql\":\"ok\"' &&
    curl -fsS '$URL/readyz' | grep -q '\"redis\":\"ok\"'"
check "/docs renders the spec's HTML" bash -c "curl -fsS '$URL/docs' | grep -i '<html' >/dev/null"
check "/openapi.yaml is the 3.1 spec" bash -c "curl -fsS '$URL/openapi.yaml' | grep '^openapi: 3.1' >/dev/null"
check "four simulators run" test "$(sims_up)" = 4
password=$(grep '^CHELETE_ADMIN_PASSWORD=' "$CHELETE_RUN_VAR/secrets.env" | cut -d= -f2-)
login=$(curl -s -H 'Content-Type: application/json' --max-time 10 \
    -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$URL/v1/auth/token" || true)
check "the printed admin password logs in" grep -q '"access_token"' <<<"$login"
check "the secrets file is private (600)" test "$(stat -c %a "$CHELETE_RUN_VAR/secrets.env")" = 600
first_pid=$(cat "$CHELETE_RUN_VAR/chelete.pid")

echo "== start again"
"$RUN" start >"$WORK/start2.log" 2>&1
check "a second start reports it is already running" grep -q "already running" "$WORK/start2.log"
check "the same process still serves" test "$(cat "$CHELETE_RUN_VAR/chelete.pid")" = "$first_pid"
check "still ready" test "$(http_status /readyz)" = 200

echo "== stop"
"$RUN" stop >"$WORK/stop.log" 2>&1
check "stop leaves nothing running" nothing_left
check "the chelete process is gone" bash -c "! kill -0 $first_pid 2>/dev/null"

echo "== foreground, then Ctrl-C"
set -m # the foreground run gets a process group of its own, as in a terminal
"$RUN" >"$WORK/foreground.log" 2>&1 &
group=$!
set +m
check "the foreground run becomes ready" wait_ready
for _ in $(seq 1 50); do grep -q "press Ctrl-C" "$WORK/foreground.log" && break; sleep 0.1; done
kill -INT -- "-$group"
wait "$group" || true
check "Ctrl-C leaves nothing running" nothing_left
check "Ctrl-C says it stopped" grep -q "stopped" "$WORK/foreground.log"

echo "== a start that fails"
redis-server --bind 127.0.0.1 --port "$CHELETE_HTTP_PORT" --save "" --appendonly no >/dev/null 2>&1 &
blocker_pid=$!
for _ in $(seq 1 50); do redis-cli -p "$CHELETE_HTTP_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
if "$RUN" start >"$WORK/start3.log" 2>&1; then
    check "start fails when the HTTP port is taken" false
else
    check "start fails when the HTTP port is taken" true
fi
kill "$blocker_pid" 2>/dev/null
wait "$blocker_pid" 2>/dev/null || true
blocker_pid=""
check "the failed start stopped what it had started" nothing_left
check "the failed start says so" grep -q "stopping what it started" "$WORK/start3.log"

if ((failures > 0)); then
    echo "$failures check(s) failed; logs:"
    tail -n 20 "$WORK"/*.log "$CHELETE_RUN_VAR"/logs/chelete.log 2>/dev/null
    exit 1
fi
echo "all checks passed"
