"""Public pages, no sign-in: the pledge wall (承诺墙), member pages behind QR codes, feeds.

Resident data appears masked only (a beneficiary as 王**); a member's phone only when they
opted in (Member.public_contact).
"""

import datetime as dt

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify

from pledgeloop.lib.params import query_text
from pledgeloop.lib.qr import qr_png, qr_svg
from pledgeloop.orgs.models import Community
from pledgeloop.orgs.pagecache import public_page, street_versions_by
from pledgeloop.people.models import Member

from . import qr, selectors
from .schedule import member_schedule_ics
from .schedule_sources import schedule_sources
from .sheets import qr_cards_pdf
from .views import anniversary_context

# Order intake addressed to one member (the orders app reads ?member=<code>).
ORDER_INTAKE_URL = "/order/new/"
# How long the schedule.ics feed keeps another app's entry (an event shift) after it ended.
FEED_PAST_DAYS = 30


def _community(request, slug: str) -> Community | list[Community]:
    """The community with this slug; a list when several streets use it (choose one)."""
    found = Community.objects.select_related("street").filter(slug=slug)
    street = query_text(request.GET, "street")
    if street:
        found = found.filter(street__slug=street)
    found = list(found[:20])
    if not found:
        raise Http404
    return found[0] if len(found) == 1 else found


def _wall(request, slug: str, print_layout: bool):
    community = _community(request, slug)
    if isinstance(community, list):
        return render(request, "pledges/wall_choose.html", {"communities": community, "slug": slug})
    # The phone wall is searched and grouped by category, one category to a page (?category=,
    # a short page on a phone; a search looks through them all); the A4 print shows every
    # member once.
    query = "" if print_layout else query_text(request.GET, "q")
    members = selectors.wall_members(community, query=query)
    groups = None if print_layout else selectors.wall_groups(members)
    current = None
    if groups and not query:
        wanted = query_text(request.GET, "category")
        current = next((g for g in groups if g.category.code == wanted), groups[0])
    street = query_text(request.GET, "street")
    for group in groups or []:  # real links, no script: ?category=health (&street= kept)
        params = {"category": group.category.code, **({"street": street} if street else {})}
        group.url = "?" + urlencode(params)
    shown = [current] if current else groups
    on_page = [m for g in shown for m, _ in g.cards] if shown else members
    for member in on_page:
        member.qr = qr_svg(qr.member_url(request, member), title=member.name)
    context = {
        "community": community,
        "members": members,
        "groups": groups,
        "shown_groups": shown,
        "current": current,
        "next_group": groups[(groups.index(current) + 1) % len(groups)] if current else None,
        "query": query,
        "print_layout": print_layout,
        "may_print_sheet": community.pk in request.user.admin_community_ids()
        if request.user.is_authenticated
        else False,
        "today": timezone.localdate(),
    }
    return render(request, "pledges/wall.html", context)


# The streets a page's data comes from (orgs/pagecache.py): of a wall, every street with a
# community of that slug (the page lists them to choose from when there are several).
_community_streets = street_versions_by(Community, "slug")
_member_streets = street_versions_by(Member, "code")


@public_page(lambda request, slug: _community_streets(slug))
def wall(request, slug: str):
    return _wall(request, slug, print_layout=False)


@public_page(lambda request, slug: _community_streets(slug))
def wall_print(request, slug: str):
    """The A4 layout: several large cards per page, for the notice board."""
    return _wall(request, slug, print_layout=True)


def wall_qr_sheet(request, slug: str):
    """A PDF of every member's QR card, for the community's admins to print."""
    community = _community(request, slug)
    if isinstance(community, list) or not request.user.is_authenticated:
        raise Http404
    if community.pk not in request.user.admin_community_ids():
        raise Http404
    members = selectors.community_members(community)
    pdf = qr_cards_pdf(
        community=community, members=members, url_for=lambda m: qr.member_url(request, m)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{slugify(community.street.slug)}-{community.slug}-qr-cards.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _public_member(code: str) -> Member:
    return get_object_or_404(
        Member.objects.select_related("user", "community__street"), code=code, active=True
    )


@public_page(lambda request, code: _member_streets(code))
def member_page(request, code: str):
    """The QR target: pledges, the next visits (排班表), figures, and a way to ask for help."""
    member = _public_member(code)
    today = timezone.localdate()
    url = qr.member_url(request, member)
    is_self = request.user.is_authenticated and request.user.pk == member.user_id
    # The member's other engagements (event shifts, from teams above) through the schedule
    # sources; the visits reach as far as the last of them, so a clash cannot hide.
    entries = schedule_sources.entries(member, since=timezone.now())
    until = max((entry.ends_at for entry in entries), default=None)
    shown = selectors.member_public(member, today, until=until)
    context = {
        "schedule": selectors.schedule_lines(shown["next_visits"], entries),
        "member": member,
        "is_self": is_self,
        "hours": selectors.member_service_hours(member),
        "qr": qr_svg(url, title=member.name),
        "order_url": f"{ORDER_INTAKE_URL}?member={member.code}",
        **shown,
        **(anniversary_context(member, today) if is_self else {}),
    }
    return render(request, "pledges/member_page.html", context)


def member_qr_png(request, code: str):
    member = _public_member(code)
    response = HttpResponse(
        qr_png(qr.member_url(request, member), scale=10), content_type="image/png"
    )
    response["Content-Disposition"] = f'attachment; filename="pledgeloop-{member.code}.png"'
    return response


def member_schedule(request, code: str):
    """排班表 as iCalendar: subscribe from a phone's calendar app."""
    member = _public_member(code)
    page_url = request.build_absolute_uri(reverse("pledges:member_page", args=[member.code]))
    # Shifts stay a while after they end, as the pledges' past visits do: a subscribed phone
    # calendar mirrors the feed, and would otherwise drop a shift the day it was served.
    since = timezone.now() - dt.timedelta(days=FEED_PAST_DAYS)
    body = member_schedule_ics(
        member=member,
        today=timezone.localdate(),
        host=request.get_host().split(":")[0],
        page_url=page_url,
        entries=schedule_sources.entries(member, since=since),
        url_for=request.build_absolute_uri,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{member.code}.ics"'
    return response
