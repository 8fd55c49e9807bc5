"""Who may make and revoke tokens, and what a token reaches: the one place these rules live.

A token reaches its street's public data (read_public), the communities of its scope (its
community, or every community of its street), and nothing of another street. An
application's token acts with the rights of the admin who made it, checked on every request:
an admin who lost the role takes their tokens' rights with them. A personal token reaches
its member's own orders and records, while they are an active member.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.orgs.models import Community, Street
from pledgeloop.people.models import Member, Role, User

from .models import ApiToken, Scope, WebhookSubscription


def is_admin(user: User) -> bool:
    return user.is_authenticated and (
        user.has_role(Role.STREET_ADMIN) or user.has_role(Role.COMMUNITY_ADMIN)
    )


def member_of(user: User) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user, active=True).select_related("community").first()


def streets_for_tokens(user: User) -> QuerySet[Street]:
    """Streets in which the user may make application tokens: those they administer (street
    admins: the whole street or one community; community admins: their community)."""
    if not user.is_authenticated:
        return Street.objects.none()
    ids = user.admin_street_ids() | {
        g.street_id for g in user.grants if g.role == Role.COMMUNITY_ADMIN
    }
    return Street.objects.filter(pk__in=ids)


def may_make_token(user: User, street: Street, community: Community | None) -> bool:
    if not user.is_authenticated:
        return False
    if street.pk in user.admin_street_ids():
        return community is None or community.street_id == street.pk
    return community is not None and community.pk in user.admin_community_ids()


def tokens_administered_by(user: User) -> QuerySet[ApiToken]:
    """Application tokens an admin may see and revoke, and the user's own personal tokens."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    scope = Q(personal=False) & (
        Q(street_id__in=user.admin_street_ids())
        | Q(community_id__in=user.admin_community_ids() - _street_communities(user))
    )
    return ApiToken.objects.filter(scope | Q(personal=True, user=user)).select_related(
        "street", "community", "user"
    )


def _street_communities(user: User) -> set[int]:
    streets = user.admin_street_ids()
    if not streets:
        return set()
    return set(Community.objects.filter(street_id__in=streets).values_list("id", flat=True))


def get_token_for_user(user: User, pk: int) -> ApiToken:
    try:
        return tokens_administered_by(user).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None


def get_webhook_for_user(user: User, pk: int) -> WebhookSubscription:
    tokens = tokens_administered_by(user).filter(personal=False)
    try:
        return WebhookSubscription.objects.select_related("token").get(pk=pk, token__in=tokens)
    except WebhookSubscription.DoesNotExist:
        raise Http404 from None


# --- what a token reaches (checked on every API request) ----------------------------------


def token_still_held(token: ApiToken) -> bool:
    """Does the person behind the token still hold the rights it was made with?"""
    user = token.user
    if not user.is_active:
        return False
    if token.personal:
        return Member.objects.filter(user=user, active=True, street_id=token.street_id).exists()
    if token.street_id in user.admin_street_ids():
        return True
    return token.community_id is not None and token.community_id in user.admin_community_ids()


def token_communities(token: ApiToken) -> QuerySet[Community]:
    """The communities a token acts in: its community, or every one of its street."""
    if token.community_id is not None:
        return Community.objects.filter(pk=token.community_id)
    return Community.objects.filter(street_id=token.street_id)


def orders_for_token(token: ApiToken) -> QuerySet[Order]:
    """Orders a token may read: every order of its communities with act_community; else the
    orders it filed itself (file_orders); for a personal token, the member's own."""
    if token.personal:
        member = Member.objects.filter(user=token.user).first()
        if member is None:
            return Order.objects.none()
        offered = Dispatch.objects.filter(member=member).values("order_id")
        return Order.objects.filter(
            Q(assigned_member=member) | Q(pk__in=offered), street_id=token.street_id
        )
    if token.has_scope(Scope.ACT_COMMUNITY):
        # By street, the key the orders' indexes lead with (order_street_newest gives the
        # list's newest first); a community's token by its community within it.
        if token.community_id is not None:
            return Order.objects.filter(street_id=token.street_id, community_id=token.community_id)
        return Order.objects.filter(street_id=token.street_id)
    if token.has_scope(Scope.FILE_ORDERS):
        return Order.objects.filter(api_filing__token=token)
    return Order.objects.none()
