"""Public team pages (no sign-in): a street's teams and one team, with figures from records.

Volunteers who are not party members appear only as a count: their names are not public.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from pledgeloop.orgs.models import Street

from . import circle, selectors


def _street(slug: str) -> Street:
    return get_object_or_404(Street, slug=slug)


def _with_roster_counts(team) -> None:
    roster = list(team.roster.all())
    team.leader_names = [e.member.name for e in roster if e.is_leader]
    team.member_count = sum(1 for e in roster if e.member_id)
    team.volunteer_count = sum(1 for e in roster if e.volunteer_id)


def street_teams(request, street_slug: str):
    street = _street(street_slug)
    teams = list(selectors.public_teams(street))
    figures = selectors.team_figures(teams)
    for team in teams:
        _with_roster_counts(team)
        team.figures = figures[team.pk]
    return render(request, "teams/public_list.html", {"street": street, "teams": teams})


def team_page(request, street_slug: str, team_slug: str):
    street = _street(street_slug)
    team = selectors.public_teams(street).filter(slug=team_slug).first()
    if team is None:
        raise Http404
    _with_roster_counts(team)
    return render(
        request,
        "teams/public_team.html",
        {
            "street": street,
            "team": team,
            "figures": selectors.team_figures([team])[team.pk],
        },
    )


def street_circle(request, street_slug: str):
    """The 15-minute service circle: positions, and compounds beyond the circle's walk."""
    street = _street(street_slug)
    coverage = circle.circle_coverage(street)
    chart = circle.coverage_chart(coverage)
    chart["labels"] = {
        "positions": _("Positions"),
        "covered": _("Compounds within the circle"),
        "gaps": _("Compounds beyond the circle"),
        "minutes": _("minutes' walk"),
    }
    return render(
        request,
        "teams/public_circle.html",
        {"street": street, "coverage": coverage, "chart": chart},
    )
