#!/usr/bin/env bash
# deb.sh: build the .deb (packaging/make-deb.sh), check its metadata, and —
# only as root with CI=true or ESMTP_ALLOW_SYSTEM_INSTALL=1 — install it over
# Debian's libesmtp6/libesmtp-dev, prove that Debian's esmtp stays installed
# and runs on our library from the system path (legacy.sh --system), build
# the demo against the system headers + pkg-config, then restore Debian's
# packages from .debs downloaded beforehand (also on failure).
#
#   tests/interop/deb.sh [DEB]      (DEB: use this .deb instead of building)
set -euo pipefail

# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export DEBIAN_FRONTEND=noninteractive
MA=/usr/lib/x86_64-linux-gnu

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-debtest.XXXXXX")
chmod 755 "$WORK"
RESTORE=0
ORIG_VERSION=
restore() {
    [[ $RESTORE == 1 ]] || return 0
    RESTORE=0
    echo "     restoring Debian's libesmtp6 $ORIG_VERSION"
    local -a debs=("$WORK"/orig/*.deb)
    if [[ -e ${debs[0]} ]]; then
        apt-get -o DPkg::Lock::Timeout=300 install -y -q --allow-downgrades "${debs[@]}" >"$WORK/restore.log" 2>&1 ||
            apt-get -o DPkg::Lock::Timeout=300 install -y -q libesmtp6 libesmtp-dev >>"$WORK/restore.log" 2>&1 || true
    else
        apt-get -o DPkg::Lock::Timeout=300 install -y -q libesmtp6 libesmtp-dev >"$WORK/restore.log" 2>&1 || true
    fi
    # Ours leaves nothing behind (no conffiles, but dpkg keeps an "rc" entry).
    if dpkg-query -W -f='${Status}' libesmtp6-rs 2>/dev/null | grep -q "config-files"; then
        dpkg --purge libesmtp6-rs >>"$WORK/restore.log" 2>&1 || true
    fi
    if dpkg-query -W -f='${Status} ${Version}\n' libesmtp6 2>/dev/null | grep -q "install ok installed"; then
        echo "     restored: $(dpkg-query -W -f='libesmtp6 ${Version}, ' libesmtp6)$(dpkg-query -W -f='libesmtp-dev ${Version}' libesmtp-dev 2>/dev/null || true)"
    else
        echo "     WARNING: could not restore libesmtp6; see $WORK/restore.log" >&2
        tail -n 20 "$WORK/restore.log" >&2 || true
        return 1
    fi
}
cleanup() {
    restore || FAIL=$((FAIL + 1))
    if [[ ${INTEROP_KEEP:-0} == 1 ]]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build and inspect --------------------------------------------------
if [[ -n ${1:-} ]]; then
    DEB=$1
else
    if ! DEB=$(bash "$REPO_DIR/packaging/make-deb.sh" --out "$WORK" 2>"$WORK/make-deb.log" | tail -n1) ||
        [[ ! -e $DEB ]]; then
        fail "deb-build: make-deb.sh failed"
        tail -n 20 "$WORK/make-deb.log"
        summary
        exit 1
    fi
fi
pass "deb-build: $(basename "$DEB")"

field() { dpkg-deb -f "$DEB" "$1"; }
ok=1
[[ $(field Package) == libesmtp6-rs ]] || ok=0
[[ $(field Provides) == *"libesmtp6 (= 1.1.0-rs)"* && $(field Provides) == *libesmtp-dev* ]] || ok=0
[[ $(field Conflicts) == *libesmtp6* && $(field Replaces) == *libesmtp-dev* ]] || ok=0
if [[ $ok == 1 ]]; then pass "deb-control: Provides/Conflicts/Replaces libesmtp6, libesmtp-dev"
else fail "deb-control: $(dpkg-deb -f "$DEB" Provides Conflicts Replaces | tr '\n' ' ')"; fi

dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$WORK/contents"
ok=1
for f in $MA/libesmtp.so.6.2.0 $MA/libesmtp.so.6 $MA/libesmtp.so $MA/pkgconfig/libesmtp-1.0.pc \
    /usr/include/libesmtp.h /usr/include/auth-client.h; do
    grep -qxF "$f" "$WORK/contents" || { ok=0; note "missing $f"; }
done
if [[ $ok == 1 ]]; then pass "deb-contents: same file names as libesmtp6 + libesmtp-dev"
else fail "deb-contents"; fi

mkdir -p "$WORK/x"
dpkg-deb -x "$DEB" "$WORK/x"
SONAME=$(objdump -p "$WORK/x$MA/libesmtp.so.6.2.0" | awk '/SONAME/ {print $2}')
if [[ $SONAME == libesmtp.so.6 ]]; then pass "deb-soname: libesmtp.so.6"
else fail "deb-soname: '$SONAME'"; fi

# esmtp's dependency on libesmtp6 must be met by our versioned Provides.
if command -v apt-cache >/dev/null && apt-cache show esmtp >/dev/null 2>&1; then
    dep=$(apt-cache show esmtp | sed -n 's/^Depends: //p' | head -n1 | tr ',' '\n' | grep -o 'libesmtp6[^|]*' | head -n1 || true)
    note "esmtp depends on: ${dep:-?}"
    want=$(sed -n 's/.*(\(.*\)).*/\1/p' <<<"$dep")
    if [[ -z $want ]]; then
        pass "deb-provides: esmtp needs unversioned libesmtp6"
    elif dpkg --compare-versions 1.1.0-rs "${want%% *}" "${want#* }"; then
        pass "deb-provides: 1.1.0-rs satisfies libesmtp6 ($want)"
    else
        fail "deb-provides: 1.1.0-rs does not satisfy libesmtp6 ($want)"
    fi
fi

# ---- install over Debian's packages (opt-in) ----------------------------
if [[ $(id -u) -ne 0 ]] || [[ ${CI:-} != true && ${ESMTP_ALLOW_SYSTEM_INSTALL:-0} != 1 ]]; then
    skip "deb-install: only as root with CI=true or ESMTP_ALLOW_SYSTEM_INSTALL=1 (it replaces system packages)"
    summary
    exit $?
fi

ORIG_VERSION=$(dpkg-query -W -f='${Version}' libesmtp6 2>/dev/null || true)
ESMTP_WAS=$(dpkg-query -W -f='${Status}' esmtp 2>/dev/null || true)
if [[ -n $ORIG_VERSION ]]; then
    mkdir -p "$WORK/orig"
    (cd "$WORK/orig" && apt-get -o DPkg::Lock::Timeout=300 download -q "libesmtp6=$ORIG_VERSION" "libesmtp-dev=$ORIG_VERSION" \
        >"$WORK/download.log" 2>&1) || note "apt-get -o DPkg::Lock::Timeout=300 download failed; will restore from the archive"
    # Keep the apt cache copy too when present.
    cp -n /var/cache/apt/archives/libesmtp6_*.deb /var/cache/apt/archives/libesmtp-dev_*.deb \
        "$WORK/orig/" 2>/dev/null || true
fi

# Dry run first: nothing but libesmtp6/libesmtp-dev may be removed.
apt-get -o DPkg::Lock::Timeout=300 install -s -y "$DEB" >"$WORK/sim.log" 2>&1 || true
removed=$(sed -n 's/^Remv \([^ ]*\).*/\1/p' "$WORK/sim.log" | sed 's/:.*//' | sort -u | tr '\n' ' ')
if [[ -z ${removed// /} || $removed =~ ^(libesmtp6 |libesmtp-dev )+$ ]]; then
    pass "deb-simulate: apt removes only: ${removed:-nothing}"
else
    fail "deb-simulate: apt would remove: $removed"
    summary
    exit 1
fi

RESTORE=1
if ! apt-get -o DPkg::Lock::Timeout=300 install -y -q "$DEB" >"$WORK/install.log" 2>&1; then
    fail "deb-install: apt-get -o DPkg::Lock::Timeout=300 install failed"
    tail -n 20 "$WORK/install.log"
    summary
    exit 1
fi
pass "deb-install: $(dpkg-query -W -f='${Package} ${Version} ${Status}' libesmtp6-rs)"
if [[ $ESMTP_WAS == "install ok installed" ]]; then
    if [[ $(dpkg-query -W -f='${Status}' esmtp 2>/dev/null || true) == "install ok installed" ]]; then
        pass "deb-keeps-esmtp: esmtp is still installed"
    else
        fail "deb-keeps-esmtp: esmtp was removed"
    fi
fi

# Debian's esmtp from the system path, on our library.
if bash "$INTEROP_DIR/legacy.sh" --system "$WORK/x$MA/libesmtp.so.6.2.0" >"$WORK/legacy.log" 2>&1; then
    pass "deb-legacy-system: $(grep -E '^[0-9]+ passed' "$WORK/legacy.log")"
else
    fail "deb-legacy-system"
    sed 's/^/     /' "$WORK/legacy.log"
fi

# A program built the usual way against the installed package.
flags=$(pkg-config --cflags --libs libesmtp-1.0 2>/dev/null || true)
read -ra flagv <<<"$flags"
if [[ -n $flags ]] &&
    "${CCV[@]}" -Wall -Wextra -Werror -o "$WORK/sendmail-lite" "$REPO_DIR/examples/sendmail-lite.c" \
        "${flagv[@]}" 2>"$WORK/cc.log" &&
    [[ $(realpath "$(ldd "$WORK/sendmail-lite" | awk '$1 == "libesmtp.so.6" {print $3}')") == \
        "$(realpath $MA/libesmtp.so.6)" ]]; then
    pass "deb-pkg-config: built sendmail-lite with 'pkg-config --cflags --libs libesmtp-1.0' ($flags)"
    if ESMTP_LIB_DIR=$MA ESMTP_INCLUDE_DIR=/usr/include bash "$REPO_DIR/examples/demo.sh" >"$WORK/demo.log" 2>&1; then
        pass "deb-demo: examples/demo.sh on the installed package"
    else
        fail "deb-demo"
        tail -n 20 "$WORK/demo.log"
    fi
else
    fail "deb-pkg-config: could not build against the installed package"
    cat "$WORK/cc.log" 2>/dev/null || true
fi

if restore; then
    if [[ -z $ORIG_VERSION || $(dpkg-query -W -f='${Version}' libesmtp6 2>/dev/null) == "$ORIG_VERSION" ]]; then
        pass "deb-restore: Debian's libesmtp6 ${ORIG_VERSION:-(fresh)} is back"
    else
        fail "deb-restore: libesmtp6 is $(dpkg-query -W -f='${Version}' libesmtp6 2>/dev/null || echo missing)"
    fi
else
    fail "deb-restore"
fi
summary
