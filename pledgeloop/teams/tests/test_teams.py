"""Teams (服务队): made and managed in the console, shown on public pages and the wall."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import age, member_of, triaged_order
from pledgeloop.teams import services
from pledgeloop.teams.models import Team, TeamMembership, Volunteer

from .helpers import team_with_leaders

pytestmark = pytest.mark.django_db


def test_community_admin_creates_a_team_of_their_community(world, client_for):
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:new"),
        {"name": "银发丹心", "community": world.community.pk, "description": "老党员服务队"},
    )
    team = Team.objects.get(name="银发丹心")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:teams:detail", args=[team.pk])
    assert team.scope == Team.Scope.COMMUNITY and team.community == world.community
    assert team.slug == "yinfadanxin"


def test_community_admin_cannot_make_a_street_team(world, client_for):
    client = client_for(world.community_admin)
    response = client.post(reverse("console:teams:new"), {"name": "红骑士", "community": ""})
    assert response.status_code == 400
    assert not Team.objects.exists()


def test_street_admin_makes_a_street_team(world, client_for):
    client = client_for(world.street_admin)
    response = client.post(reverse("console:teams:new"), {"name": "红骑士", "community": ""})
    assert response.status_code == 302
    team = Team.objects.get(name="红骑士")
    assert team.scope == Team.Scope.STREET and team.community is None
    assert team.street == world.street


def test_a_second_team_of_the_same_name_is_refused_with_a_message(world, client_for):
    services.team_create(street=world.street, community=world.community, name="红色管家")
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:new"), {"name": "红色管家", "community": world.community.pk}
    )
    assert response.status_code == 400
    assert "已经有" in response.content.decode()
    assert Team.objects.count() == 1


@pytest.mark.parametrize("who", ["member", "resident"])
def test_team_pages_are_for_admins_only(world, client_for, who):
    team, _ = team_with_leaders(world)
    client = client_for(getattr(world, who))
    assert client.get(reverse("console:teams:list")).status_code == 403
    assert client.get(reverse("console:teams:detail", args=[team.pk])).status_code == 403
    response = client.post(reverse("console:teams:new"), {"name": "x", "community": ""})
    assert response.status_code == 403
    assert Team.objects.count() == 1


def test_admin_of_another_community_cannot_see_or_change_the_team(world, client_for):
    team, _ = team_with_leaders(world)
    client = client_for(world.outsider)
    assert client.get(reverse("console:teams:detail", args=[team.pk])).status_code == 404
    response = client.post(
        reverse("console:teams:roster_volunteer", args=[team.pk]),
        {"name": "小李", "phone": "13611112222", "consent": "on"},
    )
    assert response.status_code == 404
    assert not Volunteer.objects.exists()
    listing = client.get(reverse("console:teams:list")).content.decode()
    assert team.name not in listing


def test_volunteer_joins_the_roster_with_consent_and_no_account(world, client_for):
    team, _ = team_with_leaders(world)
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:roster_volunteer", args=[team.pk]),
        {"name": "外卖小哥", "phone": "136 1111 2222", "consent": "on"},
    )
    assert response.status_code == 302
    volunteer = Volunteer.objects.get()
    assert volunteer.phone == "13611112222" and volunteer.consent_at is not None
    assert TeamMembership.objects.filter(team=team, volunteer=volunteer).exists()


def test_volunteer_without_consent_is_refused_and_nothing_is_stored(world, client_for):
    team, _ = team_with_leaders(world)
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:roster_volunteer", args=[team.pk]),
        {"name": "外卖小哥", "phone": "13611112222"},
    )
    assert response.status_code == 400
    assert "同意" in response.content.decode()
    assert not Volunteer.objects.exists()


def test_a_bad_phone_number_is_refused(world, client_for):
    team, _ = team_with_leaders(world)
    response = client_for(world.community_admin).post(
        reverse("console:teams:roster_volunteer", args=[team.pk]),
        {"name": "外卖小哥", "phone": "12345", "consent": "on"},
    )
    assert response.status_code == 400
    assert not Volunteer.objects.exists()


def test_a_volunteer_cannot_lead(world):
    team, _ = team_with_leaders(world)
    volunteer = services.volunteer_register(
        street=world.street,
        community=world.community,
        name="小学生家长",
        phone="13611113333",
        consent=True,
        source="test",
    )
    entry = services.team_volunteer_add(team=team, volunteer=volunteer, by=None)
    with pytest.raises(services.TeamError):
        services.team_leader_set(entry=entry, leader=True)
    entry.refresh_from_db()
    assert not entry.is_leader


def test_a_member_joins_once(world, client_for):
    team, _ = team_with_leaders(world)
    with pytest.raises(services.TeamError):
        services.team_member_add(team=team, member=member_of(world), by=None)
    assert TeamMembership.objects.filter(team=team, member=member_of(world)).count() == 1


def test_admin_makes_a_roster_member_leader(world, client_for):
    team, _ = team_with_leaders(world)
    entry = TeamMembership.objects.get(team=team, member=member_of(world))
    response = client_for(world.community_admin).post(
        reverse("console:teams:roster_entry", args=[team.pk, entry.pk, "lead"])
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.is_leader


def test_the_console_team_list_names_the_leaders_and_gives_hours_with_their_unit(world, client_for):
    """The list's 队长 column showed a count (2) and its hours a bare number (user walk 27):
    it names the leaders in pinyin order, unmasked as the console's roster does, joined as
    each language writes a list, and the hours carry their unit."""
    team, heads = team_with_leaders(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    services.team_dispatch_take(dispatch=dispatch, leader=heads[0], assignee=member_of(world))
    order_services.order_start(order=order, member=member_of(world))
    order = age(order, hours=3)
    order_services.order_finish(
        order=order, member=member_of(world), hours=Decimal("1.5"), started_at=order.accepted_at
    )
    leaderless = services.team_create(street=world.street, community=world.community, name="新队")
    client = client_for(world.community_admin)

    def cells(body: str, pk: int) -> dict:
        row = body.split(f'data-team="{pk}"', 1)[1].split("</tr>", 1)[0]
        return dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row))

    chinese = cells(client.get(reverse("console:teams:list")).content.decode(), team.pk)
    assert chinese["队长"] == "队长0、队长1"
    assert chinese["服务时长"] == "1.5 小时"
    empty = cells(client.get(reverse("console:teams:list")).content.decode(), leaderless.pk)
    assert empty["队长"] == "尚无队长" and empty["服务时长"] == "0 小时"
    # the table of teams to dispatch an order to reads the same
    waiting = triaged_order(world, phone="13698765432")
    page = client.get(reverse("console:teams:order_dispatch", args=[waiting.pk])).content.decode()
    assert cells(page, team.pk)["队长"] == "队长0、队长1"
    assert cells(page, team.pk)["服务时长"] == "1.5 小时"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = cells(client.get(reverse("console:teams:list")).content.decode(), team.pk)
    assert english["Leaders"] == "队长0, 队长1"
    assert english["Service hours"] == "1.5 h"


def test_public_team_pages_show_leaders_and_figures_but_not_volunteers_names(world, client):
    team, heads = team_with_leaders(world)
    volunteer = services.volunteer_register(
        street=world.street,
        community=world.community,
        name="外卖小哥",
        phone="13611112222",
        consent=True,
        source="test",
    )
    services.team_volunteer_add(team=team, volunteer=volunteer, by=None)
    listing = client.get(reverse("teams:street", args=[world.street.slug]))
    assert listing.status_code == 200
    assert team.name in listing.content.decode()
    page = client.get(reverse("teams:team", args=[world.street.slug, team.slug]))
    body = page.content.decode()
    assert page.status_code == 200
    assert heads[0].name in body and heads[1].name in body
    assert "外卖小哥" not in body and "13611112222" not in body
    assert "data-team-figures" in body
    assert re.search(r'data-figure="hours">[\d.]+ 小时</dd>', body)  # with its unit
    # the leaders' names are listed as each language writes a list
    assert re.search(r"data-leaders>([^<]*)</dd>", body)[1].count("、") == 1
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(reverse("teams:team", args=[world.street.slug, team.slug]))
    leaders = re.search(r"data-leaders>([^<]*)</dd>", english.content.decode())[1]
    assert leaders.count(", ") == 1 and "、" not in leaders


def test_an_inactive_team_has_no_public_page(world, client):
    team, _ = team_with_leaders(world)
    Team.objects.filter(pk=team.pk).update(active=False)
    response = client.get(reverse("teams:team", args=[world.street.slug, team.slug]))
    assert response.status_code == 404


def test_the_wall_shows_the_community_and_street_teams(world, client):
    team, _ = team_with_leaders(world)
    riders = services.team_create(street=world.street, community=None, name="红骑士")
    elsewhere = services.team_create(street=world.street, community=world.neighbour, name="腾飞队")
    body = client.get(reverse("pledges:wall", args=[world.community.slug])).content.decode()
    assert "data-wall-teams" in body
    assert team.name in body and riders.name in body
    assert elsewhere.name not in body
