# lib.sh: shared helpers for the interop scripts (sourced, not run).
# shellcheck shell=bash

INTEROP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$INTEROP_DIR/../.." && pwd)
PY=/usr/bin/python3
# CC may carry arguments ("ccache gcc").
read -ra CCV <<<"${CC:-cc}"
PASS=0
FAIL=0
SKIP=0

XFAIL=0
pass() { PASS=$((PASS + 1)); echo "PASS $*"; }
xfail() { XFAIL=$((XFAIL + 1)); echo "XFAIL $*"; }
fail() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }
skip() { SKIP=$((SKIP + 1)); echo "SKIP $*"; }
note() { echo "     $*"; }

summary() {
    echo "$PASS passed, $FAIL failed, $SKIP skipped, $XFAIL known oracle quirks"
    [[ $FAIL -eq 0 ]]
}

# The library under test: ESMTP_LIB_DIR (default: the repository's build/lib).
resolve_lib() {
    ESMTP_LIB_DIR=${ESMTP_LIB_DIR:-$REPO_DIR/build/lib}
    if [[ ! -e $ESMTP_LIB_DIR/libesmtp.so.6 ]]; then
        echo "no libesmtp.so.6 in ESMTP_LIB_DIR=$ESMTP_LIB_DIR" >&2
        echo "(build it with 'make', or use ESMTP_LIB_DIR=/usr/lib/x86_64-linux-gnu for Debian's)" >&2
        exit 2
    fi
    ESMTP_LIB_DIR=$(cd "$ESMTP_LIB_DIR" && pwd)
    EXPECTED_LIB=$(realpath "$ESMTP_LIB_DIR/libesmtp.so.6")
    if [[ -z ${ESMTP_INCLUDE_DIR:-} ]]; then
        if [[ -e $REPO_DIR/include/libesmtp.h && -e $REPO_DIR/include/auth-client.h ]]; then
            ESMTP_INCLUDE_DIR=$REPO_DIR/include
        else
            ESMTP_INCLUDE_DIR=/usr/include
        fi
    fi
    # Debian's own libESMTP (the oracle) has known bugs that ours fixes.
    ORACLE=0
    if command -v dpkg >/dev/null &&
        dpkg -S "$EXPECTED_LIB" 2>/dev/null | grep -q '^libesmtp6:'; then
        ORACLE=1
    fi
    export ESMTP_LIB_DIR ESMTP_INCLUDE_DIR EXPECTED_LIB ORACLE
    local what=""
    [[ $ORACLE == 1 ]] && what=" [Debian's libesmtp6: the oracle]"
    echo "library under test: $EXPECTED_LIB$what (headers: $ESMTP_INCLUDE_DIR)"
}

# build_c OUT SRC...: compile against ESMTP_INCLUDE_DIR and link the exact
# libesmtp.so.6 of ESMTP_LIB_DIR with an RPATH (DT_RPATH, which wins over
# LD_LIBRARY_PATH) pointing there.
build_c() {
    local out=$1
    shift
    "${CCV[@]}" -Wall -Wextra -Werror -std=c11 -I"$ESMTP_INCLUDE_DIR" -o "$out" "$@" \
        "$ESMTP_LIB_DIR/libesmtp.so.6" -Wl,--disable-new-dtags,-rpath,"$ESMTP_LIB_DIR"
}

# check_lib OUTFILE: the LIB line the sender printed is the library under test.
check_lib() {
    local got
    got=$(sed -n 's/^LIB //p' "$1" | head -n1)
    [[ $got == "$EXPECTED_LIB" ]] && return 0
    echo "     loaded library '$got', expected '$EXPECTED_LIB'"
    return 1
}

# gen_msg FILE TOKEN KIND: write a test message (CRLF line ends).
# KIND: plain | dots | 8bit | big
gen_msg() {
    "$PY" - "$@" <<'PY'
import sys
path, token, kind = sys.argv[1:4]
h = [
    "From: Carol Sender <carol@interop.test>",
    "To: Alice <alice@interop.test>, bob@interop.test",
    "Subject: interop %s %s" % (kind, token),
    "Date: Thu, 26 Nov 2026 10:00:00 +0000",
    "Message-Id: <%s@interop.test>" % token,
    "X-Folded: first part",
    "\tsecond part",
]
body = ["Hello %s." % token, "", "Second paragraph."]
if kind in ("dots", "big"):
    body += [".", "..", ".leading dot", " . not at start", "x" * 990, "end ."]
if kind == "8bit":
    h += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
          "Content-Transfer-Encoding: 8bit"]
    body += ["Grüße aus Köln — ünïcödé ✓", "\u00e9t\u00e9", "."]
data = "\r\n".join(h) + "\r\n\r\n" + "\r\n".join(body) + "\r\n"
raw = data.encode("utf-8")
if kind == "big":
    line = b"".join(bytes([33 + (i % 94)]) for i in range(76)) + b"\r\n"
    chunk = []
    for i in range(52000):  # ~4 MiB
        chunk.append(b"." + line if i % 1000 == 0 else line)
    raw += b"".join(chunk) + b"last line\r\n"
open(path, "wb").write(raw)
PY
}

# wait_file_with DIR TOKEN [SECONDS]: print the first regular file under DIR
# that contains TOKEN, waiting up to SECONDS (default 30).
wait_file_with() {
    local dir=$1 token=$2 limit=${3:-30} i f
    for ((i = 0; i < limit * 4; i++)); do
        if [[ -d $dir ]]; then
            f=$(grep -rlF -- "$token" "$dir" 2>/dev/null | head -n1 || true)
            if [[ -n $f ]]; then
                echo "$f"
                return 0
            fi
        fi
        sleep 0.25
    done
    return 1
}
