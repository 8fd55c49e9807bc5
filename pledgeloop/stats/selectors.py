"""Reads for the dashboard, the wall display, the public page and the exports.

Everything is aggregated in the database from the rollups (refreshed first); each table is a
`Table` so that the page, the charts and the Excel/CSV exports show the very same numbers.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pledgeloop.lib.numbers import format_hours
from pledgeloop.orgs.models import Category, Community
from pledgeloop.people.models import Member
from pledgeloop.service.models import ServiceParticipant

from . import indicators, periods, rollups, service_matrix
from .models import MemberMonth, MonthFigures
from .periods import Period
from .scope import Scope

LABELS = {
    "participation_rate": gettext_lazy("Participation rate"),
    "problems_solved": gettext_lazy("Problems solved"),
    "service_hours": gettext_lazy("Service hours"),
    "service_records": gettext_lazy("Services"),
    "on_order_services": gettext_lazy("On-order services"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate"),
    "response_rate": gettext_lazy("Response rate"),
    "resolution_rate": gettext_lazy("Resolution rate"),
    "pledge_fulfilment": gettext_lazy("Pledge fulfilment"),
}
THREE_RATES = ["response_rate", "resolution_rate", "satisfaction_rate"]
TABLES = ["headline", "monthly", "categories", "communities", "members"]


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    totals: list | None = None
    # Per row, the public page its first cell names (a team's, a project's), or None: the
    # page links it, the exports do not.
    links: list[str | None] = field(default_factory=list)

    def labelled_rows(self) -> list[list[tuple[str, object, str | None]]]:
        """Each row as (header, value, link) triples: on a phone the table stacks, each value
        after its header (templates/stats/_table.html, data-label); the first cell carries
        the row's link, if it has one."""
        links = self.links or [None] * len(self.rows)
        return [
            [
                (header, value, link if column == 0 else None)
                for column, (header, value) in enumerate(zip(self.headers, row, strict=False))
            ]
            for row, link in zip(self.rows, links, strict=True)
        ]

    def labelled_totals(self) -> list[tuple[str, object]] | None:
        return list(zip(self.headers, self.totals, strict=False)) if self.totals else None


def percent(value) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def number(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def headline_table(rows: list[dict]) -> Table:
    """The headline figures of indicators.headline_with_change, as a table. A rate's change
    on a year earlier is in percentage points, a count's in percent: two columns, so that
    no cell mixes the two (a rate's name says it is in %)."""
    table = Table(
        "headline",
        _("Headline figures"),
        [
            _("Indicator"),
            _("This period"),
            _("A year earlier"),
            _("Change (%)"),
            _("Change (points)"),
        ],
    )
    for row in rows:
        label = LABELS[row["name"]]
        if row["is_rate"]:
            label = _("%(indicator)s (%%)") % {"indicator": label}
            values = [percent(row["value"]), percent(row["before"])]
            values += [None, percent(row["change"])]
        else:
            values = [number(row["value"]), number(row["before"]), percent(row["change"]), None]
        table.rows.append([str(label), *values])
    return table


def monthly_table(scope: Scope, months: Period) -> Table:
    sums = {
        row["month"]: row
        for row in MonthFigures.objects.filter(
            month__gte=months.start, month__lt=months.end, **scope.filters()
        )
        .values("month")
        .annotate(
            records=Sum("records"),
            hours=Sum("hours"),
            done=Sum("orders_done"),
            on_order=Sum("on_order_records"),
            reviews=Sum("reviews"),
            satisfied=Sum("reviews_satisfied"),
        )
        .order_by()
    }
    people = _participants_by_month(scope, months)
    table = Table(
        "monthly",
        _("Monthly trend"),
        [
            _("Month"),
            _("Members who served"),
            _("Services"),
            _("Service hours"),
            _("Problems solved"),
            _("On-order services"),
            _("Satisfaction rate (%)"),
        ],
    )
    for month in months.months():
        row = sums.get(month, {})
        table.rows.append(
            [
                f"{month:%Y-%m}",
                people.get(month, 0),
                row.get("records") or 0,
                number(row.get("hours") or Decimal(0)),
                row.get("done") or 0,
                row.get("on_order") or 0,
                percent(indicators.ratio(row.get("satisfied") or 0, row.get("reviews"))),
            ]
        )
    table.totals = [
        _("Total"),
        None,
        *[sum(r[i] for r in table.rows) for i in (2, 3, 4, 5)],
        None,
    ]
    return table


def _participants_by_month(scope: Scope, months: Period) -> dict:
    if scope.category_id is not None:
        start, end = months.bounds
        rows = (
            ServiceParticipant.objects.filter(
                record__started_at__gte=start,
                record__started_at__lt=end,
                record__category_id=scope.category_id,
                **scope.filters(
                    street="member__street_id", community="member__community_id", category=None
                ),
            )
            .values(month=TruncMonth("record__started_at"))
            .annotate(n=Count("member_id", distinct=True))
            .order_by()
        )
        return {_as_date(row["month"]): row["n"] for row in rows}
    rows = (
        MemberMonth.objects.filter(
            month__gte=months.start,
            month__lt=months.end,
            **scope.filters(
                street="member__street_id", community="member__community_id", category=None
            ),
        )
        .values("month")
        .annotate(n=Count("member_id", distinct=True))
        .order_by()
    )
    return {row["month"]: row["n"] for row in rows}


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


def category_table(scope: Scope, period: Period) -> Table:
    sums = {
        row["category_id"]: row
        for row in indicators.figure_rows(scope, period)
        .values("category_id")
        .annotate(records=Sum("records"), hours=Sum("hours"), done=Sum("orders_done"))
        .order_by()
    }
    categories = Category.objects.filter(street_id=scope.street_id)
    if scope.category_id:
        categories = categories.filter(pk=scope.category_id)
    table = Table(
        "categories",
        _("Category mix"),
        [_("Category"), _("Services"), _("Service hours"), _("Problems solved")],
    )
    for category in categories:
        row = sums.get(category.pk, {})
        table.rows.append(
            [
                category.name,
                row.get("records") or 0,
                number(row.get("hours") or Decimal(0)),
                row.get("done") or 0,
            ]
        )
    if None in sums:
        row = sums[None]
        table.rows.append(
            [_("No category"), row["records"] or 0, number(row["hours"] or 0), row["done"] or 0]
        )
    table.totals = [_("Total"), *[sum(r[i] for r in table.rows) for i in (1, 2, 3)]]
    return table


def community_table(scope: Scope, period: Period) -> Table:
    communities = Community.objects.filter(street_id=scope.street_id)
    if scope.community_id:
        communities = communities.filter(pk=scope.community_id)
    table = Table(
        "communities",
        _("Community comparison"),
        [
            _("Community"),
            _("Active members"),
            _("Members who served"),
            _("Participation rate (%)"),
            _("Services"),
            _("Service hours"),
            _("Problems solved"),
            _("Satisfaction rate (%)"),
        ],
    )
    sums = {
        row["community_id"]: row
        for row in indicators.figure_rows(scope, period)
        .values("community_id")
        .annotate(
            records=Sum("records"),
            hours=Sum("hours"),
            done=Sum("orders_done"),
            reviews=Sum("reviews"),
            satisfied=Sum("reviews_satisfied"),
        )
        .order_by()
    }
    # One query each for every community (of the period's members, not of today's roster).
    served_by = indicators.participants_by_community(scope, period)
    active_by = indicators.active_members_by_community(scope, period)
    for community in communities:
        served = served_by.get(community.pk, 0)
        active = active_by.get(community.pk, 0)
        row = sums.get(community.pk, {})
        table.rows.append(
            [
                community.name,
                active,
                served,
                percent(indicators.ratio(served, active)),
                row.get("records") or 0,
                number(row.get("hours") or Decimal(0)),
                row.get("done") or 0,
                percent(indicators.ratio(row.get("satisfied") or 0, row.get("reviews"))),
            ]
        )
    table.totals = [
        _("Total"),
        *[sum(r[i] for r in table.rows) for i in (1, 2)],
        None,
        *[sum(r[i] for r in table.rows) for i in (4, 5, 6)],
        None,
    ]
    return table


def member_table(scope: Scope, period: Period, limit: int = 20) -> Table:
    """Members ranked by volunteer hours, then by services (admins only: it names people)."""
    if scope.category_id is not None or not period.is_month_aligned:
        start, end = period.bounds
        rows = (
            ServiceParticipant.objects.filter(
                record__started_at__gte=start,
                record__started_at__lt=end,
                **scope.filters(
                    street="member__street_id",
                    community="member__community_id",
                    category="record__category_id",
                ),
            )
            .values("member_id")
            .annotate(hours=Sum("record__hours"), records=Count("record_id"))
        )
    else:
        rows = (
            MemberMonth.objects.filter(
                month__gte=period.start,
                month__lt=period.end,
                **scope.filters(
                    street="member__street_id", community="member__community_id", category=None
                ),
            )
            .values("member_id")
            .annotate(hours=Sum("hours"), records=Sum("records"))
        )
    top = list(rows.order_by("-hours", "-records", "member_id")[:limit])
    named = Member.objects.filter(pk__in=[r["member_id"] for r in top]).values_list(
        "pk", "user__name", "community__name"
    )
    names, communities = {}, {}
    for pk, name, community in named:
        names[pk], communities[pk] = name, community
    table = Table(
        "members",
        _("Member ranking"),
        [_("Rank"), _("Member"), _("Community"), _("Service hours"), _("Services")],
    )
    for rank, row in enumerate(top, start=1):
        table.rows.append(
            [
                rank,
                names.get(row["member_id"], ""),
                communities.get(row["member_id"], ""),
                number(row["hours"] or 0),
                row["records"],
            ]
        )
    return table


def dashboard(scope: Scope, period: Period, *, public: bool = False) -> dict:
    """Everything the dashboard shows, as tables plus the data the charts read."""
    rollups.ensure_fresh()
    trend = periods.Period(periods.add_months(period.end.replace(day=1), -24), period.end)
    if period.end.day != 1:
        trend = periods.Period(
            periods.add_months(period.end.replace(day=1), -23),
            periods.add_months(period.end.replace(day=1), 1),
        )
    headline = indicators.headline_with_change(scope, period)
    tables = {
        "headline": headline_table(headline),
        "monthly": monthly_table(scope, trend),
        "categories": category_table(scope, period),
        "communities": community_table(scope, period),
    }
    if not public:
        tables["members"] = member_table(scope, period)
    # The service matrix (service_matrix.py): teams and events have no category, so a
    # category's dashboard leaves them out; projects are as of today, whatever the period.
    if scope.category_id is None:
        team_rows, team_links = service_matrix.team_rows(scope, period)
        tables["teams"] = Table(
            "teams", _("Service teams"), service_matrix.team_headers(), team_rows, links=team_links
        )
        tables["events"] = Table(
            "events",
            _("Events"),
            service_matrix.event_headers(),
            service_matrix.event_rows(scope, period),
        )
    project_rows, project_counts, project_links = service_matrix.project_rows(scope)
    tables["projects"] = Table(
        "projects",
        _("Community projects"),
        service_matrix.project_headers(),
        project_rows,
        links=project_links,
    )
    cards = [
        {
            **row,
            "label": str(LABELS[row["name"]]),
            "shown": _shown(row["value"], row["is_rate"]),
            "change_shown": _change_shown(row["change"], row["is_rate"]),
            "up": row["change"] is not None and row["change"] > 0,
        }
        for row in headline
    ]
    # The month still running (the last of the trend, when the period runs to today) is
    # drawn apart: on the 1st its figures are a day's, and every line fell to 0 as if the
    # service had stopped.
    today = timezone.localdate()
    running = next(
        (i for i, month in enumerate(trend.months()) if month == today.replace(day=1)), None
    )
    chart = {
        "months": [r[0] for r in tables["monthly"].rows],
        "running": running,
        "series": {
            "participants": [r[1] for r in tables["monthly"].rows],
            "records": [r[2] for r in tables["monthly"].rows],
            "hours": [r[3] for r in tables["monthly"].rows],
            "done": [r[4] for r in tables["monthly"].rows],
        },
        "labels": {
            "participants": _("Members who served"),
            "records": _("Services"),
            "hours": _("Service hours"),
            "done": _("Problems solved"),
            "so_far": _("This month so far"),
            # the category mix with nothing in it: said, not drawn as six equal slices
            "none": _("No services recorded in this period"),
        },
        "categories": [{"name": r[0], "value": r[1]} for r in tables["categories"].rows],
        "communities": {
            "names": [r[0] for r in tables["communities"].rows],
            "participation": [r[3] for r in tables["communities"].rows],
            "hours": [r[5] for r in tables["communities"].rows],
            "label_participation": _("Participation rate (%)"),
            "label_hours": _("Service hours"),
        },
        "rates": [
            {"name": str(LABELS[c["name"]]), "value": percent(c["value"])}
            for c in cards
            if c["name"] in THREE_RATES
        ],
    }
    return {
        "cards": cards,
        "tables": tables,
        "chart": chart,
        "trend": trend,
        "projects": project_counts,
    }


def _shown(value, is_rate) -> str:
    if value is None:
        return "—"
    if is_rate:
        return f"{float(value) * 100:.1f}%"
    if isinstance(value, Decimal):
        return format_hours(value)  # the only Decimal card is service hours
    return f"{value}"


def _change_shown(change, is_rate) -> str:
    if change is None:
        return "—"
    if is_rate:
        return f"{change * 100:+.1f} " + _("points")
    return f"{change * 100:+.1f}%"
