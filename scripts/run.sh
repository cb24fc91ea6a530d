#!/usr/bin/env bash
# Brings Chelete up on this machine: installs what is missing, builds (Release), starts a private
# PostgreSQL 15 and Redis 7 under var/run on 127.0.0.1, migrates, starts every service and serves
# the API on http://127.0.0.1:8080.
#
#   scripts/run.sh          start everything and stay in the foreground (Ctrl-C stops it all)
#   scripts/run.sh start    start everything in the background and return
#   scripts/run.sh stop     stop everything this script started
#   scripts/run.sh status   say what is running
#
# Running it again while it runs does no harm: it reports what is up and leaves it alone.
# Ports (all below 32768, configurable): CHELETE_HTTP_PORT=8080, CHELETE_RUN_PG_PORT=15432,
# CHELETE_RUN_REDIS_PORT=16379, and the partner simulators (integrations/simulators) that stand in
# for the permit registry, M-Pesa, EcoCash and the SMS gateway: CHELETE_RUN_SIM_PORT_BASE=18100
# (permit registry +1, M-Pesa +2, EcoCash +3, SMS +4).
# CHELETE_RUN_VAR (default var/run) holds the servers' data, secrets, pid files and logs.
# CHELETE_RUN_PREBUILT=<build dir> runs the binaries of an existing build instead of building
# Release (tests/scripts/run_sh_itest.sh uses the test build).
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VAR=$(realpath -m "${CHELETE_RUN_VAR:-$CHELETE_ROOT/var/run}")
BUILD=$(realpath -m "${CHELETE_RUN_PREBUILT:-$CHELETE_ROOT/build/release}")
PG_PORT=${CHELETE_RUN_PG_PORT:-15432}
REDIS_PORT=${CHELETE_RUN_REDIS_PORT:-16379}
HTTP_PORT=${CHELETE_HTTP_PORT:-8080}
SIM_BASE=${CHELETE_RUN_SIM_PORT_BASE:-18100}
PERMIT_PORT=$((SIM_BASE + 1))
MPESA_PORT=$((SIM_BASE + 2))
ECOCASH_PORT=$((SIM_BASE + 3))
SMS_PORT=$((SIM_BASE + 4))
SIMULATORS=(permit-registry mpesa ecocash sms)
PID_FILE="$VAR/chelete.pid"
LOG_DIR="$VAR/logs"

chelete_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# Secrets are made once per checkout and kept under var/run (mode 600), never committed.
ensure_secrets() {
    local file="$VAR/secrets.env"
    mkdir -p "$VAR"
    (umask 077 && touch "$file")
    # Each secret is added when missing, so a checkout made before a new one existed gains it.
    add_secret() {
        grep -q "^$1=" "$file" || echo "$1=$2" >>"$file"
    }
    add_secret CHELETE_TOKEN_SECRET "$(openssl rand -base64 48 | tr -d '\n')"
    add_secret CHELETE_METRICS_TOKEN "$(openssl rand -hex 24)"
    add_secret CHELETE_ADMIN_PASSWORD "chelete-$(openssl rand -hex 6)"
    add_secret CHELETE_FIELD_KEYS "k1:$(openssl rand -hex 32)"
    add_secret CHELETE_LOOKUP_KEY "$(openssl rand -hex 32)"
    add_secret CHELETE_LETTER_SIGNING_KEY "$(openssl rand -hex 32)"
    # What the local partner simulators and Chelete share (production takes the partners' own).
    add_secret CHELETE_PERMIT_REGISTRY_API_KEY "$(openssl rand -hex 16)"
    add_secret CHELETE_MPESA_API_KEY "$(openssl rand -hex 16)"
    add_secret CHELETE_MPESA_CALLBACK_SECRET "$(openssl rand -hex 24)"
    add_secret CHELETE_ECOCASH_CLIENT_ID "chelete-local"
    add_secret CHELETE_ECOCASH_CLIENT_SECRET "$(openssl rand -hex 16)"
    add_secret CHELETE_ECOCASH_CALLBACK_SECRET "$(openssl rand -hex 24)"
    add_secret CHELETE_SMS_API_KEY "$(openssl rand -hex 16)"
    # The USSD aggregator's HTTP Basic credential for POST /v1/ussd (docs/ussd.md).
    add_secret CHELETE_USSD_AGGREGATOR_CREDENTIAL "aggregator:$(openssl rand -hex 16)"
    set -a
    # shellcheck disable=SC1090
    source "$file"
    set +a
}

export_environment() {
    export CHELETE_PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=chelete user=chelete"
    export CHELETE_REDIS_HOST=127.0.0.1 CHELETE_REDIS_PORT="$REDIS_PORT"
    export CHELETE_HTTP_HOST=127.0.0.1 CHELETE_HTTP_PORT="$HTTP_PORT"
    export CHELETE_DOCS_DIR="$BUILD/docs"
    export CHELETE_INSTANCE_ID="local"
    export CHELETE_LOG_FORMAT="${CHELETE_LOG_FORMAT:-json}"
    export CHELETE_PERMIT_REGISTRY_URL="http://127.0.0.1:$PERMIT_PORT"
    export CHELETE_MPESA_BASE_URL="http://127.0.0.1:$MPESA_PORT/openapi"
    export CHELETE_MPESA_PUBLIC_KEY="$VAR/mpesa_public.pem"
    export CHELETE_ECOCASH_BASE_URL="http://127.0.0.1:$ECOCASH_PORT"
    export CHELETE_ECOCASH_NOTIFY_URL="http://127.0.0.1:$HTTP_PORT/v1/callbacks/ecocash"
    export CHELETE_SMS_BASE_URL="http://127.0.0.1:$SMS_PORT"
}

sim_pid() {
    local file="$VAR/sim-$1.pid" pid
    [[ -f "$file" ]] || return 1
    pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

# The partner simulators, each its own process on 127.0.0.1 (integrations/simulators/README.md).
start_simulators() {
    local sim="$BUILD/bin/chelete-simulator"
    if [[ ! -f "$VAR/mpesa_private.pem" ]]; then
        (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$VAR/mpesa_private.pem" 2>/dev/null) || die "cannot make the M-Pesa simulator's key"
    fi
    openssl pkey -in "$VAR/mpesa_private.pem" -pubout -out "$VAR/mpesa_public.pem"
    local name
    for name in "${SIMULATORS[@]}"; do
        sim_pid "$name" >/dev/null && continue
        local args=()
        case "$name" in
            permit-registry)
                args=(--port "$PERMIT_PORT" --api-key "$CHELETE_PERMIT_REGISTRY_API_KEY"
                      --seed-file "$CHELETE_ROOT/integrations/simulators/data/permits.csv") ;;
            mpesa)
                args=(--port "$MPESA_PORT" --api-key "$CHELETE_MPESA_API_KEY"
                      --rsa-key-file "$VAR/mpesa_private.pem"
                      --callback-url "http://127.0.0.1:$HTTP_PORT/v1/callbacks/mpesa"
                      --callback-secret "$CHELETE_MPESA_CALLBACK_SECRET") ;;
            ecocash)
                args=(--port "$ECOCASH_PORT" --client-id "$CHELETE_ECOCASH_CLIENT_ID"
                      --client-secret "$CHELETE_ECOCASH_CLIENT_SECRET"
                      --callback-secret "$CHELETE_ECOCASH_CALLBACK_SECRET") ;;
            sms)
                args=(--port "$SMS_PORT" --api-key "$CHELETE_SMS_API_KEY") ;;
        esac
        nohup "$sim" "$name" "${args[@]}" >>"$LOG_DIR/sim-$name.log" 2>&1 &
        echo $! >"$VAR/sim-$name.pid"
    done
}

stop_simulators() {
    local name pid
    for name in "${SIMULATORS[@]}"; do
        if pid=$(sim_pid "$name"); then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$VAR/sim-$name.pid"
    done
}

start() {
    if pid=$(chelete_pid); then
        log "Chelete is already running (pid $pid) on http://127.0.0.1:$HTTP_PORT"
        return 0
    fi
    # A start that fails or is interrupted (Ctrl-C during the build included) stops whatever it
    # had started already, so nothing is left running behind an error message.
    trap 'log "start did not finish; stopping what it started"; stop' EXIT
    trap 'exit 130' INT TERM
    ensure_packages
    ensure_npm_tools
    if [[ -n ${CHELETE_RUN_PREBUILT:-} ]]; then
        [[ -x "$BUILD/bin/chelete" ]] || die "CHELETE_RUN_PREBUILT=$BUILD has no bin/chelete"
        log "using the binaries of $BUILD"
    else
        log "building (Release) in $BUILD"
        cmake_build "$BUILD" Release -DCHELETE_BUILD_TESTS=OFF -DCHELETE_BUILD_BENCH=OFF
    fi
    pg_start "$VAR/pg" "$PG_PORT"
    redis_start "$VAR/redis" "$REDIS_PORT" persist
    ensure_secrets
    export_environment
    mkdir -p "$LOG_DIR"
    start_simulators
    "$BUILD/bin/chelete" migrate >>"$LOG_DIR/migrate.log" 2>&1 || { tail -20 "$LOG_DIR/migrate.log" >&2; die "migrations failed"; }
    nohup "$BUILD/bin/chelete" all >>"$LOG_DIR/chelete.log" 2>&1 &
    echo $! >"$PID_FILE"
    local i
    for i in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1; then
            log "Chelete is up: http://127.0.0.1:$HTTP_PORT  (docs: /docs, spec: /openapi.yaml, logs: $LOG_DIR)"
            log "admin login: username 'admin', password '$CHELETE_ADMIN_PASSWORD' (from $VAR/secrets.env)"
            # Up: from here Ctrl-C stops everything in the foreground mode and nothing otherwise.
            # The new INT trap is set before the EXIT trap goes, so no moment is unguarded.
            if [[ ${FOREGROUND:-0} == 1 ]]; then
                trap 'echo; stop; exit 0' INT TERM
            else
                trap - INT TERM
            fi
            trap - EXIT
            return 0
        fi
        chelete_pid >/dev/null || { tail -30 "$LOG_DIR/chelete.log" >&2; die "chelete exited during start"; }
        sleep 0.2
    done
    tail -30 "$LOG_DIR/chelete.log" >&2
    die "Chelete did not become ready"
}

stop() {
    if pid=$(chelete_pid); then
        log "stopping chelete (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    stop_simulators
    redis_stop "$VAR/redis" "$REDIS_PORT"
    pg_stop "$VAR/pg"
    log "stopped"
}

status() {
    if pid=$(chelete_pid); then
        log "chelete running (pid $pid) on http://127.0.0.1:$HTTP_PORT"
    else
        log "chelete not running"
    fi
    local name
    for name in "${SIMULATORS[@]}"; do
        sim_pid "$name" >/dev/null && log "simulator $name running" || log "simulator $name not running"
    done
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && log "redis running on $REDIS_PORT" || log "redis not running"
    pg_isready -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1 && log "postgresql running on $PG_PORT" || log "postgresql not running"
}

case "${1:-foreground}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    foreground)
        if chelete_pid >/dev/null; then
            start
            exit 0
        fi
        FOREGROUND=1 start
        log "press Ctrl-C to stop everything"
        tail -n 0 -F "$LOG_DIR/chelete.log" &
        tail_pid=$!
        while chelete_pid >/dev/null; do sleep 1; done
        kill "$tail_pid" 2>/dev/null || true
        log "chelete exited; stopping the servers"
        stop
        ;;
    *) die "usage: scripts/run.sh [start|stop|status]" ;;
esac
