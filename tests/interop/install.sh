#!/usr/bin/env bash
# install.sh: `make install PREFIX=<tmp>` installs a usable library:
# the files are where they belong, pkg-config finds libesmtp-1.0 there, and
# programs built with `pkg-config --cflags --libs` (shared) and with
# `pkg-config --static` (libesmtp.a) link and run against what was installed.
#
#   tests/interop/install.sh            (uses the repository's Makefile)
set -euo pipefail

# shellcheck source=tests/interop/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esmtp-install.XXXXXX")
trap 'if [[ ${INTEROP_KEEP:-0} == 1 ]]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi' EXIT
P=$WORK/prefix
# Spaces in the prefix catch unquoted paths in the Makefile and the .pc.
[[ ${INSTALL_PREFIX_SPACE:-0} == 1 ]] && P="$WORK/pre fix"

# The Makefile generates build/libesmtp-1.0.pc once; make sure it is made
# for this PREFIX (and not left behind for the next install).
rm -f "$REPO_DIR/build/libesmtp-1.0.pc"
if make -C "$REPO_DIR" --no-print-directory install PREFIX="$P" >"$WORK/make.log" 2>&1; then
    pass "make-install: PREFIX=$P"
else
    fail "make-install"
    tail -n 20 "$WORK/make.log"
    summary
    exit 1
fi
rm -f "$REPO_DIR/build/libesmtp-1.0.pc"

ok=1
for f in lib/libesmtp.so.6.2.0 lib/libesmtp.so.6 lib/libesmtp.so lib/libesmtp.a \
    include/libesmtp.h include/auth-client.h lib/pkgconfig/libesmtp-1.0.pc; do
    [[ -e $P/$f ]] || { ok=0; note "missing $P/$f"; }
done
[[ $(readlink "$P/lib/libesmtp.so.6") == libesmtp.so.6.2.0 ]] || { ok=0; note "libesmtp.so.6 link: $(readlink "$P/lib/libesmtp.so.6")"; }
[[ $(readlink "$P/lib/libesmtp.so") == libesmtp.so.6 ]] || { ok=0; note "libesmtp.so link: $(readlink "$P/lib/libesmtp.so")"; }
if [[ $ok == 1 ]]; then pass "install-files: libs, links, headers, libesmtp-1.0.pc"
else fail "install-files"; fi

export PKG_CONFIG_PATH=$P/lib/pkgconfig
export PKG_CONFIG_LIBDIR=$P/lib/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig
CFLAGS_PC=$(pkg-config --cflags libesmtp-1.0 2>"$WORK/pc.err" || true)
LIBS_PC=$(pkg-config --libs libesmtp-1.0 2>>"$WORK/pc.err" || true)
VER_PC=$(pkg-config --modversion libesmtp-1.0 2>>"$WORK/pc.err" || true)
if [[ $CFLAGS_PC == *"-I$P/include"* && $LIBS_PC == *"-L$P/lib"* && $LIBS_PC == *-lesmtp* ]]; then
    pass "pkg-config: version $VER_PC, cflags '$CFLAGS_PC', libs '$LIBS_PC'"
else
    fail "pkg-config: cflags '$CFLAGS_PC' libs '$LIBS_PC' $(cat "$WORK/pc.err")"
fi

cat >"$WORK/probe.c" <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libesmtp.h>
#include <auth-client.h>
int main(void)
{
    char v[64], line[4096], *real = NULL;
    smtp_session_t s;
    FILE *f;
    if (!smtp_version(v, sizeof v, 0))
        return 1;
    s = smtp_create_session();
    if (s == NULL || smtp_add_message(s) == NULL)
        return 1;
    smtp_destroy_session(s);
    auth_client_init();
    auth_client_exit();
    f = fopen("/proc/self/maps", "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char *p = strchr(line, '/');
        if (p != NULL && strstr(p, "libesmtp") != NULL) {
            p[strcspn(p, "\n")] = '\0';
            real = realpath(p, NULL);
            break;
        }
    }
    printf("version %s lib %s\n", v, real != NULL ? real : "static");
    free(real);
    return 0;
}
C

# Shared: built with pkg-config's flags, run with the installed directory
# on LD_LIBRARY_PATH (pkg-config adds no rpath).
read -ra cflagv <<<"$CFLAGS_PC"
read -ra libv <<<"$LIBS_PC"
if "${CCV[@]}" -Wall -Wextra -Werror -std=c11 "${cflagv[@]}" -o "$WORK/probe" "$WORK/probe.c" \
    "${libv[@]}" 2>"$WORK/cc.log"; then
    out=$(LD_LIBRARY_PATH="$P/lib" "$WORK/probe" 2>&1 || true)
    if [[ $out == *"lib $(realpath "$P/lib/libesmtp.so.6.2.0")" ]]; then
        pass "link-shared: runs on the installed library ($out)"
    else
        fail "link-shared: '$out'"
    fi
else
    fail "link-shared: compile/link failed"
    sed 's/^/     /' "$WORK/cc.log" | head -n 20
fi

# Static: libesmtp.a plus Libs.private / Requires.private.
STATIC_LIBS=$(pkg-config --static --libs libesmtp-1.0 2>/dev/null || true)
if [[ -n $STATIC_LIBS ]]; then
    read -ra slibv <<<"${STATIC_LIBS//-lesmtp/$P/lib/libesmtp.a}"
    if "${CCV[@]}" -Wall -Wextra -Werror -std=c11 "${cflagv[@]}" -o "$WORK/probe-static" "$WORK/probe.c" \
        "${slibv[@]}" 2>"$WORK/cc-static.log"; then
        out=$("$WORK/probe-static" 2>&1 || true)
        if [[ $out == *"lib static" ]] && ! ldd "$WORK/probe-static" | grep -q libesmtp; then
            pass "link-static: libesmtp.a with pkg-config --static ($out)"
        else
            fail "link-static: '$out'"
        fi
    else
        fail "link-static: link failed with: $STATIC_LIBS"
        sed 's/^/     /' "$WORK/cc-static.log" | head -n 20
    fi
else
    skip "link-static: pkg-config --static failed (openssl.pc missing? apt-get install libssl-dev)"
fi

# The library's own example, built by the demo script against the install.
if ESMTP_LIB_DIR="$P/lib" ESMTP_INCLUDE_DIR="$P/include" bash "$REPO_DIR/examples/demo.sh" >"$WORK/demo.log" 2>&1; then
    pass "demo-installed: examples/demo.sh against the installed library"
else
    fail "demo-installed"
    tail -n 20 "$WORK/demo.log" | sed 's/^/     /'
fi
summary
