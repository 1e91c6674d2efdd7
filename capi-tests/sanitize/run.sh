#!/bin/sh
# ASan+UBSan build of the C tests against our library (see run.py):  run.sh OUR_LIB_DIR
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
