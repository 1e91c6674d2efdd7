#!/usr/bin/env bash
# The auth-client API, differentially: auth_probe against Debian's libESMTP
# (with a dlopen shim so its CRAM-MD5 module loads, Q16) and against ours
# must print the same lines, except those marked "~Qnn" (deliberate
# changes), which must still differ. Then the hardened cases, ours only.
# Usage: run.sh <our-lib-dir> [--valgrind]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ours=${1:?usage: run.sh <our-lib-dir> [--valgrind]}
mode=${2:-}
ref_dir=${REFERENCE_LIB_DIR:-/usr/lib/x86_64-linux-gnu}
out=$top/capi-tests/out/auth
mkdir -p "$out"
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

cflags=(-Wall -Wextra -Werror -std=c11 -g)
inc=()
[ -f "$top/include/auth-client.h" ] && inc=(-I "$top/include")
gcc "${cflags[@]}" "${inc[@]}" -o "$out/auth_probe.ours" "$here/auth_probe.c" \
  -L "$ours" -Wl,-rpath,"$ours" -lesmtp -lssl -lcrypto -lpthread

if EXPECT_LIBESMTP="$ours" timeout 60 "$out/auth_probe.ours" > "$out/ours.txt" 2>&1 \
   && grep -q '^done$' "$out/ours.txt"; then
  ok "auth_probe runs against ours"
else
  ko "auth_probe runs against ours"; tail -20 "$out/ours.txt"
fi

if [ -f /usr/include/auth-client.h ] && [ -e "$ref_dir/libesmtp.so.6" ]; then
  gcc "${cflags[@]}" -o "$out/auth_probe.ref" "$here/auth_probe.c" \
    "$ref_dir/libesmtp.so.6" -Wl,-rpath,"$ref_dir" -lssl -lcrypto -lpthread
  gcc -shared -fPIC -o "$out/cram_shim.so" "$here/cram_shim.c" -ldl
  EXPECT_LIBESMTP="$ref_dir" LD_PRELOAD="$out/cram_shim.so" \
    timeout 60 "$out/auth_probe.ref" > "$out/ref.txt" 2>&1 || echo "reference run exited $?"
  if diff -u <(grep -v '^~' "$out/ref.txt") <(grep -v '^~' "$out/ours.txt") > "$out/diff.txt"; then
    ok "auth_probe identical to libESMTP (outside ~ lines)"
  else
    ko "auth_probe identical to libESMTP (outside ~ lines)"; head -60 "$out/diff.txt"
  fi
  # Expected-to-differ lines must still differ (so the list stays true).
  paste -d '\n' <(grep '^~' "$out/ref.txt") <(grep '^~' "$out/ours.txt") | paste - - \
    > "$out/expected-diff.txt"
  if [ "$(grep -c '^~' "$out/ref.txt")" = "$(grep -c '^~' "$out/ours.txt")" ] \
     && awk -F'\t' '$1 == $2 { bad = 1 } END { exit bad }' "$out/expected-diff.txt"; then
    ok "expected-to-differ lines still differ"
  else
    ko "expected-to-differ lines still differ"; cat "$out/expected-diff.txt"
  fi
else
  echo "SKIP differential: Debian's libesmtp-dev is not installed"
fi

if EXPECT_LIBESMTP="$ours" timeout 60 "$out/auth_probe.ours" hardened > "$out/hardened.txt" 2>&1 \
   && grep -q '^hardened tests done, 0 failures' "$out/hardened.txt"; then
  ok "auth_probe hardened cases (libESMTP crashes)"
else
  ko "auth_probe hardened cases (libESMTP crashes)"; cat "$out/hardened.txt"
fi
if [ "$mode" = --valgrind ]; then
  for arg in "" hardened; do
    if EXPECT_LIBESMTP="$ours" valgrind -q --error-exitcode=99 --leak-check=full \
         --errors-for-leak-kinds=definite "$out/auth_probe.ours" $arg > "$out/vg$arg.txt" 2>&1; then
      ok "auth_probe $arg under valgrind"
    else
      ko "auth_probe $arg under valgrind"; grep -A5 '==' "$out/vg$arg.txt" | head -40
    fi
  done
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
