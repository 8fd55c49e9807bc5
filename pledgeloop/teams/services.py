"""Writes for teams (STYLE.md: `<entity>_<action>`, keyword-only, atomic).

Team dispatch: the order's rules (states, locks, deadlines, the one winner) are the order
loop's (`orders.services.order_dispatch_to_team`, `team_dispatch_accept`); here who may do
it: the team must serve the order's community, a leader answers for the team, and the
member they assign must be on its roster.
"""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pledgeloop.lib.pinyin import pinyin_keys
from pledgeloop.notify.services import notify_all
from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Dispatch, Order, OrderError, OrderEvent
from pledgeloop.orgs.models import Category, Community, Site, Street
from pledgeloop.people.models import Member, User

from .models import Booth, Event, Position, QueueTicket, Team, TeamMembership, Volunteer


class TeamError(Exception):
    """A change to a team that is not allowed; the message is for the person."""


def _slug_for(street: Street, name: str, slug: str) -> str:
    slug = slugify(slug or pinyin_keys(name)[0] or name)[:40] or "team"
    base, n = slug, 2
    while Team.objects.filter(street=street, slug=slug).exists():
        slug = f"{base[:36]}-{n}"
        n += 1
    return slug


@transaction.atomic
def team_create(
    *,
    street: Street,
    community: Community | None,
    name: str,
    slug: str = "",
    description: str = "",
    service_area: str = "",
    skills: list[Category] = (),
) -> Team:
    name = name.strip()
    if not name:
        raise TeamError(_("Give the team a name."))
    if community is not None and community.street_id != street.pk:
        raise TeamError(_("This community belongs to another street."))
    if Team.objects.filter(street=street, name=name).exists():
        raise TeamError(_("The street already has a team called “%(name)s”.") % {"name": name})
    team = Team.objects.create(
        street=street,
        community=community,
        scope=Team.Scope.COMMUNITY if community else Team.Scope.STREET,
        name=name,
        slug=_slug_for(street, name, slug),
        description=description.strip(),
        service_area=service_area.strip(),
    )
    team.skills.set([c for c in skills if c.street_id == street.pk])
    return team


@transaction.atomic
def team_update(
    *,
    team: Team,
    name: str,
    description: str,
    service_area: str,
    skills: list[Category],
    active: bool,
) -> Team:
    name = name.strip()
    if not name:
        raise TeamError(_("Give the team a name."))
    if Team.objects.filter(street_id=team.street_id, name=name).exclude(pk=team.pk).exists():
        raise TeamError(_("The street already has a team called “%(name)s”.") % {"name": name})
    team.name, team.description, team.service_area, team.active = (
        name,
        description.strip(),
        service_area.strip(),
        active,
    )
    team.save(update_fields=["name", "description", "service_area", "active"])
    team.skills.set([c for c in skills if c.street_id == team.street_id])
    return team


def _member_fits(team: Team, member: Member) -> None:
    if member.street_id != team.street_id:
        raise TeamError(_("This member belongs to another street."))
    if not member.active:
        raise TeamError(_("This member is not active."))


@transaction.atomic
def team_member_add(
    *, team: Team, member: Member, by: User | None, leader: bool = False
) -> TeamMembership:
    _member_fits(team, member)
    try:
        with transaction.atomic():
            entry = TeamMembership.objects.create(
                street_id=team.street_id, team=team, member=member, is_leader=leader, added_by=by
            )
    except IntegrityError:
        raise TeamError(
            _("%(name)s is already on the team's roster.") % {"name": member.name}
        ) from None
    return entry


@transaction.atomic
def volunteer_register(
    *,
    street: Street,
    community: Community | None,
    name: str,
    phone: str,
    consent: bool,
    source: str,
    skills: list[Category] = (),
) -> Volunteer:
    """A volunteer who is not a party member: found by phone in the street, or added. Without
    their consent to the use of their name and number nothing is stored."""
    if not consent:
        raise TeamError(_("The volunteer must agree to the use of their name and number."))
    name = name.strip()
    if not name:
        raise TeamError(_("Give the volunteer's name."))
    volunteer = Volunteer.objects.filter(street=street, phone=phone).first()
    now = timezone.now()
    if volunteer is None:
        volunteer = Volunteer.objects.create(
            street=street,
            community=community,
            name=name,
            phone=phone,
            consent_at=now,
            consent_source=source[:40],
        )
    else:
        volunteer.name, volunteer.consent_at, volunteer.consent_source = name, now, source[:40]
        volunteer.save(update_fields=["name", "consent_at", "consent_source"])
    if skills:
        volunteer.skills.add(*[c for c in skills if c.street_id == street.pk])
    return volunteer


@transaction.atomic
def team_volunteer_add(*, team: Team, volunteer: Volunteer, by: User | None) -> TeamMembership:
    if volunteer.street_id != team.street_id:
        raise TeamError(_("This volunteer belongs to another street."))
    try:
        with transaction.atomic():
            entry = TeamMembership.objects.create(
                street_id=team.street_id, team=team, volunteer=volunteer, added_by=by
            )
    except IntegrityError:
        raise TeamError(
            _("%(name)s is already on the team's roster.") % {"name": volunteer.name}
        ) from None
    return entry


@transaction.atomic
def team_leader_set(*, entry: TeamMembership, leader: bool) -> TeamMembership:
    entry = TeamMembership.objects.select_for_update().get(pk=entry.pk)
    if leader and entry.member_id is None:
        raise TeamError(_("Only a party member with an account can lead a team."))
    if not leader and entry.is_leader:
        others = TeamMembership.objects.filter(team_id=entry.team_id, is_leader=True).exclude(
            pk=entry.pk
        )
        if not others.exists() and _team_has_open_offer(entry.team_id):
            raise TeamError(
                _("An order is waiting for this team's answer: name another leader first.")
            )
    entry.is_leader = leader
    entry.save(update_fields=["is_leader"])
    return entry


def _team_has_open_offer(team_id: int) -> bool:
    return Dispatch.objects.filter(team_id=team_id, state=Dispatch.State.OFFERED).exists()


@transaction.atomic
def team_roster_remove(*, entry: TeamMembership) -> None:
    entry = TeamMembership.objects.select_for_update().get(pk=entry.pk)
    if entry.is_leader:
        others = TeamMembership.objects.filter(team_id=entry.team_id, is_leader=True).exclude(
            pk=entry.pk
        )
        if not others.exists() and _team_has_open_offer(entry.team_id):
            raise TeamError(
                _("An order is waiting for this team's answer: name another leader first.")
            )
    entry.delete()


# --- team dispatch (派单到服务队) -----------------------------------------------------------


def team_serves(team: Team, community_id: int) -> bool:
    """A street team serves every community of its street; a community team its own."""
    if team.scope == Team.Scope.STREET:
        return True
    return team.community_id == community_id


def order_dispatch_team(
    *,
    order: Order,
    team: Team,
    by: User,
    respond_by: datetime | None = None,
    source: str = OrderEvent.Source.CONSOLE,
) -> Dispatch:
    """派单 to a team: its leaders are told; the first to accept assigns a roster member."""
    if not team.active:
        raise OrderError(_("This team is not active."))
    if not team_serves(team, order.community_id):
        raise OrderError(_("This team does not serve the order's community."))
    leaders = [
        e.member.user
        for e in team.roster.filter(is_leader=True).select_related("member__user")
        if e.member.active
    ]
    if not leaders:
        raise OrderError(_("This team has no leader to accept the order; name one first."))
    dispatch = order_services.order_dispatch_to_team(
        order=order, team=team, by=by, respond_by=respond_by, source=source
    )
    notify_all(
        users=leaders,
        kind="team_dispatch",
        street_id=order.street_id,
        url=reverse("teams:mine"),
        title=_("New order for %(team)s: %(cat)s")
        % {"team": team.name, "cat": order.category.name},
        body=order.description[:120],
    )
    return dispatch


def leader_entry(team_id: int, member: Member) -> TeamMembership | None:
    return TeamMembership.objects.filter(team_id=team_id, member=member, is_leader=True).first()


def team_dispatch_take(*, dispatch: Dispatch, leader: Member, assignee: Member) -> Order:
    """A leader accepts the team's offer and gives it to a member of the roster (themself
    included). Two leaders at once: one wins (orders.services locks the order)."""
    if dispatch.team_id is None or leader_entry(dispatch.team_id, leader) is None:
        raise OrderError(_("Only a leader of the team can accept its orders."))
    on_roster = TeamMembership.objects.filter(team_id=dispatch.team_id, member=assignee).exists()
    if not on_roster:
        raise OrderError(_("Choose a member of the team's roster."))
    return order_services.team_dispatch_accept(dispatch=dispatch, assignee=assignee, by=leader.user)


def team_dispatch_refuse(*, dispatch: Dispatch, leader: Member, reason: str) -> Order:
    if dispatch.team_id is None or leader_entry(dispatch.team_id, leader) is None:
        raise OrderError(_("Only a leader of the team can accept its orders."))
    return order_services.team_dispatch_decline(dispatch=dispatch, by=leader.user, reason=reason)


# --- positions of the 15-minute service circle (阵地) --------------------------------------


@transaction.atomic
def position_create(
    *,
    site: Site,
    opening_hours: str = "",
    services: list[Category] = (),
    services_note: str = "",
) -> Position:
    if Position.objects.filter(site=site).exists():
        raise TeamError(_("“%(name)s” is already a position of the circle.") % {"name": site})
    position = Position.objects.create(
        street_id=site.street_id,
        site=site,
        opening_hours=opening_hours.strip(),
        services_note=services_note.strip(),
    )
    position.services.set([c for c in services if c.street_id == site.street_id])
    return position


@transaction.atomic
def position_update(
    *,
    position: Position,
    opening_hours: str,
    services: list[Category],
    services_note: str,
    active: bool,
) -> Position:
    position.opening_hours, position.services_note, position.active = (
        opening_hours.strip(),
        services_note.strip(),
        active,
    )
    position.save(update_fields=["opening_hours", "services_note", "active"])
    position.services.set([c for c in services if c.street_id == position.street_id])
    return position


# --- booth queues (摊位排号) ----------------------------------------------------------------


def queue_opens_on(event) -> date | None:
    """The day a booth of the event starts giving out and serving numbers, while it is still
    to come (None from then on): the event's first day. A number taken, or served, days
    before the fair counted a service that had not happened."""
    first_day = timezone.localdate(event.starts_at)
    return first_day if timezone.localdate() < first_day else None


def cancelled_check(event) -> None:
    """Nothing more happens at a cancelled event (event_changes.event_cancel): no one
    registers, signs up, checks in or takes a number, and it gains no sessions or booths."""
    if event.cancelled_at is not None:
        raise TeamError(
            _("“%(event)s” has been cancelled: %(reason)s")
            % {"event": event.title, "reason": event.cancel_reason}
        )


def cancelled_check_now(event_id: int) -> None:
    """cancelled_check on the event as committed now, for a caller that has just taken a lock
    event_changes.event_cancel takes too (its sessions', shifts' and booths'): a cancel
    committed while it waited for that lock is seen, where the event it read before is not."""
    cancelled_check(Event.objects.only("title", "cancelled_at", "cancel_reason").get(pk=event_id))


def queue_open_check(event) -> None:
    cancelled_check(event)
    opens_on = queue_opens_on(event)
    if opens_on is not None:
        raise TeamError(
            _("Numbers are given out and served on the day of the event, from %(day)s.")
            % {"day": date_format(opens_on, "MONTH_DAY_FORMAT")}
        )


def queue_ticket_take(*, booth: Booth, client_key: str) -> QueueTicket:
    """A number at the booth for this browser: the same number again on a double tap (or a
    second scan), else the next one. The booth's row lock hands out numbers one at a time;
    the unique (booth, client key) constraint holds even if two taps of one phone race."""
    if not client_key or len(client_key) > 43:
        raise TeamError(_("Your browser did not keep our cookie; allow cookies and scan again."))
    queue_open_check(booth.event)
    try:
        with transaction.atomic():
            existing = QueueTicket.objects.filter(booth=booth, client_key=client_key).first()
            if existing is not None:
                return existing
            locked = Booth.objects.select_for_update().get(pk=booth.pk)
            existing = QueueTicket.objects.filter(booth=booth, client_key=client_key).first()
            if existing is not None:
                return existing
            cancelled_check_now(locked.event_id)
            locked.last_number += 1
            locked.save(update_fields=["last_number"])
            ticket, _created = QueueTicket.objects.get_or_create(
                booth=locked,
                client_key=client_key,
                defaults={"street_id": locked.street_id, "number": locked.last_number},
            )
            return ticket
    except IntegrityError:
        # The other tap of the same phone committed first: its number is this one's.
        return QueueTicket.objects.get(booth=booth, client_key=client_key)
