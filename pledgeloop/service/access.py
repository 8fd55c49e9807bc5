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

from .models import ServiceRecord

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


def visits_loggable_by(member: Member):
    """A member's own pledge visits that are due (up to a month back): what they can fulfil."""
    import datetime as dt

    from django.apps import apps
    from django.utils import timezone

    Visit = apps.get_model("pledges", "Visit")
    today = timezone.localdate()
    return (
        Visit.objects.filter(
            member=member,
            state=Visit.State.DUE,
            due_on__lte=today,
            due_on__gte=today - dt.timedelta(days=30),
        )
        .select_related("pledge")
        .order_by("-due_on", "-scheduled_at")
    )


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
    """The signed part of a place's check-in URL (printed as a QR code)."""
    kind = "site" if isinstance(place, Site) else "resident"
    return signing.Signer(salt=CHECKIN_SALT).sign(f"{kind}-{place.pk}")


def place_from_token(token: str) -> Site | Resident:
    """The site or resident a check-in code names, or 404 for a forged or stale code."""
    try:
        value = signing.Signer(salt=CHECKIN_SALT).unsign(token)
    except signing.BadSignature:
        raise Http404 from None
    kind, _, pk_text = value.partition("-")
    model = {"site": Site, "resident": Resident}.get(kind)
    pk = parse_id(pk_text)
    if model is None or pk is None:
        raise Http404
    try:
        return model.objects.select_related("community").get(pk=pk)
    except model.DoesNotExist:
        raise Http404 from None


def places_with_codes(user: User):
    """Sites and residents whose check-in codes an admin may print."""
    community_ids = user.admin_community_ids() if user.is_authenticated else set()
    return Site.objects.filter(community_id__in=community_ids).select_related("community")
