"""Benchmark of resident intake: concurrent residents filing orders through the real page.

    python bench/intake.py                  SQLite, then PostgreSQL; 20 s per phase, 8 clients,
                                            granian 2 workers × 1 thread
    python bench/intake.py --db sqlite --seconds 5 --clients 16 --server gunicorn --threads 4

Each database is measured against its own baseline: the same server and clients ask a
no-database Django view (/livez: the whole middleware stack, no query) for the same time as
they open the resident's form (GET) and as they file orders (POST). Throughputs are printed
as ratios against that baseline, since on a shared machine an absolute figure moves by a
quarter from run to run while the ratio holds. The three phases take turns in slices
(`--rounds`, 4: baseline, form, orders, then again), so that a change in the machine's load
meets all three alike; before each turn the tasks worker empties the outbox, so that sending
the last orders' texts never slows the baseline or the form down (that CPU counts with the
orders').

A fresh database (SQLite in a temporary folder, PLEDGELOOP_VAR_DIR; PostgreSQL in a
throwaway cluster from scripts/with-throwaway-postgres.py), migrated, with a small
fixture: one street with its six categories, one community with a compound and eight
buildings, and a community admin (so each order also writes the admin's notification, as in
production, which the tasks worker started beside the server then sends from the outbox;
its CPU counts with the server's). granian from the venv (or gunicorn, `--server`) serves it
on a free 127.0.0.1 port.
granian measured 9–15 % more orders a second than gunicorn's sync workers in paired runs
here (keep-alive, and HTTP parsed in Rust); threads within a worker measured worse for both.
Each client thread opens the form once (CSRF cookie and token), makes its orders' bodies
(before the turn starts: a phone's own work, not the server's machine's), then posts orders
with random mobile numbers until the time is up, without following the redirect. The orders carry no
photo, so they go urlencoded, as the form page's script sends an order without a photo
(orders/resident.js; multipart only with a photo, or without the script: `--multipart`).
Each order carries a submission key of its own, as every form page a browser opens hands
out a new one (the duplicate check runs on each order, as for a resident). Each order is
one resident's, from a phone of its own: a mobile number and an address of its own. The
server runs as in the README's production setting, behind one reverse proxy (PROXY_HOPS=1),
whose keep-alive connections to the app carry many residents' requests, each with the
X-Forwarded-For that nginx adds; a client thread is such a connection. So the intake limits
(the production ones) count what they count in a street: a few attempts an address and a
number. (Until issue 17's thirty-second session each client thread was one phone filing
hundreds of orders, under limits raised out of reach, and every order counted all of its
phone's earlier attempts inside SQLite's write lock: 0.1 ms an order by the end of a run,
which no street's residents cause.) The limits are checked and counted on every order.
Afterwards the orders in the database are counted and
matched against the tracking tokens the server handed out:

    posted   POSTs answered
    stored   orders in the database
    lost     answered with a redirect to /order/sent/<token>/ but not in the database
    errors   any other answer, or a failed connection
    p99      99th percentile of the POSTs' round trip

On PostgreSQL the server and the worker reach the database through its socket, as the
README's production setting does (PostgreSQL on the same machine). The database starts
empty, and the planner reads a table it has no statistics of as if it were small: the
worker's batch reads (short links, deliveries) scanned whole tables that grew with every
order, 0.3 ms of the database's CPU an order by the end of a run (issue 17, session 33). A
street's database has statistics, which autovacuum keeps up to date as tables grow; the
bench brings them up to date (ANALYZE) after each turn, outside the CPU it counts.

It also prints the CPU time per order of the server (web server and tasks worker, the
worker's share named), on PostgreSQL of the database's own processes (the postmaster's
children: the backends, the WAL writer), and of the clients (from /proc), and the load
average, since on a shared machine the figure depends on what else runs.

The last line per database is the summary, in this exact form (one line):
    intake sqlite: 3000 posted, 3000 stored, 0 lost, 0 errors, 150.2 orders/s,
    0.061x baseline, p99 120 ms, form GET 0.420x baseline
(the last figure repeats the form's ratio from its own line)
preceded by the baseline and the form:
    baseline sqlite: /livez 2450.3 req/s
    form sqlite: GET 540.1 req/s, 0.220x baseline
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import itertools
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)

FIXTURE = """
import json
from decimal import Decimal
from pledgeloop.orgs.models import Category, Site
from pledgeloop.orgs.services import community_create, street_create
from pledgeloop.people.models import Role, RoleGrant, User

street = street_create(name="江海街道", slug="jianghai")
community = community_create(street=street, name="星港湾", slug="xinggangwan")
admin = User.objects.create_user("13900000102", "bench-admin-pass", name="星港湾书记")
RoleGrant.objects.create(user=admin, role=Role.COMMUNITY_ADMIN, street=street, community=community)
compound = Site.objects.create(
    street=street, community=community, kind=Site.Kind.COMPOUND, name="阳光花园",
    latitude=Decimal("31.957000"), longitude=Decimal("120.942000"),
)
buildings = [
    Site.objects.create(
        street=street, community=community, kind=Site.Kind.BUILDING, name=f"{n}幢",
        parent=compound, latitude=Decimal("31.957000") + Decimal(n) / 10000,
        longitude=Decimal("120.942000"),
    ).pk
    for n in range(1, 9)
]
# PostgreSQL's own processes are the postmaster's children: their CPU is the order's too.
from django.db import connection
postmaster = None
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    with open(f"/proc/{backend}/stat") as stat:
        postmaster = int(stat.read().rsplit(")", 1)[1].split()[1])
print(json.dumps({
    "path": f"/order/new/{street.slug}/{community.slug}/",
    "categories": list(Category.objects.filter(street=street).values_list("pk", flat=True)),
    "sites": buildings,
    "postmaster": postmaster,
}))
"""

DESCRIPTIONS = ["厨房水龙头漏水", "帮忙把米搬上楼", "楼道灯不亮了", "想请人陪同去医院复查"]
WHEN = ["asap", "today", "tomorrow_am", "tomorrow_pm", "weekend"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=ROOT, check=True, **kwargs)


def shell_json(script: str, env: dict):
    """What a `manage.py shell -c` script prints as JSON on its last line."""
    args = [str(PYTHON), "manage.py", "shell", "-c", script]
    out = run(args, env, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def urlencoded(fields: dict) -> tuple[bytes, str]:
    return urlencode(fields).encode("ascii"), "application/x-www-form-urlencoded"


def multipart(fields: dict) -> tuple[bytes, str]:
    boundary = f"----pledgeloop{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode("utf-8"), f"multipart/form-data; boundary={boundary}"


ORDERS_AHEAD_A_SECOND = 300


class Client(threading.Thread):
    """One resident's phone: open the form once, then file orders until the deadline."""

    def __init__(
        self,
        port: int,
        fixture: dict,
        seconds: float,
        start: threading.Barrier,
        seed,
        encode=urlencoded,
    ):
        super().__init__(daemon=True)
        self.port, self.fixture, self.seconds, self.start_line = port, fixture, seconds, start
        self.encode = encode
        self.deadline = 0.0
        self.rng = random.Random(seed)
        # The phones' addresses, as the reverse proxy in front of the app reports them: this
        # client's own hundred thousand, one for each order.
        self.addresses = (
            str(ipaddress.IPv4Address("10.0.0.1") + seed * 100_000 + n) for n in itertools.count()
        )
        self.address = next(self.addresses)
        # Orders made before the start: more than a client has sent in a turn here (some 100
        # a second), so that none is made while the server is measured.
        self.ahead = int(seconds * ORDERS_AHEAD_A_SECOND)
        self.latencies: list[float] = []
        self.tokens: list[str] = []
        self.errors: list[str] = []

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def _order(self, csrf_token: str) -> tuple[bytes, str, str]:
        """An order's body, its content type, and the address of the phone that sends it."""
        rng = self.rng
        fields = {
            "csrfmiddlewaretoken": csrf_token,
            "category": rng.choice(self.fixture["categories"]),
            "description": rng.choice(DESCRIPTIONS),
            "site": rng.choice(self.fixture["sites"]),
            "address": f"{rng.randint(1, 6)}0{rng.randint(1, 4)}室",
            "when": rng.choice(WHEN),
            "phone": f"13{rng.randint(0, 999_999_999):09d}",
            "contact_name": "",
            "consent": "1",
            "website": "",
            "member": "",
            "via": "qr",
            # The form's own key (orders/forms.py), new for each page a resident opens.
            "submission": secrets.token_urlsafe(16),
            "latitude": "",
            "longitude": "",
        }
        return (*self.encode(fields), next(self.addresses))

    def run(self) -> None:
        conn = self._connection()
        path = self.fixture["path"]
        conn.request("GET", path, headers={"X-Forwarded-For": self.address})
        response = conn.getresponse()
        html = response.read().decode("utf-8")
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if response.status != 200 or not cookie or not token:
            self.errors.append(f"form: HTTP {response.status}")
            # Everyone starts posting at the same moment, once every form is open.
            self.start_line.wait()
            return
        headers = {
            "Cookie": f"csrftoken={cookie.group(1)}",
            "Referer": f"http://127.0.0.1{path}",
        }
        # The orders' bodies and addresses are made before the start (each a phone's own
        # work, which in a street no server's CPU pays for): made here, on the two cores that
        # the server and the database share, they were a hundredth of an order's CPU. More
        # than a turn takes are made; should a turn outlast them, the rest are made as sent.
        ahead = [self._order(token.group(1)) for _ in range(self.ahead)]
        ahead.reverse()
        self.start_line.wait()
        self.deadline = time.perf_counter() + self.seconds
        while time.perf_counter() < self.deadline:  # bounded by the deadline
            body, content_type, address = ahead.pop() if ahead else self._order(token.group(1))
            started = time.perf_counter()
            try:
                sender = {"Content-Type": content_type, "X-Forwarded-For": address}
                conn.request("POST", path, body, {**headers, **sender})
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(type(exc).__name__)
                conn.close()
                conn = self._connection()
                continue
            self.latencies.append(time.perf_counter() - started)
            location = response.getheader("Location") or ""
            sent = re.match(r"^/order/sent/([^/]+)/$", location)
            if response.status == 302 and sent:
                self.tokens.append(sent.group(1))
            else:
                self.errors.append(f"HTTP {response.status}")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        conn.close()


class Getter(threading.Thread):
    """One phone asking one page again and again (keep-alive) until the deadline."""

    def __init__(self, port: int, path: str, seconds: float, start: threading.Barrier):
        super().__init__(daemon=True)
        self.port, self.path, self.seconds, self.start_line = port, path, seconds, start
        self.answered = 0
        self.errors: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.start_line.wait()
        deadline = time.perf_counter() + self.seconds
        while time.perf_counter() < deadline:  # bounded by the deadline
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            if response.status == 200:
                self.answered += 1
            else:
                self.errors.append(f"HTTP {response.status}")
        conn.close()


def requests_answered(port: int, path: str, clients: int, seconds: float) -> tuple[int, float, int]:
    """GETs answered by the server from `clients` phones for `seconds`: how many, in how long,
    and the failures."""
    start_line = threading.Barrier(clients + 1)
    getters = [Getter(port, path, seconds, start_line) for _ in range(clients)]
    for getter in getters:
        getter.start()
    start_line.wait(timeout=60)
    started = time.perf_counter()
    for getter in getters:
        getter.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - started
    return sum(g.answered for g in getters), elapsed, sum(len(g.errors) for g in getters)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc), 0 for any that is gone."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def database_cpu(fixture: dict) -> dict[int, float]:
    """CPU seconds so far of each of PostgreSQL's processes (the web workers' and the tasks
    worker's backends, the WAL writer, …); none on SQLite, whose work is the server's own."""
    postmaster = fixture.get("postmaster")
    if not postmaster:
        return {}
    return {pid: cpu_seconds([pid]) for pid in children(postmaster)}


def server_command(args, port: int) -> list[str]:
    """granian (Rust HTTP, keep-alive; `--threads` blocking threads per worker) or gunicorn
    (sync workers, or gthread with `--threads` > 1)."""

    def exe(name: str) -> str:
        return str(VENV_BIN / name) if (VENV_BIN / name).exists() else name

    if args.server == "granian":
        return [
            exe("granian"),
            "--interface",
            "wsgi",
            "pledgeloop.wsgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--blocking-threads",
            str(args.threads),
            "--no-ws",
            "--log-level",
            "warning",
        ]
    return [
        exe("gunicorn"),
        "pledgeloop.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
    ]


COUNTS = """
import json, time
from django.db import connection
from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import IntakeAttempt, Order
started = time.perf_counter()
drained = None
while time.perf_counter() - started < 30:
    if not Notification.objects.filter(state=Notification.State.WAITING).exists():
        drained = time.perf_counter() - started
        break
    time.sleep(0.5)
notifications = Notification.objects.all()
print(json.dumps({
    "drained": drained,
    "tokens": list(Order.objects.values_list("tracking_token", flat=True)),
    "attempts": IntakeAttempt.objects.count(),
    "notified": notifications.count(),
    "sent": notifications.exclude(handled_at=None).count(),
}))
if connection.vendor == "postgresql":
    # The planner's statistics brought up to date, as autovacuum keeps them in a street's
    # database (see the module's docstring).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
"""


def wait_until_up(port: int, server: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited before it answered")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")


def warm_up(port: int, path: str, requests: int) -> None:
    """Let every worker import the URLconf and templates before the clock starts."""
    for _ in range(requests):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns the phases take, seconds/rounds each"
    )
    parser.add_argument("--clients", type=int, default=8)
    # Two single-threaded workers (one per core) did best here: with threads, writers queue on
    # SQLite's single write lock inside each worker as well, and the lock's waits cost more.
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument(
        "--multipart",
        action="store_true",
        help="post orders multipart, as the form does without its script",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # inside the throwaway PostgreSQL cluster
        return measure(args, "postgresql")
    failed = 0
    if args.db in ("sqlite", "both"):
        failed |= measure(args, "sqlite")
    if args.db in ("postgresql", "both"):
        me = [str(PYTHON), str(Path(__file__).resolve()), "--child", "--db", "postgresql"]
        for name in ("seconds", "rounds", "clients", "workers", "threads", "server"):
            me += [f"--{name}", str(getattr(args, name))]
        for flag in ("keep", "multipart"):
            if getattr(args, flag):
                me.append(f"--{flag}")
        wrapper = [str(PYTHON), str(ROOT / "scripts" / "with-throwaway-postgres.py")]
        failed |= subprocess.run(wrapper + me, cwd=ROOT, check=False).returncode
    return 1 if failed else 0


def measure(args, database: str) -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="pledgeloop-bench-intake-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledgeloop.settings",
        "PLEDGELOOP_VAR_DIR": str(var_dir),
        "DEBUG": "0",
        # With DEBUG off the app needs a private key: a throwaway one for this run.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "ERROR",
        # Behind one reverse proxy, as in production (README): the client's address is the
        # last entry of X-Forwarded-For, which each bench client sends as nginx would.
        "PROXY_HOPS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
    elif not env.get("DATABASE_URL"):
        print(f"intake {database}: skipped, no DATABASE_URL (no PostgreSQL here)")
        return 0
    elif env.get("PG_SOCKET_URL"):
        # As the README's production setting reaches PostgreSQL on its own machine: through
        # its socket (a round trip cost a fifth less CPU than over the loopback's TCP, on
        # each side: 150 against 180 µs here, issue 17).
        env["DATABASE_URL"] = env["PG_SOCKET_URL"]
    server = worker = None
    try:
        run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], env)
        # Pages name their static files through the manifest (as in production, where `make
        # setup` collects them): without it every page is a 500 (issue 17).
        run([str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
        fixture = shell_json(FIXTURE, env)
        # The tasks worker runs beside the server, as with `make run`: it sends the admins'
        # notifications from the outbox, and its CPU counts with the server's.
        run([str(PYTHON), "manage.py", "schedule_reminders"], env, stdout=subprocess.DEVNULL)
        worker = subprocess.Popen(
            [str(PYTHON), "manage.py", "db_worker", "--interval", "2", "--no-startup-delay"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = free_port()
        # In its own process group, so its workers go with it even if it dies first.
        server = subprocess.Popen(
            server_command(args, port),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until_up(port, server)
        print(
            f"{database}: {args.server} {args.workers} workers × {args.threads} threads on "
            f"127.0.0.1:{port}, {args.clients} clients, {args.seconds:g} s per phase "
            f"in {args.rounds} turns",
            flush=True,
        )
        warm_up(port, fixture["path"], args.workers * 4)
        warm_up(port, "/livez", args.workers * 4)
        workers = [server.pid, *children(server.pid), worker.pid]
        # The three phases take turns in short slices (--rounds), so that on a shared machine
        # the baseline, the form and the orders meet the same load; before each turn the
        # worker has emptied the outbox (its CPU for it counts with the orders'), so that it
        # never slows the baseline or the form down.
        slice_seconds = args.seconds / args.rounds
        answered = {"baseline": [0, 0.0, 0], "form": [0, 0.0, 0]}  # answers, seconds, errors
        clients: list[Client] = []
        server_cpu = client_cpu = worker_cpu = database_cpu_used = elapsed = 0.0
        for turn in range(args.rounds):
            for phase, path in (("baseline", "/livez"), ("form", fixture["path"])):
                count, seconds, errors = requests_answered(port, path, args.clients, slice_seconds)
                for i, value in enumerate((count, seconds, errors)):
                    answered[phase][i] += value
            start_line = threading.Barrier(args.clients + 1)
            these = [
                Client(
                    port,
                    fixture,
                    slice_seconds,
                    start_line,
                    turn * 1000 + seed,
                    encode=multipart if args.multipart else urlencoded,
                )
                for seed in range(args.clients)
            ]
            for client in these:
                client.start()
            start_line.wait(timeout=60)
            cpu_before = cpu_seconds(workers)
            database_before = database_cpu(fixture)
            worker_start = cpu_seconds([worker.pid])
            client_before = time.process_time()
            started = time.perf_counter()
            for client in these:
                client.join(timeout=slice_seconds + 60)
            elapsed += time.perf_counter() - started
            client_cpu += time.process_time() - client_before
            clients += these
            # The orders of the last seconds are still in the outbox: the worker's CPU while
            # it empties it belongs to them too.
            worker_before = cpu_seconds([worker.pid])
            server_cpu += cpu_seconds(workers) - cpu_before
            database_cpu_used += sum(
                seconds - database_before.get(pid, 0.0)
                for pid, seconds in database_cpu(fixture).items()
            )
            counts = shell_json(COUNTS, env)
            worker_end = cpu_seconds([worker.pid])
            server_cpu += worker_end - worker_before
            worker_cpu += worker_end - worker_start
        baseline = answered["baseline"][0] / answered["baseline"][1]
        form = answered["form"][0] / answered["form"][1]
        baseline_errors, form_errors = answered["baseline"][2], answered["form"][2]
        print(f"baseline {database}: /livez {baseline:.1f} req/s", flush=True)
        print(
            f"form {database}: GET {form:.1f} req/s, {form / baseline:.3f}x baseline",
            flush=True,
        )
    finally:
        for process in (server, worker):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        if server is not None:  # any worker the server left behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)

    stored_tokens = set(counts["tokens"])
    drained = counts["drained"]
    latencies = sorted(t for c in clients for t in c.latencies)
    tokens = [t for c in clients for t in c.tokens]
    errors = [e for c in clients for e in c.errors]
    posted = len(latencies)
    lost = len(set(tokens) - stored_tokens)
    p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000 if latencies else 0
    if errors:
        kinds = {e: errors.count(e) for e in sorted(set(errors))}
        print(f"errors by kind: {kinds}")
    if baseline_errors or form_errors:
        print(f"failed GETs: baseline {baseline_errors}, form {form_errors}")
    print(f"intake attempts recorded: {counts['attempts']}; p50 {p50:.0f} ms")
    print(
        f"notifications (admins', residents' texts): {counts['notified']} made, "
        f"{counts['sent']} handled by the worker (outbox empty {drained:.1f} s after the last "
        "order)"
        if drained is not None
        else f"notifications: {counts['notified']} made, {counts['sent']} handled "
        "(outbox not empty after 30 s)"
    )
    if posted:
        print(
            f"CPU per order: server {server_cpu / posted * 1000:.1f} ms (the tasks worker "
            f"{worker_cpu / posted * 1000:.1f} ms of it), "
            + (
                f"PostgreSQL {database_cpu_used / posted * 1000:.1f} ms, "
                if fixture.get("postmaster")
                else ""
            )
            + f"clients {client_cpu / posted * 1000:.1f} ms; "
            f"CPU used {(server_cpu + database_cpu_used + client_cpu) / elapsed:.2f} of "
            f"{os.cpu_count()} cores; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    rate = len(stored_tokens) / elapsed
    print(
        f"intake {database}: {posted} posted, {len(stored_tokens)} stored, {lost} lost, "
        f"{len(errors)} errors, {rate:.1f} orders/s, {rate / baseline:.3f}x baseline, "
        f"p99 {p99:.0f} ms, form GET {form / baseline:.3f}x baseline",
        flush=True,
    )
    failed = lost or errors or baseline_errors or form_errors
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
