"""State actions through /api/v1/ (issue 16): an admin token dispatches and corrects orders as
the console does; a member's personal token claims, answers offers, finishes and hands back as
the member's page does. Every change goes through orders.services with source = API and the
token named in the history; refusals come back in the one error shape, in the caller's
language. And the street's positions (15-minute circle) as a public resource."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from pledgeloop.orders import services
from pledgeloop.orders.models import Dispatch, Order, OrderEvent
from pledgeloop.orders.tests.loop import (
    age,
    bring_to,
    dispatched_order,
    member_of,
    new_member,
    new_order,
    triaged_order,
)
from pledgeloop.orgs.models import Category, Site
from pledgeloop.orgs.services import site_create
from pledgeloop.service.models import ServiceRecord
from pledgeloop.teams import services as team_services
from pledgeloop.teams.tests.helpers import team_with_leaders

from ..models import Scope
from .helpers import bearer, personal_token, token_for

pytestmark = pytest.mark.django_db
JSON = {"content_type": "application/json"}


def _admin(world):
    return token_for(world.community_admin, world.street, world.community, [Scope.ACT_COMMUNITY])


def _last_event(order) -> OrderEvent:
    return OrderEvent.objects.filter(order=order).order_by("at", "id").last()


def _by_api(event: OrderEvent, application: str) -> bool:
    return event.source == OrderEvent.Source.API and event.by_label.startswith(
        f"API · {application} (pl_"
    )


# --- admin: dispatch, recategorise, cancel ------------------------------------------------------


def test_an_admin_token_dispatches_to_a_member_through_the_service(world, client):
    text = _admin(world)
    order = triaged_order(world)
    member = member_of(world)
    response = client.post(
        f"/api/v1/orders/{order.pk}/dispatch",
        {"member": member.code, "respond_hours": 2},
        **JSON,
        **bearer(text),
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "dispatched"
    offer = Dispatch.objects.get(order=order)
    assert offer.member == member and offer.offered_by == world.community_admin
    window = dt.timedelta(hours=2)
    assert services.reply_deadline(offer.offered_at, window) - offer.respond_by < dt.timedelta(
        seconds=5
    )
    event = _last_event(order)
    assert event.action == "dispatch" and _by_api(event, "12345热线")
    assert event.by == world.community_admin
    # Dispatching again is the service's refusal, in the one error shape.
    again = client.post(
        f"/api/v1/orders/{order.pk}/dispatch", {"member": member.code}, **JSON, **bearer(text)
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert Dispatch.objects.filter(order=order).count() == 1


def test_dispatch_names_a_member_of_the_street_or_a_team_but_not_both(world, client):
    text = _admin(world)
    order = triaged_order(world)
    far = new_member(world, "13600009999", "远方", community=world.faraway)
    for body, field in [
        ({}, "body.data.member"),
        ({"member": member_of(world).code, "team": 1}, "body.data.member"),
        ({"member": far.code}, "body.data.member"),
        ({"team": 999999}, "body.data.team"),
    ]:
        response = client.post(
            f"/api/v1/orders/{order.pk}/dispatch",
            body,
            **JSON,
            HTTP_ACCEPT_LANGUAGE="en",
            **bearer(text),
        )
        assert response.status_code == 422, body
        assert response.json()["error"]["fields"][0]["field"] == field
    assert Order.objects.get(pk=order.pk).state == "triaged"
    assert not Dispatch.objects.exists()


def test_an_admin_token_dispatches_to_a_team_with_source_api(world, client):
    text = _admin(world)
    team, _heads = team_with_leaders(world)
    order = triaged_order(world)
    response = client.post(
        f"/api/v1/orders/{order.pk}/dispatch", {"team": team.pk}, **JSON, **bearer(text)
    )
    assert response.status_code == 200, response.content
    assert Dispatch.objects.get(order=order).team == team
    assert _by_api(_last_event(order), "12345热线")


def test_an_admin_token_recategorises_and_cancels(world, client):
    text = _admin(world)
    order = triaged_order(world)
    other = Category.objects.filter(street=world.street, active=True).exclude(code="repairs")[0]
    response = client.post(
        f"/api/v1/orders/{order.pk}/recategorise", {"category": other.code}, **JSON, **bearer(text)
    )
    assert response.status_code == 200 and response.json()["category"] == other.code
    assert _last_event(order).action == "recategorise"
    cancelled = client.post(
        f"/api/v1/orders/{order.pk}/cancel", {"reason": "居民来电取消"}, **JSON, **bearer(text)
    )
    assert cancelled.json()["state"] == "cancelled"
    event = _last_event(order)
    assert event.by == world.community_admin and _by_api(event, "12345热线")


# --- a member's personal token ------------------------------------------------------------------


def test_a_member_claims_an_open_order_and_sees_the_person_only_once_it_is_theirs(world, client):
    text = personal_token(world)
    order = triaged_order(world)
    listed = client.get("/api/v1/me/orders/open", **bearer(text)).json()
    assert [o["id"] for o in listed] == [order.pk]
    assert "13812345678" not in str(listed) and "阳光花园3幢201室" not in str(listed)
    response = client.post(f"/api/v1/me/orders/{order.pk}/claim", **bearer(text))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted" and body["phone_masked"] == "138****5678"
    order.refresh_from_db()
    assert order.assigned_member == member_of(world)
    event = _last_event(order)
    assert event.action == "claim" and _by_api(event, "我的日历") and event.by == world.member
    # A second claim (or a late one) is the service's answer, not a 404.
    again = client.post(
        f"/api/v1/me/orders/{order.pk}/claim", HTTP_ACCEPT_LANGUAGE="en", **bearer(text)
    )
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "You have already taken this order."


def test_another_members_claim_loses_with_the_pages_message(world, client):
    order = triaged_order(world)
    rival = new_member(world, "13600001111", "李四")
    client.post(f"/api/v1/me/orders/{order.pk}/claim", **bearer(personal_token(world)))
    text = token_for(rival.user, world.street, world.community, [Scope.OWN_RECORDS], personal=True)
    lost = client.post(f"/api/v1/me/orders/{order.pk}/claim", **bearer(text))
    assert lost.status_code == 409
    assert lost.json()["error"]["message"] == "这个订单已经被其他党员接走了。"
    assert Order.objects.get(pk=order.pk).assigned_member == member_of(world)
    # An order that never reached the needs list is not there to claim.
    fresh = new_order(world)
    assert client.post(f"/api/v1/me/orders/{fresh.pk}/claim", **bearer(text)).status_code == 404


def test_a_member_accepts_an_offer(world, client):
    text = personal_token(world)
    order, offer = dispatched_order(world)
    response = client.post(f"/api/v1/me/orders/{order.pk}/accept", **bearer(text))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "accepted"
    offer.refresh_from_db()
    assert offer.state == Dispatch.State.ACCEPTED
    assert _by_api(_last_event(order), "我的日历")
    twice = client.post(f"/api/v1/me/orders/{order.pk}/accept", **bearer(text))
    assert twice.status_code == 409


def test_a_member_declines_an_offer_with_a_reason(world, client):
    text = personal_token(world)
    order, offer = dispatched_order(world)
    bare = client.post(f"/api/v1/me/orders/{order.pk}/decline", {}, **JSON, **bearer(text))
    assert bare.status_code == 409 and "原因" in bare.json()["error"]["message"]
    assert Order.objects.get(pk=order.pk).state == "dispatched"
    response = client.post(
        f"/api/v1/me/orders/{order.pk}/decline", {"reason": "出差"}, **JSON, **bearer(text)
    )
    assert response.status_code == 200 and response.json()["state"] == "triaged"
    offer.refresh_from_db()
    assert offer.state == Dispatch.State.DECLINED and offer.reason == "出差"
    event = _last_event(order)
    assert event.action == "decline" and _by_api(event, "我的日历")


def test_an_offer_to_someone_else_cannot_be_answered(world, client):
    rival = new_member(world, "13600001111", "李四")
    order, _offer = dispatched_order(world, member=rival)
    text = personal_token(world)
    response = client.post(f"/api/v1/me/orders/{order.pk}/accept", **bearer(text))
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).state == "dispatched"


def test_a_member_finishes_with_the_pages_rules(world, client):
    text = personal_token(world)
    order = bring_to(world, Order.State.ACCEPTED)
    url = f"/api/v1/me/orders/{order.pk}/finish"
    # Hours outside 0.25–24: the page's message, per field, nothing written.
    bad = client.post(url, {"hours": 30}, **JSON, **bearer(text))
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == [
        {"field": "body.data.hours", "message": "服务时长须在 0.25 到 24 小时之间。"}
    ]
    # More hours than have passed since the order was taken: the service's refusal.
    early = client.post(url, {"hours": 2}, **JSON, HTTP_ACCEPT_LANGUAGE="en", **bearer(text))
    assert early.status_code == 409 and "at most 0 h" in early.json()["error"]["message"]
    assert not ServiceRecord.objects.exists()
    age(order)
    done = client.post(url, {"hours": 1.5, "note": "换了水龙头"}, **JSON, **bearer(text))
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "done"
    record = ServiceRecord.objects.get(order=order)
    assert record.hours == Decimal("1.5") and record.note == "换了水龙头"
    assert list(record.participants.values_list("member", flat=True)) == [member_of(world).pk]
    actions = [(e.action, e.source) for e in OrderEvent.objects.filter(order=order).order_by("id")]
    assert actions[-2:] == [("start", "api"), ("finish", "api")]
    again = client.post(url, {"hours": 1}, **JSON, **bearer(text))
    assert again.status_code == 409 and ServiceRecord.objects.count() == 1


def test_only_the_member_who_took_it_finishes_it(world, client):
    rival = new_member(world, "13600001111", "李四")
    order = triaged_order(world)
    services.order_claim(order=order, member=rival)
    text = personal_token(world)
    response = client.post(
        f"/api/v1/me/orders/{order.pk}/finish", {"hours": 1}, **JSON, **bearer(text)
    )
    assert response.status_code == 404
    assert Order.objects.get(pk=order.pk).state == "accepted"


def test_a_member_hands_back_or_asks_for_a_transfer(world, client):
    text = personal_token(world)
    order = bring_to(world, Order.State.ACCEPTED)
    url = f"/api/v1/me/orders/{order.pk}/hand-back"
    bare = client.post(url, {"reason": ""}, **JSON, **bearer(text))
    assert bare.status_code == 409 and Order.objects.get(pk=order.pk).state == "accepted"
    response = client.post(url, {"reason": "腰不好", "transfer": True}, **JSON, **bearer(text))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "triaged" and body["assigned_member"] == ""
    # No longer theirs: the person is not shown.
    assert body["phone_masked"] == "" and body["address"] == ""
    event = _last_event(order)
    assert (event.action, event.reason) == ("transfer", "腰不好") and _by_api(event, "我的日历")


def test_an_application_token_cannot_act_as_a_member(world, client):
    text = token_for(world.community_admin, world.street, world.community)  # every app scope
    order = triaged_order(world)
    response = client.post(f"/api/v1/me/orders/{order.pk}/claim", **bearer(text))
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert Order.objects.get(pk=order.pk).state == "triaged"


# --- positions ----------------------------------------------------------------------------------


def test_positions_of_the_street_are_public_data(world, client):
    repairs = Category.objects.get(street=world.street, code="repairs")
    centre = site_create(
        community=world.community,
        kind=Site.Kind.CENTRE,
        name="星港湾党群服务中心",
        latitude=Decimal("31.95"),
        longitude=Decimal("120.94"),
    )
    school = site_create(
        community=world.neighbour,
        kind=Site.Kind.SCHOOL,
        name="外国语学校",
        latitude=Decimal("31.965"),
        longitude=Decimal("120.94"),
    )
    closed = site_create(
        community=world.neighbour,
        kind=Site.Kind.CENTRE,
        name="腾飞旧中心",
        latitude=Decimal("31.96"),
        longitude=Decimal("120.93"),
    )
    team_services.position_create(
        site=centre, opening_hours="周一至周五 9:00–17:00", services=[repairs], services_note="理发"
    )
    team_services.position_create(site=school, opening_hours="周六 9:00–11:00")
    gone = team_services.position_create(site=closed)
    gone.active = False
    gone.save()
    text = token_for(world.community_admin, world.street, world.community, [Scope.READ_PUBLIC])
    rows = client.get("/api/v1/positions", **bearer(text)).json()
    # By community (tengfei before xinggangwan); the inactive one is left out.
    assert [r["name"] for r in rows] == ["外国语学校", "星港湾党群服务中心"]
    first = rows[1]
    assert (first["site_id"], first["community"]) == (centre.pk, "xinggangwan")
    assert first["services"] == ["repairs"] and first["services_note"] == "理发"
    assert first["opening_hours"] == "周一至周五 9:00–17:00" and first["kind"] == "centre"
    narrowed = client.get("/api/v1/positions?community=tengfei", **bearer(text)).json()
    assert [r["name"] for r in narrowed] == ["外国语学校"]
    far = client.get("/api/v1/positions?community=taoyuan", **bearer(text))
    assert far.status_code == 422
    lacking = token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    assert client.get("/api/v1/positions", **bearer(lacking)).status_code == 403


def test_a_finish_with_a_start_time_follows_the_pages_rules(world, client):
    text = personal_token(world)
    order = age(bring_to(world, Order.State.ACCEPTED))
    url = f"/api/v1/me/orders/{order.pk}/finish"
    taken = Order.objects.get(pk=order.pk).accepted_at
    before = (taken - dt.timedelta(hours=1)).isoformat()
    refused = client.post(
        url, {"hours": 1, "started_at": before}, **JSON, HTTP_ACCEPT_LANGUAGE="en", **bearer(text)
    )
    assert refused.status_code == 409
    assert "cannot start before you took the order" in refused.json()["error"]["message"]
    # A start without a zone is the street's local time, to the minute, as on the page.
    start = timezone.localtime(taken + dt.timedelta(minutes=30)).replace(tzinfo=None)
    done = client.post(
        url, {"hours": 1, "started_at": start.isoformat(timespec="minutes")}, **JSON, **bearer(text)
    )
    assert done.status_code == 200, done.content
    record = ServiceRecord.objects.get(order=order)
    assert timezone.localtime(record.started_at).replace(tzinfo=None, second=0) == start.replace(
        second=0, microsecond=0
    )
    bad = client.post(url, {"hours": 1.333}, **JSON, **bearer(text))
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "body.data.hours"


def test_an_api_dispatch_late_in_the_evening_is_answered_in_the_morning(world, client):
    """The console's rule for offers (orders.services.reply_deadline): nobody is asked to
    answer at night. The API dispatched at 21:00 with two hours to answer, due at 23:00."""
    text = _admin(world)
    order = triaged_order(world)
    member = member_of(world)
    evening = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(21, 0)))
    with time_machine.travel(evening, tick=False):
        response = client.post(
            f"/api/v1/orders/{order.pk}/dispatch",
            {"member": member.code, "respond_hours": 2},
            **JSON,
            **bearer(text),
        )
    assert response.status_code == 200, response.content
    due = timezone.localtime(Dispatch.objects.get(order=order).respond_by)
    assert (due.date(), due.time()) == (evening.date() + dt.timedelta(days=1), dt.time(9, 0))
