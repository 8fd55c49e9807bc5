"""Who may see and log which service records: the one place these rules live (STYLE.md).

A member logs only their own service (verification "self"); an admin logs for members of the
communities they administer ("recorded"); nobody else sees a record (404, so that existence
does not leak).
"""

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import Http404

from pledgeloop.lib.params import parse_id
from pledgeloop.orgs.models import Community, Site
from pledgeloop.people.models import Member, Resident, User

from .models import ServiceRecord, SiteScreen

CHECKIN_SALT = "pledgeloop.service.checkin"


def member_of(user: User) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user, active=True).select_related("user", "community").first()


def require_member(user: User) -> Member:
    member = member_of(user)
    if member is None:
        raise Http404
    return member


def is_service_admin(user: User) -> bool:
    return user.is_authenticated and bool(user.admin_community_ids())


def require_admin(user: User) -> set[int]:
    community_ids = user.admin_community_ids() if user.is_authenticated else set()
    if not community_ids:
        raise Http404
    return community_ids


def records_visible_to(user: User) -> QuerySet[ServiceRecord]:
    """Admins: their communities' records; members: the records they served in."""
    if not user.is_authenticated:
        return ServiceRecord.objects.none()
    condition = Q(community_id__in=user.admin_community_ids())
    member = member_of(user)
    if member is not None:
        condition |= Q(participants__member=member)
    return ServiceRecord.objects.filter(condition).distinct()


def get_record_for_user(user: User, pk: int) -> ServiceRecord:
    try:
        return (
            records_visible_to(user)
            .select_related("category", "beneficiary", "community", "created_by")
            .get(pk=pk)
        )
    except ServiceRecord.DoesNotExist:
        raise Http404 from None


def members_loggable_by(user: User) -> QuerySet[Member]:
    """Members an admin may log service for: active members of communities they administer."""
    if not user.is_authenticated:
        return Member.objects.none()
    return Member.objects.filter(
        community_id__in=user.admin_community_ids(), active=True
    ).select_related("user", "community")


def beneficiaries_for(user: User) -> QuerySet[Resident]:
    """Residents a user may name as beneficiary: a member's own community, an admin's ones."""
    if not user.is_authenticated:
        return Resident.objects.none()
    community_ids = set(user.admin_community_ids())
    member = member_of(user)
    if member is not None:
        community_ids.add(member.community_id)
    return Resident.objects.filter(community_id__in=community_ids)


def communities_for_export(user: User) -> QuerySet[Community]:
    if not user.is_authenticated:
        return Community.objects.none()
    return Community.objects.filter(pk__in=user.admin_community_ids()).order_by("name")


# --- signed check-in codes -----------------------------------------------------------------


def checkin_token(place: Site | Resident) -> str:
    """The signed part of a place's check-in URL (printed as a QR code).

    It names the place's community too: a code is valid only while its place belongs to that
    community, and only members of that community check in with it (services.checkin_open).
    """
    kind = "site" if isinstance(place, Site) else "resident"
    return signing.Signer(salt=CHECKIN_SALT).sign(f"{kind}-{place.pk}-{place.community_id}")


def place_from_token(token: str) -> Site | Resident:
    """The site or resident a check-in code names, or 404 for a forged or stale code."""
    try:
        value = signing.Signer(salt=CHECKIN_SALT).unsign(token)
    except signing.BadSignature:
        raise Http404 from None
    kind, pk_text, community_text = (value.split("-") + ["", "", ""])[:3]
    model = {"site": Site, "resident": Resident}.get(kind)
    pk, community = parse_id(pk_text), parse_id(community_text)
    if model is None or pk is None or community is None:
        raise Http404
    try:
        return model.objects.select_related("community").get(pk=pk, community_id=community)
    except model.DoesNotExist:
        raise Http404 from None


def screen_from_key(key: str) -> SiteScreen:
    """The check-in screen whose secret link this is, or 404."""
    screen = (
        SiteScreen.objects.filter(key=key).select_related("site__community").first()
        if key
        else None
    )
    if screen is None:
        raise Http404
    return screen


def get_site_for_admin(user: User, pk: int) -> Site:
    try:
        return places_with_codes(user).get(pk=pk)
    except Site.DoesNotExist:
        raise Http404 from None


def get_flagged_record_for_admin(user: User, pk: int) -> ServiceRecord:
    """A record an admin may settle: one of their communities' records."""
    community_ids = require_admin(user)
    try:
        return ServiceRecord.objects.get(pk=pk, community_id__in=community_ids)
    except ServiceRecord.DoesNotExist:
        raise Http404 from None


def places_with_codes(user: User):
    """Sites and residents whose check-in codes an admin may print."""
    community_ids = user.admin_community_ids() if user.is_authenticated else set()
    return Site.objects.filter(community_id__in=community_ids).select_related("community")
