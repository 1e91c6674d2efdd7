#!/usr/bin/env bash
# all.sh: every real-world proof, in order (what `make check-interop` runs).
#
#   ESMTP_LIB_DIR=$PWD/build/lib tests/interop/all.sh [SUITE...]
#
# Suites: run (Postfix + aiosmtpd), sink (the example flow against smtp-sink), legacy (Debian's esmtp binary on our
# library), demo (examples/demo.sh), install (make install + pkg-config),
# deb (package; system install only as root with CI=true or
# ESMTP_ALLOW_SYSTEM_INSTALL=1).  Default: all of them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export ESMTP_LIB_DIR=${ESMTP_LIB_DIR:-$REPO/build/lib}
SUITES=("$@")
[[ ${#SUITES[@]} -gt 0 ]] || SUITES=(run sink legacy demo install deb)

declare -A RESULT
failed=0
for s in "${SUITES[@]}"; do
    case $s in
    run) cmd=(bash "$HERE/run.sh") ;;
    sink) cmd=(bash "$HERE/sink.sh") ;;
    legacy) cmd=(bash "$HERE/legacy.sh") ;;
    demo) cmd=(bash "$REPO/examples/demo.sh") ;;
    install) cmd=(bash "$HERE/install.sh") ;;
    deb) cmd=(bash "$HERE/deb.sh") ;;
    *) echo "all.sh: unknown suite $s" >&2; exit 2 ;;
    esac
    echo "==== interop: $s ($(date -u +%H:%M:%S))"
    start=$SECONDS
    if "${cmd[@]}"; then
        RESULT[$s]="ok ($((SECONDS - start))s)"
    else
        RESULT[$s]="FAILED ($((SECONDS - start))s)"
        failed=1
    fi
done
echo "==== interop summary"
for s in "${SUITES[@]}"; do printf '  %-8s %s\n' "$s" "${RESULT[$s]}"; done
exit "$failed"
