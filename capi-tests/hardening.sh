#!/usr/bin/env bash
# Issue 10, hardening: the single entry point (called from `make check`).
#   capi-tests/hardening.sh OUR_LIB_DIR
# Runs, in order:
#   1. fault injection, 13 protocol steps x 6 fault kinds, ours and libESMTP
#      compared, plus a valgrind subset  (capi-tests/faults/run.sh --valgrind)
#   2. every libESMTP crash input against ours   (capi-tests/faults/crashers.sh)
#   3. ASan+UBSan C tests, driver on all scenarios, threads (capi-tests/sanitize/run.sh)
#   4. 16-thread test, plain and -fsanitize=thread (capi-tests/threads/run.sh)
#   5. stable fuzz smoke + property tests (cargo test --release)
#   6. cargo-fuzz targets for 20 s each, only with HARDENING_FUZZ=1 and a
#      nightly toolchain with cargo-fuzz (fuzz/smoke.sh; otherwise SKIP)
# Each part prints PASS/FAIL lines and "N passed, N failed"; this script adds
# them up and ends with the total "N passed, N failed".  Exit 0 iff none failed.
# Environment: HARDENING_NO_REF=1 skips the libESMTP comparison in part 1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
lib=$(cd "${1:?usage: hardening.sh OUR_LIB_DIR}" && pwd)
[ -e "$lib/libesmtp.so.6" ] || { echo "no $lib/libesmtp.so.6 (make lib)"; exit 2; }
out=$top/capi-tests/out/hardening
mkdir -p "$out"
total_pass=0 total_fail=0
start=$(date +%s)

part() {  # NAME COMMAND...
    local name=$1; shift
    local t0=$(date +%s) log="$out/$name.log"
    echo "=== $name: $*"
    "$@" >"$log" 2>&1
    local rc=$?
    grep -E '^(FAIL|SKIP)|^    ' "$log" | head -80
    local last p f
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -n "$last" ]; then
        p=${last%% passed*}; f=${last#*, }; f=${f%% failed*}
    else
        p=0; f=1; echo "FAIL $name: no summary line (exit $rc); log $log"; tail -20 "$log"
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $name: exit $rc"; fi
    echo "--- $name: $p passed, $f failed ($(( $(date +%s) - t0 )) s; log $log)"
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}

cargo_part() {
    cd "$top" || return 1
    local log=$out/cargo.raw
    timeout 900 cargo test --release --test fuzz_smoke --test props_dotstuff --test props_reply \
        --test props_headers >"$log" 2>&1
    local rc=$?
    grep -E '^test .* \.\.\. ' "$log" | sed -E 's/^test (.*) \.\.\. ok$/PASS \1/; s/^test (.*) \.\.\. FAILED$/FAIL \1/'
    local p f
    p=$(grep -cE '^test .* \.\.\. ok$' "$log")
    f=$(grep -cE '^test .* \.\.\. FAILED$' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; tail -30 "$log"; fi
    echo "$p passed, $f failed"
}

ref=(); [ "${HARDENING_NO_REF:-0}" = 1 ] && ref=(--no-ref)
part faults "$here/faults/run.sh" "$lib" --valgrind "${ref[@]}"
part crashers "$here/faults/crashers.sh" "$lib"
part sanitize "$here/sanitize/run.sh" "$lib"
part threads "$here/threads/run.sh" "$lib" plain thread
part fuzz-smoke cargo_part
if [ "${HARDENING_FUZZ:-0}" = 1 ]; then
    part cargo-fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" "$top/fuzz/smoke.sh"
else
    echo "SKIP cargo-fuzz targets (set HARDENING_FUZZ=1; needs nightly + cargo-fuzz): fuzz/smoke.sh"
fi
echo "hardening: $(( $(date +%s) - start )) s"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
