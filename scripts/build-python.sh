#!/bin/sh
# Builds CPython with profile-guided optimisation, once per machine, into a folder that every
# clone shares, and prints the path of its python. `--installed` only prints that path, and
# exits 1 when the build is not there (scripts/find-python.sh asks so).
#
# Why: the interpreters found on these machines (pyenv's) are built without it. The test suite
# takes about 15 % less CPU on this build (docs/ARCHITECTURE.md, "Tests"). Link-time
# optimisation (--with-lto) would add a few per cent for three times the build's time. The
# source is Debian's copy of the upstream release (deb.debian.org is reachable where
# python.org is not), checked against the SHA-256 that Debian's trixie index lists for it.
#
# The build takes about 8 minutes on 2 cores (the message below says so). It is kept in
# $PLEDGELOOP_PYTHON_HOME (default ~/.cache/pledgeloop/python-<version>), installed under a
# temporary name and moved into place when whole, so that a build cut short is never used; a
# lock keeps two makes from building it at once. Exits 1, having said why, when it cannot
# build (no network, no compiler, a missing header), and the caller goes on with the Python it
# finds.
set -eu

VERSION=3.13.5
SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
URL=http://deb.debian.org/debian/pool/main/p/python3.13/python3.13_${VERSION}.orig.tar.xz

home=${PLEDGELOOP_PYTHON_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/pledgeloop/python-$VERSION}
python=$home/bin/python3.13

# The standard modules that need a system library at build time and that the project uses.
works() { [ -x "$1" ] && "$1" -c 'import sqlite3, ssl, zlib, bz2, lzma, ctypes' 2>/dev/null; }

if works "$python"; then
    echo "$python"
    exit 0
fi
if [ "${1:-}" = "--installed" ]; then
    exit 1
fi

mkdir -p "$(dirname "$home")"
exec 9>"$home.lock"
flock 9
if works "$python"; then  # built by another make while this one waited
    echo "$python"
    exit 0
fi

# The profile comes from running CPython's own tests (--pgo). Since CPython 3.13 (gh-110276) one
# of them failing fails the whole build; some of them time things (test_time, gh-135489), and
# one failed here on a machine busy with other work, 6 minutes in. The run is there for its
# profile, which a failed test still gives, not as a verdict on the build: a failure there is
# let pass, as CPython's Makefile did before.
PROFILE_TASK='-m test --pgo --timeout=1200 || true'

work=$(mktemp -d "$home.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "Building an optimised Python $VERSION, once for this machine (about 8 minutes on" \
    "2 cores), into $home" >&2
if ! {
    curl -fsS --retry 3 -o "$work/src.tar.xz" "$URL" &&
        echo "$SHA256  $work/src.tar.xz" | sha256sum -c --quiet - &&
        tar -xJf "$work/src.tar.xz" -C "$work" &&
        cd "$work/Python-$VERSION" &&
        ./configure --prefix="$home" --enable-optimizations --without-ensurepip &&
        make -j"$(nproc)" PROFILE_TASK="$PROFILE_TASK" &&
        make install DESTDIR="$work/root"
} >"$work/build.log" 2>&1; then
    echo "Building Python $VERSION failed; the end of its log:" >&2
    tail -n 15 "$work/build.log" >&2
    exit 1
fi
rm -rf "$home"
mv "$work/root$home" "$home"
if ! works "$python"; then
    echo "The Python built in $home lacks a module the project needs (sqlite3, ssl, zlib," \
        "bz2, lzma, ctypes): install the -dev package of its library and run make again." >&2
    rm -rf "$home"
    exit 1
fi
echo "$python"
