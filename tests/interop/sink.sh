#!/usr/bin/env bash
# sink.sh: the libESMTP documentation's example flow (examples/sendmail-lite.c:
# session, message, recipients, message callback, event callback, start,
# enumerate statuses, destroy) sends real mail to Postfix's smtp-sink on
# loopback: every status must be 250, and the library in ESMTP_LIB_DIR must
# be the one loaded.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
LIB=${ESMTP_LIB_DIR:-$REPO/build/lib}
SINK=/usr/sbin/smtp-sink
pass=0 fail=0 skip=0
if [[ ! -x $SINK ]]; then
    echo "SKIP smtp-sink: $SINK not installed (Debian package postfix)"
    echo "0 passed, 0 failed, 1 skipped"
    [[ ${CI:-} == true ]] && exit 1 || exit 0
fi
work=$(mktemp -d)
sink_pid=
cleanup() { [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

gcc -Wall -Wextra -Werror -std=c11 -I "$REPO/include" -o "$work/sendmail-lite" \
    "$REPO/examples/sendmail-lite.c" -L "$LIB" -Wl,-rpath,"$LIB" -lesmtp
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user_opt=()
[[ $(id -u) == 0 ]] && user_opt=(-u nobody)
# -c: count, -C: disable XCLIENT... keep defaults: PIPELINING, 8BITMIME, ETRN, DSN.
"$SINK" "${user_opt[@]}" 127.0.0.1:"$port" 16 &
sink_pid=$!
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
    sleep 0.1
done
cat > "$work/msg.txt" <<'MSG'
From: Example <sender@example.org>
To: Alice <alice@example.org>
Subject: smtp-sink test

A line.
.A line that needs dot-stuffing.
MSG
if timeout 60 "$work/sendmail-lite" 127.0.0.1:"$port" sender@example.org "$work/msg.txt" \
        alice@example.org bob@example.org carol@example.org > "$work/out.txt" 2>&1; then
    codes=$(awk '/^Recipients:/{r=1; next} r && NF>=2 {print $2}' "$work/out.txt" | sort -u | tr '\n' ' ')
    msg=$(awk '/^Message:/{print $2}' "$work/out.txt")
    if [[ $msg == 250 && $codes == "250 " ]]; then
        echo "PASS sink-example-flow: message 250, recipients 250 (3)"; pass=$((pass + 1))
    else
        echo "FAIL sink-example-flow: message $msg, recipients $codes"; fail=$((fail + 1)); cat "$work/out.txt"
    fi
else
    echo "FAIL sink-example-flow: sendmail-lite failed"; fail=$((fail + 1)); cat "$work/out.txt"
fi
loaded=$(LD_DEBUG=libs "$work/sendmail-lite" -q 127.0.0.1:"$port" sender@example.org "$work/msg.txt" \
    alice@example.org 2>&1 >/dev/null | awk '/calling init: .*libesmtp.so.6/{print $NF}' | head -1)
if [[ -n $loaded && $(realpath "$loaded") == $(realpath "$LIB")/* ]]; then
    echo "PASS sink-loaded-library: $loaded"; pass=$((pass + 1))
else
    echo "FAIL sink-loaded-library: '$loaded' is not under $LIB"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed, $skip skipped"
[[ $fail -eq 0 ]]
