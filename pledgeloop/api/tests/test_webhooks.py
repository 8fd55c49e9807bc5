"""Webhooks: signed events for the orders a subscriber filed, retried with backoff, in order
per order, at least once when a worker dies mid-delivery, logged and replayed in the console."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.api.models import ApiToken, Scope, WebhookDelivery
from pledgeloop.api.webhooks import (
    _claim,
    webhook_create,
    webhook_events_collect,
    webhooks_send,
)
from pledgeloop.orders import services
from pledgeloop.orders.models import Order

from .helpers import bearer, token_for
from .receiver import receiving

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = {
    "community": "xinggangwan",
    "category": "repairs",
    "description": "楼道灯坏了",
    "phone": "13812345678",
    "consent": True,
    "channel": "hotline",
    "address": "阳光花园3幢",
}


def _hotline(world, client, receiver):
    text = token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    token = ApiToken.objects.get()
    subscription = webhook_create(token=token, url=receiver.url, by=world.community_admin)
    receiver.secret = subscription.secret
    return text, subscription


def _file(client, text) -> Order:
    response = client.post("/api/v1/orders", ORDER, content_type="application/json", **bearer(text))
    return Order.objects.get(pk=response.json()["id"])


def _later(minutes: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_state_changes_of_a_filed_order_arrive_signed_and_in_order(world, client):
    with receiving() as receiver:
        text, _subscription = _hotline(world, client, receiver)
        order = _file(client, text)
        services.order_triage(order=order, by=world.community_admin)
        services.order_reject(order=order, by=world.community_admin, reason="重复")
        other = services.order_submit(
            community=world.community,
            category=order.category,
            description="不是热线提交的",
            phone="13812345678",
            consent=True,
            address="1幢",
        )
        services.order_triage(order=other, by=world.community_admin)
        sent = sum(webhooks_send(now=_later(i)) for i in range(4))
    assert sent == 3
    assert all(r["verified"] for r in receiver.received)
    moves = [(r["payload"]["from_state"], r["payload"]["to_state"]) for r in receiver.received]
    assert moves == [("", "submitted"), ("submitted", "triaged"), ("triaged", "rejected")]
    assert {r["payload"]["order_id"] for r in receiver.received} == {order.pk}
    assert "13812345678" not in str(receiver.received)


def test_a_failed_delivery_is_tried_again_later_and_holds_back_the_next(world, client):
    with receiving() as receiver:
        text, _subscription = _hotline(world, client, receiver)
        order = _file(client, text)
        services.order_triage(order=order, by=world.community_admin)
        receiver.answers = [500]
        assert webhooks_send() == 0  # the first event failed; the second waits behind it
        first = WebhookDelivery.objects.order_by("event_id").first()
        assert first.attempts == 1 and first.last_status == 500
        assert first.next_attempt_at > timezone.now()
        assert webhooks_send() == 0  # not due yet, and the second may not overtake it
        assert len(receiver.received) == 1
        assert webhooks_send(now=_later(1)) == 1
        assert webhooks_send(now=_later(2)) == 1
    to_states = [r["payload"]["to_state"] for r in receiver.received]
    assert to_states == ["submitted", "submitted", "triaged"]
    assert len({r["delivery"] for r in receiver.received[:2]}) == 1  # the same delivery again


def test_a_delivery_claimed_by_a_dead_worker_is_sent_after_its_lease(world, client, settings):
    with receiving() as receiver:
        text, _subscription = _hotline(world, client, receiver)
        _file(client, text)
        # A worker claimed it and died before answering: the lease holds it for a while.
        webhook_events_collect()
        assert _claim(worker="dead", now=timezone.now())
        assert webhooks_send() == 0 and not receiver.received
        later = _later(settings.WEBHOOK_LEASE_SECONDS / 60 + 1)
        assert webhooks_send(now=later) == 1
    assert receiver.accepted[0]["verified"]


def test_a_delivery_fails_for_good_after_the_last_attempt_and_the_console_replays_it(
    world, client, client_for, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with receiving() as receiver:
        text, subscription = _hotline(world, client, receiver)
        _file(client, text)
        receiver.answers = [503, 503]
        webhooks_send()
        webhooks_send(now=_later(60))
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == WebhookDelivery.State.FAILED
        admin = client_for(world.community_admin)
        page = admin.get(reverse("console:api_deliveries")).content.decode()
        assert f'data-delivery="{delivery.pk}"' in page and "HTTP 503" in page
        outsider = client_for(world.outsider)
        assert (
            outsider.get(reverse("console:api_deliveries")).content.decode().count("data-delivery=")
            == 0
        )
        refused = outsider.post(reverse("console:api_delivery_replay", args=[delivery.pk]))
        assert refused.status_code == 403
        admin = client_for(world.community_admin)
        admin.post(reverse("console:api_delivery_replay", args=[delivery.pk]))
        assert webhooks_send() == 1
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.DELIVERED
    assert subscription.deliveries.count() == 1


def test_an_admin_adds_a_webhook_in_the_console_and_sees_its_secret_once(world, client_for):
    token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    reader = ApiToken.objects.create(
        street=world.street,
        community=world.community,
        application="看板",
        user=world.community_admin,
        scopes=[Scope.READ_INDICATORS],
        prefix="pl_x",
        digest="x" * 64,
    )
    token = ApiToken.objects.exclude(pk=reader.pk).get()
    admin = client_for(world.community_admin)
    response = admin.post(
        reverse("console:api_webhook_add", args=[token.pk]),
        {"url": "https://hotline.example/hook"},
        follow=True,
    )
    subscription = token.webhooks.get()
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in admin.get(reverse("console:api_tokens")).content.decode()
    admin.post(reverse("console:api_webhook_add", args=[reader.pk]), {"url": "https://x.example/"})
    assert not reader.webhooks.exists()
    outsider = client_for(world.outsider)
    response = outsider.post(
        reverse("console:api_webhook_add", args=[token.pk]), {"url": "https://evil.example/"}
    )
    assert response.status_code == 404 and token.webhooks.count() == 1
