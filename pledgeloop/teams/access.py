"""Who may see and change which teams (the one place these rules live, STYLE.md).

A street admin manages every team of their streets (street teams and community teams); a
community admin the teams of their communities. Anyone else gets a 404 on the console pages.
A team's leaders answer the orders dispatched to it on their own page (/me/teams/).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from pledgeloop.orders.models import Dispatch
from pledgeloop.people.models import Member, User

from .models import Event, Milestone, Project, Team


def teams_administered_by(user: User) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(
        Q(street_id__in=user.admin_street_ids()) | Q(community_id__in=user.admin_community_ids())
    )


def get_team_for_admin(user: User, pk: int) -> Team:
    try:
        return teams_administered_by(user).select_related("street", "community").get(pk=pk)
    except Team.DoesNotExist:
        raise Http404 from None


def teams_for_order(order) -> QuerySet[Team]:
    """The teams an order can be dispatched to: active, of its street, serving its community."""
    return Team.objects.filter(street_id=order.street_id, active=True).filter(
        Q(scope=Team.Scope.STREET) | Q(community_id=order.community_id)
    )


def member_of(user: User) -> Member | None:
    if not user.is_authenticated:
        return None
    return Member.objects.filter(user=user, active=True).select_related("user").first()


def get_team_offer_for_leader(member: Member, dispatch_id: int) -> Dispatch:
    """A team's offer for a team the member leads (any state: a late leader reads why)."""
    try:
        return Dispatch.objects.select_related("order", "team").get(
            pk=dispatch_id,
            team__roster__member=member,
            team__roster__is_leader=True,
        )
    except Dispatch.DoesNotExist:
        raise Http404 from None


def events_administered_by(user: User) -> QuerySet:
    """A street admin's events are all of their streets'; a community admin's those of their
    communities (an event for the whole street is the street admin's)."""
    if not user.is_authenticated:
        return Event.objects.none()
    return Event.objects.filter(
        Q(street_id__in=user.admin_street_ids()) | Q(community_id__in=user.admin_community_ids())
    )


def projects_administered_by(user: User) -> QuerySet[Project]:
    """A street admin's projects are all of their streets'; a community admin's those of
    their communities (a street-wide project is the street admins')."""
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(
        Q(street_id__in=user.admin_street_ids()) | Q(community_id__in=user.admin_community_ids())
    )


def get_event_for_admin(user: User, pk: int) -> Event:
    try:
        return (
            events_administered_by(user)
            .select_related("street", "community", "team", "place__site", "order")
            .get(pk=pk)
        )
    except Event.DoesNotExist:
        raise Http404 from None


def get_project_for_admin(user: User, pk: int) -> Project:
    try:
        return projects_administered_by(user).select_related("street", "community").get(pk=pk)
    except Project.DoesNotExist:
        raise Http404 from None


def milestone_photo_visible(user: User, milestone: Milestone) -> bool:
    """Anyone when the photo was cleared for public pages (C12); else the project's admins."""
    if milestone.photo_public:
        return True
    return projects_administered_by(user).filter(pk=milestone.project_id).exists()
