"""Test helpers for teams: teams, rosters and positions made through the real services."""

from decimal import Decimal

from pledgeloop.orders.tests.loop import member_of, new_member
from pledgeloop.orgs.models import Site
from pledgeloop.orgs.services import site_create
from pledgeloop.teams import services
from pledgeloop.teams.models import Position, Team


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
