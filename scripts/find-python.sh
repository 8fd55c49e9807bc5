#!/bin/sh
# Prints the path of the Python that .venv is made with:
#   1. $PLEDGELOOP_PYTHON, when set: the interpreter you chose (3.12 or newer);
#   2. the optimised build of scripts/build-python.sh, once this machine has it (make test
#      builds it: the suite takes about 15 % less CPU on it, docs/ARCHITECTURE.md "Tests");
#   3. a Python 3.12 or newer on PATH, then under pyenv's versions folder;
#   4. else the optimised build, built now (about 8 minutes, once per machine).
# Exits 1 with a message saying what to install when there is none and none can be built.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
if [ -n "${PLEDGELOOP_PYTHON:-}" ]; then
    if ok "$PLEDGELOOP_PYTHON"; then echo "$PLEDGELOOP_PYTHON"; exit 0; fi
    echo "PLEDGELOOP_PYTHON=$PLEDGELOOP_PYTHON is not a Python 3.12 or newer." >&2
    exit 1
fi
here=$(dirname "$0")
if built=$("$here/build-python.sh" --installed 2>/dev/null); then
    echo "$built"; exit 0
fi
for name in python3.12 python3.13 python3 python; do
    p=$(command -v "$name" 2>/dev/null) || continue
    if ok "$p"; then
        # pyenv shims resolve to the global version; make sure the shim really runs >= 3.12
        echo "$p"; exit 0
    fi
done
root=${PYENV_ROOT:-$HOME/.pyenv}
for p in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 "$root"/versions/3.[2-9][0-9]*/bin/python3 2>/dev/null | sort -rV); do
    if ok "$p"; then echo "$p"; exit 0; fi
done
# 4. none: build one (Debian 12's python3 is 3.11, and it has no python3.12 package), once
#    per machine, as make test does; it says it is building and for how long.
echo "No Python 3.12 or newer on PATH or under $root/versions: building one." >&2
if built=$("$here/build-python.sh"); then
    echo "$built"; exit 0
fi
echo "pledgeloop needs Python 3.12 or newer, and none was found on PATH or under $root/versions," >&2
echo "nor could one be built. Install one (e.g. 'pyenv install 3.12' or your system's" \
    "python3.12 package), or what the build above says it lacks, and run make again." >&2
exit 1
