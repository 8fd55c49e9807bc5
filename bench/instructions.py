"""The instructions an order costs, counted exactly: intake's request, and the tasks worker
sending its texts, against /livez (and the intake form), under callgrind (valgrind).

    python bench/instructions.py                 100 requests of each, SQLite
    python bench/instructions.py --requests 30
    python bench/instructions.py --db postgresql (DATABASE_URL; the Python side only)

bench/intake.py measures the issue's figure, orders a second against /livez's requests a
second, on a shared machine where the same code's ratio moved from 0.15× to 0.21× between
runs of one afternoon (issue 17): a change worth 2 % does not show. The number of machine
instructions a request executes does not depend on the machine's load: the same code counts
the same within 0.2 %, so a change's effect shows on one run of each (`git stash`, run,
`git stash pop`, run). It is a proxy: an instruction of SQLite's costs less time than one of
the interpreter's, and the servers' HTTP and the clients are not counted. Use it to see
what a change saves; the throughput is still bench/intake.py's.

What runs is what bench/intake.py's server runs for each: Django's WSGI handler (the whole
middleware stack) called in process, on a migrated SQLite database with intake.py's fixture
(one community, its admin, urlencoded orders from distinct numbers and addresses behind one
proxy hop), after 40 of each to warm up. Each phase is a process of its own under callgrind,
with its counting switched on (callgrind_control) for the measured requests only, not for
Django's start. The worker's phase counts `notifications_send` emptying the outbox of the
orders filed before it (each order's admin notification and the resident's text), as the
tasks worker does.

On SQLite the count is the whole of the order's work. On PostgreSQL (`--db postgresql`,
through PG_SOCKET_URL where scripts/with-throwaway-postgres.py gives it, as bench/intake.py)
much of it runs in the database's own processes, which this does not follow: the count is
the Python side's, the server's and the worker's, and the phases share one database (each
phase's orders have form keys of their own). Needs valgrind (Debian's `valgrind` package);
without it the run is skipped with a notice. About 30 s a phase.

The last line, in this form:
    instructions sqlite: order 7694342 (request 6040728, worker 1653614), /livez 981496,
    form GET 2136412, livez/order 0.128x, livez/form 0.459x
("instructions postgresql (python): …" on PostgreSQL).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake import DESCRIPTIONS, FIXTURE, PYTHON, ROOT, WHEN, run, shell_json  # noqa: E402

WARM_UP = 40
PHASES = ("livez", "form", "request", "worker")


def environment(var_dir: str, database: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledgeloop.settings",
        "PLEDGELOOP_VAR_DIR": var_dir,
        "DEBUG": "0",
        # A fixed key: each phase's process signs alike (the key's length and variety pass
        # lib/secret_key.py's checks).
        "SECRET_KEY": "bench-instructions-" + "k3J9aQz0pLm2Xv8RtY6wBn4HcE1dGs7FuK5iOjWq",
        "LOG_LEVEL": "ERROR",
        "PROXY_HOPS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
    elif env.get("PG_SOCKET_URL"):
        env["DATABASE_URL"] = env["PG_SOCKET_URL"]
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--child", choices=PHASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.requests)
    label = "sqlite" if args.db == "sqlite" else "postgresql (python)"
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print(f"instructions {label}: skipped, no valgrind here (apt-get install valgrind)")
        return 0
    if args.db == "postgresql" and not os.environ.get("DATABASE_URL"):
        print(f"instructions {label}: skipped, no DATABASE_URL (no PostgreSQL here)")
        return 0
    template = tempfile.mkdtemp(prefix="pledgeloop-bench-instructions-")
    try:
        env = environment(template, args.db)
        run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], env)
        run([str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
        fixture = shell_json(FIXTURE, env)
        Path(template, "fixture.json").write_text(json.dumps(fixture))
        counts = {phase: counted(phase, template, args.requests, args.db) for phase in PHASES}
    finally:
        shutil.rmtree(template, ignore_errors=True)
    order = counts["request"] + counts["worker"]
    for phase in PHASES:
        print(f"{phase}: {counts[phase]} instructions a request", flush=True)
    print(
        f"instructions {label}: order {order} (request {counts['request']}, worker "
        f"{counts['worker']}), /livez {counts['livez']}, form GET {counts['form']}, "
        f"livez/order {counts['livez'] / order:.3f}x, livez/form "
        f"{counts['livez'] / counts['form']:.3f}x"
    )
    return 0


def counted(phase: str, template: str, requests: int, database: str) -> int:
    """Instructions a request of `phase`, counted in a process of its own on a copy of the
    migrated database."""
    work = tempfile.mkdtemp(prefix=f"pledgeloop-bench-instructions-{phase}-")
    try:
        var_dir = os.path.join(work, "var")
        shutil.copytree(template, var_dir)
        out = os.path.join(work, "callgrind.out")
        process = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                str(PYTHON),
                __file__,
                "--child",
                phase,
                "--requests",
                str(requests),
            ],
            env=environment(var_dir, database),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            for said, switch in (("READY", "on"), ("DONE", "off")):
                line = process.stdout.readline().strip()
                if line != said:
                    raise RuntimeError(f"{phase}: the measured process said {line!r}")
                subprocess.run(
                    ["callgrind_control", "-i", switch, str(process.pid)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                process.stdin.write("go\n")
                process.stdin.flush()
            if process.wait(timeout=600):
                raise RuntimeError(f"{phase}: the measured process failed")
        finally:
            if process.poll() is None:
                process.kill()
        text = Path(out).read_text()
        return int(re.search(r"^totals: (\d+)", text, re.MULTILINE).group(1)) // requests
    finally:
        shutil.rmtree(work, ignore_errors=True)


def child(phase: str, requests: int) -> int:
    """Under callgrind: warm up, say READY, do the measured requests once told to, say DONE."""
    # This checkout's code, whatever the venv's own path says (a worktree sharing its venv).
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from pledgeloop.notify.services import notifications_send

    fixture = json.loads(Path(os.environ["PLEDGELOOP_VAR_DIR"], "fixture.json").read_text())
    handler = WSGIHandler()
    path = fixture["path"]

    def ask(method: str, url: str, body: bytes = b"", **headers) -> tuple[str, dict, bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": url,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "CONTENT_LENGTH": str(len(body)),
            **headers,
        }
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"], answer["headers"] = status, response_headers

        response = handler(environ, start_response)
        content = b"".join(response)
        response.close()
        return answer["status"], dict(answer["headers"]), content

    status, headers, html = ask("GET", path, HTTP_X_FORWARDED_FOR="10.0.0.1")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()
    from urllib.parse import urlencode

    shift = PHASES.index(phase)

    def form(n: int) -> tuple[bytes, str]:
        """Order n's body and address: made before the measured requests (a phone's work,
        not the server's: urlencoding it was 4 % of the request's count until session 38)."""
        fields = {
            "csrfmiddlewaretoken": token,
            "category": fixture["categories"][n % len(fixture["categories"])],
            "description": DESCRIPTIONS[n % len(DESCRIPTIONS)],
            "site": fixture["sites"][n % len(fixture["sites"])],
            "address": f"{n % 6 + 1}0{n % 4 + 1}室",
            "when": WHEN[n % len(WHEN)],
            "phone": f"13{(n * 7919 + shift * 1_000_003) % 1_000_000_000:09d}",
            "contact_name": "",
            "consent": "1",
            "website": "",
            "member": "",
            "via": "qr",
            # Each phase's own, as its numbers and addresses (on PostgreSQL the phases share
            # the database: the same number's same request again is the earlier order).
            "submission": f"bench-instructions-{phase}-{n:08d}",
            "latitude": "",
            "longitude": "",
        }
        address = f"{10 + shift}.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        return urlencode(fields).encode("ascii"), address

    forms = {n: form(n) for n in range(WARM_UP + requests)}

    def order(n: int) -> None:
        body, address = forms[n]
        status, headers, _ = ask(
            "POST",
            path,
            body,
            CONTENT_TYPE="application/x-www-form-urlencoded",
            HTTP_COOKIE=f"csrftoken={cookie}",
            HTTP_REFERER=f"http://127.0.0.1{path}",
            HTTP_X_FORWARDED_FOR=address,
        )
        if not status.startswith("302") or "/order/sent/" not in headers.get("Location", ""):
            raise RuntimeError(f"order {n}: {status}")

    def page(url: str) -> None:
        status, _, _ = ask("GET", url, HTTP_X_FORWARDED_FOR="10.0.0.1")
        if not status.startswith("200"):
            raise RuntimeError(f"{url}: {status}")

    def empty_outbox() -> None:
        while notifications_send():
            pass

    measured = {
        "livez": lambda: [page("/livez") for _ in range(requests)],
        "form": lambda: [page(path) for _ in range(requests)],
        "request": lambda: [order(n) for n in range(WARM_UP, WARM_UP + requests)],
        "worker": empty_outbox,
    }[phase]
    for n in range(WARM_UP):
        order(n)
        page("/livez")
        page(path)
    empty_outbox()
    if phase == "worker":
        for n in range(WARM_UP, WARM_UP + requests):
            order(n)
    print("READY", flush=True)
    sys.stdin.readline()
    measured()
    print("DONE", flush=True)
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
