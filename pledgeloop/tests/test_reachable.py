"""Every page a person may open is reachable by following links from where they start.

A page no link leads to does not exist for its users: the console's teams, events, projects
and circle positions were built and tested, but nothing on the console linked them, so a
community worker never found them; members had no way to their events and teams, and a
resident who scanned the wall could not go on to the street's events or projects.

The walk also fails on a page with a form field that nothing names (no label, no
aria-label): the console's service records asked for a community and two dates in three bare
boxes.

The test follows the links (`<a href>`) of every page reached from a starting page, one page
per URL name, and fails naming each page the person can open (a GET answered 200 with HTML)
that it never reached, among the pages without path arguments:
- the public, from a community's wall: every public page, and the street's pages listed in
  PUBLIC_STREET_PAGES;
- each signed-in role, from the front door (which sends it to its home): every page it can
  open that the public cannot.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from pledgeloop.people.models import Member, Role, RoleGrant

pytestmark = pytest.mark.django_db

# Pages that are not a destination of their own: a download, a feed, the machines' pages
# (health checks, robots.txt, the API and its document, which the console's API page links
# for developers), the sign-in and sign-out, which every page's header has, and the steps and
# fragments of another page: the password asked again before a sensitive act, the new
# password after a reset code, the beneficiary search inside the service log form.
NOT_DESTINATIONS = re.compile(
    r"^(api-v1:.*|open311.*|wechat.*|healthz|worker_health|livez|robots_txt|favicon|set_language"
    r"|people:logout|people:login|people:password_confirm|privacy:password_set"
    r"|service:beneficiaries|.*feed.*|.*ical.*|.*export.*|.*download.*)$"
)
# The desk's directory of members, which a member may open (their community's members) but
# has no reason to look for.
NOT_FOR_ROLE = {"member": {"people:members"}}
HREF = re.compile(r'<a\b[^>]*\bhref="([^"#][^"]*)"')

# The public pages of a street that its wall and figures lead a resident to.
PUBLIC_STREET_PAGES = ["teams:street", "teams:events", "teams:projects", "teams:circle"]


def _page_names(resolvers=None, namespace=""):
    """The URL name of every pattern without path arguments, outside Django's admin."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _page_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.regex.groups:
            yield f"{namespace}{entry.name}"


def _name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _is_page(response) -> bool:
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


class Fields(HTMLParser):
    """The form fields of a page that nothing names: no <label for>, no label around them, no
    aria-label (a screen reader, and anyone else, meets an empty box)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []  # (id, name) of fields not inside a label
        self.labelled_ids: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if attrs.get("for"):
                self.labelled_ids.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") in ("hidden", "submit", "button", "image", "reset"):
                return
            if not self.in_label and not attrs.get("aria-label") and not attrs.get("title"):
                self.fields.append((attrs.get("id") or "", attrs.get("name") or ""))

    def handle_endtag(self, tag):
        if tag == "label" and self.in_label:
            self.in_label -= 1

    def unnamed(self) -> list[str]:
        return [name for id_, name in self.fields if not id_ or id_ not in self.labelled_ids]


TOPNAV = re.compile(r'<nav class="topnav">(.*?)</nav>', re.S)


def _top_links(html: str) -> tuple[str, ...] | None:
    """The links of a page's top bar, where it has one (the check-in screens have none)."""
    bar = TOPNAV.search(html)
    return tuple(HREF.findall(bar[1])) if bar else None


def _crawl(client, start: list[str], bars: dict | None = None) -> dict[str, str]:
    """URL name → the first path reached with it, following links from `start`. A link the
    site itself offers that answers with an error (a page linking a reader to one that refuses
    them) fails at once. `bars`, when given, collects each page's top bar links → the paths
    showing them."""
    reached: dict[str, str] = {}
    queue = list(start)
    while queue:
        path = queue.pop(0)
        name = _name(urlsplit(path).path)
        if name is None or name in reached or NOT_DESTINATIONS.match(name):
            continue
        reached[name] = path
        response = client.get(path, follow=True)
        assert response.status_code < 400, f"a link to {path} answers {response.status_code}"
        if response.redirect_chain:
            landed = response.request["PATH_INFO"]
            reached.setdefault(_name(landed) or landed, landed)
        if not _is_page(response):
            continue
        html = response.content.decode()
        if bars is not None and (links := _top_links(html)) is not None:
            bars.setdefault(links, []).append(path)
        fields = Fields()
        fields.feed(html)
        assert not fields.unnamed(), f"{path}: form fields without a label {fields.unnamed()}"
        for href in HREF.findall(html):
            parts = urlsplit(href.replace("&amp;", "&"))
            if parts.netloc or parts.scheme:
                continue
            if "export" in parts.query or "download" in parts.query:
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return reached


def _openable(client, names) -> dict[str, str]:
    """URL name → path of the pages among `names` that `client` opens."""
    paths = {name: reverse(name) for name in names if not NOT_DESTINATIONS.match(name)}
    return {name: path for name, path in paths.items() if _is_page(client.get(path))}


def _unreached(pages: dict[str, str], reached: dict[str, str]) -> list[str]:
    """The pages never reached, by their path (two names may serve one path: /me/)."""
    paths = {urlsplit(path).path for path in reached.values()}
    return [f"{name} ({path})" for name, path in sorted(pages.items()) if path not in paths]


def test_every_public_page_is_linked_from_a_wall(world, client):
    wall = reverse("pledges:wall", args=[world.community.slug])
    reached = _crawl(client, [wall])
    missing = _unreached(_openable(client, _page_names()), reached)
    missing += [name for name in PUBLIC_STREET_PAGES if name not in reached]
    assert not missing, "the public: no link leads to " + ", ".join(missing)


def _member_admin(world):
    """The community's secretary, a party member of the community too (as secretaries often
    are): the console and their own member pages."""
    user = world.community_admin
    RoleGrant.objects.create(
        user=user, role=Role.MEMBER, street=world.street, community=world.community
    )
    Member.objects.create(
        user=user,
        street=world.street,
        community=world.community,
        kind=Member.Kind.EMPLOYED,
        party_join_date=dt.date(2005, 7, 1),
    )
    return user


@pytest.mark.parametrize(
    "role", ["street_admin", "community_admin", "member", "resident", "member_admin"]
)
def test_every_page_a_signed_in_role_opens_is_linked(world, client_for, client, role):
    names = set(_page_names()) - NOT_FOR_ROLE.get(role, set())
    public = _openable(client, names)  # before client_for signs this same client in
    user = _member_admin(world) if role == "member_admin" else getattr(world, role)
    signed_in = client_for(user)
    pages = _openable(signed_in, names - set(public))
    bars: dict[tuple, list] = {}
    missing = _unreached(pages, _crawl(signed_in, ["/"], bars))
    assert not missing, f"{role}: no link leads to " + ", ".join(missing)
    # One top bar on every page: an admin's inbox, password, annual review of a member and
    # the teams console showed a bar of its own (one link, or none of the console's), so
    # the way to the needs list or the dashboard came and went from page to page.
    assert len(bars) == 1, f"{role}: " + "; ".join(
        f"{' '.join(links)} on {paths[:3]}" for links, paths in bars.items()
    )
    if role.endswith("_admin"):  # and that bar is the console's
        assert {reverse("console:needs"), reverse("stats:dashboard")} <= set(next(iter(bars)))
    if role == "member_admin":  # with their own pages beside it (member pages had theirs)
        assert reverse("people:member_home") in next(iter(bars))
