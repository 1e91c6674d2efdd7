#!/usr/bin/env bash
# C tests of the object model and argument checks, run differentially:
# the same program against Debian's libESMTP and against ours must print the
# same lines; then the hardening cases (libESMTP crashes) against ours only.
# Usage: run.sh <our-lib-dir> [--valgrind]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
ours=${1:?usage: run.sh <our-lib-dir> [--valgrind]}
mode=${2:-}
ref_dir=${REFERENCE_LIB_DIR:-/usr/lib/x86_64-linux-gnu}
out=$top/capi-tests/out/unit
mkdir -p "$out"
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

cflags=(-Wall -Wextra -Werror -std=c11 -g -I "$here")
tests=(api_objects)
ours_only=(null_sweep)
for t in "${tests[@]}"; do
  gcc "${cflags[@]}" -I "$top/include" -o "$out/$t.ours" "$here/$t.c" \
    -L "$ours" -Wl,-rpath,"$ours" -lesmtp -lssl -lcrypto -lpthread
  if [ -f /usr/include/libesmtp.h ] && [ -e "$ref_dir/libesmtp.so.6" ]; then
    mkdir -p "$out/ref-include"
    gcc "${cflags[@]}" -o "$out/$t.ref" "$here/$t.c" \
      "$ref_dir/libesmtp.so.6" -Wl,-rpath,"$ref_dir" -lssl -lcrypto -lpthread
    if EXPECT_LIBESMTP="$ref_dir" "$out/$t.ref" > "$out/$t.ref.txt" 2>&1; then :; else
      echo "reference run of $t exited $?"; fi
  else
    echo "SKIP $t differential: Debian's libesmtp-dev is not installed"
  fi
  if EXPECT_LIBESMTP="$ours" timeout 60 "$out/$t.ours" > "$out/$t.ours.txt" 2>&1; then
    ok "$t runs against ours"
  else
    ko "$t runs against ours"; tail -20 "$out/$t.ours.txt"
  fi
  if [ -f "$out/$t.ref.txt" ]; then
    if diff -u "$out/$t.ref.txt" "$out/$t.ours.txt" > "$out/$t.diff"; then
      ok "$t identical to libESMTP"
    else
      ko "$t identical to libESMTP"; head -60 "$out/$t.diff"
    fi
  fi
  if EXPECT_LIBESMTP="$ours" timeout 60 "$out/$t.ours" hardened > "$out/$t.hardened.txt" 2>&1 \
     && grep -q '^hardened tests done' "$out/$t.hardened.txt"; then
    ok "$t hardened cases (libESMTP crashes)"
  else
    ko "$t hardened cases (libESMTP crashes)"; grep -E 'FAILED|failures' "$out/$t.hardened.txt" || tail -5 "$out/$t.hardened.txt"
  fi
  if [ "$mode" = --valgrind ]; then
    if EXPECT_LIBESMTP="$ours" valgrind -q --error-exitcode=99 --leak-check=full \
         --errors-for-leak-kinds=definite "$out/$t.ours" hardened > "$out/$t.vg.txt" 2>&1; then
      ok "$t under valgrind"
    else
      ko "$t under valgrind"; grep -A5 '==' "$out/$t.vg.txt" | head -40
    fi
  fi
done
for t in "${ours_only[@]}"; do
  gcc "${cflags[@]}" -I "$top/include" -o "$out/$t.ours" "$here/$t.c" \
    -L "$ours" -Wl,-rpath,"$ours" -lesmtp -lssl -lcrypto -lpthread
  wrap=()
  [ "$mode" = --valgrind ] && wrap=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
  if EXPECT_LIBESMTP="$ours" timeout 120 "${wrap[@]}" "$out/$t.ours" > "$out/$t.txt" 2>&1; then
    ok "$t"
  else
    ko "$t"; tail -20 "$out/$t.txt"
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
