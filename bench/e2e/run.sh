#!/usr/bin/env bash
# The end-to-end benchmark, one command (README.md here explains the table):
#   bench/e2e/run.sh                                60 s window, 64 flows in flight
#   bench/e2e/run.sh --seconds 10 --concurrency 32  a quick look
#   bench/e2e/run.sh --rate 500                     open loop: 500 flows started a second
# Every other flag goes to e2e_bench (--max-remittances, --hello-seconds, --drain-seconds,
# --setup-concurrency). Builds Release in build/bench-e2e, starts a private PostgreSQL 15
# (fsync and synchronous_commit on, the defaults) and Redis 7 under var/bench-e2e, the M-Pesa,
# EcoCash and SMS simulators (no faults, 5 ms latency), every Chelete service as its own process
# and a minimal Pistache server, runs the load generator, prints the table, and stops everything
# it started, on failure and Ctrl-C too.
#
# Ports (127.0.0.1, below 32768): CHELETE_BENCH_E2E_PG_PORT=25472, CHELETE_BENCH_E2E_REDIS_PORT=26449,
# CHELETE_BENCH_E2E_PORT_BASE=26480 (gateway +0, hello +1, M-Pesa +2, EcoCash +3, SMS +4).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

VAR="$CHELETE_ROOT/var/bench-e2e"
BUILD="$CHELETE_ROOT/build/bench-e2e"
PG_PORT=${CHELETE_BENCH_E2E_PG_PORT:-25472}
REDIS_PORT=${CHELETE_BENCH_E2E_REDIS_PORT:-26449}
BASE=${CHELETE_BENCH_E2E_PORT_BASE:-26480}
GATEWAY_PORT=$BASE
HELLO_PORT=$((BASE + 1))
MPESA_PORT=$((BASE + 2))
ECOCASH_PORT=$((BASE + 3))
SMS_PORT=$((BASE + 4))
SIM_LATENCY_MS=${CHELETE_BENCH_E2E_SIM_LATENCY_MS:-5}
SERVICES=(ledger registry compliance remittance payout notifier central-bank gateway)
LOGS="$VAR/logs"
PIDS="$VAR/procs"

for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
        sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
    fi
done

started=()  # "name pid" of every process this script started

stop_all() {
    local i entry pid
    # Reverse order: the gateway and the services before the simulators and the servers.
    for ((i = ${#started[@]} - 1; i >= 0; i--)); do
        entry=${started[i]}
        pid=${entry##* }
        kill -TERM "$pid" 2>/dev/null || true
    done
    for entry in "${started[@]}"; do
        pid=${entry##* }
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    started=()
    redis_stop "$VAR/redis" "$REDIS_PORT"
    pg_stop "$VAR/pg"
}

# start <name> <command...>: in the background, its output in logs/<name>.log, its pid recorded.
start() {
    local name=$1
    shift
    "$@" >>"$LOGS/$name.log" 2>&1 &
    started+=("$name $!")
    echo "$name $!" >>"$PIDS"
}

# Every process started so far must still run.
check_alive() {
    local entry
    for entry in "${started[@]}"; do
        kill -0 "${entry##* }" 2>/dev/null ||
            { tail -20 "$LOGS/${entry% *}.log" >&2; die "${entry% *} exited (log: $LOGS/${entry% *}.log)"; }
    done
}

wait_http() {
    local url=$1 what=$2
    for _ in $(seq 1 150); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        check_alive
        sleep 0.2
    done
    die "$what did not answer on $url (logs: $LOGS)"
}

ensure_packages
log "building (Release) in $BUILD"
# -O3 makes g++ 12 report -Wnull-dereference false positives inside libstdc++ (the simulators):
# warnings stay errors in the Debug build that scripts/test.sh makes.
cmake_build "$BUILD" Release -DCHELETE_BUILD_TESTS=OFF -DCHELETE_BUILD_BENCH=ON -DCHELETE_WERROR=OFF
BIN="$BUILD/bin"

# A fresh start each run: a leftover server of an interrupted run is stopped, its data removed.
redis_stop "$VAR/redis" "$REDIS_PORT"
pg_stop "$VAR/pg"
rm -rf "$VAR/pg" "$VAR/redis" "$LOGS" "$PIDS"
mkdir -p "$VAR" "$LOGS"
trap 'stop_all' EXIT
trap 'echo; log "interrupted"; exit 130' INT TERM

# pg_stat_statements shows where PostgreSQL spends its time (reset when the timed window opens).
pg_start "$VAR/pg" "$PG_PORT" shared_preload_libraries=pg_stat_statements pg_stat_statements.track=all
psql_admin=("$(pg_bindir)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d chelete -v ON_ERROR_STOP=1 -q -X)
"${psql_admin[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    -c "GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO chelete" >/dev/null
redis_start "$VAR/redis" "$REDIS_PORT" persist
echo "postgres $(head -1 "$VAR/pg/postmaster.pid") tree" >>"$PIDS"
echo "redis $(cat "$VAR/redis/redis.pid")" >>"$PIDS"

# Secrets for this run only (the servers are thrown away afterwards).
rand() { openssl rand -hex "$1"; }
export CHELETE_PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=chelete user=chelete"
export CHELETE_REDIS_HOST=127.0.0.1 CHELETE_REDIS_PORT="$REDIS_PORT"
export CHELETE_HTTP_HOST=127.0.0.1 CHELETE_HTTP_PORT="$GATEWAY_PORT"
export CHELETE_TOKEN_SECRET CHELETE_ADMIN_PASSWORD CHELETE_FIELD_KEYS CHELETE_LOOKUP_KEY
CHELETE_TOKEN_SECRET=$(rand 32)
CHELETE_ADMIN_PASSWORD="bench-$(rand 6)"
CHELETE_FIELD_KEYS="k1:$(rand 32)"
CHELETE_LOOKUP_KEY=$(rand 32)
export CHELETE_LETTER_SIGNING_KEY CHELETE_MPESA_API_KEY CHELETE_MPESA_CALLBACK_SECRET
CHELETE_LETTER_SIGNING_KEY=$(rand 32)
CHELETE_MPESA_API_KEY=$(rand 16)
CHELETE_MPESA_CALLBACK_SECRET=$(rand 24)
export CHELETE_ECOCASH_CLIENT_ID=chelete-bench CHELETE_ECOCASH_CLIENT_SECRET CHELETE_ECOCASH_CALLBACK_SECRET
CHELETE_ECOCASH_CLIENT_SECRET=$(rand 16)
CHELETE_ECOCASH_CALLBACK_SECRET=$(rand 24)
export CHELETE_SMS_API_KEY
CHELETE_SMS_API_KEY=$(rand 16)
export CHELETE_MPESA_BASE_URL="http://127.0.0.1:$MPESA_PORT/openapi"
export CHELETE_MPESA_PUBLIC_KEY="$VAR/mpesa_public.pem"
export CHELETE_ECOCASH_BASE_URL="http://127.0.0.1:$ECOCASH_PORT"
export CHELETE_ECOCASH_NOTIFY_URL="http://127.0.0.1:$GATEWAY_PORT/v1/callbacks/ecocash"
export CHELETE_SMS_BASE_URL="http://127.0.0.1:$SMS_PORT"
export CHELETE_LOG_FORMAT=json
# Every registration comes from 127.0.0.1 (the anonymous rate limit is per address). PINs are
# hashed at the configured cost (Argon2id, the OWASP minimum at least), so the setup pays for it.
# The timed window sends with worker and agent tokens under the default per-client limits.
export CHELETE_RATE_LIMIT_ANONYMOUS=10000000 CHELETE_RATE_BURST_ANONYMOUS=1000000

log "starting the simulators (no faults, ${SIM_LATENCY_MS} ms latency) and the minimal Pistache server"
start sim-mpesa "$BIN/chelete-simulator" mpesa --port "$MPESA_PORT" --api-key "$CHELETE_MPESA_API_KEY" \
    --callback-url "http://127.0.0.1:$GATEWAY_PORT/v1/callbacks/mpesa" \
    --callback-secret "$CHELETE_MPESA_CALLBACK_SECRET" --latency-ms "$SIM_LATENCY_MS"
start sim-ecocash "$BIN/chelete-simulator" ecocash --port "$ECOCASH_PORT" \
    --client-id "$CHELETE_ECOCASH_CLIENT_ID" --client-secret "$CHELETE_ECOCASH_CLIENT_SECRET" \
    --callback-secret "$CHELETE_ECOCASH_CALLBACK_SECRET" --latency-ms "$SIM_LATENCY_MS"
start sim-sms "$BIN/chelete-simulator" sms --port "$SMS_PORT" --api-key "$CHELETE_SMS_API_KEY"
start hello_server "$BIN/hello_server" --port "$HELLO_PORT" --threads "${CHELETE_HTTP_THREADS:-2}"
wait_http "http://127.0.0.1:$MPESA_PORT/healthz" "the M-Pesa simulator"
wait_http "http://127.0.0.1:$ECOCASH_PORT/healthz" "the EcoCash simulator"
wait_http "http://127.0.0.1:$SMS_PORT/healthz" "the SMS simulator"
curl -fsS "http://127.0.0.1:$MPESA_PORT/admin/public-key" >"$CHELETE_MPESA_PUBLIC_KEY"
# Floats far above what any run pays out (the default is R9,999,990.00).
for port in "$MPESA_PORT" "$ECOCASH_PORT"; do
    curl -fsS -o /dev/null -X POST -H 'Content-Type: application/json' \
        -d '{"balance":"9000000000.00"}' "http://127.0.0.1:$port/admin/float"
done

log "migrating"
"$BIN/chelete" migrate >>"$LOGS/migrate.log" 2>&1 || { tail -20 "$LOGS/migrate.log" >&2; die "migrations failed"; }

log "starting each service as its own process: ${SERVICES[*]}"
for service in "${SERVICES[@]}"; do
    start "$service" env CHELETE_INSTANCE_ID="bench-$service" "$BIN/chelete" "$service"
done
wait_http "http://127.0.0.1:$GATEWAY_PORT/readyz" "the gateway"
wait_http "http://127.0.0.1:$HELLO_PORT/hello" "the minimal Pistache server"
sleep 1
check_alive

log "running the load generator"
"$BIN/e2e_bench" --gateway-port "$GATEWAY_PORT" --hello-port "$HELLO_PORT" --dsn "$CHELETE_PG_DSN" \
    --procs "$PIDS" "$@" | tee "$VAR/e2e-bench.md"
"${psql_admin[@]}" -c "SELECT round(total_exec_time::numeric, 0) AS total_ms, calls,
        round(mean_exec_time::numeric, 3) AS mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 160) AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 40" >"$VAR/pg-statements.txt"
log "table saved to $VAR/e2e-bench.md; PostgreSQL's top statements of the window in $VAR/pg-statements.txt; service logs in $LOGS"
