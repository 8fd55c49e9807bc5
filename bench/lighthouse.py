"""Lighthouse (npm, pinned to 12.2.3) on the pages people touch, against the demo street.

    python bench/lighthouse.py                          a demo of its own (what `make bench` runs)
    python bench/lighthouse.py --base http://127.0.0.1:8000    the demo `make run` serves

Lighthouse drives Debian's Chromium headless (CHROME_PATH; unless set, the headless build
chromium-headless-shell that the browser tests use, else /usr/bin/chromium), with its default
mobile emulation and simulated throttling (a mid-range phone on slow 4G).

Without --base the bench builds a demo of its own in a temporary folder (PLEDGELOOP_VAR_DIR):
`manage.py demo_prepare` (migrate, the demo street, statistics), `collectstatic` (hashed,
compressed files, as `make setup`), then gunicorn as `make run` serves it on a free port. With
--base it audits that server, reading the demo's records from the database the environment
points at (PLEDGELOOP_VAR_DIR, DATABASE_URL), as `make run` does.

The pages: the community intake form, an order's tracking page, a review link, the wall, a
member's page, the public figures, the quarterly showcase, the diary, the member home and
the console's needs list. The last two are audited signed in, with the session cookie of
the matching demo login (the member 13900000003, the community admin 13900000002), made
with Django's own login on the same database.

One line per page, then the worst figures, in this exact form (the first on one line):
    lighthouse /wall/xinggangwan/: performance 96, accessibility 100, best-practices 100,
        seo 92, transfer 118 KB
    lighthouse: worst performance 91, worst accessibility 97
(transfer: Lighthouse's total byte weight, everything the page fetched, compressed as sent.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"

# Run by manage.py shell on the demo's database: the pages to audit and the session cookies.
PAGES = r"""
import json
from django.conf import settings
from django.test import Client
from pledgeloop.demo.builder import DEMO_LOGINS
from pledgeloop.orders.models import Order
from pledgeloop.people.models import Member, User
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import review_link_for
from pledgeloop.orgs.models import Community
from django.utils import timezone

community = Community.objects.select_related("street").get(slug="xinggangwan")
street = community.street
phones = dict(DEMO_LOGINS)
member = Member.objects.get(user__phone=phones["member"])
order = Order.objects.filter(community=community).exclude(tracking_token="").order_by("-pk").first()
reviewed = Review.objects.values("record_id")
record = (
    ServiceRecord.objects.filter(community=community).exclude(pk__in=reviewed)
    .order_by("-started_at").first()
)
today = timezone.localdate()
year, quarter = today.year, (today.month - 1) // 3  # the last whole quarter
if quarter == 0:
    year, quarter = year - 1, 4

def cookie(role):
    client = Client()
    client.force_login(User.objects.get(phone=phones[role]))
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value}

pages = [
    {"path": f"/order/new/{street.slug}/{community.slug}/"},
    {"path": f"/track/{order.tracking_token}/"},
    {"path": review_link_for(record)},
    {"path": f"/wall/{community.slug}/"},
    {"path": f"/m/{member.code}/"},
    {"path": f"/stats/{street.slug}/"},
    {"path": f"/showcase/{community.slug}/{year}q{quarter}/"},
    {"path": "/diary/"},
    {"path": "/me/", "cookie": cookie("member")},
    {"path": "/console/needs/", "cookie": cookie("community_admin")},
]
print("PAGES " + json.dumps(pages))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PYTHON), str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        **kwargs,
    )


def wait_until_up(base: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise SystemExit(f"lighthouse: the server at {base} did not answer /healthz")


def pages_and_cookies(env: dict) -> list[dict]:
    out = manage(env, "shell", "-c", PAGES, capture_output=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("PAGES "))
    return json.loads(line.removeprefix("PAGES "))


def audit(base: str, page: dict, chrome: str) -> dict:
    command = [
        str(LIGHTHOUSE),
        base + page["path"],
        "--output=json",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--max-wait-for-load=60000",
    ]
    if "cookie" in page:
        cookie = f"{page['cookie']['name']}={page['cookie']['value']}"
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    # On a busy machine Chromium's trace now and then misses the navigation (NO_NAVSTART):
    # such a run is repeated, up to three times.
    # The report goes to a file: through a pipe, Lighthouse's node process can exit before it
    # has written all of a large report (cut at 64 KB).
    for attempt in range(3):
        with tempfile.TemporaryDirectory(prefix="pledgeloop-lighthouse-") as folder:
            report_path = Path(folder) / "report.json"
            result = subprocess.run(
                [*command, f"--output-path={report_path}"],
                env={**os.environ, "CHROME_PATH": chrome},
                capture_output=True,
                text=True,
                timeout=300,
            )
            text = report_path.read_text() if report_path.exists() else ""
        report = json.loads(text) if text.strip().startswith("{") else None
        if result.returncode == 0 and report and not report.get("runtimeError"):
            break
        problem = (report or {}).get("runtimeError") or result.stderr[-2000:]
        print(f"lighthouse: {page['path']} (run {attempt + 1}): {problem}", file=sys.stderr)
    else:
        raise SystemExit(f"lighthouse failed on {page['path']} three times")
    final = report.get("finalDisplayedUrl") or report.get("finalUrl", "")
    if "/login/" in final and "/login/" not in page["path"]:
        raise SystemExit(f"lighthouse: {page['path']} sent the audit to the sign-in page")
    scores = {name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES}
    scores["transfer"] = round(report["audits"]["total-byte-weight"]["numericValue"] / 1024)
    failing = []
    for audit in report["audits"].values():
        if (
            audit.get("score") is not None
            and audit["score"] < 0.9
            and audit.get("scoreDisplayMode") in {"binary", "numeric", "metricSavings"}
        ):
            # the elements at fault, where the audit names them (contrast, labels, ...)
            items = (audit.get("details") or {}).get("items") or []
            nodes = [i["node"].get("snippet", "") for i in items if isinstance(i.get("node"), dict)]
            failing.append(audit["title"] + (f" [{' | '.join(nodes[:4])}]" if nodes else ""))
    scores["failing"] = failing
    return scores


def start_demo(tmp: Path) -> tuple[str, dict, subprocess.Popen]:
    env = {
        **os.environ,
        "PLEDGELOOP_VAR_DIR": str(tmp),
        "SECRET_KEY_FILE": str(tmp / "secret_key"),
        "DJANGO_SETTINGS_MODULE": "pledgeloop.settings",
    }
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [str(PYTHON), str(ROOT / "scripts" / "make-secret-key.py"), str(tmp / "secret_key")],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    print("lighthouse: preparing a demo street of its own …", file=sys.stderr)
    manage(env, "demo_prepare", stdout=subprocess.DEVNULL)
    manage(env, "collectstatic", "--noinput", "-v", "0")
    port = free_port()
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
        cwd=ROOT,
        env=env,
    )
    return f"http://127.0.0.1:{port}", env, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="audit this running demo server instead of starting one")
    parser.add_argument("--only", help="audit only the pages whose path contains this")
    parser.add_argument("--verbose", action="store_true", help="list the audits below 90 too")
    args = parser.parse_args()
    shell = "/usr/bin/chromium-headless-shell"
    chrome = os.environ.get("CHROME_PATH") or (
        shell if os.path.exists(shell) else "/usr/bin/chromium"
    )
    if not LIGHTHOUSE.exists():
        raise SystemExit("lighthouse: node_modules/.bin/lighthouse is missing (npm ci)")
    if not shutil.which(chrome) and not os.path.exists(chrome):
        raise SystemExit(
            f"lighthouse: no Chromium at {chrome} (apt-get install chromium-headless-shell)"
        )

    tmp = Path(tempfile.mkdtemp(prefix="pledgeloop-lighthouse-"))
    server = None
    try:
        if args.base:
            base = args.base.rstrip("/")
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pledgeloop.settings"}
        else:
            base, env, server = start_demo(tmp)
        wait_until_up(base)
        pages = pages_and_cookies(env)
        if args.only:
            pages = [p for p in pages if args.only in p["path"]]
        worst = {"performance": 100, "accessibility": 100}
        for page in pages:
            scores = audit(base, page, chrome)
            print(
                f"lighthouse {page['path']}: performance {scores['performance']}, "
                f"accessibility {scores['accessibility']}, "
                f"best-practices {scores['best-practices']}, seo {scores['seo']}, "
                f"transfer {scores['transfer']} KB",
                flush=True,
            )
            if args.verbose and scores["failing"]:
                print("    below 90: " + "; ".join(scores["failing"]), flush=True)
            for name in worst:
                worst[name] = min(worst[name], scores[name])
        print(
            f"lighthouse: worst performance {worst['performance']}, "
            f"worst accessibility {worst['accessibility']}"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
