#!/usr/bin/env bash
# Benchmark against Debian's libESMTP; see bench/run.py. Usage: run.sh [--short]
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/run.py" --ours "${ESMTP_LIB_DIR:-$(dirname "$0")/../build/lib}" "$@"
