#!/usr/bin/env bash
# The ledger benchmark, one command (README.md here explains the table):
#   bench/ledger/run.sh                      30 s per run, all three workloads
#   bench/ledger/run.sh --seconds 10 --workloads hot10
# Builds Release, starts a private PostgreSQL 15 under var/bench with fsync and
# synchronous_commit on (the defaults), runs the engine and the reference on it, stops it.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

VAR="$CHELETE_ROOT/var/bench"
BUILD="$CHELETE_ROOT/build/bench"
PORT=${CHELETE_BENCH_PG_PORT:-25462}

ensure_packages
log "building (Release) in $BUILD"
cmake_build "$BUILD" Release -DCHELETE_BUILD_TESTS=OFF -DCHELETE_BUILD_BENCH=ON
pg_stop "$VAR/pg"
rm -rf "$VAR/pg"
mkdir -p "$VAR"
trap 'pg_stop "$VAR/pg"' EXIT
pg_start "$VAR/pg" "$PORT" synchronous_commit=on fsync=on max_wal_size=4GB
log "running the ledger benchmark: each workload runs through both designs (about 4 minutes at 30 s per run)"
"$BUILD/bin/ledger_bench" --dsn "host=127.0.0.1 port=$PORT dbname=chelete user=chelete" \
    --reference-sql "$CHELETE_ROOT/bench/ledger/reference.sql" "$@" | tee "$VAR/ledger-bench.md"
log "table saved to $VAR/ledger-bench.md"
