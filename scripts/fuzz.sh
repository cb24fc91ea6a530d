#!/usr/bin/env bash
# Runs every libFuzzer target (ASan + UBSan, clang-14) for longer than scripts/test.sh does.
#   scripts/fuzz.sh                  10 minutes per target, two at a time
#   scripts/fuzz.sh 3600             an hour per target
#   scripts/fuzz.sh 600 token_fuzz   only the targets whose name matches (a ctest regex)
# Builds in build/sanitize (the tree scripts/test.sh uses); new inputs are kept in
# build/sanitize/fuzz-corpus/<target>/ and the committed seeds stay read only. A crash fails the
# run and leaves its input in build/sanitize/fuzz-artifacts/<target>-crash-<sha1>.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SECONDS_PER_TARGET=${1:-600}
FILTER=${2:-.}
SAN_BUILD="$CHELETE_ROOT/build/sanitize"
[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || die "seconds per target must be a number, got '$SECONDS_PER_TARGET'"

ensure_packages
log "building the fuzz targets (clang-14, ASan+UBSan) in $SAN_BUILD, ${SECONDS_PER_TARGET}s each"
sanitize_build "$SAN_BUILD" "$SECONDS_PER_TARGET"
mkdir -p "$CHELETE_ROOT/var/fuzz"

status=0
# -V keeps libFuzzer's final stats of passing targets in the log too.
ctest --test-dir "$SAN_BUILD" -L fuzz -R "$FILTER" -j "$(nproc)" -V --no-tests=error \
    >"$CHELETE_ROOT/var/fuzz/ctest.log" 2>&1 || status=$?
grep -E "Test +#[0-9]+: fuzz_.*(Passed|Failed|\*\*\*)|tests passed|tests failed" "$CHELETE_ROOT/var/fuzz/ctest.log" >&2 || true
grep -hoE "stat::number_of_executed_units: [0-9]+" "$CHELETE_ROOT/var/fuzz/ctest.log" |
    awk '{n += $2} END {print "[chelete] inputs executed in all targets: " n}' >&2
((status == 0)) || log "a fuzz target failed; full log: $CHELETE_ROOT/var/fuzz/ctest.log"
exit "$status"
