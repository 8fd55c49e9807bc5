"""Benchmark under faults: what survives when the tasks worker and the web workers are killed.

    python bench/faults.py            4,000 notifications, 300 orders (what `make bench` runs)
    python bench/faults.py --quick    800 notifications, 60 orders

A fresh SQLite database in a temporary folder (PLEDGELOOP_VAR_DIR), migrated, with one street,
one community with a compound and eight buildings, and a community admin, as bench/intake.py.

1. Notifications. A stand-in for Alibaba Cloud's SMS API (pledgeloop/notify/tests/gateways.py:
   a local HTTP server answering SendSms and QuerySendDetails as the documented API does) is
   the SMS endpoint of the real Alibaba sender (SMS_PROVIDER=alibaba, SMS_ENDPOINT), so the
   sender's SDK code runs; it counts what it receives per message key (OutId). 4,000 texts to
   residents are queued, `manage.py db_worker` sends them, and the bench SIGKILLs it three
   times while it sends (after about 10 %, 40 % and 70 % reached the gateway), starting it
   again each time. Once the outbox is empty (or after --drain seconds) it counts:

       delivered    messages the gateway took (distinct keys among the queued ones)
       lost         queued but never taken
       sent twice   keys the gateway took more than once (a resident texted twice)
       stuck        notifications not marked done in the database at the end

2. Intake. gunicorn (2 workers × 4 threads, as `make run`) serves the resident's order form;
   6 clients post 300 orders (a third with a photo: a 1600 × 1200 JPEG) while the bench
   SIGKILLs a web worker process four times. A resident whose send fails (the connection
   drops) sends the same form again (the browser resubmits it, with the form's own key);
   a resident who got the "sent" page stops. Then it counts:

       answered ok          orders whose resident saw the "sent" page (a redirect to
                            /order/sent/<token>/)
       stored               orders in the database
       stored without ok    stored orders whose resident never saw it sent (they would file
                            it again, and the street would get it twice)
       orphan photos        files under MEDIA_ROOT that no row refers to, after the
                            orphan-photo job (`manage.py remove_orphan_photos`) ran

The last two lines are the summaries, in this form:
    faults: 4000 queued, worker killed 3 times, 4000 delivered, 0 lost, 0 sent twice, 0 stuck
    faults: 300 posted, 300 answered ok, 300 stored, 0 stored without ok, 0 orphan photos
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from intake import FIXTURE, children, free_port, wait_until_up
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pledgeloop.notify.tests.gateways import GatewayStandIn  # noqa: E402 (after sys.path)

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)

QUEUE = """
import json
from pledgeloop.notify.models import Notification
from pledgeloop.orgs.models import Community
community = Community.objects.get()
n = {n}
Notification.objects.bulk_create(
    [
        Notification(
            street_id=community.street_id, community=community, phone=f"139{{i:08d}}",
            kind="order_filed", title=f"您的需求已登记（单号{{i}}），查看进度或取消：",
            url=f"/track/bench-{{i}}/", params={{"order": str(i)}},
        )
        for i in range(n)
    ],
    batch_size=1000,
)
ids = Notification.objects.filter(kind="order_filed").values_list("pk", flat=True)
print(json.dumps(list(ids)))
"""


def run(args: list, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, cwd=ROOT, check=True, **kwargs)


def shell(code: str, env: dict) -> str:
    result = run(
        [str(PYTHON), "manage.py", "shell", "-c", code], env, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [str(PYTHON), "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def outbox_states(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=30) as db:
        return dict(
            db.execute(
                "SELECT state, count(*) FROM notify_notification WHERE kind = 'order_filed' "
                "GROUP BY state"
            ).fetchall()
        )


# --- part 1: notifications ---------------------------------------------------------------------


def notifications_under_kills(env: dict, database: Path, queued: int, drain: float) -> str:
    with GatewayStandIn("alibaba") as gateway:
        env = {**env, "SMS_ENDPOINT": gateway.endpoint}
        ids = json.loads(shell(QUEUE.format(n=queued), env))
        keys = {f"pl{pk}" for pk in ids}
        run([str(PYTHON), "manage.py", "schedule_reminders"], env, stdout=subprocess.DEVNULL)
        worker = start_worker(env)
        kills = 0
        started = time.perf_counter()
        try:
            for share in (0.10, 0.40, 0.70):
                while len(gateway.accepted) < queued * share:
                    if time.perf_counter() - started > drain:
                        break
                    time.sleep(0.005)
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                kills += 1
                print(
                    f"  worker killed at {len(gateway.accepted)} messages taken by the gateway",
                    flush=True,
                )
                worker = start_worker(env)
            while outbox_states(database).get("waiting", 0):
                if time.perf_counter() - started > drain:
                    print(f"  outbox not empty after {drain:g} s", flush=True)
                    break
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        taken = {m["key"] for m in gateway.accepted} & keys
        twice = sum(1 for key in keys if gateway.counts[key] > 1)
        states = outbox_states(database)
        looked_up = sum(1 for action, _q, _h in gateway.requests if action == "QuerySendDetails")
    stuck = queued - states.get("done", 0)
    with sqlite3.connect(database) as db:
        (found,) = db.execute(
            "SELECT count(*) FROM notify_delivery WHERE detail LIKE 'found at the gateway%'"
        ).fetchone()
    print(
        f"  outbox empty {elapsed:.1f} s after the first send ({queued / elapsed:.0f} texts/s "
        f"with the kills); {looked_up} messages left without an answer by a killed worker were "
        f"looked up at the gateway before any resend, {found} of them found there (not sent "
        f"again); states {states}",
        flush=True,
    )
    return (
        f"faults: {queued} queued, worker killed {kills} times, {len(taken)} delivered, "
        f"{queued - len(taken)} lost, {twice} sent twice, {stuck} stuck"
    )


# --- part 2: intake while web workers die ------------------------------------------------------


def photo_jpeg(rng: random.Random) -> bytes:
    """A 1600 × 1200 phone-like photo (noise over a gradient, so it does not compress away)."""
    image = Image.effect_noise((1600, 1200), 40).convert("RGB")
    tint = Image.new("RGB", image.size, (rng.randint(60, 200), rng.randint(60, 200), 120))
    buffer = io.BytesIO()
    Image.blend(image, tint, 0.5).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def multipart(fields: dict, photo: bytes | None) -> tuple[bytes, str]:
    boundary = f"----pledgeloop{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    filename = "IMG_0001.jpg" if photo else ""
    kind = "image/jpeg" if photo else "application/octet-stream"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"'
        f"\r\nContent-Type: {kind}\r\n\r\n"
    )
    parts.append(head.encode() + (photo or b"") + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Resident(threading.Thread):
    """Residents filing orders one after another: open the form, send it; a failed send is
    sent again, the same form (at most 5 times); a "sent" page ends that order."""

    def __init__(self, port: int, fixture: dict, orders: list[dict], photos: list[bytes]):
        super().__init__(daemon=True)
        self.port, self.fixture, self.orders, self.photos = port, fixture, orders, photos
        self.tokens: list[str] = []  # one per order that was answered "sent"
        self.unanswered = 0  # orders whose every try failed
        self.retries = 0
        self.resent: dict[str, float] = {}  # answered on a later try: token → that try's start
        self.errors: list[str] = []

    def form(self) -> tuple[str, str, str] | None:
        """Open the form: the CSRF cookie and token, and the form's own key."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("GET", self.fixture["path"])
            response = conn.getresponse()
            html = response.read().decode("utf-8")
            conn.close()
        except (OSError, http.client.HTTPException) as error:
            self.errors.append(f"form: {type(error).__name__}")
            return None
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        key = re.search(r'name="submission" value="([^"]*)"', html)
        if not (cookie and token and key):
            self.errors.append(f"form: HTTP {response.status}")
            return None
        return cookie.group(1), token.group(1), key.group(1)

    def post(self, body: bytes, headers: dict) -> str | None:
        """Send the form; the tracking token of the "sent" page, or None."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("POST", self.fixture["path"], body, headers)
            response = conn.getresponse()
            response.read()
            conn.close()
        except (OSError, http.client.HTTPException) as error:
            self.errors.append(type(error).__name__)
            return None
        sent = re.match(r"^/order/sent/([^/]+)/$", response.getheader("Location") or "")
        if response.status == 302 and sent:
            return sent.group(1)
        self.errors.append(f"HTTP {response.status}")
        return None

    def run(self) -> None:
        for order in self.orders:
            session = None
            for attempt in range(5):
                if attempt:
                    time.sleep(0.3)
                if session := self.form():
                    break
            if session is None:
                self.unanswered += 1
                continue
            cookie, csrf, key = session
            body, content_type = multipart(
                {**order["fields"], "csrfmiddlewaretoken": csrf, "submission": key},
                self.photos[order["photo"]] if order["photo"] is not None else None,
            )
            headers = {
                "Cookie": f"csrftoken={cookie}",
                "Referer": f"http://127.0.0.1:{self.port}{self.fixture['path']}",
                "Content-Type": content_type,
            }
            # The same form again after a failed send, as the browser resubmits it.
            for attempt in range(5):
                if attempt:
                    self.retries += 1
                    time.sleep(0.3)
                sending = time.time()
                if token := self.post(body, headers):
                    self.tokens.append(token)
                    if attempt:
                        self.resent[token] = sending
                    break
            else:
                self.unanswered += 1


def web_workers(server: subprocess.Popen) -> list[int]:
    """gunicorn's worker processes (the children of its arbiter)."""
    return children(server.pid)


def orphan_photos(var_dir: Path, database: Path) -> int:
    media = var_dir / "media"
    if not media.exists():
        return 0
    with sqlite3.connect(database) as db:
        referenced = set()
        for table, column in db.execute(
            "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
            "WHERE m.type = 'table' AND p.name IN ('photo', 'image', 'file')"
        ).fetchall():
            referenced |= {
                row[0]
                for row in db.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608
                if row[0]
            }
    files = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}
    return len(files - referenced)


def intake_under_kills(args, env: dict, var_dir: Path, database: Path, fixture: dict) -> str:
    rng = random.Random(2026)
    photos = [photo_jpeg(rng) for _ in range(4)]
    orders = [
        {
            "fields": {
                "category": rng.choice(fixture["categories"]),
                "description": rng.choice(["厨房水龙头漏水", "楼道灯不亮了", "帮忙把米搬上楼"]),
                "site": rng.choice(fixture["sites"]),
                "address": f"{rng.randint(1, 6)}0{rng.randint(1, 4)}室",
                "when": "asap",
                "phone": f"13{rng.randint(0, 999_999_999):09d}",
                "contact_name": "",
                "consent": "1",
                "website": "",
                "member": "",
                "via": "qr",
                "latitude": "",
                "longitude": "",
            },
            "photo": rng.randrange(len(photos)) if n % 3 == 0 else None,
        }
        for n in range(args.orders)
    ]
    port = free_port()
    # gunicorn as `make run` serves (2 workers × 4 threads): its arbiter starts a new worker
    # for each one killed. (granian with --respawn-failed-workers takes a worker killed soon
    # after its start for a crash loop and shuts the whole server down.)
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "pledgeloop.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kills = 0
    try:
        wait_until_up(port, server)
        clients = 6
        residents = [Resident(port, fixture, orders[i::clients], photos) for i in range(clients)]
        for resident in residents:
            resident.start()
        for share in (0.15, 0.35, 0.55, 0.75):
            while sum(len(r.tokens) for r in residents) < args.orders * share:
                if not any(r.is_alive() for r in residents):
                    break
                time.sleep(0.002)
            pids = web_workers(server)
            if pids:
                os.kill(random.choice(pids), signal.SIGKILL)
                kills += 1
        for resident in residents:
            resident.join(timeout=600)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    cleanup = subprocess.run(
        [str(PYTHON), "manage.py", "remove_orphan_photos"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if cleanup.returncode:
        print(
            "  no `remove_orphan_photos` command in this tree: orphans counted without it",
            flush=True,
        )
    with sqlite3.connect(database) as db:
        filed = dict(db.execute("SELECT tracking_token, created_at FROM orders_order"))
    stored = set(filed)
    answered = {token for r in residents for token in r.tokens}
    resent = {token: at for r in residents for token, at in r.resent.items()}
    # Answered on a later try with an order stored before that try began: an earlier send
    # had stored it, and the form's key found it again.
    found_again = sum(
        1
        for token, at in resent.items()
        if token in filed
        and dt.datetime.fromisoformat(filed[token]).replace(tzinfo=dt.UTC).timestamp() < at
    )
    errors = [e for r in residents for e in r.errors]
    retries = sum(r.retries for r in residents)
    unanswered = sum(r.unanswered for r in residents)
    print(
        f"  web workers killed {kills} times; {len(errors)} sends failed "
        f"({ {e: errors.count(e) for e in sorted(set(errors))} }), {retries} sent again, "
        f"{unanswered} orders never answered; {len(answered - stored)} answered but not stored; "
        f"of {len(resent)} answered on a later try, {found_again} had been stored by an "
        "earlier, unanswered send (found again by the form's key, not filed twice)",
        flush=True,
    )
    return (
        f"faults: {args.orders} posted, {len(answered)} answered ok, {len(stored)} stored, "
        f"{len(stored - answered)} stored without ok, {orphan_photos(var_dir, database)} "
        "orphan photos"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="800 notifications, 60 orders")
    parser.add_argument("--notifications", type=int, default=None)
    parser.add_argument("--orders", type=int, default=None)
    parser.add_argument("--drain", type=float, default=600, help="seconds to wait for the outbox")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    args.notifications = args.notifications or (800 if args.quick else 4000)
    args.orders = args.orders or (60 if args.quick else 300)

    var_dir = Path(tempfile.mkdtemp(prefix="pledgeloop-bench-faults-"))
    database = var_dir / "pledgeloop.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledgeloop.settings",
        "PLEDGELOOP_VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "ERROR",
        "INTAKE_LIMIT_PER_IP_PER_HOUR": "1000000000",
        "INTAKE_LIMIT_PER_PHONE_PER_DAY": "1000000000",
        "PYTHONDONTWRITEBYTECODE": "1",
        # The real Alibaba sender, pointed at the bench's stand-in (SMS_ENDPOINT, part 1).
        "SMS_PROVIDER": "alibaba",
        "SMS_ACCESS_KEY_ID": "bench-key",
        "SMS_ACCESS_KEY_SECRET": "bench-secret",
        "SMS_SIGN_NAME": "江海街道",
        "SMS_TEMPLATES": "order_filed:SMS_1,order_accepted:SMS_2,order_done:SMS_3,"
        "service_review:SMS_4",
        "SMS_PROTOCOL": "http",
        "SMS_TIMEOUT_SECONDS": "2",
        "NOTIFY_LEASE_SECONDS": "15",
        "NOTIFY_BATCH": "50",
        "NOTIFY_SEND_SECONDS": "1",
    }
    env.pop("DATABASE_URL", None)  # this benchmark is about the embedded SQLite
    try:
        run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], env)
        # Pages name their static files through the manifest (as in production, where `make
        # setup` collects them): without it the form is a 500 and part 2 files nothing.
        run([str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
        fixture = json.loads(shell(FIXTURE, env))
        print(f"database {var_dir}", flush=True)
        first = notifications_under_kills(env, database, args.notifications, args.drain)
        print(first, flush=True)
        # The residents' texts of part 2 go to an endpoint that is not there: they wait in
        # the outbox (no worker runs now), which does not concern intake.
        second = intake_under_kills(
            args, {**env, "SMS_ENDPOINT": "127.0.0.1:9"}, var_dir, database, fixture
        )
    finally:
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    print(first)
    print(second)
    bad = re.search(
        r" [1-9]\d* (lost|sent twice|stuck|stored without ok|orphan photos)", first + second
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
