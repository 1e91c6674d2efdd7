#!/usr/bin/env bash
# make-deb.sh: build libesmtp6-rs_<version>_amd64.deb, a binary package that
# installs esmtp-rs in place of Debian's libesmtp6 and libesmtp-dev (same
# file names: /usr/lib/x86_64-linux-gnu/libesmtp.so.6*, libesmtp.so,
# libesmtp.a, /usr/include/{libesmtp,auth-client}.h, libesmtp-1.0.pc).
#
#   packaging/make-deb.sh [--stage DIR] [--out DIR]
#
# Without --stage it runs `make install DESTDIR=<tmp> PREFIX=/usr
# LIBDIR=/usr/lib/<multiarch>` in the repository (what `make deb` uses).
# --stage DIR packages an already staged root instead.  The .deb is written
# to --out (default: build/) and its path printed last.
# Env: DEB_VERSION overrides the package version (default 1.1.0+rs<crate version>);
# DEB_STRIP=0 keeps the shared library unstripped.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
STAGE=
OUT=$REPO/build
while [[ $# -gt 0 ]]; do
    case $1 in
    --stage) STAGE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "usage: $0 [--stage DIR] [--out DIR]" >&2; exit 2 ;;
    esac
done

command -v dpkg-deb >/dev/null || { echo "make-deb: dpkg-deb missing (apt-get install dpkg-dev)" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
LIBDIR=/usr/lib/$MULTIARCH
CRATE_VERSION=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$REPO/Cargo.toml" | head -n1)
VERSION=${DEB_VERSION:-1.1.0+rs${CRATE_VERSION:-0}}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root

if [[ -z $STAGE ]]; then
    # The .pc is generated once per build dir; regenerate it for PREFIX=/usr.
    rm -f "$REPO/build/libesmtp-1.0.pc"
    make -C "$REPO" --no-print-directory install DESTDIR="$ROOT" PREFIX=/usr \
        LIBDIR="$LIBDIR" INCLUDEDIR=/usr/include PKGCONFIGDIR="$LIBDIR/pkgconfig" >&2
    rm -f "$REPO/build/libesmtp-1.0.pc"
else
    mkdir -p "$ROOT"
    cp -a "$STAGE"/. "$ROOT"/
fi
# A Makefile that ignored LIBDIR put the library into /usr/lib: move it.
if [[ ! -e $ROOT$LIBDIR/libesmtp.so.6 && -e $ROOT/usr/lib/libesmtp.so.6 ]]; then
    mkdir -p "$ROOT$LIBDIR"
    mv "$ROOT"/usr/lib/libesmtp.* "$ROOT$LIBDIR/"
    if [[ -d $ROOT/usr/lib/pkgconfig ]]; then
        mv "$ROOT/usr/lib/pkgconfig" "$ROOT$LIBDIR/"
    fi
fi
if [[ -e $ROOT$LIBDIR/pkgconfig/libesmtp-1.0.pc ]]; then
    sed -i "s|^libdir=.*|libdir=$LIBDIR|" "$ROOT$LIBDIR/pkgconfig/libesmtp-1.0.pc"
fi
for f in "$LIBDIR/libesmtp.so.6" "$LIBDIR/libesmtp.so" /usr/include/libesmtp.h \
    /usr/include/auth-client.h "$LIBDIR/pkgconfig/libesmtp-1.0.pc"; do
    [[ -e $ROOT$f || -L $ROOT$f ]] || { echo "make-deb: staged tree lacks $f" >&2; exit 1; }
done
REAL=$(basename "$(readlink -f "$ROOT$LIBDIR/libesmtp.so.6")")
[[ $REAL == libesmtp.so.6.2.0 ]] || echo "make-deb: warning: libesmtp.so.6 -> $REAL (expected libesmtp.so.6.2.0)" >&2

# Debian policy: shared libraries are installed stripped (dynamic symbols stay).
if [[ ${DEB_STRIP:-1} == 1 ]] && command -v strip >/dev/null; then
    strip --strip-unneeded --remove-section=.comment --remove-section=.note \
        "$ROOT$LIBDIR/$REAL"
    # Static library: debug info only (Debian policy for -dev packages).
    if [[ -e $ROOT$LIBDIR/libesmtp.a ]]; then
        strip --strip-debug --remove-section=.comment "$ROOT$LIBDIR/libesmtp.a"
    fi
fi

# Documentation, as Debian policy wants it.
DOC=$ROOT/usr/share/doc/libesmtp6-rs
mkdir -p "$DOC"
cp "$HERE/copyright" "$DOC/copyright"
gzip -9n <"$HERE/changelog" >"$DOC/changelog.gz"

# Dependencies from the library's NEEDED entries.
DEPENDS=$(
    cd "$WORK"
    mkdir -p debian
    printf 'Source: esmtp-rs\n\nPackage: libesmtp6-rs\nArchitecture: any\n' >debian/control
    dpkg-shlibdeps -O -e"$ROOT$LIBDIR/$REAL" 2>/dev/null | sed -n 's/^shlibs:Depends=//p'
) || true
if [[ -z $DEPENDS ]]; then
    DEPENDS="libc6 (>= 2.34)"
    if objdump -p "$ROOT$LIBDIR/$REAL" 2>/dev/null | grep -q 'NEEDED.*libssl.so.3'; then
        DEPENDS="$DEPENDS, libssl3 (>= 3.0.0)"
    fi
fi

mkdir -p "$ROOT/DEBIAN"
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@DEPENDS@|$DEPENDS|" \
    -e "s|@SIZE@|$SIZE|" "$HERE/control.in" >"$ROOT/DEBIAN/control"
install -m 755 "$HERE/postinst" "$HERE/postrm" "$ROOT/DEBIAN/"
(cd "$ROOT" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$ROOT/DEBIAN/md5sums"
find "$ROOT" -type d -exec chmod 755 {} +

mkdir -p "$OUT"
DEB=$OUT/libesmtp6-rs_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >&2
echo "$DEB"
