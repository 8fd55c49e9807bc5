"""Team service in the quarterly showcase and the annual review: the records of orders a
team's leader gave the member count in their hours (as every record does) and are shown in a
line per team they served with."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.conftest import shared_fixture
from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import age, member_of, triaged_order
from pledgeloop.reviews import selectors
from pledgeloop.teams import services
from pledgeloop.teams.tests.helpers import team_with_leaders

pytestmark = pytest.mark.django_db


def serve_for_team(world, team, leader, hours, n):
    member = member_of(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    services.team_dispatch_take(dispatch=dispatch, leader=leader, assignee=member)
    order_services.order_start(order=order, member=member)
    order = age(order, hours=10)
    order_services.order_finish(
        order=order,
        member=member,
        hours=Decimal(hours),
        started_at=order.accepted_at + dt.timedelta(hours=1 + 3 * n),
    )


@shared_fixture
def served(world):
    """张三 served the 星港湾 team twice (1.5 h + 2 h) and 红骑士 once (1 h), and once alone
    (0.5 h, no team)."""
    team, heads = team_with_leaders(world)
    riders = services.team_create(street=world.street, community=None, name="红骑士")
    services.team_member_add(team=riders, member=heads[0], by=world.street_admin, leader=True)
    services.team_member_add(team=riders, member=member_of(world), by=world.street_admin)
    serve_for_team(world, team, heads[0], "1.5", 0)
    serve_for_team(world, team, heads[1], "2", 1)
    serve_for_team(world, riders, heads[0], "1", 2)
    member = member_of(world)
    alone = triaged_order(world)
    order_services.order_claim(order=alone, member=member)
    order_services.order_start(order=alone, member=member)
    alone = age(alone, hours=2)
    order_services.order_finish(
        order=alone, member=member, hours=Decimal("0.5"), started_at=alone.accepted_at
    )
    return world


def test_team_service_is_a_line_per_team(served):
    today = timezone.localdate()
    period = selectors.year_period(today.year)
    lines = selectors.team_service([member_of(served)], period)[member_of(served).pk]
    got = sorted((t.team, t.sessions, t.hours) for t in lines)
    assert got == [("星港湾便民服务队", 2, Decimal("3.5")), ("红骑士", 1, Decimal("1"))]


def test_the_showcase_shows_the_team_lines_and_counts_their_hours(served, client):
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    page = client.get(
        reverse(
            "reviews:showcase",
            kwargs={"community": "xinggangwan", "period": f"{today.year}q{quarter}"},
        )
    )
    text = page.content.decode()
    # All four records in the member's hours: 1.5 + 2 + 1 + 0.5.
    assert "<strong data-hours-total>5</strong> 小时" in text
    assert text.count("data-team-service") == 2
    assert "星港湾便民服务队 · 2" in text and "红骑士 · 1" in text
    # The team's hours as a quantity (3 小时), not the column's name (3 服务时长).
    assert re.search(r"红骑士 · 1 次 · [\d.]+ 小时</p>", text), text


def test_the_annual_review_lists_the_member_team_service(served, client_for):
    today = timezone.localdate()
    member = member_of(served)
    page = client_for(served.community_admin).get(
        reverse(
            "reviews:annual_member",
            kwargs={"street": served.street.slug, "year": today.year, "member_id": member.pk},
        )
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("data-team-service") == 2 and "红骑士" in text
    assert "服务时长</li>" not in text and re.search(r"[\d.]+ 小时</li>", text)
