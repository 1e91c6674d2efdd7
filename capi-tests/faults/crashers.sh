#!/bin/sh
# libESMTP crash inputs against our library (see crashers.py):  crashers.sh OUR_LIB_DIR [--valgrind]
exec /usr/bin/python3 "$(dirname "$0")/crashers.py" "$@"
