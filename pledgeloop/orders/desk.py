"""The intake desk: what filing an order needs to know about a community, kept in memory.

Every order filed at /order/new/<street>/<community>/ reads the community, its street's
categories, its buildings and its admins. That reference data changes a few times a year,
yet read from the database it would cost four queries per order, the larger part of intake's
work at its target of 200 orders a second (bench/intake.py). So each process keeps an
IntakeDesk per community, and checks it is current with one small query per request: the
DeskRevision token, which any save or delete of a Street, Community, Category, Site,
RoleGrant or User replaces in the same transaction (signals below; writes that send none,
like bulk_create, call desk_changed() themselves). A change is therefore seen by every
process at its next request, on SQLite and on PostgreSQL alike, with no shared cache to run.
An entry also expires after DESK_TTL seconds, whatever happens. A posted order reads the
token with its own intake read instead (`kept`, below; order_submit's `desk_revision`).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import signals

from pledgeloop.orgs.models import Category, Community, Site, Street
from pledgeloop.people.models import Role, RoleGrant, User

from .models import DeskRevision
from .services import community_admins

DESK_TTL = 300.0

_desks: dict[tuple[str, str], tuple[str, float, IntakeDesk | None]] = {}
_places: dict[int, tuple[str, float, Site]] = {}  # a QR code's place, by its id
_lock = threading.Lock()


@dataclass(frozen=True)
class IntakeDesk:
    community: Community  # with its street
    categories: dict[int, Category]  # the street's active categories, in their order
    sites: dict[int, Site]  # the community's compounds and buildings (no service centre)
    admins: tuple[User, ...]  # who hears of a new order: its community's and street's admins
    revision: str = ""  # the DeskRevision token it was built under ("" before any change)

    @property
    def street(self) -> Street:
        return self.community.street


def revision() -> str:
    """The current token (one indexed read; raw SQL, as it runs on every intake request)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT token FROM {connection.ops.quote_name(DeskRevision._meta.db_table)} "  # noqa: S608
            "WHERE key = %s",
            ["desk"],
        )
        row = cursor.fetchone()
    return row[0] if row else ""


def desk_changed() -> None:
    """Invalidate every process's desks (call inside the transaction that changed the data)."""
    token = uuid.uuid4().hex
    if not DeskRevision.objects.filter(key="desk").update(token=token):
        DeskRevision.objects.update_or_create(key="desk", defaults={"token": token})


def intake_desk(street_slug: str, community_slug: str, *, kept: bool = False) -> IntakeDesk | None:
    """The desk of this community, or None when there is no such community.

    `kept`: a desk this process keeps (within DESK_TTL) is taken without reading the token,
    for a caller that checks its `revision` itself: a posted order, whose intake read reads
    the token in the same statement (order_submit's `desk_revision`). A kept "no such
    community" is not taken so: it is checked as always."""
    if kept:
        cached = _desks.get((street_slug, community_slug))
        if cached is not None and cached[2] is not None and cached[1] > time.monotonic():
            return cached[2]
    # The token is read before building: a change meanwhile makes the next request rebuild.
    return _desk(street_slug, community_slug, revision())


def intake_desk_at(site_id: int, *, kept: bool = False) -> tuple[IntakeDesk, Site] | None:
    """The desk of a place's community and the place (a building's, a compound's or a
    service centre's QR code, /order/site/<id>/), or None when there is no such place.

    Kept like the desks, under the same revision (any change to a Site replaces it), so a
    QR code's page also costs the one query. Only places that exist are kept: a made-up id
    costs its query each time and takes no memory. `kept` as for intake_desk: a place and
    its desk, both kept under one token, are taken without reading it."""
    now = time.monotonic()
    place = _places.get(site_id) if kept else None
    if place is not None and place[1] > now:
        site = place[2]
        held = _desks.get((site.community.street.slug, site.community.slug))
        if held is not None and held[0] == place[0] and held[2] is not None and held[1] > now:
            return held[2], site
    token = revision()
    cached = _places.get(site_id)
    if cached is not None and cached[0] == token and cached[1] > time.monotonic():
        site = cached[2]
    else:
        site = Site.objects.select_related("community__street").filter(pk=site_id).first()
        if site is None:
            return None
        with _lock:
            _places[site_id] = (token, time.monotonic() + DESK_TTL, site)
    desk = _desk(site.community.street.slug, site.community.slug, token)
    return (desk, site) if desk is not None else None


def _desk(street_slug: str, community_slug: str, token: str) -> IntakeDesk | None:
    key = (street_slug, community_slug)
    cached = _desks.get(key)
    if cached is not None and cached[0] == token and cached[1] > time.monotonic():
        return cached[2]
    desk = _build(street_slug, community_slug, token)
    with _lock:
        _desks[key] = (token, time.monotonic() + DESK_TTL, desk)
    return desk


def desks_forget() -> None:
    """Drop this process's desks (tests start clean with it)."""
    with _lock:
        _desks.clear()
        _places.clear()


def _build(street_slug: str, community_slug: str, token: str = "") -> IntakeDesk | None:
    community = (
        Community.objects.select_related("street")
        .filter(street__slug=street_slug, slug=community_slug)
        .first()
    )
    if community is None:
        return None
    categories = Category.objects.filter(street_id=community.street_id, active=True)
    sites = Site.objects.filter(
        community=community, kind__in=[Site.Kind.COMPOUND, Site.Kind.BUILDING]
    )
    return IntakeDesk(
        community=community,
        categories={c.pk: c for c in categories},
        sites={s.pk: s for s in sites},
        admins=tuple(community_admins(community)),
        revision=token,
    )


# --- what invalidates ------------------------------------------------------------------

WATCHED = [Street, Community, Category, Site, RoleGrant, User]


ADMIN_ROLES = [Role.COMMUNITY_ADMIN, Role.STREET_ADMIN]


def _on_change(sender, instance, update_fields=None, **kwargs) -> None:
    if sender is User:
        if update_fields is not None and set(update_fields) <= {"last_login"}:
            return  # a login changes nothing the desk holds
        if not instance.role_grants.filter(role__in=ADMIN_ROLES).exists():
            return  # the desk holds admins only (new users have no roles yet)
    desk_changed()


def connect() -> None:
    for model in WATCHED:
        uid = f"desk:{model._meta.label}"
        signals.post_save.connect(_on_change, sender=model, dispatch_uid=uid + ":save")
        signals.post_delete.connect(_on_change, sender=model, dispatch_uid=uid + ":delete")
