#!/bin/sh
# Differential test harness (see README.md).  All logic is in run.py.
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
