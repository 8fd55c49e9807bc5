"""Who sees which notifications' delivery: the one place these rules live (STYLE.md)."""

from django.db.models import Q, QuerySet
from django.http import Http404

from pledgeloop.people.models import Role, User

from .models import Notification


def is_admin(user: User) -> bool:
    return user.is_authenticated and (
        user.has_role(Role.STREET_ADMIN) or user.has_role(Role.COMMUNITY_ADMIN)
    )


def notifications_administered_by(user: User) -> QuerySet[Notification]:
    """A community admin: the notifications about their communities; a street admin: every
    notification of their streets (also those about no community)."""
    if not is_admin(user):
        return Notification.objects.none()
    return Notification.objects.filter(
        Q(community_id__in=user.admin_community_ids()) | Q(street_id__in=user.admin_street_ids())
    )


def get_notification_for_admin(user: User, pk: int) -> Notification:
    try:
        return notifications_administered_by(user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
