# ruff: noqa: S608  (SQL here is built from model table names and fixed fragments only;
# every value is a query parameter)
"""Keeping the rollups (stats/models.py) exact: full builds and incremental refreshes.

Every figure is aggregated in the database by INSERT … SELECT … GROUP BY over the raw tables,
by local day (settings.TIME_ZONE). A refresh recomputes only the (street, day) cells that
changed since the last one: the days that model signals marked (stats/signals.py) and the
days of rows whose id is above the marks of the last refresh (bulk inserts send no signals).
`ensure_fresh()` runs before the dashboard reads, so what it shows is exact as of the
request; the scheduler's `stats_refresh` job (tasks/schedule.py, every STATS_REFRESH_MINUTES)
keeps the rollups warm so that this is cheap, and `manage.py stats_refresh` does the same by
hand.
"""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceParticipant, ServiceRecord
from pledgeloop.teams.models import Attendance, Event, EventSession

from .models import DayFigures, DirtyDay, MemberMonth, MemberYear, MonthFigures, RollupState

# Past this many changed days, rebuilding the changed streets is cheaper.
REBUILD_DAYS = 300
# Past this many members with changed months, their streets' years are recomputed whole.
MEMBER_YEAR_BATCH = 2000

SOURCES = {
    "record": ServiceRecord,
    "participant": ServiceParticipant,
    "order": Order,
    "dispatch": Dispatch,
    "review": Review,
    "attendance": Attendance,
}

COLUMNS = [
    "records",
    "on_order_records",
    "hours",
    "orders_done",
    "orders_triaged",
    "orders_triaged_done",
    "orders_dispatched",
    "orders_responded",
    "reviews",
    "reviews_satisfied",
]


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def local_day_sql(column: str) -> tuple[str, list]:
    sql, params = connection.ops.datetime_cast_date_sql(column, (), settings.TIME_ZONE)
    return sql, list(params)


def month_of_sql(day_sql: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {day_sql}) AS date)"
    return f"date({day_sql}, 'start of month')"


def local_day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def _dt(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _d(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def _select(values: dict[str, str]) -> str:
    return ", ".join(f"{values.get(c, '0')} AS {c}" for c in COLUMNS)


def _day_filter(column: str, days: list[dt.date] | None) -> tuple[str, list]:
    """WHERE fragment restricting a datetime column to some local days (index-friendly)."""
    if days is None:
        return "", []
    day_sql, params = local_day_sql(column)
    lo = timezone.make_aware(dt.datetime.combine(min(days), dt.time.min)) - dt.timedelta(days=1)
    hi = timezone.make_aware(dt.datetime.combine(max(days), dt.time.min)) + dt.timedelta(days=2)
    marks = ", ".join(["%s"] * len(days))
    return (
        f" AND {column} >= %s AND {column} < %s AND {day_sql} IN ({marks})",
        [_dt(lo), _dt(hi), *params, *map(_d, days)],
    )


def _street_filter(column: str, street_ids: list[int] | None) -> tuple[str, list]:
    if street_ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(street_ids))})", list(street_ids)


def _day_figures_sql(street_ids, days) -> tuple[str, list]:
    """INSERT … SELECT for DayFigures: seven sources, UNION ALL, one GROUP BY."""
    rec, par, order, disp, rev = (
        _t(ServiceRecord),
        _t(ServiceParticipant),
        _t(Order),
        _t(Dispatch),
        _t(Review),
    )
    att, sess, event = _t(Attendance), _t(EventSession), _t(Event)
    parts, params = [], []

    def add(sql_template: str, day_column: str, street_column: str, from_params=()):
        day_sql, day_params = local_day_sql(day_column)
        where_streets, p_streets = _street_filter(street_column, street_ids)
        where_days, p_days = _day_filter(day_column, days)
        parts.append(
            sql_template.format(day=day_sql, where=f"WHERE 1=1{where_streets}{where_days}")
        )
        params.extend([*day_params, *from_params, *p_streets, *p_days])

    on_order = (
        f"SUM(CASE WHEN EXISTS (SELECT 1 FROM {disp} d WHERE d.order_id = r.order_id) "
        "THEN 1 ELSE 0 END)"
    )
    add(
        f"SELECT r.street_id, r.community_id, r.category_id, {{day}} AS day, "
        f"{_select({'records': 'COUNT(*)', 'on_order_records': on_order})} "
        f"FROM {rec} r {{where}} GROUP BY r.street_id, r.community_id, r.category_id, 4",
        "r.started_at",
        "r.street_id",
    )
    add(
        f"SELECT r.street_id, r.community_id, r.category_id, {{day}} AS day, "
        f"{_select({'hours': 'SUM(r.hours)'})} "
        f"FROM {par} p JOIN {rec} r ON r.id = p.record_id {{where}} "
        "GROUP BY r.street_id, r.community_id, r.category_id, 4",
        "r.started_at",
        "r.street_id",
    )
    # Non-member volunteers' event hours (definitions.service_hours): by the day their session
    # starts, the event's community (none for a street-wide event), no category.
    add(
        f"SELECT a.street_id, e.community_id, NULL AS category_id, {{day}} AS day, "
        f"{_select({'hours': 'SUM(a.hours)'})} "
        f"FROM {att} a JOIN {sess} s ON s.id = a.session_id JOIN {event} e ON e.id = s.event_id "
        "{where} AND a.volunteer_id IS NOT NULL GROUP BY a.street_id, e.community_id, 4",
        "s.starts_at",
        "a.street_id",
    )
    add(
        f"SELECT o.street_id, o.community_id, o.category_id, {{day}} AS day, "
        f"{_select({'orders_done': 'COUNT(*)'})} "
        f"FROM {order} o {{where}} AND o.done_at IS NOT NULL "
        "GROUP BY o.street_id, o.community_id, o.category_id, 4",
        "o.done_at",
        "o.street_id",
    )
    triaged_done = "SUM(CASE WHEN o.done_at IS NOT NULL THEN 1 ELSE 0 END)"
    add(
        f"SELECT o.street_id, o.community_id, o.category_id, {{day}} AS day, "
        f"{_select({'orders_triaged': 'COUNT(*)', 'orders_triaged_done': triaged_done})} "
        f"FROM {order} o {{where}} AND o.triaged_at IS NOT NULL "
        "GROUP BY o.street_id, o.community_id, o.category_id, 4",
        "o.triaged_at",
        "o.street_id",
    )
    in_time = (
        "SUM(CASE WHEN o.accepted_at IS NOT NULL AND "
        "(o.respond_by IS NULL OR o.accepted_at <= o.respond_by) THEN 1 ELSE 0 END)"
    )
    # The first offer of each order decides the day it counts as dispatched.
    inner_streets, p_inner = _street_filter("street_id", street_ids)
    first = (
        f"(SELECT order_id, MIN(offered_at) AS first_offer FROM {disp} "
        f"WHERE 1=1{inner_streets} GROUP BY order_id)"
    )
    add(
        f"SELECT o.street_id, o.community_id, o.category_id, {{day}} AS day, "
        f"{_select({'orders_dispatched': 'COUNT(*)', 'orders_responded': in_time})} "
        f"FROM {order} o JOIN {first} f ON f.order_id = o.id {{where}} "
        "GROUP BY o.street_id, o.community_id, o.category_id, 4",
        "f.first_offer",
        "o.street_id",
        p_inner,
    )
    satisfied = f"SUM(CASE WHEN {Review.satisfied_sql('v.rating')} THEN 1 ELSE 0 END)"
    add(
        f"SELECT v.street_id, v.community_id, r.category_id, {{day}} AS day, "
        f"{_select({'reviews': 'COUNT(*)', 'reviews_satisfied': satisfied})} "
        f"FROM {rev} v JOIN {rec} r ON r.id = v.record_id {{where}} "
        "GROUP BY v.street_id, v.community_id, r.category_id, 4",
        "v.created_at",
        "v.street_id",
    )
    sums = ", ".join(f"SUM({c})" for c in COLUMNS)
    sql = (
        f"INSERT INTO {_t(DayFigures)} (street_id, community_id, category_id, day, "
        f"{', '.join(COLUMNS)}) "
        f"SELECT street_id, community_id, category_id, day, {sums} FROM ("
        + " UNION ALL ".join(parts)
        + ") u GROUP BY street_id, community_id, category_id, day"
    )
    return sql, params


def _member_month_sql(street_ids, months) -> tuple[str, list]:
    rec, par = _t(ServiceRecord), _t(ServiceParticipant)
    day_sql, day_params = local_day_sql("r.started_at")
    month_sql = month_of_sql(day_sql)
    where_streets, p_streets = _street_filter("p.street_id", street_ids)
    where, p_where = "", []
    if months is not None:
        lo = timezone.make_aware(dt.datetime.combine(min(months), dt.time.min))
        hi_month = max(months)
        hi_month = dt.date(hi_month.year + hi_month.month // 12, hi_month.month % 12 + 1, 1)
        hi = timezone.make_aware(dt.datetime.combine(hi_month, dt.time.min))
        marks = ", ".join(["%s"] * len(months))
        where = f" AND r.started_at >= %s AND r.started_at < %s AND {month_sql} IN ({marks})"
        p_where = [
            _dt(lo - dt.timedelta(days=1)),
            _dt(hi + dt.timedelta(days=1)),
            *day_params,
            *map(_d, months),
        ]
    sql = (
        f"INSERT INTO {_t(MemberMonth)} (street_id, member_id, month, records, hours) "
        f"SELECT MAX(p.street_id), p.member_id, {month_sql} AS month, COUNT(*), SUM(r.hours) "
        f"FROM {par} p JOIN {rec} r ON r.id = p.record_id WHERE 1=1{where_streets}{where} "
        "GROUP BY p.member_id, 3"
    )
    return sql, [*day_params, *p_streets, *p_where]


def _member_year_sql(street_ids, years: list[int] | None, members=None) -> tuple[str, list]:
    """MemberYear from MemberMonth (after those are up to date): a bit per month served.
    A member has one MemberMonth row per street and month, so the SUM of the months' bits is
    their OR.
    `members`, when given, limits it to those members."""
    if connection.vendor == "postgresql":
        year_sql = "CAST(EXTRACT(YEAR FROM month) AS integer)"
        bit_sql = "1 << (CAST(EXTRACT(MONTH FROM month) AS integer) - 1)"
    else:
        year_sql = "CAST(strftime('%%Y', month) AS integer)"
        bit_sql = "1 << (CAST(strftime('%%m', month) AS integer) - 1)"
    where, params = _street_filter("street_id", street_ids)
    if years is not None:
        marks = ", ".join(["%s"] * len(years))
        where += f" AND month >= %s AND month < %s AND {year_sql} IN ({marks})"
        params += [_d(dt.date(min(years), 1, 1)), _d(dt.date(max(years) + 1, 1, 1)), *years]
    if members is not None:
        where += f" AND member_id IN ({', '.join(['%s'] * len(members))})"
        params += list(members)
    sql = (
        f"INSERT INTO {_t(MemberYear)} (street_id, member_id, year, months) "
        f"SELECT street_id, member_id, {year_sql}, SUM({bit_sql}) FROM {_t(MemberMonth)} "
        f"WHERE 1=1{where} GROUP BY street_id, member_id, {year_sql}"
    )
    return sql, params


def _month_figures_sql(street_id: int | None, months: list[dt.date] | None):
    """MonthFigures from DayFigures (after those are up to date)."""
    month_sql = month_of_sql("day")
    where, params = "", []
    if street_id is not None:
        where, params = " AND street_id = %s", [street_id]
    if months is not None:
        last = max(months)
        after = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
        where += (
            f" AND day >= %s AND day < %s AND {month_sql} IN ({', '.join(['%s'] * len(months))})"
        )
        params += [_d(min(months)), _d(after), *[_d(m) for m in months]]
    sums = ", ".join(f"SUM({c})" for c in COLUMNS)
    sql = (
        f"INSERT INTO {_t(MonthFigures)} (street_id, community_id, category_id, month, "
        f"{', '.join(COLUMNS)}) "
        f"SELECT street_id, community_id, category_id, {month_sql}, {sums} "
        f"FROM {_t(DayFigures)} WHERE 1=1{where} GROUP BY street_id, community_id, category_id, 4"
    )
    return sql, params


def _execute(sql_params: tuple[str, list]) -> None:
    sql, params = sql_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _marks() -> dict[str, int]:
    return {name: model.objects.aggregate(m=Max("id"))["m"] or 0 for name, model in SOURCES.items()}


@transaction.atomic
def rollups_rebuild(*, street_ids: list[int] | None = None) -> None:
    """Recompute every rollup row of these streets (None: of every street) from scratch."""
    tables = [DayFigures, MonthFigures, MemberMonth, MemberYear]
    for model in tables:
        rows = model.objects.all()
        if street_ids is not None:
            rows = rows.filter(street_id__in=street_ids)
        rows.delete()
    _execute(_day_figures_sql(street_ids, None))
    for street_id in street_ids or [None]:
        _execute(_month_figures_sql(street_id, None))
    _execute(_member_month_sql(street_ids, None))
    _execute(_member_year_sql(street_ids, None))


def _refresh_cells(street_ids: list[int], days: set[dt.date]) -> None:
    """Recompute every (street, day) cell of these streets × these days, in one statement per
    table: some cells may be recomputed without need, none is left stale."""
    days_list = sorted(days)
    DayFigures.objects.filter(street_id__in=street_ids, day__in=days_list).delete()
    _execute(_day_figures_sql(street_ids, days_list))
    months = sorted({d.replace(day=1) for d in days_list})
    MonthFigures.objects.filter(street_id__in=street_ids, month__in=months).delete()
    for street_id in street_ids:
        _execute(_month_figures_sql(street_id, months))
    touched = MemberMonth.objects.filter(street_id__in=street_ids, month__in=months)
    before = set(touched.values_list("member_id", flat=True))
    touched.delete()
    _execute(_member_month_sql(street_ids, months))
    # Only members with a month here, before or after, can have another MemberYear row.
    members = sorted(before | set(touched.values_list("member_id", flat=True)))
    years = sorted({m.year for m in months})
    if len(members) > MEMBER_YEAR_BATCH:
        MemberYear.objects.filter(street_id__in=street_ids, year__in=years).delete()
        _execute(_member_year_sql(street_ids, years))
    elif members:
        MemberYear.objects.filter(
            street_id__in=street_ids, year__in=years, member_id__in=members
        ).delete()
        _execute(_member_year_sql(street_ids, years, members))


def _new_rows_days(marks: dict[str, int], now_marks: dict[str, int]) -> set[tuple[int, dt.date]]:
    """(street, day) of every row added since the last refresh, signals or not."""
    out: set[tuple[int, dt.date]] = set()

    def new(name):
        return SOURCES[name].objects.filter(id__gt=marks.get(name, 0), id__lte=now_marks[name])

    for street, at in new("record").values_list("street_id", "started_at"):
        out.add((street, local_day(at)))
    for street, at in new("participant").values_list("street_id", "record__started_at"):
        out.add((street, local_day(at)))
    for street, at in new("review").values_list("street_id", "created_at"):
        out.add((street, local_day(at)))
    volunteers = new("attendance").filter(volunteer__isnull=False)
    for street, at in volunteers.values_list("street_id", "session__starts_at"):
        out.add((street, local_day(at)))
    for street, *stamps in new("order").values_list("street_id", "triaged_at", "done_at"):
        out.update((street, local_day(at)) for at in stamps if at)
    order_ids = new("dispatch").values_list("order_id", flat=True)
    firsts = (
        Dispatch.objects.filter(order_id__in=list(order_ids))
        .values("order_id", "street_id")
        .annotate(first=Min("offered_at"))
    )
    out.update((row["street_id"], local_day(row["first"])) for row in firsts)
    for street, at in Dispatch.objects.filter(order_id__in=list(order_ids)).values_list(
        "street_id", "offered_at"
    ):
        out.add((street, local_day(at)))
    return out


@transaction.atomic
def rollups_refresh() -> dict:
    """Bring the rollups up to date with the raw tables; returns what it did."""
    state = RollupState.objects.select_for_update().filter(key="all").first()
    now_marks = _marks()
    dirty_rows = list(DirtyDay.objects.values_list("id", "street_id", "day"))
    if state is None:
        rollups_rebuild()
        # The rebuild read every day after these were marked: they are done with (a day
        # marked since stays for the next refresh).
        if dirty_rows:
            DirtyDay.objects.filter(id__in=[row[0] for row in dirty_rows]).delete()
        RollupState.objects.create(key="all", refreshed_at=timezone.now(), marks=now_marks)
        return {"rebuilt": "all"}
    changed: dict[int, set[dt.date]] = defaultdict(set)
    for _id, street, day in dirty_rows:
        changed[street].add(day)
    if now_marks != state.marks:
        for street, day in _new_rows_days(state.marks, now_marks):
            changed[street].add(day)
    all_days = set().union(*changed.values()) if changed else set()
    if len(all_days) > REBUILD_DAYS:
        rollups_rebuild(street_ids=sorted(changed))
    elif changed:
        _refresh_cells(sorted(changed), all_days)
    if dirty_rows:
        DirtyDay.objects.filter(id__in=[row[0] for row in dirty_rows]).delete()
    if changed or now_marks != state.marks:
        state.marks, state.refreshed_at = now_marks, timezone.now()
        state.save(update_fields=["marks", "refreshed_at"])
    return {"streets": len(changed), "days": sum(len(d) for d in changed.values())}


def needs_refresh() -> bool:
    state = RollupState.objects.filter(key="all").first()
    return state is None or DirtyDay.objects.exists() or _marks() != state.marks


def ensure_fresh() -> None:
    """Called before reading rollups: cheap when nothing changed (eight indexed queries)."""
    if needs_refresh():
        rollups_refresh()
