"""Benchmark of the indicators (pledgeloop/stats): rollups against plain GROUP BY queries.

    python bench/stats.py                 full scale: PostgreSQL and SQLite
    python bench/stats.py --quick         scale 0.05 (what `make bench` runs, a few minutes)
    python bench/stats.py --scale 0.2     any scale; --db postgresql or --db sqlite for one

Full scale on PostgreSQL is a city: 100,000 members, 1,000,000 orders (60 % dispatched),
10,000,000 service records (every fifth with two members, so 12,000,000 participants) and
3,000,000 reviews over 2024-2025, in 20 streets of 450 communities. SQLite gets a fiftieth
of that. Rows are generated inside the database (generate_series on PostgreSQL, a recursive
CTE on SQLite), so generation takes minutes, not hours. PostgreSQL runs in a throwaway
cluster started by scripts/with-throwaway-postgres.py and removed afterwards.

Timed, each the best of three runs after one warm-up:
- "street-year": the full headline set (stats.definitions.HEADLINE) for street 1 in 2025
  and for the same period a year earlier, as the dashboard shows them;
- "city-year": the same for every street together;
- "plain": the same figures by the plain GROUP BY queries over the raw tables
  (stats.definitions), which must give identical results (checked: "exact yes");
- "refresh": bringing the rollups up to date after 1,000 new records with participants
  (what the every-minute refresh job does; the dashboard's figures are exact once it ran).
The last line per database reads:
    stats postgresql: records 10000000, street-year 0.031 s, city-year 0.087 s, plain/ours 41.2
where plain/ours is the plain time over ours for the street-year and city-year sets together.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FULL = {"members": 100_000, "orders": 1_000_000, "records": 10_000_000}
STREETS, COMMUNITIES = 20, 450
SQLITE_FRACTION = 0.02
EPOCH = "2024-01-01"  # local (Asia/Shanghai) midnight; data spans two years
SPAN_SECONDS = 2 * 365 * 24 * 3600


# --- parent: one child process per database ---------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="scale 0.05")
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scale = 0.05 if args.quick else args.scale
    if args.child:
        return child(scale)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "pledgeloop.settings"
    # With DEBUG off the app needs a private key: a throwaway one unless one is set.
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    me = [sys.executable, str(Path(__file__).resolve()), "--child", "--scale", str(scale)]
    status = 0
    if args.db in {"sqlite", "both"}:
        with tempfile.TemporaryDirectory(prefix="pledgeloop-bench-") as var:
            lite = dict(env, PLEDGELOOP_VAR_DIR=var, BENCH_SCALE_FACTOR=str(SQLITE_FRACTION))
            status |= subprocess.run(me, env=lite, cwd=ROOT).returncode
    if args.db in {"postgresql", "both"}:
        wrapper = [sys.executable, str(ROOT / "scripts" / "with-throwaway-postgres.py")]
        with tempfile.TemporaryDirectory(prefix="pledgeloop-bench-") as var:
            pg = dict(env, PLEDGELOOP_VAR_DIR=var, BENCH_SCALE_FACTOR="1")
            status |= subprocess.run(wrapper + me, env=pg, cwd=ROOT).returncode
    return status


# --- child: generate, refresh, time -----------------------------------------------------


def child(scale: float) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    factor = scale * float(os.environ.get("BENCH_SCALE_FACTOR", "1"))
    sizes = {k: max(200, int(v * factor)) for k, v in FULL.items()}
    sizes["communities"] = max(4, min(COMMUNITIES, sizes["members"] // 40))
    sizes["streets"] = max(2, min(STREETS, sizes["communities"] // 4))
    vendor = connection.vendor
    say = lambda text: print(f"[{vendor}] {text}", flush=True)  # noqa: E731
    say(
        f"scale {factor:g}: {sizes['members']:,} members, {sizes['orders']:,} orders, "
        f"{sizes['records']:,} records, {sizes['communities']} communities, "
        f"{sizes['streets']} streets"
    )
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if vendor == "postgresql":
        # Generated rows are consistent by construction: skip the per-row foreign-key
        # triggers (deferred to COMMIT by Django, they take longer than the inserts).
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    generate(sizes)
    say(f"generated in {time.perf_counter() - started:.1f} s")

    from pledgeloop.stats import definitions, indicators, periods, rollups
    from pledgeloop.stats.scope import Scope

    started = time.perf_counter()
    rollups.rollups_refresh()
    say(f"rollups built in {time.perf_counter() - started:.1f} s")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    period = periods.year(2025)
    street, city = Scope(street_id=1), Scope()

    def ours(scope):
        return [
            indicators.headline(scope, period),
            indicators.headline(scope, period.year_earlier()),
        ]

    def plain(scope):
        return [
            definitions.headline(scope, period),
            definitions.headline(scope, period.year_earlier()),
        ]

    def best(fn, scope, runs=3):
        fn(scope)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            result = fn(scope)
            times.append(time.perf_counter() - t)
        return min(times), result

    t_street, r_street = best(ours, street)
    t_city, r_city = best(ours, city)
    p_street, q_street = best(plain, street, runs=1)
    p_city, q_city = best(plain, city, runs=1)
    exact = r_street == q_street and r_city == q_city
    say(f"ours:  street-year {t_street:.3f} s, city-year {t_city:.3f} s")
    say(f"plain: street-year {p_street:.3f} s, city-year {p_city:.3f} s")
    say(f"street 1, 2025: {format_headline(r_street[0])}")
    say(f"exact {'yes' if exact else 'NO'}")

    # Freshness: 1,000 new records (with participants) arrive; the refresh job catches up.
    add_records(sizes, 1000)
    t = time.perf_counter()
    rollups.rollups_refresh()
    t_refresh = time.perf_counter() - t
    fresh = indicators.headline(street, period) == definitions.headline(street, period)
    say(f"refresh after 1,000 new records: {t_refresh:.3f} s, exact {'yes' if fresh else 'NO'}")
    ratio = (p_street + p_city) / (t_street + t_city)
    print(
        f"stats {vendor}: records {sizes['records']}, street-year {t_street:.3f} s, "
        f"city-year {t_city:.3f} s, plain/ours {ratio:.1f}",
        flush=True,
    )
    return 0 if exact and fresh else 1


def format_headline(figures: dict) -> str:
    out = []
    for name, value in figures.items():
        if isinstance(value, float):
            out.append(f"{name} {value * 100:.1f}%")
        elif value is not None:
            out.append(f"{name} {value}")
    return ", ".join(out)


# --- data generation, inside the database ------------------------------------------------


class Dialect:
    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"

    def series(self, n: int) -> tuple[str, str]:
        """(WITH prefix, FROM item) producing integers i = 1..n."""
        if self.pg:
            return "", f"generate_series(1, {n}) AS g(i)"
        return (
            f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n}) ",
            "g",
        )

    def at(self, seconds_sql: str) -> str:
        """A moment `seconds_sql` seconds after the epoch (local midnight, stored in UTC)."""
        if self.pg:
            return f"(TIMESTAMPTZ '{EPOCH} 00:00:00+08' + ({seconds_sql}) * INTERVAL '1 second')"
        seconds = f"CAST({seconds_sql} AS INTEGER)"
        return f"datetime('{EPOCH} 00:00:00', '-8 hours', '+' || {seconds} || ' seconds')"

    def plus_hours(self, moment_sql: str, hours_sql: str) -> str:
        if self.pg:
            return f"({moment_sql} + ({hours_sql}) * INTERVAL '1 hour')"
        return f"datetime({moment_sql}, '+' || CAST(({hours_sql}) * 60 AS INTEGER) || ' minutes')"

    def text(self, sql: str) -> str:
        return f"CAST({sql} AS {'text' if self.pg else 'TEXT'})"


def fill_defaults(model, known: list[str]) -> tuple[list[str], list]:
    """Other NOT NULL columns (added by other apps later) get their field defaults."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.column in known:
            continue
        default = field.get_default()
        if default is None:
            default = "" if field.get_internal_type() in {"CharField", "TextField"} else 0
        columns.append(field.column)
        values.append(default)
    return columns, values


def insert(model, columns: dict[str, str], n: int, dialect: Dialect, where: str = "") -> None:
    from django.db import connection

    extra_cols, extra_vals = fill_defaults(model, list(columns))
    prefix, source = dialect.series(n)
    names = list(columns) + extra_cols
    # The expressions use % as modulo: doubled, since the statement also has placeholders.
    exprs = [e.replace("%", "%%") for e in columns.values()] + ["%s"] * len(extra_vals)
    where = where.replace("%", "%%")
    sql = (
        f"{prefix}INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(exprs)} FROM {source} {where}"
    )
    if not dialect.pg:
        sql = f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) {prefix}" + (
            f"SELECT {', '.join(exprs)} FROM {source} {where}"
        )
    params = [v if not isinstance(v, dict | list) else "{}" for v in extra_vals]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def generate(sizes: dict) -> None:
    from django.db import connection, transaction

    from pledgeloop.orders.models import Dispatch, Order
    from pledgeloop.orgs.services import community_create, street_create
    from pledgeloop.people.models import Member, User

    d = Dialect(connection.vendor)
    S, C, M = sizes["streets"], sizes["communities"], sizes["members"]
    N, R = sizes["orders"], sizes["records"]
    with transaction.atomic():
        streets = [street_create(name=f"街道{s}", slug=f"street-{s}") for s in range(1, S + 1)]
        for c in range(1, C + 1):
            community_create(street=streets[(c - 1) % S], name=f"社区{c}", slug=f"c{c}")
    # Community c belongs to street 1 + (c - 1) % S; the street's categories are
    # (street - 1) * 6 + 1 .. + 6 (six defaults each, created in order on a fresh database).
    street_of = lambda c: f"(1 + (({c}) - 1) % {S})"  # noqa: E731
    community_of_member = f"(1 + (i % {C}))"
    # A member of community c: c - 1 + C * k, with k ≥ 1 so that the id is ≥ 1.
    per = max(2, M // C)

    def member_of(c, k):
        return f"(({c}) - 1 + {C} * (1 + (({k}) % {per - 1})))"

    def category(street, k):
        return f"((({street}) - 1) * 6 + 1 + (({k}) % 6))"

    with transaction.atomic():
        insert(
            User,
            {
                "password": "'!'",
                "is_superuser": "false" if d.pg else "0",
                "phone": f"'1' || {d.text(f'{10**9} + i')}",
                "name": f"'成员' || {d.text('i')}",
                "name_pinyin": "''",
                "name_initials": "''",
                "name_sort": "''",
                "email": "''",
                "is_active": "true" if d.pg else "1",
                "is_staff": "false" if d.pg else "0",
                "date_joined": d.at("0"),
            },
            M,
            d,
        )
        insert(
            Member,
            {
                "id": "i",
                "user_id": "i",
                "street_id": street_of(community_of_member),
                "community_id": community_of_member,
                "kind": "'volunteer'",
                "availability": "'{}'",
                "capacity": "3",
                "public_contact": "false" if d.pg else "0",
                "code": f"'m' || {d.text('i')}",
                "active": "(i % 20 <> 0)",
            },
            M,
            d,
        )
        # Orders: spread over the two years; 90 % triaged 2 h after filing, 80 % done 1-5
        # days later, 85 % accepted 1-40 h after triage (respond by: triage + 24 h). Five
        # orders a number, as a city's residents ask a few times each (pages.py's /my/).
        community = f"(1 + ((i * 7) % {C}))"
        filed = d.at(f"(i * {SPAN_SECONDS // N}) % {SPAN_SECONDS}")
        triaged = d.plus_hours(filed, "2")
        h = "((i * 2654435761) % 1000)"
        accepted = d.plus_hours(triaged, f"1 + ({h} % 40)")
        done = f"CASE WHEN {h} < 800 THEN {d.plus_hours(triaged, f'24 + ({h} % 96)')} END"
        insert(
            Order,
            {
                "id": "i",
                "street_id": street_of(community),
                "community_id": community,
                "category_id": category(street_of(community), "i"),
                "description": "'bench'",
                "address": "''",
                "recurrence": "''",
                "contact_name": "''",
                "phone": f"'13' || {d.text(f'{10**8} + (i % {max(1, N // 5)})')}",
                "photo": "''",
                "channel": "'web'",
                "state": f"CASE WHEN {h} < 800 THEN 'done' ELSE 'triaged' END",
                "assigned_member_id": member_of(community, "i"),
                "tracking_token": f"'t' || {d.text('i')}",
                "reject_reason": "''",
                "created_at": filed,
                "updated_at": filed,
                "triaged_at": f"CASE WHEN {h} < 900 THEN {triaged} END",
                "respond_by": d.plus_hours(triaged, "24"),
                "accepted_at": f"CASE WHEN {h} < 850 THEN {accepted} END",
                "done_at": done,
            },
            N,
            d,
        )
        insert(
            Dispatch,
            {
                "street_id": street_of(community),
                "order_id": "i",
                "member_id": member_of(community, "i"),
                "offered_at": d.plus_hours(triaged, "1"),
                "respond_by": d.plus_hours(triaged, "25"),
                "state": "'accepted'",
                "reason": "''",
            },
            N,
            d,
            where="WHERE i % 10 < 6",
        )
    if d.pg:
        with connection.cursor() as cursor:
            for model in (Member, Order):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
    add_records(sizes, R, first=1)


def add_records(sizes: dict, count: int, first: int | None = None) -> None:
    """`count` service records (every fifth with a second member) and reviews of 30 %."""
    from django.db import connection, transaction
    from django.db.models import Max

    from pledgeloop.reviews.models import Review
    from pledgeloop.service.models import ServiceParticipant, ServiceRecord

    d = Dialect(connection.vendor)
    S, C, M, N, R = (
        sizes["streets"],
        sizes["communities"],
        sizes["members"],
        sizes["orders"],
        sizes["records"],
    )
    base = (ServiceRecord.objects.aggregate(m=Max("id"))["m"] or 0) if first is None else 0
    per = max(2, M // C)
    j = f"(i + {base})"
    community = f"(1 + ({j} % {C}))"
    street = f"(1 + ({community} - 1) % {S})"
    started = d.at(f"(({j} * {SPAN_SECONDS // R}) + ({j} % 3600)) % {SPAN_SECONDS}")
    hours = f"(0.5 + ({j} % 8) * 0.25)"
    member1 = f"({community} - 1 + {C} * (1 + ({j} % {per - 1})))"
    member2 = f"({community} - 1 + {C} * (1 + (({j} + 1) % {per - 1})))"
    # Every tenth record fulfils an order (which is dispatched for 60 % of orders).
    order = f"CASE WHEN {j} % 10 = 0 THEN 1 + (({j} / 10) % {N}) END"
    with transaction.atomic():
        insert(
            ServiceRecord,
            {
                "id": j,
                "street_id": street,
                "community_id": community,
                "category_id": f"(({street} - 1) * 6 + 1 + ({j} % 6))",
                "order_id": order,
                "started_at": started,
                "ended_at": d.plus_hours(started, hours),
                "hours": hours,
                "note": "''",
                "verification": "'self'",
                "created_at": started,
            },
            count,
            d,
        )
        insert(
            ServiceParticipant,
            {"street_id": street, "record_id": j, "member_id": member1},
            count,
            d,
        )
        if per > 2:
            insert(
                ServiceParticipant,
                {"street_id": street, "record_id": j, "member_id": member2},
                count,
                d,
                where=f"WHERE {j} % 5 = 0",
            )
        h = f"((({j} / 10) * 37 + {j}) % 100)"
        insert(
            Review,
            {
                "street_id": street,
                "community_id": community,
                "record_id": j,
                "rating": f"CASE WHEN {h} < 90 THEN 5 WHEN {h} < 97 THEN 4 "
                f"WHEN {h} < 99 THEN 3 ELSE 1 END",
                "comment": "''",
                "created_at": d.plus_hours(started, "20"),
            },
            count,
            d,
            where=f"WHERE {j} % 10 < 3",
        )
    if d.pg:
        with connection.cursor() as cursor:
            for model in (ServiceRecord,):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )


if __name__ == "__main__":
    sys.exit(main())
