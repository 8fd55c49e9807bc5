"""Who may see and change which pledges: the one place these rules live (STYLE.md).

Members see and change their own pledges; admins review the pledges of the communities
they administer (a street admin: every community of their streets). Nobody approves their
own pledge. Everything else is a 404, so that a pledge's existence does not leak.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from pledgeloop.orgs.models import Community
from pledgeloop.people.access import communities_administered
from pledgeloop.people.models import Member, User

from .models import Pledge


def member_of(user: User) -> Member | None:
    """The user's active member record, if they are a member."""
    if not user.is_authenticated:
        return None
    member = getattr(user, "member", None)
    if member is None or not member.active:
        return None
    return member


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
