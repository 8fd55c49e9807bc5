"""Benchmark of the pages people meet, on a city's data, against a no-database baseline.

    python bench/pages.py                 full scale (a city; generation takes a long while)
    python bench/pages.py --quick         scale 0.05, 3 s a page (what `make bench` runs)
    python bench/pages.py --scale 0.2 --seconds 8 --clients 8 --workers 2

PostgreSQL only, in a throwaway cluster (scripts/with-throwaway-postgres.py). Full scale is
the stats bench's city, generated inside the database by bench/stats.py's generator
(generate_series): 20 streets, 100,000 members (200 or so a community, 5,000 a street),
1,000,000 orders, 10,000,000 service records with their participants and 3,000,000
reviews over the two years up to this month; added here in proportion: a pledge for every
second member with twenty weekly visits each (the past ones made or missed), a team of
twenty for every community, four events a community, homes and order points for the nearby
list, one street admin, one member with a home in a dense district, one API token, and a
resident who has proved their number by a text code for `/my/` (found city-wide by number).

The app is then served as in production (granian, 2 workers, see bench/intake.py) with
SERVER_TIMING=1, which makes each response carry its own app time and query count
(pledgeloop/lib/timing.py). Keep-alive clients (8 by default, gzip accepted as a browser
does) ask each page over and over for `--seconds`; the baseline is /livez (the whole
middleware stack, no query) asked by the same server and clients before and after the
pages, so that a figure is a ratio, which holds on a shared machine where absolute figures
move by a quarter from run to run. One line per page:

    page /console/needs/: 412 req/s, 0.31x baseline, p50 9 ms, p95 21 ms, 6 queries

p50 and p95 are the server's own time (Server-Timing app), queries the most any answer to
that page ran. The last line:

    pages postgresql: orders 1000000, worst light 0.31x, worst heavy 0.12x, worst p95 48 ms

Targets (issue 17): p95 <= 100 ms; light pages >= 0.30x, heavy (dashboard, showcase,
annual review, nearby; and /my/, not named by the issue) >= 0.10x. The exit status is not
tied to them (figures move with the machine's load); a page that answers anything but 200
fails the run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.util
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The stats bench's generator (members, orders, dispatches, records, participants, reviews)
# and the intake bench's server handling (granian command, start, worker pids).
stats_bench = _load("stats")
intake_bench = _load("intake")

FULL = {"members": 100_000, "orders": 1_000_000, "records": 10_000_000}
STREETS = 20
MEMBERS_PER_COMMUNITY = 200
VISITS_PER_PLEDGE = 20
TEAM_SIZE = 20
EVENTS_PER_COMMUNITY = 4
# /my/ is not among issue 17's pages; it is heavy here: a person's records of every kind,
# looked up in every street by number, private (never cached), 7 queries.
HEAVY = {"dashboard", "showcase", "annual", "nearby", "my-data"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="scale 0.05, 3 s a page")
    parser.add_argument("--seconds", type=float, default=None, help="per page (default 10)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    parser.add_argument("--only", default="", help="measure only pages whose name has this")
    parser.add_argument(
        "--keep",
        default="",
        help="keep the cluster in this folder: the city is generated the first time and "
        "reused (migrated) by the next runs at the same scale on the same day",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.scale = 0.05
    if args.seconds is None:
        args.seconds = 3.0 if args.quick else 10.0
    if args.child:
        return child(args)
    me = [str(PYTHON), str(Path(__file__).resolve()), "--child"]
    for name in ("scale", "seconds", "clients", "workers", "threads", "server", "only"):
        me += [f"--{name}", str(getattr(args, name))]
    wrapper = [str(PYTHON), str(ROOT / "scripts" / "with-throwaway-postgres.py")]
    env = dict(os.environ)
    if args.keep:
        env["PLEDGELOOP_PG_KEEP"] = str(Path(args.keep).resolve())
    return subprocess.run(wrapper + me, cwd=ROOT, env=env, check=False).returncode


# --- the child: inside the throwaway cluster ------------------------------------------------


def child(args) -> int:
    if not os.environ.get("DATABASE_URL"):
        print("pages postgresql: skipped, no DATABASE_URL (no PostgreSQL here)")
        return 0
    # The project's var/ (its collected static files, which `make setup` keeps up to date):
    # the pages link them through the manifest; nothing is written there.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pledgeloop.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "LOG_LEVEL": "ERROR",
        "SERVER_TIMING": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    world = build(args.scale)
    return serve_and_measure(args, env, world)


def sizes_for(scale: float) -> dict:
    sizes = {k: max(200, int(v * scale)) for k, v in FULL.items()}
    sizes["streets"] = STREETS
    # About 200 members a community (the wall's), 5,000 a street at full scale (the annual
    # review's); the stats bench's 450 communities at full scale.
    # (Not a multiple of 20: the generator's inactive members are those with id % 20 = 0, and
    # member i is in community 1 + i % C, so C = 20 would make community 1 all inactive.)
    communities = max(STREETS + 1, min(450, sizes["members"] // MEMBERS_PER_COMMUNITY))
    sizes["communities"] = communities + 1 if communities % 20 == 0 else communities
    return sizes


def build(scale: float) -> dict:
    from django.core.management import call_command
    from django.db import connection

    sizes = sizes_for(scale)
    say = lambda text: print(f"[postgresql] {text}", flush=True)  # noqa: E731
    say(
        f"scale {scale:g}: {sizes['members']:,} members, {sizes['orders']:,} orders, "
        f"{sizes['records']:,} records, {sizes['communities']} communities, "
        f"{sizes['streets']} streets"
    )
    call_command("migrate", verbosity=0)
    today = dt.date.today()
    kept = os.environ.get("PLEDGELOOP_PG_KEEP")
    built = Path(kept) / f"city-{scale:g}-{today.isoformat()}" if kept else None
    if built is not None and built.exists():
        # The kept city, migrated above; the rollups brought up to date (what a migration or
        # a change of code left stale), the people and pages looked up again.
        say("reusing the kept city")
        from pledgeloop.stats import rollups

        rollups.rollups_refresh()
        return people_and_pages(sizes, today)
    # Two years of data up to the end of this month, so that the dashboard's last twelve
    # months, the last quarter's showcase and last year's annual review all have data.
    first = dt.date(today.year - 2, today.month, 1) + dt.timedelta(days=32)
    stats_bench.EPOCH = first.replace(day=1).isoformat()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    stats_bench.generate(sizes)
    add_city_life(sizes)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
    say(f"generated in {time.perf_counter() - started:.1f} s")
    from pledgeloop.stats import rollups

    started = time.perf_counter()
    rollups.rollups_refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    say(f"rollups and ANALYZE in {time.perf_counter() - started:.1f} s")
    found = people_and_pages(sizes, today)
    if built is not None:
        built.touch()
    return found


def add_city_life(sizes: dict) -> None:
    """Pledges with visits, teams with rosters, events; homes and order points."""
    from django.db import connection, transaction

    from pledgeloop.pledges.models import Pledge, Visit
    from pledgeloop.teams.models import Event, Team, TeamMembership

    d = stats_bench.Dialect("postgresql")
    insert = stats_bench.insert
    S, C, M = sizes["streets"], sizes["communities"], sizes["members"]
    per = max(2, M // C)
    street_of = lambda c: f"(1 + (({c}) - 1) % {S})"  # noqa: E731
    epoch = f"DATE '{stats_bench.EPOCH}'"
    # Every second member of each community has a pledge (member i is the (i / C)-th of
    # community 1 + i % C; inactive members, i % 20 = 0, have none): pledge i is member i's.
    # The odd ones: at full scale (C = 450) street 1's even ones are exactly its inactive
    # members (i = 450q + 20k, so i % 20 = 0 when q is even), and it had no pledge at all.
    pledged = lambda i: f"WHERE (({i}) / {C}) % 2 = 1 AND ({i}) % 20 <> 0"  # noqa: E731
    with transaction.atomic():
        community = f"(1 + (i % {C}))"
        insert(
            Pledge,
            {
                "id": "i",
                "street_id": street_of(community),
                "community_id": community,
                "member_id": "i",
                "category_id": f"(({street_of(community)} - 1) * 6 + 1 + (i % 6))",
                "title": "'每周陪老人聊天'",
                "details": "''",
                "beneficiary_kind": "'group'",
                "beneficiary_name": "'独居老人'",
                "rrule": "'FREQ=WEEKLY'",
                "starts_on": f"({epoch} + (i % 300))",
                "ends_on": f"({epoch} + (i % 300) + {7 * VISITS_PER_PLEDGE})",
                "target_visits": str(VISITS_PER_PLEDGE),
                "public": "true",
                "state": "'active'",
                "review_comment": "''",
            },
            M,
            d,
            where=pledged("i"),
        )
        # Twenty weekly visits a pledge, at 9:00 local time: those past made, every fifth
        # missed; those to come due.
        pledge = f"(1 + (i - 1) / {VISITS_PER_PLEDGE})"
        when = (
            f"(({epoch} + ({pledge} % 300) + 7 * ((i - 1) % {VISITS_PER_PLEDGE}))"
            "::timestamp AT TIME ZONE 'Asia/Shanghai' + INTERVAL '9 hours')"
        )
        past = f"{when} < now()"
        insert(
            Visit,
            {
                "street_id": street_of(f"(1 + ({pledge} % {C}))"),
                "pledge_id": pledge,
                "member_id": pledge,
                "scheduled_at": when,
                "due_on": f"({when} AT TIME ZONE 'Asia/Shanghai')::date",
                "state": f"CASE WHEN {past} THEN CASE WHEN i % 5 = 0 THEN 'missed' "
                "ELSE 'fulfilled' END ELSE 'due' END",
                "fulfilled_at": f"CASE WHEN {past} AND i % 5 <> 0 THEN {when} END",
            },
            M * VISITS_PER_PLEDGE,
            d,
            where=pledged(pledge),
        )
        insert(
            Team,
            {
                "id": "i",
                "street_id": street_of("i"),
                "community_id": "i",
                "scope": "'community'",
                "name": "'志愿服务队' || i",
                "slug": "'team-' || i",
                "description": "''",
                "service_area": "''",
            },
            C,
            d,
        )
        size = min(TEAM_SIZE, per - 1)
        team = f"(1 + (i - 1) / {size})"
        insert(
            TeamMembership,
            {
                "street_id": street_of(team),
                "team_id": team,
                "member_id": f"({team} - 1 + {C} * (1 + ((i - 1) % {size})))",
                "is_leader": f"((i - 1) % {size} = 0)",
            },
            C * size,
            d,
        )
        span = stats_bench.SPAN_SECONDS
        starts = d.at(f"((i * 7919) % {span // 3600}) * 3600")
        insert(
            Event,
            {
                "street_id": street_of(f"(1 + (i - 1) % {C})"),
                "community_id": f"(1 + (i - 1) % {C})",
                "kind": "'activity'",
                "title": "'邻里节' || i",
                "slug": "'event-' || i",
                "team_id": f"(1 + (i - 1) % {C})",
                "partner": "''",
                "starts_at": starts,
                "ends_at": d.plus_hours(starts, "2"),
                "audience": "''",
                "description": "''",
            },
            C * EVENTS_PER_COMMUNITY,
            d,
        )
        with connection.cursor() as cursor:
            # Communities on a grid about 1 km apart; members and open orders around them.
            lat = "(31.90 + ((community_id - 1) % 20) * 0.009 + (id % 97) * 0.00004)"
            lng = "(120.90 + ((community_id - 1) / 20) * 0.011 + (id % 89) * 0.00005)"
            cursor.execute(
                f"UPDATE people_member SET home_latitude = {lat}, home_longitude = {lng}"
            )
            cursor.execute(
                f"UPDATE orders_order SET latitude = {lat}, longitude = {lng} "
                "WHERE state = 'triaged'"
            )
            for model in (Pledge, Team, Event):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )


def people_and_pages(sizes: dict, today: dt.date) -> dict:
    """The people who ask (sessions, an API token) and the pages they ask for."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from pledgeloop.api.tokens import api_token_create
    from pledgeloop.orders.models import Order
    from pledgeloop.orgs.models import Category, Street
    from pledgeloop.people.models import Member, Role, RoleGrant
    from pledgeloop.privacy.views import SESSION_AT, SESSION_PHONE

    User = get_user_model()
    street = Street.objects.get(pk=1)
    admin = User.objects.filter(phone="13900000101").first() or User.objects.create_user(
        "13900000101", "bench-admin-pass", name="街道管理员"
    )
    RoleGrant.objects.get_or_create(user=admin, role=Role.STREET_ADMIN, street=street)
    # A member of street 1 with a pledge (every second member has one), and their community.
    member = (
        Member.objects.filter(street=street, active=True, pledges__isnull=False)
        .select_related("community", "user")
        .distinct()
        .order_by("id")
        .first()
    )
    community = member.community
    RoleGrant.objects.get_or_create(
        user=member.user, role=Role.MEMBER, street=street, community=community
    )
    sessions = {}
    for name, user in (("admin", admin), ("member", member.user)):
        client = Client()
        client.force_login(user)
        sessions[name] = client.cookies["sessionid"].value
    # A resident who proved their number by a text code (/my/, privacy.views.my_phone): the
    # number of one of the street's orders, looked up city-wide as the page does.
    resident_phone = (
        Order.objects.filter(street=street).exclude(phone="").order_by("pk").first().phone
    )
    proved = import_module(settings.SESSION_ENGINE).SessionStore()
    proved[SESSION_PHONE], proved[SESSION_AT] = resident_phone, timezone.now().isoformat()
    proved.create()
    sessions["resident"] = proved.session_key
    _, token = api_token_create(
        by=admin,
        street=street,
        community=None,
        application="bench",
        scopes=["act_community"],
        rate_limit=10**9,
    )
    order = Order.objects.filter(street=street, state=Order.State.TRIAGED).order_by("-pk").first()
    category = Category.objects.filter(street=street).order_by("pk")[2]
    quarter = (today.month - 1) // 3  # the last whole quarter
    year, quarter = (today.year, quarter) if quarter else (today.year - 1, 4)
    admin_h = {"Cookie": f"sessionid={sessions['admin']}"}
    member_h = {"Cookie": f"sessionid={sessions['member']}"}
    api_h = {"Authorization": f"Bearer {token}"}
    resident_h = {"Cookie": f"sessionid={sessions['resident']}"}
    pages = [
        ("form", f"/order/new/{street.slug}/{community.slug}/", {}),
        ("needs", "/console/needs/", admin_h),
        ("needs-category", f"/console/needs/?category={category.pk}&page=50", admin_h),
        ("order", f"/console/orders/{order.pk}/", admin_h),
        ("member-home", "/me/", member_h),
        ("nearby", "/me/orders/nearby/", member_h),
        ("wall", f"/wall/{community.slug}/", {}),
        ("member-page", f"/m/{member.code}/", {}),
        ("showcase", f"/showcase/{community.slug}/{year}q{quarter}/", {}),
        ("dashboard", "/console/stats/", admin_h),
        ("dashboard-community", f"/console/stats/?community={community.pk}", admin_h),
        ("public-figures", f"/stats/{street.slug}/", {}),
        ("annual", f"/annual/{street.slug}/{today.year - 1}/", admin_h),
        ("api-orders", "/api/v1/orders", api_h),
        ("my-data", "/my/", resident_h),
    ]
    members_in_street = Member.objects.filter(street=street).count()
    members_in_community = Member.objects.filter(community=community).count()
    print(
        f"[postgresql] street 1: {members_in_street:,} members; community {community.slug}: "
        f"{members_in_community} members; orders {Order.objects.count():,}",
        flush=True,
    )
    return {"pages": pages, "orders": Order.objects.count()}


# --- serving and measuring ----------------------------------------------------------------

TIMING = re.compile(r'app;dur=([0-9.]+).*desc="([0-9]+) queries"')


class Asker(threading.Thread):
    """One phone asking one page again and again (keep-alive, gzip) until the deadline."""

    def __init__(self, port, path, headers, seconds, start_line):
        super().__init__(daemon=True)
        self.port, self.path, self.seconds, self.start_line = port, path, seconds, start_line
        self.headers = {"Accept-Encoding": "gzip", **headers}
        self.answered = 0
        self.server_ms: list[float] = []
        self.queries: list[int] = []
        self.errors: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.start_line.wait()
        deadline = time.perf_counter() + self.seconds
        while time.perf_counter() < deadline:  # bounded by the deadline
            try:
                conn.request("GET", self.path, headers=self.headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            if response.status != 200:
                self.errors.append(f"HTTP {response.status}")
                continue
            self.answered += 1
            timing = TIMING.search(response.getheader("Server-Timing") or "")
            if timing:
                self.server_ms.append(float(timing.group(1)))
                self.queries.append(int(timing.group(2)))
        conn.close()


def ask(port: int, path: str, headers: dict, clients: int, seconds: float) -> dict:
    start_line = threading.Barrier(clients + 1)
    askers = [Asker(port, path, headers, seconds, start_line) for _ in range(clients)]
    for asker in askers:
        asker.start()
    start_line.wait(timeout=120)
    started = time.perf_counter()
    for asker in askers:
        asker.join(timeout=seconds + 120)
    elapsed = time.perf_counter() - started
    times = sorted(t for a in askers for t in a.server_ms)
    queries = [q for a in askers for q in a.queries]
    errors = [e for a in askers for e in a.errors]
    return {
        "rate": sum(a.answered for a in askers) / elapsed,
        "p50": times[len(times) // 2] if times else 0.0,
        "p95": times[min(len(times) - 1, int(len(times) * 0.95))] if times else 0.0,
        "queries": max(queries) if queries else 0,
        "errors": errors,
    }


def first_answer(port: int, path: str, headers: dict) -> tuple[int, str]:
    """One request, to warm the workers up and to say what went wrong when it is not a 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, response.getheader("Location") or body[:200].decode(errors="replace")


def serve_and_measure(args, env: dict, world: dict) -> int:
    port = intake_bench.free_port()
    server = subprocess.Popen(
        intake_bench.server_command(args, port),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    failed = False
    try:
        intake_bench.wait_until_up(port, server)
        print(
            f"postgresql: {args.server} {args.workers} workers × {args.threads} threads on "
            f"127.0.0.1:{port}, {args.clients} clients, {args.seconds:g} s a page",
            flush=True,
        )
        pages = [p for p in world["pages"] if args.only in p[0]]
        for _name, path, headers in pages:
            for _ in range(args.workers * 2):
                status, detail = first_answer(port, path, headers)
                if status != 200:
                    print(f"page {path}: HTTP {status} ({detail})", flush=True)
                    failed = True
                    break
        if failed:
            return 1
        for _ in range(args.workers * 4):
            first_answer(port, "/livez", {})
        before = ask(port, "/livez", {}, args.clients, args.seconds)
        results = []
        for name, path, headers in pages:
            result = ask(port, path, headers, args.clients, args.seconds)
            results.append((name, path, result))
        after = ask(port, "/livez", {}, args.clients, args.seconds)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
    baseline = statistics.mean([before["rate"], after["rate"]])
    print(
        f"baseline /livez: {baseline:.0f} req/s (before {before['rate']:.0f}, "
        f"after {after['rate']:.0f}), p50 {before['p50']:.1f} ms",
        flush=True,
    )
    worst = {"light": None, "heavy": None}
    worst_p95 = 0.0
    summary = {}
    for name, path, result in results:
        ratio = result["rate"] / baseline
        kind = "heavy" if any(name.startswith(h) for h in HEAVY) else "light"
        worst[kind] = ratio if worst[kind] is None else min(worst[kind], ratio)
        worst_p95 = max(worst_p95, result["p95"])
        errors = f", {len(result['errors'])} errors" if result["errors"] else ""
        failed |= bool(result["errors"])
        print(
            f"page {path}: {result['rate']:.0f} req/s, {ratio:.2f}x baseline, "
            f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
            f"{result['queries']} queries{errors}",
            flush=True,
        )
        summary[name] = {**result, "ratio": ratio, "errors": len(result["errors"])}
    if os.environ.get("BENCH_PAGES_JSON"):
        Path(os.environ["BENCH_PAGES_JSON"]).write_text(json.dumps(summary, indent=1))

    def fmt(value):
        return f"{value:.2f}x" if value is not None else "-"

    print(
        f"pages postgresql: orders {world['orders']}, worst light {fmt(worst['light'])}, "
        f"worst heavy {fmt(worst['heavy'])}, worst p95 {worst_p95:.0f} ms",
        flush=True,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
