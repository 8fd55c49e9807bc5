"""Dispatch to a team (派单到服务队): the admin sends an order to a team, a leader accepts it
by giving it to a member of the roster, and the team's figures count the service."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Dispatch, Order, OrderError
from pledgeloop.orders.tests.loop import age, member_of, new_member, triaged_order
from pledgeloop.reviews.services import review_submit
from pledgeloop.teams import selectors, services

from .helpers import team_with_leaders

pytestmark = pytest.mark.django_db


def test_admin_dispatches_an_order_to_a_team_and_its_leaders_are_told(world, client_for):
    team, heads = team_with_leaders(world)
    order = triaged_order(world)
    client = client_for(world.community_admin)
    page = client.get(reverse("console:teams:order_dispatch", args=[order.pk]))
    assert page.status_code == 200 and team.name in page.content.decode()
    response = client.post(
        reverse("console:teams:order_dispatch", args=[order.pk]), {"team": team.pk, "hours": 4}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == Order.State.DISPATCHED
    dispatch = Dispatch.objects.get(order=order)
    assert dispatch.team == team and dispatch.member is None
    for head in heads:
        assert head.user.notifications.filter(kind="team_dispatch").exists()
    detail = client.get(reverse("console:order_detail", args=[order.pk])).content.decode()
    assert team.name in detail


def test_the_order_page_links_to_team_dispatch(world, client_for):
    order = triaged_order(world)
    body = client_for(world.community_admin).get(reverse("console:order_detail", args=[order.pk]))
    assert reverse("console:teams:order_dispatch", args=[order.pk]) in body.content.decode()


def test_a_team_of_another_community_is_not_offered_and_is_refused(world, client_for):
    team, _ = team_with_leaders(world, community=world.neighbour, name="腾飞队")
    order = triaged_order(world)
    client = client_for(world.community_admin)
    page = client.get(reverse("console:teams:order_dispatch", args=[order.pk]))
    assert team.name not in page.content.decode()
    response = client.post(
        reverse("console:teams:order_dispatch", args=[order.pk]), {"team": team.pk, "hours": 4}
    )
    assert response.status_code == 400
    with pytest.raises(OrderError):
        services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED and not order.dispatches.exists()


def test_a_team_without_a_leader_cannot_be_dispatched(world):
    team = services.team_create(street=world.street, community=world.community, name="空队")
    order = triaged_order(world)
    with pytest.raises(OrderError):
        services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_admin_of_another_community_cannot_dispatch_the_order(world, client_for):
    team, _ = team_with_leaders(world)
    order = triaged_order(world)
    response = client_for(world.outsider).post(
        reverse("console:teams:order_dispatch", args=[order.pk]), {"team": team.pk, "hours": 4}
    )
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_leader_accepts_and_assigns_a_roster_member(world, client_for):
    team, heads = team_with_leaders(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    client = client_for(heads[0].user)
    page = client.get(reverse("teams:mine"))
    assert f'data-offer="{dispatch.pk}"' in page.content.decode()
    member = member_of(world)
    response = client.post(
        reverse("teams:offer_accept", args=[dispatch.pk]), {"assignee": member.pk}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    dispatch.refresh_from_db()
    assert order.state == Order.State.ACCEPTED and order.assigned_member == member
    assert dispatch.state == Dispatch.State.ACCEPTED
    assert dispatch.member == member and dispatch.accepted_by == heads[0].user
    event = order.events.get(action="accept")
    assert event.by == heads[0].user and team.name in event.reason


def test_a_roster_member_who_does_not_lead_cannot_accept(world, client_for):
    team, _ = team_with_leaders(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    member = member_of(world)
    response = client_for(world.member).post(
        reverse("teams:offer_accept", args=[dispatch.pk]), {"assignee": member.pk}
    )
    assert response.status_code == 404
    with pytest.raises(OrderError):
        services.team_dispatch_take(dispatch=dispatch, leader=member, assignee=member)
    assert Order.objects.get(pk=order.pk).state == Order.State.DISPATCHED


def test_the_assignee_must_be_on_the_roster(world, client_for):
    team, heads = team_with_leaders(world)
    stranger = new_member(world, "13655550000", "路人")
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    response = client_for(heads[0].user).post(
        reverse("teams:offer_accept", args=[dispatch.pk]), {"assignee": stranger.pk}
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).state == Order.State.DISPATCHED
    with pytest.raises(OrderError):
        services.team_dispatch_take(dispatch=dispatch, leader=heads[0], assignee=stranger)


def test_the_second_leader_is_told_the_order_is_taken(world):
    team, heads = team_with_leaders(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    member = member_of(world)
    services.team_dispatch_take(dispatch=dispatch, leader=heads[0], assignee=member)
    with pytest.raises(OrderError, match="已经"):
        services.team_dispatch_take(dispatch=dispatch, leader=heads[1], assignee=heads[1])
    assert Order.objects.get(pk=order.pk).assigned_member == member


def test_a_member_cannot_answer_a_team_offer_as_their_own(world):
    team, heads = team_with_leaders(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    with pytest.raises(OrderError):
        order_services.dispatch_accept(dispatch=dispatch, member=heads[0])
    assert Order.objects.get(pk=order.pk).state == Order.State.DISPATCHED


def test_leader_declines_and_the_order_returns_to_the_needs_list(world, client_for):
    team, heads = team_with_leaders(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    response = client_for(heads[1].user).post(
        reverse("teams:offer_decline", args=[dispatch.pk]), {"reason": "队员都在值班"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED
    assert Dispatch.objects.get(pk=dispatch.pk).state == Dispatch.State.DECLINED


def test_an_unanswered_team_offer_times_out(world):
    team, _ = team_with_leaders(world)
    order = triaged_order(world)
    dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
    late = dispatch.respond_by + (dispatch.respond_by - dispatch.offered_at)
    assert order_services.dispatch_time_out(dispatch=dispatch, now=late)
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED
    assert team.name in order.events.get(action="time_out").reason


def test_team_figures_count_the_records_of_orders_the_team_accepted(world):
    team, heads = team_with_leaders(world)
    member = member_of(world)
    served = []
    for n, (rating, phone) in enumerate(((5, "13812345678"), (3, "13698765432"))):
        order = triaged_order(world, phone=phone)
        dispatch = services.order_dispatch_team(order=order, team=team, by=world.community_admin)
        services.team_dispatch_take(dispatch=dispatch, leader=heads[0], assignee=member)
        order_services.order_start(order=order, member=member)
        order = age(order, hours=10)
        order, record = order_services.order_finish(
            order=order,
            member=member,
            hours=Decimal("1.5"),
            started_at=order.accepted_at + dt.timedelta(hours=2 + 3 * n),
        )
        review_submit(record=record, rating=rating)
        served.append(record)
    # An order the member took alone is not the team's.
    alone = triaged_order(world)
    order_services.order_claim(order=alone, member=member)
    order_services.order_start(order=alone, member=member)
    alone = age(alone, hours=2)
    order_services.order_finish(
        order=alone, member=member, hours=Decimal("1"), started_at=alone.accepted_at
    )

    figures = selectors.team_figures([team])[team.pk]
    assert figures.sessions == 2
    assert figures.hours == Decimal("3.0")
    # 13812345678 is 王秀兰's number (a registered resident); the other is no one's.
    assert [r.beneficiary_id for r in served] == [world.resident_here.pk, None]
    assert figures.people_served == 1
    assert figures.reviews == 2 and figures.average_rating == Decimal("4.0")
    assert figures.satisfaction == 50
