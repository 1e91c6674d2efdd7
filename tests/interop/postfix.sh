#!/usr/bin/env bash
# postfix.sh: a private, throw-away Postfix instance for the interop tests.
#
# Usage:  postfix.sh start DIR   build config under DIR (must be empty or absent),
#                                start Postfix, write DIR/env (shell variables)
#         postfix.sh stop DIR    stop it (bounded wait, then kill the master)
#         postfix.sh status DIR  exit 0 if running
#
# Nothing of the system's mail setup is touched: own config, queue, data
# and mail directories under DIR, listeners on 127.0.0.1 only (free ports),
# chroot off, logging to DIR/maillog.  Needs root (Postfix's master) and the
# Debian package `postfix`; STARTTLS needs `openssl`; AUTH needs `sasl2-bin`
# (saslpasswd2) and `libsasl2-modules` — without them the instance runs with
# PF_AUTH=0 / PF_TLS=0 in DIR/env.
#
# Mail for {alice,bob,carol}@interop.test is delivered by Postfix's virtual(8)
# agent into Maildirs DIR/vmail/<name>/new/ (owned by nobody).  Any other
# recipient in interop.test is refused at RCPT (550).  A message whose
# Subject contains REJECT-ME is refused after its content (header_checks).
#
# Ports (DIR/env):
#   PF_PORT          all of Postfix's defaults (PIPELINING, CHUNKING, DSN, ...)
#   PF_PORT_DATA     CHUNKING not offered (forces DATA)
#   PF_PORT_NOPIPE   neither CHUNKING nor PIPELINING
# STARTTLS (PF_CA = CA certificate, server cert for "localhost") and AUTH
# (PF_USER/PF_PASS) are offered on every port; the AUTH mechanisms listed are
# "PLAIN LOGIN CRAM-MD5" on PF_PORT, "CRAM-MD5 LOGIN" on PF_PORT_DATA and
# "LOGIN" on PF_PORT_NOPIPE (libESMTP takes the first one it supports).
# PF_PORT offers TLS 1.3 (post-handshake session tickets: libESMTP 1.1.0 may
# hang there, tls-auth.md 4.2); PF_PORT_DATA and PF_PORT_NOPIPE stop at TLS 1.2.
set -euo pipefail

PF_START_TIMEOUT=${PF_START_TIMEOUT:-30}

die() { echo "postfix.sh: $*" >&2; exit 1; }

free_port() {
    /usr/bin/python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

port_open() { # port
    /usr/bin/python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.recv(64)
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

master_pid() { # dir
    local f="$1/queue/pid/master.pid"
    [[ -r $f ]] || return 1
    local pid
    pid=$(tr -dc '0-9' <"$f")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

make_tls() { # dir
    local d="$1/tls"
    mkdir -p "$d"
    (
        cd "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -sha256 \
            -subj "/CN=esmtp-rs interop test CA" -keyout ca.key -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign
        openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
            -keyout server.key -out server.csr
        printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            "basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth" >ext.cnf
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
            -CAcreateserial -days 2 -sha256 -extfile ext.cnf -out server.pem
        chmod 644 ca.pem server.pem
        chmod 600 server.key ca.key
    ) >"$d/openssl.log" 2>&1
}

make_sasl() { # dir user pass
    local d="$1/sasl"
    mkdir -p "$d"
    local name mechs
    for name in smtpd:"PLAIN LOGIN CRAM-MD5" smtpd_cram:"CRAM-MD5 LOGIN" smtpd_login:LOGIN; do
        mechs=${name#*:}
        cat >"$d/${name%%:*}.conf" <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $d/sasldb2
mech_list: $mechs
CONF
    done
    printf '%s' "$3" | saslpasswd2 -p -c -f "$d/sasldb2" -u interop.test "$2"
    chown postfix "$d/sasldb2"
    chmod 600 "$d/sasldb2"
    chmod 755 "$d"
}

cmd_start() {
    local dir="$1"
    [[ $(id -u) -eq 0 ]] || die "needs root (Postfix's master daemon)"
    command -v postfix >/dev/null || die "postfix is not installed"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ -e $dir/main.cf ]] && die "$dir already holds an instance"
    chmod 755 "$dir"
    # The postfix and nobody users must reach DIR: every ancestor needs o+x.
    local a="$dir"
    while [[ $a != / ]]; do
        a=$(dirname "$a")
        [[ $(stat -c %A "$a") == *[xt] ]] ||
            die "$a is not searchable by other users (chmod o+x it, or use another DIR)"
    done
    mkdir -p "$dir/queue" "$dir/data" "$dir/vmail"
    chown postfix "$dir/data"
    chown nobody:nogroup "$dir/vmail"

    local port port_data port_nopipe
    port=$(free_port); port_data=$(free_port); port_nopipe=$(free_port)
    while [[ $port_data == "$port" ]]; do port_data=$(free_port); done
    while [[ $port_nopipe == "$port" || $port_nopipe == "$port_data" ]]; do
        port_nopipe=$(free_port)
    done

    local tls=0 auth=0 user=interop pass=
    if command -v openssl >/dev/null && make_tls "$dir"; then tls=1; fi
    pass="pw-$RANDOM-$RANDOM"
    if command -v saslpasswd2 >/dev/null && make_sasl "$dir" "$user" "$pass"; then
        auth=1
    fi

    cat >"$dir/main.cf" <<CONF
# Generated by tests/interop/postfix.sh; private test instance.
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = $dir/meta
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.interop.test
mydomain = interop.test
myorigin = interop.test
mydestination =
mynetworks = 127.0.0.0/8
relayhost =
alias_maps =
alias_database =
biff = no
smtputf8_enable = yes
# Deliver the message as received: no header rewriting for local clients.
local_header_rewrite_clients =
always_add_missing_headers = no
virtual_mailbox_domains = interop.test
virtual_mailbox_base = $dir/vmail
virtual_mailbox_maps = inline:{ alice@interop.test=alice/, bob@interop.test=bob/, carol@interop.test=carol/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
# Sender DSN notices would go to senders' domains: keep them in the queue.
default_transport = error:no outside delivery in the interop test
# A message whose Subject contains REJECT-ME is refused at end of data.
header_checks = regexp:$dir/header_checks
message_size_limit = 52428800
virtual_mailbox_limit = 0
CONF
    if [[ $tls == 1 ]]; then
        cat >>"$dir/main.cf" <<CONF
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/server.pem
smtpd_tls_key_file = $dir/tls/server.key
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
CONF
    fi
    if [[ $auth == 1 ]]; then
        cat >>"$dir/main.cf" <<CONF
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
cyrus_sasl_config_path = $dir/sasl
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain = interop.test
smtpd_sasl_security_options = noanonymous
smtpd_sasl_authenticated_header = yes
CONF
    fi

    # Postfix's file list (and dynamic map list, when the package made one);
    # a private copy so that nothing under /etc/postfix is needed or touched.
    mkdir -p "$dir/meta"
    local m
    for m in postfix-files postfix-files.d dynamicmaps.cf dynamicmaps.cf.d; do
        if [[ -e /etc/postfix/$m ]]; then cp -a "/etc/postfix/$m" "$dir/meta/"; fi
    done
    [[ -e $dir/meta/postfix-files ]] || die "/etc/postfix/postfix-files missing (is postfix installed?)"

    echo '/^Subject:.*REJECT-ME/ REJECT rejected by the interop header check' >"$dir/header_checks"

    # master.cf: Debian's, chroot off everywhere, the smtp listener replaced.
    local proto
    for proto in /etc/postfix/master.cf /usr/share/postfix/master.cf.dist /etc/postfix/master.cf.proto; do
        [[ -r $proto ]] && break
    done
    awk -v p1="$port" -v p2="$port_data" -v p3="$port_nopipe" '
        /^smtp[ \t]+inet[ \t]/ {
            print "127.0.0.1:" p1 " inet n - n - - smtpd"
            print "127.0.0.1:" p2 " inet n - n - - smtpd"
            print "  -o smtpd_discard_ehlo_keywords=chunking,silent-discard"
            print "  -o smtpd_sasl_path=smtpd_cram"
            print "  -o smtpd_tls_protocols=!TLSv1.3"
            print "127.0.0.1:" p3 " inet n - n - - smtpd"
            print "  -o smtpd_discard_ehlo_keywords=chunking,pipelining,silent-discard"
            print "  -o smtpd_sasl_path=smtpd_login"
            print "  -o smtpd_tls_protocols=!TLSv1.3"
            skip = 1; next
        }
        /^[^ \t#]/ { skip = 0; if (NF >= 8) { $5 = "n" } print; next }
        skip && /^[ \t]/ { next }
        { print }
    ' "$proto" >"$dir/master.cf"

    postfix -c "$dir" check >"$dir/setup.log" 2>&1 || true
    postfix -c "$dir" post-install create-missing >>"$dir/setup.log" 2>&1 ||
        die "post-install failed; see $dir/setup.log"
    if ! postfix -c "$dir" start >>"$dir/setup.log" 2>&1; then
        cat "$dir/setup.log" "$dir/maillog" >&2 2>/dev/null || true
        die "postfix start failed"
    fi

    local t=0
    until port_open "$port" && port_open "$port_data" && port_open "$port_nopipe"; do
        t=$((t + 1))
        if ((t > PF_START_TIMEOUT * 2)); then
            cat "$dir/maillog" >&2 2>/dev/null || true
            cmd_stop "$dir"
            die "postfix did not listen within ${PF_START_TIMEOUT}s"
        fi
        sleep 0.5
    done

    cat >"$dir/env" <<ENV
PF_DIR='$dir'
PF_PORT=$port
PF_PORT_DATA=$port_data
PF_PORT_NOPIPE=$port_nopipe
PF_MAILDIR_BASE='$dir/vmail'
PF_MAILLOG='$dir/maillog'
PF_TLS=$tls
PF_CA='$dir/tls/ca.pem'
PF_AUTH=$auth
PF_USER='$user@interop.test'
PF_PASS='$pass'
ENV
    cat "$dir/env"
}

cmd_stop() {
    local dir="$1" pid t=0
    [[ -e $dir/main.cf ]] || return 0
    pid=$(master_pid "$dir") || return 0
    postfix -c "$dir" stop >/dev/null 2>&1 || true
    while kill -0 "$pid" 2>/dev/null; do
        t=$((t + 1))
        if ((t == 20)); then kill -TERM "$pid" 2>/dev/null || true; fi
        if ((t == 40)); then kill -KILL "$pid" 2>/dev/null || true; fi
        ((t > 50)) && break
        sleep 0.25
    done
    # Children exit with the master; kill any straggler of this instance
    # only (found by its MAIL_CONFIG, never by name).
    local p
    for p in /proc/[0-9]*; do
        if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "MAIL_CONFIG=$dir"; then
            kill -KILL "${p#/proc/}" 2>/dev/null || true
        fi
    done
    return 0
}

cmd_status() {
    master_pid "$1" >/dev/null
}

# When sourced, only define the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    case "${1:-}" in
    start) cmd_start "${2:?DIR}" ;;
    stop) cmd_stop "${2:?DIR}" ;;
    status) cmd_status "${2:?DIR}" ;;
    *) echo "usage: $0 start|stop|status DIR" >&2; exit 2 ;;
    esac
fi
