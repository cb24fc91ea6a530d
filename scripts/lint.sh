#!/usr/bin/env bash
# clang-format check and clang-tidy (STYLE.md §2.5) over the project's own sources, plus the
# domain purity rule (no I/O library in src/domain). Uses the compile_commands.json of
# $CHELETE_LINT_BUILD (default build/test, relative to the checkout).
#   scripts/lint.sh            check
#   scripts/lint.sh --fix      apply clang-format in place
#   scripts/lint.sh --format   only the clang-format check and the purity rule (fast; a ctest
#                              unit test, `source_format`, so scripts/test.sh enforces them)
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$CHELETE_ROOT"
build_dir=${CHELETE_LINT_BUILD:-build/test}
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' | grep -v '^tests/bench/')
status=0
if [[ ${1:-} == --fix ]]; then
    clang-format-14 -i "${sources[@]}"
else
    differ=$(clang-format-14 --dry-run "${sources[@]}" 2>&1 | grep -c "warning:" || true)
    if ((differ > 0)); then
        log "clang-format: $differ places differ from .clang-format (scripts/lint.sh --fix)"
        status=1
    fi
fi
if grep -rnE '#include <(pistache|pqxx|hiredis|openssl|spdlog|nlohmann)' --include='*.cpp' --include='*.hpp' \
    $(find . -path ./build -prune -o -type d -name domain -print); then
    log "domain code includes an I/O library (STYLE.md §2.2)"
    status=1
fi
if [[ ${1:-} == --format ]]; then
    ((status == 0)) && log "clang-format and the domain purity rule hold over ${#sources[@]} files"
    exit "$status"
fi
[[ -f $build_dir/compile_commands.json ]] || die "build first (scripts/test.sh) to get $build_dir/compile_commands.json"
mapfile -t units < <(git ls-files '*.cpp' | grep -vE '_test\.cpp$|_pgtest\.cpp$|_itest\.cpp$|_fuzz\.cpp$|^tests/')
run-clang-tidy-14 -quiet -p "$build_dir" "${units[@]}" >build/clang-tidy.log 2>&1 || status=1
grep -E "error:" build/clang-tidy.log | sort | uniq | head -50 >&2 || true
exit "$status"
