#!/bin/sh
# Runs each cargo-fuzz target for ${FUZZ_SECONDS:-20} s on its committed
# corpus (copied to a scratch dir, so the committed seeds stay small).
# Needs `cargo +nightly` and cargo-fuzz; otherwise prints SKIP and exits 0.
# The stable equivalent, always run: cargo test --release --test fuzz_smoke
set -u
cd "$(dirname "$0")"
SECS=${FUZZ_SECONDS:-20}
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "SKIP fuzz/smoke.sh: no nightly toolchain (cargo +nightly)"; echo "0 passed, 0 failed"; exit 0
fi
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
    echo "SKIP fuzz/smoke.sh: cargo-fuzz not installed (cargo install cargo-fuzz)"; echo "0 passed, 0 failed"; exit 0
fi
fail=0; pass=0
for t in reply ehlo message headers sasl; do
    work=$(mktemp -d)
    cp corpus/$t/* "$work"/
    if timeout $((SECS + 300)) cargo +nightly fuzz run "$t" "$work" -- \
        -max_total_time="$SECS" -rss_limit_mb=1024 -timeout=10 -max_len=65536 \
        >"$work.log" 2>&1; then
        echo "PASS fuzz $t ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | awk '{print $2}') execs)"
        pass=$((pass + 1))
    else
        echo "FAIL fuzz $t (log: $work.log; crash inputs under fuzz/artifacts/$t)"
        tail -20 "$work.log"
        fail=$((fail + 1))
    fi
    rm -rf "$work"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
