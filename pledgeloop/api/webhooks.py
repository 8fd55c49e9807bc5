"""Webhooks: signed JSON events to a subscriber when an order its token filed changes state.

The outbox, like notify's (notify/services.py): `webhook_events_collect` turns every
OrderEvent of a subscriber's orders into one WebhookDelivery row (unique per subscriber and
event, so collecting twice adds nothing; the order's history is the source, no hook in the
order services is needed). `webhooks_send` claims due rows with a lease (SKIP LOCKED on
PostgreSQL; SQLite serialises writers), POSTs each outside any transaction and records the
answer: 2xx is delivered; anything else is tried again after WEBHOOK_RETRY_SECONDS × 2ⁿ⁻¹
(capped), and fails for good after WEBHOOK_MAX_ATTEMPTS (the console sends it again on
request). A worker that dies keeps its claims only until the lease runs out: at least once.
Within one order the events go in order: a delivery waits while an earlier one of the same
order to the same subscriber is still waiting.

Each POST carries `X-Pledgeloop-Signature: sha256=<hex>`, the HMAC-SHA256 with the
subscription's secret of `<timestamp>.<body>` (the timestamp in `X-Pledgeloop-Timestamp`),
and `X-Pledgeloop-Delivery`, the same on every attempt so that a receiver can drop repeats.
"""

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import socket
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from pledgeloop.orders.models import OrderEvent
from pledgeloop.people.models import User

from .models import ApiOrder, ApiToken, WebhookDelivery, WebhookSubscription

State = WebhookDelivery.State
EVENT_TYPE = "order.state_changed"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What a receiver computes to check a delivery: sha256=<hex HMAC of timestamp.body>."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@transaction.atomic
def webhook_create(*, token: ApiToken, url: str, by: User | None) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        street_id=token.street_id,
        token=token,
        url=url,
        secret=secrets.token_urlsafe(32),
        created_by=by,
    )


@transaction.atomic
def webhook_disable(*, subscription: WebhookSubscription) -> None:
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> None:
    """Send a delivery again (a failed one, or one the receiver lost): from the start."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=State.WAITING,
        attempts=0,
        next_attempt_at=timezone.now(),
        lease_until=None,
        worker="",
    )


def _payload(event: OrderEvent, filing: ApiOrder) -> dict:
    order = event.order
    return {
        "type": EVENT_TYPE,
        "event_id": event.pk,
        "order_id": order.pk,
        "service_request_id": str(order.pk),
        "token": filing.public_token,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "action": event.action,
        "at": event.at.isoformat(),
        "community": order.community.slug,
        "category": order.category.code,
    }


def webhook_events_collect() -> int:
    """Add a delivery for every event of a subscriber's orders that has none yet."""
    made = 0
    for subscription in WebhookSubscription.objects.filter(active=True, token__revoked_at=None):
        done = WebhookDelivery.objects.filter(subscription=subscription, event=OuterRef("pk"))
        events = (
            OrderEvent.objects.filter(
                order__api_filing__token_id=subscription.token_id,
                at__gte=subscription.created_at,
            )
            .exclude(Exists(done))
            .select_related("order__community", "order__category", "order__api_filing")
            .order_by("id")[:1000]
        )
        rows = [
            WebhookDelivery(
                street_id=subscription.street_id,
                subscription=subscription,
                order_id=event.order_id,
                event=event,
                payload=_payload(event, event.order.api_filing),
                # Due from the moment it happened (not from when it was noticed).
                next_attempt_at=event.at,
            )
            for event in events
        ]
        made += len(
            WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True) if rows else []
        )
    return made


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim(*, worker: str, now: dt.datetime) -> list[int]:
    earlier_waiting = WebhookDelivery.objects.filter(
        subscription=OuterRef("subscription"),
        order=OuterRef("order"),
        event_id__lt=OuterRef("event_id"),
        state=State.WAITING,
    )
    due = (
        WebhookDelivery.objects.filter(state=State.WAITING, next_attempt_at__lte=now)
        .exclude(lease_until__gt=now)
        .exclude(Exists(earlier_waiting))
        .order_by("next_attempt_at", "id")
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[: settings.WEBHOOK_BATCH])
        lease = now + dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        WebhookDelivery.objects.filter(pk__in=ids).update(lease_until=lease, worker=worker)
    return ids


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the delivery; (HTTP status or None, error text)."""
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the URL is an admin's http(s) address
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "pledgeloop-webhooks/1",
            "X-Pledgeloop-Event": EVENT_TYPE,
            "X-Pledgeloop-Delivery": str(delivery.pk),
            "X-Pledgeloop-Timestamp": timestamp,
            "X-Pledgeloop-Signature": webhook_signature(subscription.secret, timestamp, body),
        },
    )
    if not subscription.url.lower().startswith(("http://", "https://")):
        return None, "not an http(s) address"
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:300]


def _retry_after(attempts: int) -> dt.timedelta:
    seconds = settings.WEBHOOK_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def webhooks_send(*, now: dt.datetime | None = None, worker: str = "") -> int:
    """Collect new events, then deliver one batch of due deliveries. Returns how many were
    delivered."""
    now = now or timezone.now()
    worker = worker or worker_name()
    webhook_events_collect()
    delivered = 0
    for delivery_id in _claim(worker=worker, now=now):
        delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
        status, error = _post(delivery)
        attempts = delivery.attempts + 1
        fields = {
            "attempts": attempts,
            "last_status": status,
            "last_error": error[:300],
            "lease_until": None,
            "worker": "",
        }
        if status is not None and 200 <= status < 300:
            fields |= {"state": State.DELIVERED, "delivered_at": timezone.now()}
            delivered += 1
        elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            fields |= {"state": State.FAILED}
        else:
            fields |= {"next_attempt_at": timezone.now() + _retry_after(attempts)}
        # Only while the claim is still ours: a lease that ran out is someone else's now.
        WebhookDelivery.objects.filter(pk=delivery.pk, worker=worker, state=State.WAITING).update(
            **fields
        )
    return delivered


def webhooks_tick(*, now: dt.datetime) -> int:
    """The scheduled job: deliver what is due, batch after batch (up to a minute)."""
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < 60:
        sent = webhooks_send(now=now)
        total += sent
        if not sent:
            break
        now = timezone.now()
    return total
