#!/usr/bin/env bash
# check.sh: runs every ABI check of esmtp-rs against libESMTP 1.1 and
# prints one line per check (PASS name / FAIL name / SKIP name (why)),
# then "N passed, N failed, N skipped". Exit status 1 if any check failed.
#
# Usage: capi-tests/abi/check.sh <built-lib-dir> <crate-dir>
#   <built-lib-dir>  directory holding our libesmtp.so.6 (e.g. build/lib)
#   <crate-dir>      the esmtp crate (for cbindgen); outputs go to
#                    <crate-dir>/target/ (esmtp-decls.h, abi-check/)
#
# Environment:
#   REQUIRE_ORACLE=1  a check that needs libESMTP 1.1's headers or library
#                     (Debian: libesmtp-dev / libesmtp6) FAILs instead of
#                     being skipped when they are missing (set it in CI)
#   ORACLE_INC        directory with libESMTP's headers (/usr/include)
#   ORACLE_LIB        path of libESMTP's libesmtp.so.6 (found via $CC)
#   ABI_RUN=1         also run compile_all against our library
#   CBINDGEN          cbindgen binary to use; otherwise
#                     <crate-dir>/target/tools/bin/cbindgen, installed there
#                     with `cargo install --locked` when missing
#   CC, CXX           compilers (cc, g++)
#
# Checks: exported symbol list and SONAME of the library; compile_all.c
# against our headers (linked to our library) and libESMTP's (proves it is
# valid libESMTP code); a C++ compile; layout.c output identical with both
# header sets; prototypes identical with both header sets (gcc -aux-info);
# each header self-contained; conditional declarations; pkg-config file;
# the Rust exports (via cbindgen) against the headers (decl_check.c).

set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 <built-lib-dir> <crate-dir>" >&2
  exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIBDIR=$(cd "$1" 2>/dev/null && pwd || echo "$1")
CRATE=$(cd "$2" 2>/dev/null && pwd || echo "$2")
INC="$ROOT/include"
OUT="$CRATE/target/abi-check"
CC=${CC:-cc}
CXX=${CXX:-g++}
CFLAGS_STRICT="-Wall -Wextra -Werror -std=c11"
CBINDGEN_VERSION=0.29.4
export LC_ALL=C

mkdir -p "$OUT" || exit 2

passed=0
failed=0
skipped=0

pass () { echo "PASS $1"; passed=$((passed + 1)); }
fail () {
  echo "FAIL $1"
  failed=$((failed + 1))
  if [ -n "${2:-}" ] && [ -s "$2" ]; then
    head -n 25 "$2" | sed 's/^/    /'
  fi
}
skip () { echo "SKIP $1 ($2)"; skipped=$((skipped + 1)); }
# A check that needs libESMTP 1.1 itself.
oracle_skip () {
  if [ "${REQUIRE_ORACLE:-0}" = 1 ]; then
    echo "FAIL $1 ($2, and REQUIRE_ORACLE=1)"
    failed=$((failed + 1))
  else
    skip "$1" "$2"
  fi
}

# ----------------------------------------------------------------------
# The oracle: libESMTP 1.1's headers and library, when installed.
ORACLE_INC=${ORACLE_INC:-/usr/include}
have_oracle_inc=0
if [ -f "$ORACLE_INC/libesmtp.h" ] && [ -f "$ORACLE_INC/auth-client.h" ]; then
  have_oracle_inc=1
fi
# Include flags for the oracle: none for the default system directory (an
# explicit -I would change the search order of system headers).
ORACLE_I=""
case "$ORACLE_INC" in
  /usr/include | /usr/include/) ;;
  *) ORACLE_I="-I$ORACLE_INC" ;;
esac
if [ -z "${ORACLE_LIB:-}" ]; then
  ORACLE_LIB=$("$CC" -print-file-name=libesmtp.so.6 2>/dev/null)
fi
have_oracle_lib=0
case "$ORACLE_LIB" in
  /*) [ -f "$ORACLE_LIB" ] && have_oracle_lib=1 ;;
esac
# Note: Debian's header uses size_t without including <stddef.h>, so
# oracle compiles that start with libesmtp.h get -include stddef.h.

SSL_LIBS=$(pkg-config --libs openssl 2>/dev/null || echo "-lssl -lcrypto")
OURLIB="$LIBDIR/libesmtp.so.6"

# Functions as listed by nm -D --defined-only: T and W only.
function_symbols () {
  nm -D --defined-only "$1" | awk '$2 == "T" || $2 == "W" { print $3 }' |
    sort -u
}

# ----------------------------------------------------------------------
# 1. The committed export list itself.
EXPORTS="$HERE/exports.txt"
if [ "$(wc -l < "$EXPORTS")" -eq 71 ] &&
   sort -u "$EXPORTS" | cmp -s - "$EXPORTS"; then
  pass exports-list-71-sorted
else
  fail exports-list-71-sorted
fi
if [ $have_oracle_lib = 1 ]; then
  function_symbols "$ORACLE_LIB" > "$OUT/oracle-exports.txt"
  if diff "$EXPORTS" "$OUT/oracle-exports.txt" > "$OUT/oracle-exports.diff"; then
    pass exports-list-matches-oracle
  else
    fail exports-list-matches-oracle "$OUT/oracle-exports.diff"
  fi
else
  oracle_skip exports-list-matches-oracle "libESMTP's libesmtp.so.6 not found"
fi

# ----------------------------------------------------------------------
# 2. Our library: symbols, SONAME, no symbol versions.
if [ -f "$OURLIB" ]; then
  function_symbols "$OURLIB" > "$OUT/our-exports.txt"
  if cmp -s "$EXPORTS" "$OUT/our-exports.txt"; then
    pass "exported-functions (71)"
  else
    { echo "$(wc -l < "$OUT/our-exports.txt") exported functions"
      comm -23 "$EXPORTS" "$OUT/our-exports.txt" | sed 's/^/missing: /'
      comm -13 "$EXPORTS" "$OUT/our-exports.txt" | sed 's/^/extra: /'
    } > "$OUT/our-exports.diff"
    fail exported-functions "$OUT/our-exports.diff"
  fi
  # Nothing but those functions: no data or other defined dynamic symbols.
  nm -D --defined-only "$OURLIB" |
    awk '$2 != "T" && $2 != "W" { print }' > "$OUT/our-other-symbols.txt"
  if [ ! -s "$OUT/our-other-symbols.txt" ]; then
    pass no-other-exported-symbols
  else
    fail no-other-exported-symbols "$OUT/our-other-symbols.txt"
  fi
  soname=$(readelf -d "$OURLIB" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
  if [ "$soname" = libesmtp.so.6 ]; then
    pass soname
  else
    echo "SONAME is '$soname'" > "$OUT/soname.txt"
    fail soname "$OUT/soname.txt"
  fi
  # libESMTP 1.1 exports its functions without a version tag; an
  # application linked against us must also run with it, and vice versa.
  if readelf -V "$OURLIB" | grep -q "Version definition section"; then
    readelf -V "$OURLIB" | grep -A6 "Version definition section" \
      > "$OUT/versions.txt"
    fail unversioned-symbols "$OUT/versions.txt"
  else
    pass unversioned-symbols
  fi
else
  for c in exported-functions no-other-exported-symbols soname \
           unversioned-symbols; do
    echo "$OURLIB does not exist" > "$OUT/nolib.txt"
    fail "$c" "$OUT/nolib.txt"
  done
fi

# ----------------------------------------------------------------------
# 3. compile_all.c: every function and macro, against both header sets.
# Which libesmtp.h did a compile pick? (make sure -I include wins)
header_used () {  # header_used <out-file> <cc-flags...>
  local out=$1; shift
  "$CC" -M "$@" "$HERE/compile_all.c" 2>/dev/null | tr ' \\' '\n\n' |
    grep '/libesmtp\.h$' > "$out"
}

header_used "$OUT/which-ours.txt" -I"$INC"
if [ "$(cat "$OUT/which-ours.txt")" = "$INC/libesmtp.h" ]; then
  pass header-selection-ours
else
  fail header-selection-ours "$OUT/which-ours.txt"
fi

# compile_all.c must keep referring to every one of the 71 functions.
if "$CC" $CFLAGS_STRICT -I"$INC" -c "$HERE/compile_all.c" \
     -o "$OUT/compile_all.o" > "$OUT/compile_all.o.log" 2>&1; then
  nm -u "$OUT/compile_all.o" | awk '{ print $2 }' |
    grep -E '^(smtp_|_smtp_|auth_)' | sort -u > "$OUT/compile_all.refs"
  if cmp -s "$EXPORTS" "$OUT/compile_all.refs"; then
    pass "compile_all-calls-all-71"
  else
    comm -23 "$EXPORTS" "$OUT/compile_all.refs" | sed 's/^/not called: /' \
      > "$OUT/compile_all.refs.diff"
    fail compile_all-calls-all-71 "$OUT/compile_all.refs.diff"
  fi
else
  fail compile_all-calls-all-71 "$OUT/compile_all.o.log"
fi

if [ -f "$OURLIB" ] &&
   "$CC" $CFLAGS_STRICT -I"$INC" "$HERE/compile_all.c" -o "$OUT/compile_all.ours" \
     "$OURLIB" -Wl,-rpath,"$LIBDIR" $SSL_LIBS > "$OUT/compile_all.ours.log" 2>&1
then
  # The program must really be bound to our library.
  if readelf -d "$OUT/compile_all.ours" | grep -q 'NEEDED.*\[libesmtp\.so\.6\]'
  then
    pass compile_all-ours
  else
    readelf -d "$OUT/compile_all.ours" > "$OUT/compile_all.ours.log"
    fail compile_all-ours "$OUT/compile_all.ours.log"
  fi
else
  [ -f "$OURLIB" ] || echo "$OURLIB does not exist" >> "$OUT/compile_all.ours.log"
  fail compile_all-ours "$OUT/compile_all.ours.log"
fi

if [ "${ABI_RUN:-0}" = 1 ]; then
  if [ -x "$OUT/compile_all.ours" ] &&
     "$OUT/compile_all.ours" > "$OUT/run.ours.log" 2>&1; then
    pass compile_all-run-ours
  else
    fail compile_all-run-ours "$OUT/run.ours.log"
  fi
fi

if [ $have_oracle_inc = 1 ]; then
  header_used "$OUT/which-oracle.txt" $ORACLE_I
  if [ "$(cat "$OUT/which-oracle.txt")" = "$ORACLE_INC/libesmtp.h" ] ||
     [ "$(cat "$OUT/which-oracle.txt")" = "${ORACLE_INC%/}/libesmtp.h" ]; then
    pass header-selection-oracle
  else
    fail header-selection-oracle "$OUT/which-oracle.txt"
  fi
  if [ $have_oracle_lib = 1 ]; then
    if "$CC" $CFLAGS_STRICT $ORACLE_I "$HERE/compile_all.c" \
         -o "$OUT/compile_all.oracle" "$ORACLE_LIB" $SSL_LIBS \
         > "$OUT/compile_all.oracle.log" 2>&1; then
      pass compile_all-oracle
      # It runs without a network; its expectations are libESMTP's.
      if "$OUT/compile_all.oracle" > "$OUT/run.oracle.log" 2>&1; then
        pass compile_all-run-oracle
      else
        fail compile_all-run-oracle "$OUT/run.oracle.log"
      fi
    else
      fail compile_all-oracle "$OUT/compile_all.oracle.log"
    fi
  else
    if "$CC" $CFLAGS_STRICT $ORACLE_I -c "$HERE/compile_all.c" \
         -o "$OUT/compile_all.oracle.o" > "$OUT/compile_all.oracle.log" 2>&1
    then
      pass compile_all-oracle-compile-only
    else
      fail compile_all-oracle-compile-only "$OUT/compile_all.oracle.log"
    fi
    oracle_skip compile_all-oracle-link "libESMTP's libesmtp.so.6 not found"
  fi
else
  oracle_skip compile_all-oracle "libESMTP's headers not in $ORACLE_INC"
fi

# ----------------------------------------------------------------------
# 4. C++: both headers, extern "C", link.
if command -v "$CXX" > /dev/null 2>&1; then
  if [ -f "$OURLIB" ] &&
     "$CXX" -Wall -Wextra -Werror -I"$INC" "$HERE/cxx_compile.cc" \
       -o "$OUT/cxx_compile.ours" "$OURLIB" -Wl,-rpath,"$LIBDIR" $SSL_LIBS \
       > "$OUT/cxx.ours.log" 2>&1; then
    pass cxx-ours
  else
    [ -f "$OURLIB" ] || echo "$OURLIB does not exist" >> "$OUT/cxx.ours.log"
    fail cxx-ours "$OUT/cxx.ours.log"
  fi
  if [ $have_oracle_inc = 1 ]; then
    if "$CXX" -Wall -Wextra -Werror $ORACLE_I -fsyntax-only \
         "$HERE/cxx_compile.cc" > "$OUT/cxx.oracle.log" 2>&1; then
      pass cxx-oracle-compile
    else
      fail cxx-oracle-compile "$OUT/cxx.oracle.log"
    fi
  fi
else
  skip cxx-ours "no C++ compiler $CXX"
fi

# ----------------------------------------------------------------------
# 5. Layout, values and prototypes: identical with both header sets.
if "$CC" $CFLAGS_STRICT -I"$INC" "$HERE/layout.c" -o "$OUT/layout.ours" \
     > "$OUT/layout.ours.log" 2>&1 &&
   "$OUT/layout.ours" > "$OUT/layout.ours.txt" 2>> "$OUT/layout.ours.log"; then
  if [ $have_oracle_inc = 1 ]; then
    if "$CC" $CFLAGS_STRICT $ORACLE_I "$HERE/layout.c" -o "$OUT/layout.oracle" \
         > "$OUT/layout.oracle.log" 2>&1 &&
       "$OUT/layout.oracle" > "$OUT/layout.oracle.txt"; then
      if diff "$OUT/layout.oracle.txt" "$OUT/layout.ours.txt" \
           > "$OUT/layout.diff"; then
        pass "layout ($(wc -l < "$OUT/layout.ours.txt") lines identical)"
      else
        fail layout "$OUT/layout.diff"
      fi
    else
      fail layout-oracle-build "$OUT/layout.oracle.log"
    fi
  else
    oracle_skip layout "libESMTP's headers not in $ORACLE_INC"
  fi
else
  fail layout-ours-build "$OUT/layout.ours.log"
fi

# Prototypes of every declared function, as gcc -aux-info prints them
# (typedef names kept as written), with every conditional one enabled.
cat > "$OUT/protos.c" <<'EOF'
#define LIBESMTP_ENABLE_DEPRECATED_SYMBOLS 1
#include <stddef.h>
#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>
EOF
protos () {  # protos <out> <flags...>
  local out=$1; shift
  rm -f "$out.aux"
  "$CC" -std=c11 -fsyntax-only "$@" -aux-info "$out.aux" "$OUT/protos.c" \
    > "$out.log" 2>&1 || return 1
  grep -E '/(libesmtp|auth-client)\.h:[0-9]+:' "$out.aux" |
    sed 's|^/\*[^*]*\*/ *||' | sort > "$out"
}
if [ $have_oracle_inc = 1 ] && "$CC" -v 2>&1 | grep -q '^gcc version'; then
  if protos "$OUT/protos.ours" -I"$INC" &&
     protos "$OUT/protos.oracle" $ORACLE_I; then
    if diff "$OUT/protos.oracle" "$OUT/protos.ours" > "$OUT/protos.diff" &&
       [ "$(wc -l < "$OUT/protos.ours")" -eq 71 ]; then
      pass "prototypes (71 identical)"
    else
      echo "ours: $(wc -l < "$OUT/protos.ours") prototypes" >> "$OUT/protos.diff"
      fail prototypes "$OUT/protos.diff"
    fi
  else
    cat "$OUT/protos.ours.log" "$OUT/protos.oracle.log" > "$OUT/protos.diff" \
      2>/dev/null
    fail prototypes "$OUT/protos.diff"
  fi
elif [ $have_oracle_inc = 1 ]; then
  skip prototypes "needs gcc for -aux-info"
else
  oracle_skip prototypes "libESMTP's headers not in $ORACLE_INC"
fi

# ----------------------------------------------------------------------
# 6. Our headers are self-contained (libESMTP's are not) and C++-clean.
selfc () {  # selfc <name> <lang-flags> <ext> <include lines...>
  local name=$1 flags=$2 ext=$3; shift 3
  local src="$OUT/self-$name.$ext"
  : > "$src"
  for h in "$@"; do echo "#include <$h>" >> "$src"; done
  echo "int main(void) { return 0; }" >> "$src"
  if $flags -Wall -Wextra -Werror -pedantic -I"$INC" "$src" \
       -fsyntax-only > "$src.log" 2>&1; then
    pass "self-contained-$name"
  else
    fail "self-contained-$name" "$src.log"
  fi
}
selfc libesmtp.h "$CC -std=c11" c libesmtp.h
selfc auth-client.h "$CC -std=c11" c auth-client.h
selfc both "$CC -std=c99" c auth-client.h libesmtp.h
if command -v "$CXX" > /dev/null 2>&1; then
  selfc both-c++ "$CXX -std=c++11" cc auth-client.h libesmtp.h
fi

# ----------------------------------------------------------------------
# 7. Conditional declarations: each case compiles, or fails exactly with
# "implicit declaration of function NAME", with our headers and with
# libESMTP's (which proves the expectation).
# case name | -D flags | function that must be undeclared ("" = compiles)
CASES="
tls-first|-DSSL_FIRST -DCALL_SET_CTX|
tls-absent|-DCALL_SET_CTX|smtp_starttls_set_ctx
tls-after|-DSSL_AFTER -DCALL_SET_CTX|smtp_starttls_set_ctx
auth-first|-DAUTH_FIRST -DCALL_AUTH_SET_CONTEXT|
auth-after|-DAUTH_AFTER -DCALL_AUTH_SET_CONTEXT|smtp_auth_set_context
auth-absent|-DCALL_AUTH_SET_CONTEXT|smtp_auth_set_context
deprecated-enabled|-DDEPRECATED -DCALL_DEP_SESSION -DCALL_DEP_MESSAGE -DCALL_DEP_RECIPIENT -DCALL_DEP_ETRN|
deprecated-disabled-session|-DCALL_DEP_SESSION|smtp_set_application_data
deprecated-disabled-message|-DCALL_DEP_MESSAGE|smtp_message_set_application_data
deprecated-disabled-recipient|-DCALL_DEP_RECIPIENT|smtp_recipient_set_application_data
deprecated-disabled-etrn|-DCALL_DEP_ETRN|smtp_etrn_set_application_data
all-enabled|-DSSL_FIRST -DAUTH_FIRST -DDEPRECATED -DCALL_SET_CTX -DCALL_AUTH_SET_CONTEXT -DCALL_DEP_SESSION -DCALL_DEP_MESSAGE -DCALL_DEP_RECIPIENT -DCALL_DEP_ETRN -DCALL_PLAIN|
plain|-DCALL_PLAIN|
"
cond_outcome () {  # cond_outcome <log> <flags...>: prints OK, or NAME when
                   # the only error is "implicit declaration of NAME"
  local log=$1; shift
  if "$CC" $CFLAGS_STRICT -Werror=implicit-function-declaration \
       -include stddef.h "$@" -c "$HERE/conditional.c" -o "$OUT/cond.o" \
       > "$log" 2>&1; then
    echo OK
  elif [ "$(grep -c ': error: ' "$log")" -eq 1 ]; then
    sed -n "s/.*error: implicit declaration of function '\([A-Za-z_0-9]*\)'.*/\1/p" \
      "$log"
  fi
}
while IFS='|' read -r name defs missing; do
  [ -n "$name" ] || continue
  want=${missing:-OK}
  got=$(cond_outcome "$OUT/cond-$name.log" -I"$INC" $defs)
  if [ "$got" != "$want" ]; then
    echo "expected ${want}, got ${got:-another error}" >> "$OUT/cond-$name.log"
    fail "conditional-$name" "$OUT/cond-$name.log"
    continue
  fi
  if [ $have_oracle_inc = 1 ]; then
    ogot=$(cond_outcome "$OUT/cond-$name.oracle.log" $ORACLE_I $defs)
    if [ "$ogot" != "$want" ]; then
      echo "libESMTP's headers: expected ${want}, got ${ogot:-another error}" \
        >> "$OUT/cond-$name.oracle.log"
      fail "conditional-$name" "$OUT/cond-$name.oracle.log"
      continue
    fi
    pass "conditional-$name"
  else
    pass "conditional-$name (ours only)"
  fi
done <<EOF
$CASES
EOF

# ----------------------------------------------------------------------
# 8. pkg-config template.
PC_IN="$ROOT/pkgconfig/libesmtp-1.0.pc.in"
mkdir -p "$OUT/pc"
ORACLE_PC=$(pkg-config --variable=pcfiledir libesmtp-1.0 2>/dev/null)
if [ -f "$PC_IN" ] && command -v pkg-config > /dev/null 2>&1; then
  ML=$("$CC" -print-multiarch 2>/dev/null)
  sed -e 's|@PREFIX@|/usr|' -e "s|@LIBDIR@|\${prefix}/lib${ML:+/$ML}|" \
      -e 's|@INCLUDEDIR@|${prefix}/include|' -e 's|@VERSION@|1.1.0|' \
      "$PC_IN" > "$OUT/pc/libesmtp-1.0.pc"
  # The directory given comes first; openssl.pc is still found.
  pcq () { PKG_CONFIG_PATH="$1" pkg-config "${@:2}" libesmtp-1.0 2>&1; }
  {
    echo "modversion: $(pcq "$OUT/pc" --modversion)"
    echo "cflags libs: $(pcq "$OUT/pc" --cflags --libs)"
    echo "static: $(PKG_CONFIG_PATH="$OUT/pc" pkg-config --static --libs libesmtp-1.0 2>&1)"
  } > "$OUT/pc/ours.txt"
  if [ -n "$ORACLE_PC" ] && [ -f "$ORACLE_PC/libesmtp-1.0.pc" ]; then
    {
      echo "modversion: $(pcq "$ORACLE_PC" --modversion)"
      echo "cflags libs: $(pcq "$ORACLE_PC" --cflags --libs)"
    } > "$OUT/pc/oracle.txt"
    if head -n 2 "$OUT/pc/ours.txt" | diff "$OUT/pc/oracle.txt" - \
         > "$OUT/pc/diff.txt" &&
       grep -q -- '-lssl' "$OUT/pc/ours.txt"; then
      pass pkgconfig
    else
      cat "$OUT/pc/ours.txt" >> "$OUT/pc/diff.txt"
      fail pkgconfig "$OUT/pc/diff.txt"
    fi
  elif grep -q '^cflags libs: -lesmtp *$' "$OUT/pc/ours.txt"; then
    pass "pkgconfig (no libESMTP .pc to compare)"
  else
    fail pkgconfig "$OUT/pc/ours.txt"
  fi
else
  skip pkgconfig "no template or no pkg-config"
fi

# ----------------------------------------------------------------------
# 9. The Rust exports against the headers, through cbindgen.
find_cbindgen () {
  if [ -n "${CBINDGEN:-}" ]; then echo "$CBINDGEN"; return 0; fi
  local cached="$CRATE/target/tools/bin/cbindgen"
  if [ -x "$cached" ]; then echo "$cached"; return 0; fi
  if command -v cargo > /dev/null 2>&1 &&
     cargo install cbindgen --locked --version "$CBINDGEN_VERSION" \
       --root "$CRATE/target/tools" > "$OUT/cbindgen-install.log" 2>&1 &&
     [ -x "$cached" ]; then
    echo "$cached"; return 0
  fi
  command -v cbindgen 2>/dev/null
}
CB=$(find_cbindgen)
DECLS="$CRATE/target/esmtp-decls.h"
STRUCTS="$CRATE/target/esmtp-structs.h"
if [ -z "$CB" ]; then
  fail cbindgen-available "$OUT/cbindgen-install.log"
elif ! (cd "$CRATE" &&
        "$CB" --config "$ROOT/cbindgen.toml" --lang c -o "$DECLS" . &&
        "$CB" --config "$HERE/cbindgen-structs.toml" --lang c \
          -o "$STRUCTS" .) > "$OUT/cbindgen.log" 2>&1; then
  fail cbindgen-generate "$OUT/cbindgen.log"
else
  pass cbindgen-generate
  # Function names in the generated prototypes (one per line).
  grep -E '^[A-Za-z_][^(]*[A-Za-z_0-9]\(' "$DECLS" | grep -v '^typedef' |
    sed -E 's/^[^(]*[^A-Za-z_0-9]([A-Za-z_][A-Za-z_0-9]*)\(.*/\1/' |
    sort -u > "$OUT/rust-functions.txt"
  # Every export except the two variadic ones (defined in C) must come
  # from Rust, and nothing that the version script would export besides.
  grep -v -x -e smtp_set_header -e smtp_set_header_option "$EXPORTS" \
    > "$OUT/rust-expected.txt"
  comm -23 "$OUT/rust-expected.txt" "$OUT/rust-functions.txt" \
    > "$OUT/rust-missing.txt"
  grep -E '^(smtp_|_smtp_|auth_)' "$OUT/rust-functions.txt" |
    comm -23 - "$EXPORTS" > "$OUT/rust-extra.txt"
  if [ ! -s "$OUT/rust-missing.txt" ]; then
    pass "cbindgen-coverage (69 Rust exports)"
  else
    { echo "missing from the Rust exports ($(wc -l < "$OUT/rust-missing.txt")):"
      cat "$OUT/rust-missing.txt"; } > "$OUT/rust-missing.log"
    fail cbindgen-coverage "$OUT/rust-missing.log"
  fi
  if [ ! -s "$OUT/rust-extra.txt" ]; then
    pass cbindgen-no-extra-exports
  else
    fail cbindgen-no-extra-exports "$OUT/rust-extra.txt"
  fi
  extra=""
  grep -q 'struct esmtp_rs_smtp_status {' "$STRUCTS" &&
    extra="-DHAVE_RS_SMTP_STATUS"
  grep -q 'struct esmtp_rs_auth_client_request {' "$STRUCTS" &&
    extra="$extra -DHAVE_RS_AUTH_CLIENT_REQUEST"
  if "$CC" $CFLAGS_STRICT -I"$INC" -I"$CRATE/target" $extra \
       -c "$HERE/decl_check.c" -o "$OUT/decl_check.o" \
       > "$OUT/decl_check.log" 2>&1; then
    pass decl_check
  else
    grep -E 'error|note: previous' "$OUT/decl_check.log" \
      > "$OUT/decl_check.errors"
    fail decl_check "$OUT/decl_check.errors"
  fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
