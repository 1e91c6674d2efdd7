#!/bin/sh
# Fault injection (see run.py's docstring):  run.sh OUR_LIB_DIR [--no-ref] [--valgrind] [--only step-kind...]
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
