#!/usr/bin/env bash
# demo.sh: build examples/sendmail-lite.c against the library and send a
# sample message to a throw-away SMTP server on 127.0.0.1.
#
#   ESMTP_LIB_DIR=build/lib examples/demo.sh     (what `make demo` runs)
#
# Env: ESMTP_LIB_DIR (default build/lib), ESMTP_INCLUDE_DIR (default include/
# if it has the headers, else /usr/include), CC.  Needs python3 (stdlib).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
LIB=${ESMTP_LIB_DIR:-$REPO/build/lib}
if [[ ! -e $LIB/libesmtp.so.6 ]]; then
    echo "demo: no libesmtp.so.6 in $LIB (run 'make' first, or set ESMTP_LIB_DIR)" >&2
    exit 2
fi
LIB=$(cd "$LIB" && pwd)
INC=${ESMTP_INCLUDE_DIR:-}
if [[ -z $INC ]]; then
    if [[ -e $REPO/include/libesmtp.h ]]; then INC=$REPO/include; else INC=/usr/include; fi
fi
# CC may carry arguments ("ccache gcc").
read -ra CCV <<<"${CC:-cc}"
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-demo.XXXXXX")
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"${CCV[@]}" -Wall -Wextra -Werror -std=c11 -I"$INC" -o "$WORK/sendmail-lite" \
    "$HERE/sendmail-lite.c" "$LIB/libesmtp.so.6" -Wl,--disable-new-dtags,-rpath,"$LIB"

"$PY" "$HERE/demo_server.py" --port-file "$WORK/port" --timeout 30 >"$WORK/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    [[ -s $WORK/port ]] && break
    sleep 0.1
done
[[ -s $WORK/port ]] || { echo "demo: server did not start" >&2; cat "$WORK/server.out" >&2; exit 1; }
PORT=$(cat "$WORK/port")

cat >"$WORK/hello.eml" <<'MSG'
From: Demo Sender <demo@example.org>
To: Alice <alice@example.org>, Bob <bob@example.org>
Subject: Hello from esmtp-rs

This message was sent with the libESMTP API.
.A line starting with a dot survives dot-stuffing.
Grüße — 8-bit text travels as-is.
MSG

echo "== library: $(realpath "$LIB/libesmtp.so.6")"
echo "== client: sendmail-lite 127.0.0.1:$PORT demo@example.org hello.eml alice bob nobody"
rc=0
"$WORK/sendmail-lite" "127.0.0.1:$PORT" demo@example.org "$WORK/hello.eml" \
    alice@example.org bob@example.org nobody@example.org || rc=$?
wait "$SERVER_PID" || true
SERVER_PID=
echo "== server side:"
cat "$WORK/server.out"
# The demo expects exactly one refused recipient (nobody@): exit status 1.
if [[ $rc -eq 1 ]] && grep -q "server received" "$WORK/server.out"; then
    echo "== demo OK (nobody@example.org was refused on purpose)"
else
    echo "== demo FAILED (sendmail-lite exit $rc)" >&2
    exit 1
fi
