"""The service matrix in the indicators (DESIGN.md C7, §5): the teams' figures, the events
held, and the projects on track, late and done, as dashboard tables (so the page, the
exports and the public page show the same numbers). Computed from records by the teams
app's selectors, never typed in.

- Teams: a team's sessions, people served, hours and ratings are those of the service
  records of the orders its leaders accepted for it (teams.selectors.team_figures), for
  records started in the period. A community's dashboard shows that community's teams; the
  street's every team.
- Events: the events that started in the period, by kind, with their booths and the queue
  numbers served at those booths.
- Projects: each project's progress and status today (milestones done ÷ all; late when a
  milestone not done is past its date; teams.projects); the period does not apply.
"""

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.orgs.models import Street
from pledgeloop.teams import projects as team_projects
from pledgeloop.teams.models import Event, QueueTicket, Team
from pledgeloop.teams.selectors import team_figures

from .periods import Period
from .scope import Scope


def team_rows(scope: Scope, period: Period) -> tuple[list[list], list[str]]:
    """The street's active teams with their figures, and each one's public page."""
    teams = Team.objects.filter(street_id=scope.street_id, active=True).select_related("street")
    if scope.community_id:
        teams = teams.filter(community_id=scope.community_id)
    teams = list(teams.order_by("scope", "community__slug", "name"))
    start, end = period.bounds
    figures = team_figures(teams, start=start, end=end)
    rows = []
    links = [reverse("teams:team", args=[team.street.slug, team.slug]) for team in teams]
    for team in teams:
        f = figures[team.pk]
        rows.append(
            [
                team.name,
                f.sessions,
                f.people_served,
                float(f.hours),
                f.reviews,
                None if f.average_rating is None else float(f.average_rating),
                f.satisfaction,
            ]
        )
    return rows, links


def team_headers() -> list[str]:
    return [
        _("Team"),
        _("Sessions"),
        _("People served"),
        _("Service hours"),
        _("Reviews"),
        _("Average rating"),
        _("Satisfaction rate (%)"),
    ]


def event_rows(scope: Scope, period: Period) -> list[list]:
    start, end = period.bounds
    # A cancelled event was not held (teams.event_changes.event_cancel): not counted.
    events = Event.objects.filter(
        street_id=scope.street_id, starts_at__gte=start, starts_at__lt=end, cancelled_at=None
    )
    if scope.community_id:
        events = events.filter(community_id=scope.community_id)
    counts = {
        row["kind"]: row
        for row in events.values("kind")
        .annotate(events=Count("pk", distinct=True), booths=Count("booths", distinct=True))
        .order_by()
    }
    served = {
        row["booth__event__kind"]: row["n"]
        for row in QueueTicket.objects.filter(
            booth__event__in=events, state=QueueTicket.State.SERVED
        )
        .values("booth__event__kind")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return [
        [
            str(label),
            counts.get(kind, {}).get("events", 0),
            counts.get(kind, {}).get("booths", 0),
            served.get(kind, 0),
        ]
        for kind, label in Event.Kind.choices
    ]


def event_headers() -> list[str]:
    return [_("Kind of event"), _("Events"), _("Booths"), _("Residents served at booths")]


def project_rows(scope: Scope, today=None) -> tuple[list[list], dict[str, int], list[str]]:
    """The projects as of today, their counts by status, and each one's public page."""
    today = today or timezone.localdate()
    rows = team_projects.projects_in(
        street_id=scope.street_id, community_id=scope.community_id, today=today
    )
    counts = team_projects.project_status_counts(rows)
    street = Street.objects.only("slug").get(pk=scope.street_id) if rows else None
    links = [reverse("teams:project", args=[street.slug, p.slug]) for p in rows]
    return (
        [
            [
                p.title,
                p.community.name if p.community else _("The whole street"),
                p.lead.name,
                p.progress.percent,
                f"{p.progress.done}/{p.progress.total}",
                str(p.progress.status_label),
            ]
            for p in rows
        ],
        counts,
        links,
    )


def project_headers() -> list[str]:
    return [
        _("Project"),
        _("Community"),
        _("Lead"),
        _("Progress (%)"),
        _("Milestones done"),
        _("Status"),
    ]
