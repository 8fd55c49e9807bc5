"""Test helpers for teams: teams, rosters and positions made through the real services."""

import datetime as dt
from decimal import Decimal

from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import member_of, new_member
from pledgeloop.orgs.models import Category, Site
from pledgeloop.orgs.services import site_create
from pledgeloop.people.models import Member
from pledgeloop.teams import events, services
from pledgeloop.teams.models import Event, Position, Team


def position_in(world, name: str, *, kind: str = Site.Kind.CENTRE) -> Position:
    """A site of world.community named `name`, made a position of the circle."""
    site = site_create(
        community=world.community,
        kind=kind,
        name=name,
        latitude=Decimal("31.9"),
        longitude=Decimal("120.9"),
    )
    return services.position_create(site=site)


def course_in(world, title: str, starts_at: dt.datetime, *, hours: int = 2, **fields) -> Event:
    """A course of world.community that residents register for, of one session."""
    return events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.COURSE,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        registration=True,
        **fields,
    )


def booth_with_shift(world, event: Event, name: str, code: str, hours: int = 1):
    """A booth of `event` for the street's category `code`, with a shift of `hours` from the
    event's start: (booth, shift)."""
    booth = events.booth_add(
        event=event, name=name, category=Category.objects.get(street=world.street, code=code)
    )
    start = event.starts_at
    shift = events.shift_add(
        session=event.sessions.get(),
        booth=booth,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
    )
    return booth, shift


def team_with_leaders(world, *, leaders: int = 2, name: str = "星港湾便民服务队", community=None):
    """A community team of 星港湾 with `leaders` leaders and the world's member on its roster."""
    team = services.team_create(
        street=world.street, community=community or world.community, name=name
    )
    heads = [
        new_member(world, f"1360000{i:04d}", f"队长{i}", community=team.community)
        for i in range(leaders)
    ]
    for head in heads:
        services.team_member_add(team=team, member=head, by=world.community_admin, leader=True)
    services.team_member_add(team=team, member=member_of(world), by=world.community_admin)
    return Team.objects.get(pk=team.pk), heads


def school_order_taken(world) -> tuple[Order, list[Member]]:
    """A school's order for a session (外国语学校), dispatched to a team of 星港湾 and taken by its
    first leader for themself: the order (as stored now) and the team's leaders."""
    team, heads = team_with_leaders(world)
    order = events.session_order_submit(
        position=position_in(world, "外国语学校", kind=Site.Kind.SCHOOL),
        category=Category.objects.get(street=world.street, code="skills"),
        contact_name="刘老师",
        phone="13622223333",
        description="给学生讲一堂垃圾分类课",
        consent=True,
    )
    order = order_services.order_triage(order=order, by=world.community_admin)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    services.team_dispatch_take(dispatch=dispatch, leader=heads[0], assignee=heads[0])
    return Order.objects.get(pk=order.pk), heads
