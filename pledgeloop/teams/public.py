"""Public team pages (no sign-in): a street's teams and one team, with figures from records.

Volunteers who are not party members appear only as a count: their names are not public.
"""

import secrets

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pledgeloop.lib.photos import photo_response
from pledgeloop.lib.private import private_page
from pledgeloop.orgs.models import Street
from pledgeloop.service.review_links import review_link_for

from . import access, circle, selectors, services
from . import projects as projects_module
from .models import Booth, Event, EventPhoto, Milestone, QueueTicket


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


# --- events and booth queues ----------------------------------------------------------------

QUEUE_COOKIE = "queue_key"


def street_events(request, street_slug: str):
    street = _street(street_slug)
    now = timezone.now()
    events = Event.objects.filter(street=street).select_related("community", "place__site")
    return render(
        request,
        "teams/public_events.html",
        {
            "street": street,
            "upcoming": events.filter(ends_at__gte=now).order_by("starts_at"),
            "past": events.filter(ends_at__lt=now).order_by("-starts_at")[:50],
        },
    )


def _event(street_slug: str, event_slug: str) -> Event:
    return get_object_or_404(
        Event.objects.select_related("street", "community", "team", "place__site"),
        street__slug=street_slug,
        slug=event_slug,
    )


def _booths(event: Event) -> list[Booth]:
    booths = list(event.booths.select_related("category", "team"))
    queues = selectors.booth_queues(booths)
    for booth in booths:
        booth.queue = queues[booth.pk]
    return booths


def event_page(request, street_slug: str, event_slug: str):
    event = _event(street_slug, event_slug)
    return render(
        request,
        "teams/public_event.html",
        {
            "event": event,
            "booths": _booths(event),
            "sessions": selectors.sessions_with_places(event),
            # Only photos whose people agreed to appear (the consent rules).
            "photos": event.photos.filter(consent_confirmed=True),
            "now": timezone.now(),
        },
    )


def event_photo(request, photo_id: int):
    """A write-up photo, shown to anyone only while its consent is confirmed."""
    photo = get_object_or_404(EventPhoto, pk=photo_id, consent_confirmed=True)
    return photo_response(photo.image)


def event_queues(request, street_slug: str, event_slug: str):
    """The booths' queue lengths, refreshed in place on the event page (htmx)."""
    event = _event(street_slug, event_slug)
    return render(request, "teams/_booth_queues.html", {"event": event, "booths": _booths(event)})


@private_page
def booth_queue(request, street_slug: str, event_slug: str, booth_id: int):
    """A resident scans the booth's code: takes a number (no account) and sees their place."""
    event = _event(street_slug, event_slug)
    booth = get_object_or_404(Booth.objects.select_related("category"), pk=booth_id, event=event)
    key = request.COOKIES.get(QUEUE_COOKIE, "")
    error = ""
    if request.method == "POST":
        try:
            services.queue_ticket_take(booth=booth, client_key=key)
        except services.TeamError as problem:
            error = str(problem)
        else:
            return redirect(request.path)
    ticket = QueueTicket.objects.filter(booth=booth, client_key=key).first() if key else None
    response = render(
        request,
        "teams/public_booth.html",
        {
            "event": event,
            "booth": booth,
            "ticket": ticket,
            "ahead": selectors.place_in_queue(ticket) if ticket else None,
            "review_link": review_link_for(ticket.record) if ticket and ticket.record_id else "",
            "error": error,
            "opens_on": services.queue_opens_on(event),
        },
        status=400 if error else 200,
    )
    if not key:
        # Set on the scan, so that both taps of a double tap carry the same key.
        response.set_cookie(
            QUEUE_COOKIE, secrets.token_urlsafe(32), max_age=2 * 24 * 3600, samesite="Lax"
        )
    return response


# --- projects (民生项目) --------------------------------------------------------------------


def street_project_board(request, street_slug: str):
    street = _street(street_slug)
    projects = projects_module.street_projects(street)
    counts = {"done": 0, "late": 0, "on_track": 0}
    for project in projects:
        counts[project.progress.status] += 1
    return render(
        request,
        "teams/public_projects.html",
        {"street": street, "projects": projects, "counts": counts},
    )


def project_page(request, street_slug: str, project_slug: str):
    street = _street(street_slug)
    project = next(
        (p for p in projects_module.street_projects(street) if p.slug == project_slug), None
    )
    if project is None:
        raise Http404
    return render(
        request,
        "teams/public_project.html",
        {
            "street": street,
            "project": project,
            # What residents may see of an order: its kind, its state and when (no names).
            "orders": project.orders.select_related("category", "community").order_by("-pk"),
            "events": project.events.order_by("-starts_at"),
        },
    )


@require_GET
def milestone_photo(request, street_slug: str, project_slug: str, milestone_id: int):
    """A milestone's evidence photo: public when cleared for public pages, else the
    project's admins only; a 404 for everyone else, whether or not it exists."""
    milestone = (
        Milestone.objects.select_related("project")
        .filter(
            pk=milestone_id,
            project__street__slug=street_slug,
            project__slug=project_slug,
        )
        .exclude(photo="")
        .first()
    )
    if milestone is None or not access.milestone_photo_visible(request.user, milestone):
        raise Http404
    return photo_response(milestone.photo)
