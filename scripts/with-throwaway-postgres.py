"""Run a command against a throwaway PostgreSQL cluster, then remove the cluster.

    python scripts/with-throwaway-postgres.py <command> [args...]

Starts `initdb` + `pg_ctl` in a temporary folder on a free loopback port, exports
DATABASE_URL for the command, and stops and deletes the cluster afterwards, whatever
happens: also when the script is stopped with SIGTERM or SIGHUP (a timeout, a closed
terminal), which stops the command too. `initdb` refuses to run as root, so as root the
cluster runs as the `postgres` system user (through `runuser`). Where no PostgreSQL server
binaries exist the run is skipped with a notice, unless REQUIRE_POSTGRES=1, which makes it
fail.

PLEDGELOOP_PG_KEEP=<folder> keeps the cluster instead (a benchmark's city, generated once:
bench/pages.py --keep): it is made in that folder the first time, started from it afterwards,
and stopped cleanly, not deleted, at the end.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse


def find_bindir() -> str | None:
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(os.path.dirname(on_path))
    for folder in candidates:
        if folder and os.access(os.path.join(folder, "initdb"), os.X_OK):
            return folder
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exit_on_signal(signum, frame) -> None:
    """Turn SIGTERM and SIGHUP into SystemExit, so that the `finally` below stops and removes
    the cluster (by default they end Python at once and leave the server running)."""
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)
    if not argv:
        print(__doc__)
        return 2
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            print("REQUIRE_POSTGRES=1 but no PostgreSQL server binaries (initdb) were found.")
            return 1
        print("NOTICE: no PostgreSQL server binaries found; the PostgreSQL run is skipped.")
        return 0

    as_root = os.geteuid() == 0
    prefix: list[str] = []
    keep = os.environ.get("PLEDGELOOP_PG_KEEP")
    if keep:
        workdir = os.path.abspath(keep)
        os.makedirs(workdir, exist_ok=True)
    else:
        workdir = tempfile.mkdtemp(prefix="pledgeloop-pg-")
    if as_root:
        owner = pwd.getpwnam("postgres")
        os.chown(workdir, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    os.chmod(workdir, 0o700)
    datadir = os.path.join(workdir, "data")
    port = free_port()
    log = os.path.join(workdir, "server.log")

    def run(args: list[str]) -> None:
        subprocess.run(prefix + args, check=True, stdout=subprocess.DEVNULL)

    started = False
    try:
        if not (keep and os.path.exists(os.path.join(datadir, "PG_VERSION"))):
            run(
                [
                    f"{bindir}/initdb",
                    "-D",
                    datadir,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            )
        options = (
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run([f"{bindir}/pg_ctl", "-D", datadir, "-l", log, "-o", options, "-w", "start"])
        started = True
        print(f"Throwaway PostgreSQL ({bindir}) on 127.0.0.1:{port}")
        # PG_BINDIR: the client tools of the same version (pg_dump keeps the migrated test
        # template between runs, pledgeloop/testing_database.py). PG_SOCKET_URL: the same
        # database through the cluster's socket, as the README's production setting reaches
        # PostgreSQL on its machine (bench/intake.py serves through it).
        socket_dir = urllib.parse.quote(workdir, safe="")
        env = dict(
            os.environ,
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/postgres",
            PG_SOCKET_URL=f"postgres://postgres@{socket_dir}:{port}/postgres",
            PG_BINDIR=bindir,
        )
        return subprocess.run(argv, env=env).returncode
    finally:
        if started:
            subprocess.run(
                prefix
                + [f"{bindir}/pg_ctl", "-D", datadir, "-m", "fast" if keep else "immediate"]
                + ["stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.2)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
