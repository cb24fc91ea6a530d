#!/usr/bin/env bash
# The full chaos run, one command (docs/testing.md "The chaos run" explains the figures):
#   tests/chaos/run.sh                  5,000 remittances at 25/s, seed 7
#   tests/chaos/run.sh 1000 20 42       remittances, rate per second, seed
#   CHELETE_CHAOS_INSTANCES=2 tests/chaos/run.sh   two processes of every stateless service
#   CHELETE_CHAOS_SHARDS=2 tests/chaos/run.sh      two ledger shards, a ledger process each
# Builds (Release) what it needs, then runs tests/chaos/chaos_itest.cpp, which starts its own
# PostgreSQL and Redis under var/chaos, every service as a process of its own and the partner
# simulators, kills and crashes them on the seeded schedule, drains, checks and prints the table.
# scripts/test.sh runs the same test with 500 remittances.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

BUILD="$CHELETE_ROOT/build/chaos"
VAR="$CHELETE_ROOT/var/chaos"

ensure_packages
log "building (Release) chelete, the simulators and the chaos test in $BUILD"
cmake_configure "$BUILD" Release -DCHELETE_BUILD_TESTS=ON -DCHELETE_BUILD_BENCH=OFF
cmake --build "$BUILD" -j "$(nproc)" --target chelete chelete-simulator chaos_itest || die "build failed in $BUILD"
rm -rf "$VAR"
mkdir -p "$VAR"
export CHELETE_CHAOS_REMITTANCES=${1:-5000} CHELETE_CHAOS_RATE=${2:-25} CHELETE_CHAOS_SEED=${3:-7}
export CHELETE_CHAOS_DIR="$VAR" CHELETE_TEST_BIN_DIR="$BUILD/bin"
log "chaos: $CHELETE_CHAOS_REMITTANCES remittances at $CHELETE_CHAOS_RATE/s, seed $CHELETE_CHAOS_SEED (logs in $VAR)"
"$BUILD/bin/chaos_itest" --gtest_filter='ChaosITest.EveryAcknowledged*' | tee "$VAR/chaos.md"
