"""Benchmark of starting the app: a manage.py command, and a gunicorn worker's first request.

    python bench/startup.py              7 rounds (what `make bench` runs)
    python bench/startup.py --rounds 3

Each round starts, one after the other:

    command, plain       Django's own manage.py (execute_from_command_line, nothing else)
                         running `check`: the baseline
    command, ours        this project's manage.py running `check` (garbage collection off while
                         Django starts, then what it made set aside with gc.freeze)
    worker, plain        get_wsgi_application(), then one request (/livez) through it: the
                         baseline, which loads the URLconf on that request
    worker, ours         `import pledgeloop.wsgi` (the URLconf loaded as the worker starts),
                         then the same request

and records each process's CPU time (user + system) and, for the workers, how long the first
request took. The lines give the medians over the rounds; the machine's speed varies from run
to run, so what to read is each figure against its baseline from the same run:

    startup command: 2.16 s CPU plain, 1.53 s ours, 0.71x
    startup worker: 2.21 s CPU plain, 1.44 s ours, 0.65x; first request 502 ms plain, 4 ms ours
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PLAIN_COMMAND = "import sys; from django.core.management import execute_from_command_line; "
PLAIN_COMMAND += "execute_from_command_line(['manage.py', 'check'])"
# One request through the WSGI callable, timed; the process prints how long it took.
REQUEST = """
import io, json, time
def ask(app):
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/livez", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8000", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
               "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1", "QUERY_STRING": ""}
    status = []
    started = time.perf_counter()
    b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    assert status[0].startswith("200"), status
    print(json.dumps({"first_request_ms": (time.perf_counter() - started) * 1000}))
"""
PLAIN_WORKER = REQUEST + (
    "from django.core.wsgi import get_wsgi_application\nask(get_wsgi_application())\n"
)
OUR_WORKER = REQUEST + "import pledgeloop.wsgi\nask(pledgeloop.wsgi.application)\n"


def run(command: list[str], env: dict) -> tuple[float, dict]:
    """The process's CPU seconds, and what it printed last as JSON (if anything)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return cpu, json.loads(last) if last.startswith("{") else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="pledgeloop-bench-startup-")
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "pledgeloop.settings",
        "PLEDGELOOP_VAR_DIR": var,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("DATABASE_URL", None)
    python = sys.executable
    cases = {
        "command plain": [python, "-c", PLAIN_COMMAND],
        "command ours": [python, "manage.py", "check"],
        "worker plain": [python, "-c", PLAIN_WORKER],
        "worker ours": [python, "-c", OUR_WORKER],
    }
    cpu = {name: [] for name in cases}
    first = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, command in cases.items():
            seconds, printed = run(command, env)
            cpu[name].append(seconds)
            if "first_request_ms" in printed:
                first[name].append(printed["first_request_ms"])
    m = {name: statistics.median(values) for name, values in cpu.items()}
    f = {name: statistics.median(values) for name, values in first.items() if values}
    print(
        f"startup command: {m['command plain']:.2f} s CPU plain, {m['command ours']:.2f} s ours, "
        f"{m['command ours'] / m['command plain']:.2f}x"
    )
    print(
        f"startup worker: {m['worker plain']:.2f} s CPU plain, {m['worker ours']:.2f} s ours, "
        f"{m['worker ours'] / m['worker plain']:.2f}x; first request "
        f"{f['worker plain']:.0f} ms plain, {f['worker ours']:.0f} ms ours"
    )


if __name__ == "__main__":
    main()
