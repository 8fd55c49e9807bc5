"""Who may see and change which pledges: the one place these rules live (STYLE.md).

Members see and change their own pledges; admins review the pledges of the communities
they administer (a street admin: every community of their streets). Nobody approves their
own pledge. Everything else is a 404, so that a pledge's existence does not leak.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Community
from pledgeloop.people.access import communities_administered
from pledgeloop.people.models import Member, Resident, User
from pledgeloop.service.models import ServiceRecord

from .models import Pledge


def member_of(user: User) -> Member | None:
    """The user's active member record, if they are a member."""
    if not user.is_authenticated:
        return None
    member = getattr(user, "member", None)
    if member is None or not member.active:
        return None
    return member


def residents_known_to(member: Member) -> QuerySet[Resident]:
    """The residents a member may name as a pledge's beneficiary (need to know, issue 13),
    in their community: the beneficiaries of their own pledges, and the residents of the
    orders and services whose contact they may still see (held now, or finished within
    MEMBER_CONTACT_DAYS_AFTER_DONE days). There is no directory of the others: a new
    resident comes to a member through the needs list (认领) or the community."""
    since = timezone.now() - timedelta(days=settings.MEMBER_CONTACT_DAYS_AFTER_DONE)
    orders = Order.objects.filter(assigned_member=member).filter(
        Q(state__in=list(Order.TAKEN)) | Q(done_at__gte=since)
    )
    services = ServiceRecord.objects.filter(participants__member=member, ended_at__gte=since)
    pledges = Pledge.objects.filter(member=member)
    known = (
        Q(pk__in=orders.values("resident_id"))
        | Q(pk__in=services.values("beneficiary_id"))
        | Q(pk__in=pledges.values("beneficiary_resident_id"))
    )
    return Resident.objects.filter(known, community_id=member.community_id)


def pledges_visible_to(user: User) -> QuerySet[Pledge]:
    """Own pledges, plus every pledge of the communities the user administers."""
    if not user.is_authenticated:
        return Pledge.objects.none()
    member = member_of(user)
    own = Pledge.objects.filter(member=member) if member else Pledge.objects.none()
    administered = Pledge.objects.filter(community_id__in=user.admin_community_ids())
    return own | administered


def get_pledge_for_user(user: User, pk: int) -> Pledge:
    try:
        return (
            pledges_visible_to(user)
            .select_related(
                "member__user",
                "community",
                "category",
                "beneficiary_resident",
                "beneficiary_site",
            )
            .get(pk=pk)
        )
    except Pledge.DoesNotExist:
        raise Http404 from None


def get_own_pledge(user: User, pk: int) -> Pledge:
    """A pledge of the signed-in member, or 404: only its member edits or submits it."""
    member = member_of(user)
    if member is None:
        raise Http404
    try:
        return Pledge.objects.select_related("member__user", "community").get(pk=pk, member=member)
    except Pledge.DoesNotExist:
        raise Http404 from None


def is_reviewer_of(user: User, pledge: Pledge) -> bool:
    return user.is_authenticated and pledge.community_id in user.admin_community_ids()


def review_refusal(user: User, pledge: Pledge) -> str | None:
    """Why this user may not approve or return this pledge, or None when they may."""
    if not is_reviewer_of(user, pledge):
        return _("You do not administer this pledge's community.")
    if pledge.member.user_id == user.pk:
        return _("You cannot review your own pledge: another admin of the community must.")
    return None


def may_withdraw(user: User, pledge: Pledge) -> bool:
    """The member themselves, or an admin of the community (e.g. when a member moves away)."""
    own = pledge.member.user_id == user.pk
    return user.is_authenticated and (own or is_reviewer_of(user, pledge))


def get_community_for_admin(user: User, pk: int) -> Community:
    try:
        return communities_administered(user).get(pk=pk)
    except Community.DoesNotExist:
        raise Http404 from None


def pledges_to_review(user: User) -> QuerySet[Pledge]:
    return Pledge.objects.filter(
        community_id__in=user.admin_community_ids(), state=Pledge.State.SUBMITTED
    )
