#!/usr/bin/env bash
# Threads test (issue 10): 16 threads, each with its own sessions against its
# own loopback test server (capi-tests/server/smtpd.py serves one connection
# at a time, so one server per thread), several messages per session, a few
# runs each; per-thread smtp_errno; auth-client contexts; STARTTLS with an
# encrypted client key so the process-wide pass-phrase callback is called
# from several threads.
#   run.sh OUR_LIB_DIR [plain|thread|address]   (default: plain and thread)
# "thread" builds threads.c with -fsanitize=thread, "address" with
# -fsanitize=address,undefined.  Only the C side is instrumented: the Rust
# library is not (its own tests cover it).  Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
lib=$(cd "${1:?usage: run.sh OUR_LIB_DIR [plain|thread|address]}" && pwd)
shift
modes=("$@"); [ ${#modes[@]} -eq 0 ] && modes=(plain thread)
N=${THREADS_N:-16} RUNS=${THREADS_RUNS:-3} MSGS=${THREADS_MSGS:-3} TLS_EVERY=${THREADS_TLS_EVERY:-4}
out=$top/capi-tests/out/threads
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

sh "$top/capi-tests/tls/mkcerts.sh" "$work/certs" >/dev/null 2>&1 || { ko "threads: mkcerts.sh"; echo "$pass passed, $fail failed"; exit 1; }
home=$work/home
mkdir -p "$home/.config/libesmtp/private"
chmod 700 "$home/.config/libesmtp" "$home/.config/libesmtp/private"
cp "$work/certs/ca.pem" "$home/.config/libesmtp/ca.pem"
cp "$work/certs/clientenc.pem" "$home/.config/libesmtp/private/smtp-starttls.pem"
chmod 600 "$home/.config/libesmtp/ca.pem" "$home/.config/libesmtp/private/smtp-starttls.pem"

start_servers() {  # DIR
    local d=$1 i
    mkdir -p "$d"
    for ((i = 0; i < N; i++)); do
        local tls=0
        [ "$TLS_EVERY" -gt 0 ] && [ $((i % TLS_EVERY)) -eq 0 ] && tls=1
        if [ $tls = 1 ]; then
            printf '{"extensions": ["ENHANCEDSTATUSCODES", "PIPELINING", "STARTTLS"], "tls": {"cert": "%s", "key": "%s"}, "rules": [{"verb": "RCPT", "match": "bad-", "reply": ["550 5.1.1 no such user"]}]}\n' \
                "$work/certs/ipsan.pem" "$work/certs/ipsan.pem" > "$d/s.$i.json"
        else
            printf '{"extensions": ["ENHANCEDSTATUSCODES", "PIPELINING"], "rules": [{"verb": "RCPT", "match": "bad-", "reply": ["550 5.1.1 no such user"]}]}\n' > "$d/s.$i.json"
        fi
        /usr/bin/python3 "$top/capi-tests/server/smtpd.py" "$d/s.$i.json" --port-file "$d/port.$i" \
            --transcript "$d/tr.$i.json" --connections "$RUNS" --timeout 90 --settle-ms 5 \
            >/dev/null 2>"$d/err.$i" &
        pids+=($!)
    done
    for ((i = 0; i < N; i++)); do
        local k
        for ((k = 0; k < 200; k++)); do [ -s "$d/port.$i" ] && break; sleep 0.05; done
        [ -s "$d/port.$i" ] || return 1
    done
}

for mode in "${modes[@]}"; do
    case $mode in
        plain) san=() ;;
        thread) san=(-fsanitize=thread) ;;
        address) san=(-fsanitize=address,undefined -fno-omit-frame-pointer) ;;
        *) echo "unknown mode $mode"; exit 2 ;;
    esac
    exe=$out/threads.$mode
    if ! gcc -Wall -Wextra -Werror -std=c11 -g -O1 "${san[@]}" -I "$top/include" -o "$exe" "$here/threads.c" \
        -L "$lib" -Wl,-rpath,"$lib" -lesmtp -lpthread 2>"$out/build.$mode.log"; then
        ko "threads build ($mode)"; cat "$out/build.$mode.log"; continue
    fi
    d=$work/$mode
    if ! start_servers "$d"; then ko "threads ($mode): servers did not start"; continue; fi
    t0=$(date +%s)
    # TSan needs a non-randomised layout on some kernels; setarch -R if present
    pre=(); [ "$mode" = thread ] && command -v setarch >/dev/null && pre=(setarch "$(uname -m)" -R)
    HOME=$home TZ=UTC ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        TSAN_OPTIONS="halt_on_error=0 exitcode=66 report_signal_unsafe=0 suppressions=$here/tsan.supp" THREADS_EXPECT_PW=1 \
        timeout 120 "${pre[@]}" "$exe" "$d" "$N" "$RUNS" "$MSGS" "$TLS_EVERY" >"$out/run.$mode.log" 2>&1
    rc=$?
    t1=$(date +%s)
    summary=$(grep '^threads:' "$out/run.$mode.log")
    if [ $rc -eq 0 ] && ! grep -qE 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$out/run.$mode.log"; then
        ok "threads ($mode): $summary [$((t1 - t0)) s]"
    else
        ko "threads ($mode) exit $rc: $summary (log: $out/run.$mode.log)"
        grep -E '^FAIL|SUMMARY|WARNING: ThreadSanitizer|ERROR:|runtime error' "$out/run.$mode.log" | head -30
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
