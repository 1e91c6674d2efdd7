#!/usr/bin/env bash
# run.sh: send real mail with the library in ESMTP_LIB_DIR through a private
# Postfix and through aiosmtpd, and check what arrives.
#
#   ESMTP_LIB_DIR=build/lib tests/interop/run.sh
#   ESMTP_LIB_DIR=/usr/lib/x86_64-linux-gnu tests/interop/run.sh   # the oracle
#
# Env: ESMTP_LIB_DIR (library dir, default build/lib), ESMTP_INCLUDE_DIR
# (headers, default include/ or /usr/include), INTEROP_KEEP=1 keeps the work
# directory, SEND_TIMEOUT (60 s per send), TLS_TIMEOUT (30 s per TLS send),
# RUN_BUDGET (600 s for the whole run; later sends fail at once).  Postfix cases need root and the postfix package (else SKIP).
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped"; exit 1 on
# any failure.
set -euo pipefail

# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
resolve_lib

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-interop.XXXXXX")
chmod 755 "$WORK"
PF=$WORK/postfix
AIO_PIDS=()

cleanup() {
    local pid
    if [[ -e $PF/main.cf ]]; then "$INTEROP_DIR/postfix.sh" stop "$PF" || true; fi
    for pid in "${AIO_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${INTEROP_KEEP:-0} == 1 ]]; then
        echo "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SENDER=$WORK/sender
build_c "$SENDER" "$INTEROP_DIR/sender.c"

# send NAME ARGS...: run the sender (bounded), output in $WORK/NAME.out.
# Returns the sender's exit status; a wrong library is a FAIL of its own.
# A hanging library must not eat CI's 30 minutes: past RUN_BUDGET seconds
# every remaining send fails at once.
RUN_BUDGET=${RUN_BUDGET:-600}
send() {
    local name=$1 rc=0
    shift
    if ((SECONDS > RUN_BUDGET)); then
        fail "$name: not run, run.sh time budget (${RUN_BUDGET}s) exhausted"
        return 99
    fi
    local -a pre=()
    if [[ -n ${VALGRIND_CASE:-} ]]; then
        pre=(valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite
            --log-file="$WORK/$name.valgrind")
    fi
    timeout "${SEND_TIMEOUT:-60}" "${pre[@]}" "$SENDER" -v "$@" >"$WORK/$name.out" 2>&1 || rc=$?
    if ! check_lib "$WORK/$name.out"; then
        fail "$name: not the library under test"
        return 99
    fi
    return "$rc"
}

has() { grep -qF -- "$2" "$WORK/$1.out"; }

# oracle_tls_hang NAME RC: true (and XFAIL) when Debian's libESMTP timed out
# right after STARTTLS_OK: its known TLS 1.3 session-ticket hang
# (tls-auth.md 4.2, "quirk (hang)").  Our library must not hang.
oracle_tls_hang() {
    if [[ $ORACLE == 1 && $2 -eq 124 ]] && has "$1" STARTTLS_OK; then
        xfail "$1: libESMTP 1.1.0 hangs after a TLS 1.3 handshake (tls-auth.md 4.2)"
        return 0
    fi
    return 1
}

# TLS sends are bounded tighter: the oracle may hang (see above).
TLS_TIMEOUT=${TLS_TIMEOUT:-30}

# ---------------------------------------------------------------- Postfix --
pf_log_mark() { wc -l <"$PF_MAILLOG"; }

# pf_session_line MARK: the smtpd "disconnect" summary logged after MARK.
pf_session_line() {
    local mark=$1 i line
    for ((i = 0; i < 40; i++)); do
        line=$(tail -n +"$((mark + 1))" "$PF_MAILLOG" | grep -E 'disconnect from .* quit=' | tail -n1 || true)
        if [[ -n $line ]]; then
            echo "$line"
            return 0
        fi
        sleep 0.25
    done
    return 1
}

# pf_case NAME PORT KIND BOX EXPECT_LOG SENDER_OPTS...: send one message of
# KIND to BOX@interop.test, wait for it in BOX's Maildir, compare, and check
# that the session summary contains EXPECT_LOG (e.g. "bdat=", "data=1").
pf_case() {
    local name=$1 port=$2 kind=$3 box=$4 expect=$5 token mark rc=0 f line
    shift 5
    token="$name-$RANDOM$RANDOM"
    gen_msg "$WORK/$name.eml" "$token" "$kind"
    mark=$(pf_log_mark)
    send "$name" -s "localhost:$port" -f carol@interop.test -r "$box@interop.test" \
        -m "$WORK/$name.eml" "$@" || rc=$?
    [[ $rc -eq 99 ]] && return 0
    oracle_tls_hang "$name" "$rc" && return 0
    if [[ $rc -ne 0 ]]; then
        fail "$name: sender failed (exit $rc)"
        grep -E '^(MAIL|MSG|RCPT|SESSION|EV 3)' "$WORK/$name.out" | sed 's/^/     /' || true
        return 0
    fi
    if ! f=$(wait_file_with "$PF_MAILDIR_BASE/$box/new" "$token" 30); then
        fail "$name: not delivered to $box within 30s"
        return 0
    fi
    if ! "$PY" "$INTEROP_DIR/compare.py" maildir "$WORK/$name.eml" "$f" >"$WORK/$name.cmp"; then
        fail "$name: delivered message differs"
        sed 's/^/     /' "$WORK/$name.cmp"
        return 0
    fi
    line=$(pf_session_line "$mark" || true)
    if [[ -n $expect && $line != *"$expect"* ]]; then
        fail "$name: session log lacks '$expect': $line"
        return 0
    fi
    cp "$f" "$WORK/$name.delivered"
    pass "$name${line:+ (${line##*]: disconnect from localhost[127.0.0.1] })}"
}

postfix_tests() {
    if [[ $(id -u) -ne 0 ]] || ! command -v postfix >/dev/null; then
        skip "postfix: needs root and the postfix package"
        return 0
    fi
    if ! "$INTEROP_DIR/postfix.sh" start "$PF" >"$WORK/postfix-start.log" 2>&1; then
        fail "postfix: could not start a private instance"
        sed 's/^/     /' "$WORK/postfix-start.log" | tail -n 20
        return 0
    fi
    # shellcheck source=/dev/null
    . "$PF/env"

    pf_case pf-plain-bdat "$PF_PORT" plain alice "bdat="
    pf_case pf-data-dotstuff "$PF_PORT_DATA" dots alice "data=1"
    pf_case pf-no-pipelining "$PF_PORT_NOPIPE" dots bob "data=1"
    if grep -q "improper command pipelining" "$PF_MAILLOG"; then
        fail "pf-no-pipelining: client pipelined although PIPELINING was not offered"
    fi
    pf_case pf-8bitmime "$PF_PORT_DATA" 8bit alice "data=1" -8
    if has pf-8bitmime "BODY=8BITMIME"; then pass "pf-8bitmime: MAIL FROM carried BODY=8BITMIME"
    else fail "pf-8bitmime: no BODY=8BITMIME on MAIL FROM"; fi
    pf_case pf-8bitmime-bdat "$PF_PORT" 8bit alice "bdat=" -8
    pf_case pf-size "$PF_PORT" plain bob "" -z 4321
    if has pf-size "SIZE=4321"; then pass "pf-size: MAIL FROM carried SIZE=4321"
    else fail "pf-size: no SIZE=4321 on MAIL FROM"; fi
    pf_case pf-big-bdat "$PF_PORT" big alice "bdat="
    pf_case pf-big-data "$PF_PORT_DATA" big bob "data=1"

    # SIZE estimate over the server's limit: the server refuses the MAIL.
    gen_msg "$WORK/pf-size-over.eml" "size-over-$RANDOM" plain
    local rc=0
    send pf-size-over -s "localhost:$PF_PORT" -f carol@interop.test -r alice@interop.test \
        -m "$WORK/pf-size-over.eml" -z 60000000 || rc=$?
    if [[ $rc -ne 99 ]]; then
        if [[ $rc -ne 0 ]] && grep -qE '^MAIL 552 ' "$WORK/pf-size-over.out"; then
            pass "pf-size-over: $(grep '^MAIL' "$WORK/pf-size-over.out")"
        else
            fail "pf-size-over: expected a 5xx refusal (exit $rc)"
        fi
    fi

    # The same refusal without CHUNKING: esmtp-rs has pipelined RCPT and
    # DATA behind the MAIL (docs/compat.md). Postfix answers them with 503;
    # the application must see libESMTP's statuses (the recipient's
    # untouched), and the session log shows the refused RCPT and DATA.
    gen_msg "$WORK/pf-size-over-data.eml" "size-over-data-$RANDOM" plain
    rc=0
    local mark
    mark=$(pf_log_mark)
    send pf-size-over-data -s "localhost:$PF_PORT_DATA" -f carol@interop.test -r alice@interop.test \
        -m "$WORK/pf-size-over-data.eml" -z 60000000 || rc=$?
    if [[ $rc -ne 99 ]]; then
        line=$(pf_session_line "$mark" || true)
        ok=1
        [[ $rc -ne 0 ]] || ok=0
        grep -qE '^MAIL 552 ' "$WORK/pf-size-over-data.out" || ok=0
        grep -qE '^RCPT alice@interop.test 0 ' "$WORK/pf-size-over-data.out" || ok=0
        if [[ $ORACLE != 1 && $line != *"rcpt=0/1 data=0/1"* ]]; then ok=0; fi
        if [[ $ok == 1 ]]; then
            pass "pf-size-over-data: MAIL 552, recipient untouched (${line##*]: disconnect from localhost[127.0.0.1] })"
        else
            fail "pf-size-over-data: exit $rc, session: $line"
            grep -E '^(MAIL|MSG|RCPT)' "$WORK/pf-size-over-data.out" | sed 's/^/     /' || true
        fi
    fi

    # Several recipients, one refused: per-recipient statuses, others delivered.
    local token f ok=1
    token="pf-multi-$RANDOM$RANDOM"
    gen_msg "$WORK/pf-multi.eml" "$token" plain
    rc=0
    send pf-multi -s "localhost:$PF_PORT" -f carol@interop.test -r alice@interop.test \
        -r nobody@interop.test -r bob@interop.test -m "$WORK/pf-multi.eml" || rc=$?
    if [[ $rc -ne 99 ]]; then
        grep -qE '^RCPT alice@interop.test 250 ' "$WORK/pf-multi.out" || ok=0
        grep -qE '^RCPT bob@interop.test 250 ' "$WORK/pf-multi.out" || ok=0
        grep -qE '^RCPT nobody@interop.test 550 ' "$WORK/pf-multi.out" || ok=0
        grep -qE '^MSG 250 ' "$WORK/pf-multi.out" || ok=0
        [[ $ok == 1 ]] && for b in alice bob; do
            if f=$(wait_file_with "$PF_MAILDIR_BASE/$b/new" "$token" 30); then
                "$PY" "$INTEROP_DIR/compare.py" maildir "$WORK/pf-multi.eml" "$f" || ok=0
            else
                ok=0
            fi
        done
        if [[ $ok == 1 ]]; then pass "pf-multi-recipient: 250/550/250, delivered to alice and bob"
        else fail "pf-multi-recipient"; grep -E '^(MSG|RCPT)' "$WORK/pf-multi.out" | sed 's/^/     /'; fi
    fi

    # Three messages in one session, the middle one refused after its
    # content: the others are delivered intact, statuses per message.
    local port kind
    for port in "$PF_PORT:bdat" "$PF_PORT_DATA:data"; do
        kind=${port#*:}
        port=${port%%:*}
        local name="pf-3-messages-$kind" t1 t2 t3
        t1="m1-$RANDOM$RANDOM"; t2="REJECT-ME-$RANDOM"; t3="m3-$RANDOM$RANDOM"
        gen_msg "$WORK/$name.1.eml" "$t1" plain
        gen_msg "$WORK/$name.2.eml" "$t2" plain
        gen_msg "$WORK/$name.3.eml" "$t3" dots
        rc=0
        send "$name" -s "localhost:$port" -f carol@interop.test -r alice@interop.test \
            -m "$WORK/$name.1.eml" -m "$WORK/$name.2.eml" -m "$WORK/$name.3.eml" || rc=$?
        [[ $rc -eq 99 ]] && continue
        local codes
        codes=$(sed -n 's/^MSG \([0-9]*\) .*/\1/p' "$WORK/$name.out" | tr '\n' ' ')
        ok=1
        [[ $codes =~ ^250\ 5[0-9][0-9]\ 250\ $ ]] || ok=0
        [[ $ok == 1 ]] && for t in 1:"$t1" 3:"$t3"; do
            if f=$(wait_file_with "$PF_MAILDIR_BASE/alice/new" "${t#*:}" 30); then
                "$PY" "$INTEROP_DIR/compare.py" maildir "$WORK/$name.${t%%:*}.eml" "$f" || ok=0
            else
                ok=0
            fi
        done
        if grep -rqF -- "$t2" "$PF_MAILDIR_BASE/alice/new"; then ok=0; fi
        if [[ $ok == 1 ]]; then pass "$name: message statuses $codes; 1 and 3 delivered intact"
        else fail "$name: message statuses '$codes' (want 250 5xx 250)"; fi
    done

    # DSN: RET/ENVID/NOTIFY/ORCPT; Postfix answers NOTIFY=SUCCESS with a
    # delivery report to the sender (carol), which quotes ENVID and ORCPT.
    local envid="envid-$RANDOM$RANDOM"
    pf_case pf-dsn "$PF_PORT_DATA" plain alice "data=1" -d "$envid"
    if [[ ! -e $WORK/pf-dsn.delivered ]]; then
        fail "pf-dsn-report: not checked, the message itself failed"
    elif f=$(wait_file_with "$PF_MAILDIR_BASE/carol/new" "Original-Envelope-Id: $envid" 30); then
        if grep -qi "Original-Recipient: rfc822;alice@interop.test" "$f" &&
            grep -qi "Action: delivered" "$f"; then
            pass "pf-dsn-report: success DSN with ENVID and ORCPT reached the sender"
        else
            fail "pf-dsn-report: report lacks ORCPT or Action: delivered"
        fi
    else
        fail "pf-dsn-report: no DSN report for ENVID $envid within 30s"
    fi
    if has pf-dsn "RET=HDRS ENVID=$envid"; then pass "pf-dsn: MAIL FROM carried RET=HDRS ENVID"
    else fail "pf-dsn: MAIL FROM lacks RET=HDRS ENVID=$envid"; fi

    if [[ $PF_TLS == 1 ]]; then
        mkdir -p "$WORK/xdg/libesmtp" "$WORK/xdg-bad/libesmtp"
        chmod 700 "$WORK/xdg" "$WORK/xdg-bad"
        install -m 600 "$PF_CA" "$WORK/xdg/libesmtp/ca.pem"
        openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=wrong CA" \
            -keyout "$WORK/bad.key" -out "$WORK/xdg-bad/libesmtp/ca.pem" >/dev/null 2>&1
        chmod 600 "$WORK/xdg-bad/libesmtp/ca.pem"
        export XDG_CONFIG_DIR=$WORK/xdg
        local tname tport
        for tname in pf-starttls-tls13:"$PF_PORT" pf-starttls-tls12:"$PF_PORT_DATA"; do
            tport=${tname#*:}
            tname=${tname%%:*}
            SEND_TIMEOUT=$TLS_TIMEOUT pf_case "$tname" "$tport" plain alice "starttls=1" -t
            [[ -e $WORK/$tname.delivered ]] || continue
            if has "$tname" "STARTTLS_OK" && grep -q "using TLS" "$WORK/$tname.delivered"; then
                pass "$tname: STARTTLS_OK event, Received shows TLS"
            else
                fail "$tname: no STARTTLS_OK event or no TLS in Received"
            fi
        done
        XDG_CONFIG_DIR=$WORK/xdg-bad
        rc=0
        gen_msg "$WORK/pf-tls-badca.eml" "badca-$RANDOM" plain
        SEND_TIMEOUT=$TLS_TIMEOUT send pf-tls-badca -s "localhost:$PF_PORT" -f carol@interop.test -r alice@interop.test \
            -m "$WORK/pf-tls-badca.eml" -t || rc=$?
        if [[ $rc -ne 99 ]]; then
            if [[ $rc -ne 0 ]] && has pf-tls-badca "INVALID_PEER_CERTIFICATE" &&
                ! has pf-tls-badca "MAIL FROM"; then
                pass "pf-tls-badca: untrusted certificate refused, no mail sent"
            else
                fail "pf-tls-badca: expected INVALID_PEER_CERTIFICATE and no MAIL (exit $rc)"
            fi
        fi
        XDG_CONFIG_DIR=$WORK/xdg
    else
        skip "pf-starttls: openssl missing"
    fi

    # One full session (STARTTLS on TLS 1.2, AUTH, DATA, 3 messages) under
    # valgrind: no memory errors, no definite leaks.
    if command -v valgrind >/dev/null && [[ $PF_TLS == 1 && $PF_AUTH == 1 ]]; then
        local vn=pf-valgrind
        gen_msg "$WORK/$vn.1.eml" "vg1-$RANDOM" plain
        gen_msg "$WORK/$vn.2.eml" "vg2-$RANDOM" 8bit
        gen_msg "$WORK/$vn.3.eml" "vg3-$RANDOM" big
        rc=0
        local vmark vline
        vmark=$(pf_log_mark)
        VALGRIND_CASE=1 SEND_TIMEOUT=180 send "$vn" -s "localhost:$PF_PORT_DATA" -f carol@interop.test \
            -r alice@interop.test -r nobody@interop.test -t -a "$PF_USER:$PF_PASS" -d "vg-$RANDOM" -8 \
            -m "$WORK/$vn.1.eml" -m "$WORK/$vn.2.eml" -m "$WORK/$vn.3.eml" || rc=$?
        if [[ $rc -eq 97 ]]; then
            fail "$vn: valgrind reports errors"
            grep -E '^==[0-9]+== ' "$WORK/$vn.valgrind" | head -n 30 | sed 's/^/     /'
        elif [[ $rc -ne 99 ]]; then
            vline=$(pf_session_line "$vmark" || true)
            if [[ $(grep -c '^MSG 250 ' "$WORK/$vn.out") == 3 ]] && grep -q '^RCPT nobody@interop.test 550' "$WORK/$vn.out" &&
                [[ $vline == *"starttls=1 auth=1 "* ]]; then
                pass "$vn: TLS+AUTH+DSN session with 3 messages, valgrind clean"
            else
                fail "$vn: session failed under valgrind (exit $rc): ${vline##*]: }"
                grep -E '^(MAIL|MSG|RCPT|SESSION)' "$WORK/$vn.out" | sed 's/^/     /'
            fi
        fi
    else
        skip "pf-valgrind: valgrind, TLS or AUTH not available"
    fi

    if [[ $PF_AUTH == 1 ]]; then
        local port mech tls_opt
        for port in "$PF_PORT:PLAIN:-t" "$PF_PORT_DATA:CRAM-MD5|LOGIN:-t" "$PF_PORT_NOPIPE:LOGIN:-t" "$PF_PORT:PLAIN:"; do
            IFS=: read -r p mech tls_opt <<<"$port"
            local name="pf-auth-${mech%%|*}${tls_opt:+-tls}"
            name=${name//|/-}
            SEND_TIMEOUT=$TLS_TIMEOUT pf_case "$name" "$p" plain bob "auth=1" ${tls_opt:+"$tls_opt"} -a "$PF_USER:$PF_PASS"
            [[ -e $WORK/$name.delivered ]] || continue
            if grep -q "Authenticated sender: $PF_USER" "$WORK/$name.delivered" 2>/dev/null; then
                local used
                used=$(grep -oE 'sasl_method=[A-Z0-9-]+, sasl_username=' "$PF_MAILLOG" | tail -n1 | sed 's/sasl_method=//; s/, .*//')
                if [[ $used =~ ^($mech)$ ]]; then
                    pass "$name: authenticated with $used"
                else
                    fail "$name: authenticated with '$used', expected $mech"
                fi
            else
                fail "$name: Received lacks 'Authenticated sender'"
            fi
        done
    else
        skip "pf-auth: saslpasswd2 (sasl2-bin) missing"
    fi
}

# --------------------------------------------------------------- aiosmtpd --
# aio_start NAME ARGS...: start a server; sets AIO_PORT, AIO_OUT.
aio_start() {
    local name=$1 i
    shift
    AIO_OUT=$WORK/aio-$name
    mkdir -p "$AIO_OUT"
    "$PY" "$INTEROP_DIR/aiosmtpd_server.py" --port-file "$AIO_OUT/port" \
        --outdir "$AIO_OUT" --timeout 600 "$@" >"$AIO_OUT/server.log" 2>&1 &
    AIO_PIDS+=("$!")
    for ((i = 0; i < 80; i++)); do
        [[ -s $AIO_OUT/port ]] && break
        sleep 0.25
    done
    [[ -s $AIO_OUT/port ]] || return 1
    AIO_PORT=$(cat "$AIO_OUT/port")
}

# aio_case NAME KIND EXPECT_ENV SENDER_OPTS...: send, wait, compare exactly,
# and check that the saved envelope contains EXPECT_ENV.
aio_case() {
    local name=$1 kind=$2 expect=$3 token rc=0 f env
    shift 3
    token="$name-$RANDOM$RANDOM"
    gen_msg "$WORK/$name.eml" "$token" "$kind"
    send "$name" -s "127.0.0.1:$AIO_PORT" -f carol@interop.test -r alice@interop.test "$@" \
        -m "$WORK/$name.eml" || rc=$?
    [[ $rc -eq 99 ]] && return 0
    if [[ $rc -ne 0 ]]; then
        fail "$name: sender failed (exit $rc)"
        grep -E '^(MSG|RCPT|SESSION)' "$WORK/$name.out" | sed 's/^/     /' || true
        return 0
    fi
    if ! f=$(wait_file_with "$AIO_OUT" "$token" 10) || [[ $f != *.eml ]]; then
        fail "$name: aiosmtpd did not save the message"
        return 0
    fi
    env=${f%.eml}.env
    if ! "$PY" "$INTEROP_DIR/compare.py" exact "$WORK/$name.eml" "$f" >"$WORK/$name.cmp"; then
        fail "$name: received content differs"
        sed 's/^/     /' "$WORK/$name.cmp"
    elif [[ -n $expect ]] && ! grep -qE -- "$expect" "$env"; then
        fail "$name: envelope lacks /$expect/: $(tr '\n' ' ' <"$env")"
    else
        pass "$name ($(tr '\n' ' ' <"$env"))"
    fi
}

aiosmtpd_tests() {
    if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
        skip "aiosmtpd: python3-aiosmtpd not installed"
        return 0
    fi
    if ! aio_start plain; then
        fail "aiosmtpd: server did not start"
        return 0
    fi
    aio_case aio-plain plain "^RCPT alice@interop.test"
    aio_case aio-dotstuff dots "^MAIL carol@interop.test"
    aio_case aio-8bitmime 8bit "BODY=8BITMIME" -8
    aio_case aio-size plain "SIZE=777" -z 777
    aio_case aio-big big ""
    aio_case aio-multi plain "^RCPT bob@interop.test" -r bob@interop.test -r carol@interop.test
    aio_case aio-dsn-not-offered plain "" -d envid-x

    # IPv6: a server on ::1 only, reached through a name that resolves to ::1
    # (libESMTP takes no IPv6 literals).
    local v6name
    v6name=${INTEROP_IPV6_NAME:-}
    if [[ -z $v6name ]]; then
        v6name=$(getent ahostsv6 ip6-localhost 2>/dev/null | awk '$1 == "::1" {print "ip6-localhost"; exit}' || true)
    fi
    if [[ -n $v6name ]] && aio_start v6 --host ::1; then
        local save=$AIO_PORT
        aio_case aio-ipv6 plain "^RCPT alice@interop.test" -s "$v6name:$AIO_PORT"
        AIO_PORT=$save
    else
        skip "aio-ipv6: no name for ::1 (ip6-localhost) or no IPv6 loopback"
    fi

    # STARTTLS + AUTH (aiosmtpd lists LOGIN PLAIN): needs a certificate.
    local tdir=$WORK/aio-tls
    mkdir -p "$tdir" "$WORK/xdg-aio/libesmtp"
    chmod 700 "$WORK/xdg-aio"
    if openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$tdir/key.pem" -out "$tdir/cert.pem" >/dev/null 2>&1; then
        install -m 600 "$tdir/cert.pem" "$WORK/xdg-aio/libesmtp/ca.pem"
        if aio_start tls --cert "$tdir/cert.pem" --key "$tdir/key.pem" --auth "aiouser:aio-secret"; then
            AIO_PORT_TLS=$AIO_PORT
            XDG_CONFIG_DIR=$WORK/xdg-aio
            export XDG_CONFIG_DIR
            # For TLS the host name must match the certificate: use localhost.
            local name=aio-starttls-auth token rc=0 f
            token="$name-$RANDOM"
            gen_msg "$WORK/$name.eml" "$token" plain
            SEND_TIMEOUT=$TLS_TIMEOUT send "$name" -s "localhost:$AIO_PORT_TLS" -f carol@interop.test -r alice@interop.test \
                -t -a aiouser:aio-secret -m "$WORK/$name.eml" || rc=$?
            if [[ $rc -ne 99 ]] && ! oracle_tls_hang "$name" "$rc"; then
                if [[ $rc -eq 0 ]] && f=$(wait_file_with "$AIO_OUT" "$token" 10) &&
                    "$PY" "$INTEROP_DIR/compare.py" exact "$WORK/$name.eml" "$f" &&
                    grep -q '^TLS yes' "${f%.eml}.env" && grep -q '^AUTH yes' "${f%.eml}.env"; then
                    pass "$name: TLS and AUTH on, content identical"
                else
                    fail "$name (exit $rc)"
                    grep -E '^(MSG|RCPT|SESSION|EV 3)' "$WORK/$name.out" | sed 's/^/     /' || true
                fi
            fi
        else
            fail "aiosmtpd: TLS server did not start"
        fi
    else
        skip "aio-starttls-auth: openssl missing"
    fi
}

postfix_tests
aiosmtpd_tests
summary
