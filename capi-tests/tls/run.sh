#!/usr/bin/env bash
# STARTTLS sessions through the C API, run differentially: tls_client
# against Debian's libESMTP and against ours, each scenario with a fresh
# $HOME/.config/libesmtp and a scripted server (smtpd.py) on 127.0.0.1.
# Outputs must be identical, except the scenarios in expected-differ.txt,
# which must differ (so that list stays true).
# Usage: run.sh <our-lib-dir> [scenario-prefix...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ours=${1:?usage: run.sh <our-lib-dir> [scenario-prefix...]}
shift
filters=("$@")
ref_dir=${REFERENCE_LIB_DIR:-/usr/lib/x86_64-linux-gnu}
out=$top/capi-tests/out/tls
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
certs=$work/certs
"$here/mkcerts.sh" "$certs"

cflags=(-Wall -Wextra -Werror -std=c11 -g)
gcc "${cflags[@]}" -I "$top/include" -o "$out/client.ours" "$here/tls_client.c" \
  -L "$ours" -Wl,-rpath,"$ours" -lesmtp -lssl -lcrypto -lpthread
have_ref=0
if [ -f /usr/include/libesmtp.h ] && [ -e "$ref_dir/libesmtp.so.6" ]; then
  gcc "${cflags[@]}" -o "$out/client.ref" "$here/tls_client.c" \
    "$ref_dir/libesmtp.so.6" -Wl,-rpath,"$ref_dir" -lssl -lcrypto -lpthread
  have_ref=1
fi
mapfile -t differ < <(grep -v '^#' "$here/expected-differ.txt" | awk 'NF {print $1}')

# Not comparable with libESMTP (it hangs or crashes): ours must deliver.
declare -A OURS_ONLY_EXPECT=(
  [t24-tickets-ours-only]='^start -> 1 errno 0 status 250'
  [t25-sequential-ours-only]='^start -> 1 errno 0 status 250'
)

# Show AUTH lines in the monitor as libESMTP does, so transcripts compare.
export ESMTP_MONITOR_SHOW_AUTH=1
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

# run_one LIB HOME SERVER-ARGS -- CLIENT-ARGS: prints the masked transcript
run_one() {
  local client=$1 home=$2; shift 2
  local sargs=() cargs=()
  while [ "$1" != -- ]; do sargs+=("$1"); shift; done
  shift
  cargs=("$@")
  local fifo=$work/port.$$.$RANDOM
  python3 "$here/smtpd.py" "${sargs[@]}" --log "$home/server.log" > "$fifo" &
  local spid=$!
  local port=""
  for _ in $(seq 50); do port=$(head -1 "$fifo" 2>/dev/null || true); [ -n "$port" ] && break; sleep 0.1; done
  HOME=$home timeout 30 "$client" "${cargs[@]}" "127.0.0.1:$port" < /dev/null 2>&1 \
    | sed -E -e 's/^(S< 220 ).*/\1<greeting>/' -e '/^EV 3$/d' || echo "client exited $?"
  # let the server finish logging the connection(s)
  for _ in $(seq 30); do
    [ "$(tail -1 "$home/server.log" 2>/dev/null)" = "-- connection closed" ] && break
    sleep 0.1
  done
  sed 's/^/server: /' "$home/server.log" 2>/dev/null || true
  kill $spid 2>/dev/null || true
  wait $spid 2>/dev/null || true
}

# esmtp-rs pipelines QUIT behind the last message (docs/compat.md), so the
# monitor shows it before the final reply; libESMTP shows it after. Both
# sides get "C> QUIT" moved to just before the QUIT reply (the server's log
# still shows where it really arrived).
fold_pipelined_quit() {
  [ -f "$1" ] || return 0
  awk '
    $0 == "C> QUIT" && !held { held = 1; next }
    held && /^S< 221/ { print "C> QUIT"; held = 0 }
    { print }
    END { if (held) print "C> QUIT" }
  ' "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}

# esmtp-rs also writes MAIL together with its RCPTs and DATA (docs/compat.md),
# so it reads the MAIL reply after writing them; libESMTP reads it first.
# Both sides get each envelope (from "C> MAIL" through the 354 reply) in one
# canonical order: the commands, then the replies, then the events, each in
# their own order, which is all that these TLS scenarios are about.
fold_pipelined_mail() {
  [ -f "$1" ] || return 0
  awk '
    function flush() { printf "%s%s%s", c, s, e; c = s = e = ""; inside = 0 }
    /^C> MAIL / { if (inside) flush(); inside = 1; c = $0 "\n"; next }
    inside && /^C> (RCPT|DATA)/ { c = c $0 "\n"; next }
    inside && /^S< / { s = s $0 "\n"; if ($0 ~ /^S< 354/) flush(); next }
    inside && /^EV / { e = e $0 "\n"; next }
    inside { flush() }
    { print }
    END { if (inside) flush() }
  ' "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}

# scenario ID SETUP SERVER-ARGS -- CLIENT-ARGS
scenario() {
  local id=$1 setup=$2; shift 2
  if [ ${#filters[@]} -gt 0 ]; then
    local hit=0
    for f in "${filters[@]}"; do case $id in "$f"*) hit=1 ;; esac; done
    [ $hit = 1 ] || return 0
  fi
  local expect=same
  for d in "${differ[@]}"; do [ "$d" = "$id" ] && expect=differ; done
  case $id in *-ours-only) expect=ours ;; esac
  for side in ours ref; do
    [ $side = ref ] && { [ $have_ref = 0 ] || [ $expect = ours ]; } && continue
    local home=$work/home-$id-$side
    mkdir -p "$home/.config/libesmtp/private"
    (cd "$home/.config/libesmtp" && $setup)
    run_one "$out/client.$side" "$home" "$@" > "$out/$id.$side.txt"
  done
  if [ $have_ref = 0 ] || [ $expect = ours ]; then
    if grep -q '^done' "$out/$id.ours.txt" && grep -q "${OURS_ONLY_EXPECT[$id]:-^done}" "$out/$id.ours.txt"; then
      ok "$id (ours only)"
    else
      ko "$id (ours only)"; tail -20 "$out/$id.ours.txt"
    fi
    return
  fi
  for side in ours ref; do
    fold_pipelined_quit "$out/$id.$side.txt"
    fold_pipelined_mail "$out/$id.$side.txt"
  done
  if diff -u "$out/$id.ref.txt" "$out/$id.ours.txt" > "$out/$id.diff"; then
    [ $expect = same ] && ok "$id" || ko "$id: expected to differ but matches libESMTP"
  else
    if [ $expect = differ ]; then ok "$id (differs as expected)"; else ko "$id"; head -40 "$out/$id.diff"; fi
  fi
}

C=$certs
none() { :; }
ca_ok() { cp "$C/ca.pem" ca.pem; chmod 600 ca.pem; }
ca_0644() { cp "$C/ca.pem" ca.pem; chmod 644 ca.pem; }
ca_dir_0755() { mkdir ca; cp "$C/ca.pem" "ca/$(openssl x509 -hash -noout -in "$C/ca.pem").0"; chmod 755 ca; }
client_ok() { ca_ok; cp "$C/client.pem" private/smtp-starttls.pem; chmod 600 private/smtp-starttls.pem; }
client_0644() { ca_ok; cp "$C/client.pem" private/smtp-starttls.pem; chmod 644 private/smtp-starttls.pem; }
client_enc() { ca_ok; cp "$C/clientenc.pem" private/smtp-starttls.pem; chmod 600 private/smtp-starttls.pem; }
client_keyonly() { ca_ok; cp "$C/client.key" private/smtp-starttls.pem; chmod 600 private/smtp-starttls.pem; }
host_0644() { ca_ok; cp "$C/client.pem" private/127.0.0.1.pem; chmod 644 private/127.0.0.1.pem; }

S() { echo --cert "$C/$1.pem"; }
# The server is reached as 127.0.0.1 (libESMTP's canonical name for it is
# the same text), so certificates for "localhost" do not match by name in
# either library; ipsan.pem is the "good" certificate here.
scenario t01-required-not-offered  none          -- -m 2
scenario t02-enabled-not-offered   none          -- -m 1
scenario t03-untrusted             none          $(S self) -- -m 2
scenario t04-untrusted-ok          none          $(S self) -- -m 2 -a 3102=1 -a 3104=1
scenario t05-trusted               ca_ok         $(S ipsan) -- -m 2
scenario t06-wrong-name            ca_ok         $(S wrong) -- -m 2
scenario t07-wrong-name-ok         ca_ok         $(S wrong) -- -m 1 -a 3104=1
scenario t08-ca-0644-required      ca_0644       $(S ipsan) -- -m 2
scenario t09-ca-0644-enabled       ca_0644       $(S ipsan) -- -m 1
scenario t10-ca-dir-0755           ca_dir_0755   $(S ipsan) -- -m 2
scenario t11-454                   ca_ok         $(S ipsan) --starttls-reply "454 TLS not available" -- -m 1
scenario t12-client-cert           client_ok     $(S ipsan) --client-ca "$C/ca.pem" -- -m 2
scenario t27-client-cert-external  client_ok     $(S ipsan) --client-ca "$C/ca.pem" --auth-external -- -m 2 -e
scenario t13-client-cert-0644      client_0644   $(S ipsan) -- -m 2
scenario t14-client-key-only       client_keyonly $(S ipsan) -- -m 1
scenario t15-encrypted-key         client_enc    $(S ipsan) --client-ca "$C/ca.pem" -- -m 2 -p keypass
scenario t16-wrong-passphrase      client_enc    $(S ipsan) -- -m 2 -p wrong
scenario t17-host-cert-0644        host_0644     $(S ipsan) -- -m 2
scenario t18-app-ctx               ca_0644       $(S ipsan) -- -m 2 -x "$C/ca.pem"
scenario t19-app-ctx-no-ca         ca_ok         $(S ipsan) -- -m 2 -x -
scenario t20-good-localhost-cert   ca_ok         $(S good) -- -m 2
scenario t21-wildcard-ip           ca_ok         $(S wild) -- -m 2
scenario t22-injection             ca_ok         $(S ipsan) --inject -- -m 2
scenario t23-two-sessions          ca_ok         $(S ipsan) -- -m 2 -n 2
scenario t26-ip-in-cn-only         ca_ok         $(S ipcn) -- -m 2
scenario t24-tickets-ours-only     ca_ok         $(S ipsan) --tickets 2 -- -m 2
scenario t25-sequential-ours-only  ca_ok         $(S ipsan) --tickets 2 -- -m 2 -n 3

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
