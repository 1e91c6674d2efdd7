#!/usr/bin/env bash
# legacy.sh: Debian's prebuilt /usr/bin/esmtp (linked against libesmtp6)
# runs unchanged on the library under test and delivers mail through a
# private Postfix.
#
#   ESMTP_LIB_DIR=build/lib tests/interop/legacy.sh          swap modes
#   tests/interop/legacy.sh --system [BUILT_LIB]             system mode
#
# Swap modes: once with LD_LIBRARY_PATH=$ESMTP_LIB_DIR, once with
# LD_PRELOAD=$ESMTP_LIB_DIR/libesmtp.so.6.  Each run proves which library
# the process mapped, twice: /proc/PID/maps of the running esmtp (it waits
# on a FIFO for its message) and the dynamic loader's LD_DEBUG=libs trace.
# A run that mapped any other libesmtp (e.g. the system one) FAILS.
# System mode (after installing our .deb): no environment tricks; the file
# the loader maps must be owned by package libesmtp6-rs (dpkg -S) and, if
# BUILT_LIB is given, be byte-identical to it (sha256).
set -euo pipefail

# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MODE=swap
BUILT_LIB=
if [[ ${1:-} == --system ]]; then
    MODE=system
    BUILT_LIB=${2:-}
fi
ESMTP_BIN=${ESMTP_BIN:-/usr/bin/esmtp}
SYS_LIB_DIR=/usr/lib/x86_64-linux-gnu

if [[ ! -x $ESMTP_BIN ]]; then
    skip "legacy: $ESMTP_BIN missing (apt-get install esmtp)"
    summary
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v postfix >/dev/null; then
    skip "legacy: needs root and postfix for the private Postfix"
    summary
    exit 0
fi

if [[ $MODE == swap ]]; then
    resolve_lib
    if [[ $EXPECTED_LIB == "$(realpath "$SYS_LIB_DIR/libesmtp.so.6" 2>/dev/null || true)" ]]; then
        echo "note: ESMTP_LIB_DIR is the system directory; the swap proves nothing new"
    fi
else
    EXPECTED_LIB=$(realpath "$SYS_LIB_DIR/libesmtp.so.6")
    echo "system library: $EXPECTED_LIB"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-legacy.XXXXXX")
chmod 755 "$WORK"
PF=$WORK/postfix
BG=()
cleanup() {
    local pid
    for pid in "${BG[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [[ -e $PF/main.cf ]]; then "$INTEROP_DIR/postfix.sh" stop "$PF" || true; fi
    if [[ ${INTEROP_KEEP:-0} == 1 ]]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$INTEROP_DIR/postfix.sh" start "$PF" >"$WORK/postfix-start.log" 2>&1; then
    fail "legacy: private Postfix did not start"
    tail -n 20 "$WORK/postfix-start.log"
    summary
    exit 1
fi
# shellcheck source=/dev/null
. "$PF/env"

# TLS for esmtp: libESMTP's automatic context reads $XDG_CONFIG_DIR/libesmtp/ca.pem.
mkdir -p "$WORK/xdg/libesmtp"
chmod 700 "$WORK/xdg"
if [[ $PF_TLS == 1 ]]; then install -m 600 "$PF_CA" "$WORK/xdg/libesmtp/ca.pem"; fi
export XDG_CONFIG_DIR=$WORK/xdg

# esmtp_case NAME ENVKIND PORT STARTTLS AUTH: ENVKIND is ldpath|preload|system.
esmtp_case() {
    local name=$1 kind=$2 port=$3 tls=$4 auth=$5 token conf fifo pid maps rc=0 f i
    local -a envv=()
    token="$name-$RANDOM$RANDOM"
    conf=$WORK/$name.esmtprc
    {
        echo "hostname = 127.0.0.1:$port"
        [[ $tls == none ]] || echo "starttls = $tls"
        if [[ $auth == 1 ]]; then
            echo "username = \"$PF_USER\""
            echo "password = \"$PF_PASS\""
        fi
    } >"$conf"
    # TLS needs the host name of the certificate.
    [[ $tls == none ]] || sed -i "s/^hostname = 127.0.0.1:/hostname = localhost:/" "$conf"
    chmod 600 "$conf"
    gen_msg "$WORK/$name.eml" "$token" plain
    case $kind in
    ldpath) envv=("LD_LIBRARY_PATH=$ESMTP_LIB_DIR") ;;
    preload) envv=("LD_PRELOAD=$ESMTP_LIB_DIR/libesmtp.so.6") ;;
    system) envv=() ;;
    esac

    fifo=$WORK/$name.fifo
    mkfifo "$fifo"
    env "${envv[@]}" LD_DEBUG=libs LD_DEBUG_OUTPUT="$WORK/$name.lddebug" \
        timeout 30 "$ESMTP_BIN" -C "$conf" -v -X "$WORK/$name.xlog" \
        -f carol@interop.test alice@interop.test <"$fifo" >"$WORK/$name.out" 2>&1 &
    pid=$!
    BG+=("$pid")
    # esmtp's "timeout" parent is $pid; the esmtp process is its child, blocked
    # reading the FIFO.  Opened read-write so that neither side can block on
    # open, and a dead esmtp cannot SIGPIPE us.
    exec {wfd}<>"$fifo"
    maps=""
    for ((i = 0; i < 40; i++)); do
        local child
        child=$(pgrep -P "$pid" -x esmtp || true)
        if [[ -n $child && -r /proc/$child/maps ]] && grep -q libesmtp "/proc/$child/maps" 2>/dev/null; then
            maps=$(grep -o '/[^ ]*libesmtp[^ ]*' "/proc/$child/maps" | sort -u | xargs -r -n1 realpath)
            maps=$(sort -u <<<"$maps")
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    { cat "$WORK/$name.eml" >&"$wfd"; } 2>/dev/null || true
    exec {wfd}>&-
    wait "$pid" || rc=$?

    local ok=1
    if [[ $maps != "$EXPECTED_LIB" ]]; then
        fail "$name: /proc/PID/maps shows '${maps//$'\n'/ }', expected only $EXPECTED_LIB"
        sed 's/^/     /' "$WORK/$name.out" | tail -n 5
        ok=0
    fi
    local ld
    ld=$(cat "$WORK/$name.lddebug".* 2>/dev/null | grep -oE 'calling init: [^ ]*libesmtp[^ ]*' |
        sed 's/calling init: //' | xargs -r -n1 realpath | sort -u || true)
    if [[ $ld != "$EXPECTED_LIB" ]]; then
        fail "$name: LD_DEBUG shows '${ld//$'\n'/ }' initialised, expected $EXPECTED_LIB"
        ok=0
    fi
    if [[ $rc -ne 0 ]]; then
        if [[ ${ORACLE:-0} == 1 && $rc -eq 124 && $tls != none ]]; then
            xfail "$name: libESMTP 1.1.0 TLS hang (tls-auth.md 4.2)"
            return 0
        fi
        fail "$name: esmtp exited $rc"
        sed 's/^/     /' "$WORK/$name.out" | tail -n 10
        return 0
    fi
    if ! f=$(wait_file_with "$PF_MAILDIR_BASE/alice/new" "$token" 30); then
        fail "$name: message not delivered within 30s"
        return 0
    fi
    if ! "$PY" "$INTEROP_DIR/compare.py" maildir "$WORK/$name.eml" "$f" >"$WORK/$name.cmp"; then
        fail "$name: delivered message differs"
        sed 's/^/     /' "$WORK/$name.cmp"
        return 0
    fi
    if [[ $auth == 1 ]] && ! grep -q "Authenticated sender: $PF_USER" "$f"; then
        fail "$name: not authenticated"
        return 0
    fi
    if [[ $tls != none ]] && ! grep -q "using TLS" "$f"; then
        fail "$name: not sent over TLS"
        return 0
    fi
    [[ $ok == 1 ]] && pass "$name: esmtp ran on $EXPECTED_LIB, mail delivered intact"
    return 0
}

if [[ $MODE == swap ]]; then
    esmtp_case legacy-ld-library-path ldpath "$PF_PORT" none "$PF_AUTH"
    esmtp_case legacy-ld-preload preload "$PF_PORT" none "$PF_AUTH"
    if [[ $PF_TLS == 1 ]]; then
        # TLS 1.2 listener: deterministic for the oracle too.
        esmtp_case legacy-ld-preload-starttls preload "$PF_PORT_DATA" required "$PF_AUTH"
        # TLS 1.3 (session tickets right after the handshake): libESMTP 1.1.0
        # may hang here (XFAIL for the oracle); ours must not.
        esmtp_case legacy-ld-library-path-tls13 ldpath "$PF_PORT" required "$PF_AUTH"
    fi
else
    owner=$(dpkg -S "$EXPECTED_LIB" 2>/dev/null | cut -d: -f1 || true)
    if [[ $owner == libesmtp6-rs ]]; then
        pass "system: $EXPECTED_LIB belongs to package libesmtp6-rs"
    else
        fail "system: $EXPECTED_LIB belongs to '${owner:-no package}', not libesmtp6-rs"
    fi
    if [[ -n $BUILT_LIB ]]; then
        a=$(sha256sum <"$EXPECTED_LIB" | cut -d' ' -f1)
        b=$(sha256sum <"$BUILT_LIB" | cut -d' ' -f1)
        if [[ $a == "$b" ]]; then pass "system: installed file is byte-identical to $BUILT_LIB"
        else fail "system: installed file differs from $BUILT_LIB"; fi
    fi
    esmtp_case legacy-system system "$PF_PORT" none "$PF_AUTH"
    if [[ $PF_TLS == 1 ]]; then
        esmtp_case legacy-system-starttls system "$PF_PORT_DATA" required "$PF_AUTH"
        esmtp_case legacy-system-tls13 system "$PF_PORT" required "$PF_AUTH"
    fi
fi
summary
