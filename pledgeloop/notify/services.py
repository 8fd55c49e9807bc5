"""Notifications: the inbox entry is the outbox entry; the tasks worker delivers it.

Delivery is at least once, with each outcome recorded as it happened:

1. `notifications_send` claims a batch of waiting notifications in a short transaction
   (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), writing
   its worker id and a lease (NOTIFY_LEASE_SECONDS) on them. Rows under another worker's
   live lease are not touched; a lease that ran out (the worker died) is anyone's to take.
2. Outside any transaction, each notification goes to each sender. Before a message is
   handed over, its Delivery row says "sending"; after it, the row holds the real outcome.
   A message left "sending" costs nothing where the sender can be asked whether it has it
   (a gateway's `look_up`): the "sending" of all the batch's messages to such senders is
   written in one statement before the first goes out, and their outcomes with the batch's
   end. A message that reaches nobody if sent again (the logging sender, `reaches_nobody`)
   needs no "sending" at all: its outcome goes with the batch's end.
   For any other sender (email) each message's outcome is committed before the next message
   is handed over (with the next one's "sending", in one statement: `Unrecorded`), so a
   dying worker leaves at most its one message in flight. An outcome known without handing
   anything over (a sender's `skips`: no template for the kind) needs no "sending" and goes
   with the next write.
   A row still "sending" when the next attempt comes means the last one ended without an
   answer: the gateway is asked first (senders' `look_up`, by the message's idempotency
   key) and the message is sent again only if the gateway has no record of it. A channel
   that reached a final outcome (accepted, logged, skipped, failed) is never tried again.
3. A notification whose every channel is final leaves the outbox ("done", or "failed" when
   one failed for good): "done" ones together at the batch's end (a worker that died before
   leaves them to the next, which finds their channels final and sends nothing). One with a
   channel to retry waits NOTIFY_RETRY_SECONDS × 2ⁿ⁻¹ (at most NOTIFY_RETRY_MAX_SECONDS)
   after its n-th attempt, and fails for good, with the reason, after NOTIFY_MAX_ATTEMPTS:
   the console lists it for the community's admins.

A worker stops taking messages from its batch when its lease has less than two sender
time-outs left, and lets the rest go (their "sending" written ahead put back as it was), so
nothing is ever sent under a lease that ran out.
"""

import copy
import datetime as dt
import logging
import os
import socket
import time
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string

from pledgeloop.lib.inserts import insert, new, upsert
from pledgeloop.lib.updates import update_row

from .kinds import TEXTS
from .links import short_links_make
from .models import Delivery, Notification
from .senders import Outcome, configured_senders, idempotency_key

log = logging.getLogger("pledgeloop.notify")
Status = Delivery.Status
State = Notification.State


def notify(
    *,
    user=None,
    user_id: int | None = None,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
    street_id: int | None = None,
    community_id: int | None = None,
    phone: str = "",
    params: dict | None = None,
) -> Notification | None:
    """Put a notification in the user's inbox (`user`, or `user_id` with the street given);
    `phone` sends its text to that number rather than the user's (a resident's order), and
    with no user that is all it does. The tasks worker hands it to every sender.

    With a dedupe_key, a second call for the same user and key does nothing and returns None,
    so scheduled reminder jobs are idempotent. Nothing is sent from the request: the row is
    the outbox entry, and notifications_send() (every NOTIFY_SEND_SECONDS on the worker)
    delivers it, so a slow or failing gateway never holds up the page that notified.
    """
    if user is not None:
        user_id = user.pk
    if user_id is None and not phone:
        raise ValueError("a notification needs a user or a phone number")
    if user is not None and (street_id is None or community_id is None):
        grant = user.role_grants.first()
        if grant and street_id is None:
            street_id = grant.street_id
        if grant and community_id is None and grant.street_id == street_id:
            community_id = grant.community_id
    if street_id is None:
        return None
    notification = notification_new(
        kind=kind,
        title=title,
        street_id=street_id,
        user_id=user_id,
        community_id=community_id,
        phone=phone,
        body=body,
        url=url,
        params=params,
    )
    notification.dedupe_key = dedupe_key
    if not dedupe_key:
        notification.save()
        return notification
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a repeat
            notification.save()
    except IntegrityError:
        return None
    return notification


def notify_all(
    *,
    users,
    kind: str,
    title: str,
    street_id: int,
    body: str = "",
    url: str = "",
    community_id: int | None = None,
) -> list[Notification]:
    """The same notification for each of these users (a community's admins), in one INSERT.
    No dedupe key: for events, not reminders."""
    return notify_together(
        [
            notification_new(
                user=user,
                kind=kind,
                title=title,
                street_id=street_id,
                community_id=community_id,
                body=body,
                url=url,
            )
            for user in users
        ]
    )


def notification_new(
    *,
    kind: str,
    title: str,
    street_id: int,
    user=None,
    user_id: int | None = None,
    community_id: int | None = None,
    phone: str = "",
    body: str = "",
    url: str = "",
    params: dict | None = None,
) -> Notification:
    """One notification of an event, not yet written: `notify_together` writes an event's
    notifications (an order's to its admins and to the resident) in one statement."""
    if user is not None:
        user_id = user.pk
    if user_id is None and not phone:
        raise ValueError("a notification needs a user or a phone number")
    return new(
        Notification,
        street_id=street_id,
        community_id=community_id,
        user_id=user_id,
        phone=phone,
        kind=kind,
        title=title[:120],
        body=body,
        url=url,
        params=params or {},
    )


def notify_together(notifications: list[Notification]) -> list[Notification]:
    """Put these notifications (`notification_new`, no dedupe keys) in the outbox with one
    INSERT, in the caller's transaction. Notifications send no model signals."""
    insert(notifications)
    return notifications


# --- the outbox ----------------------------------------------------------------------------


def worker_name() -> str:
    """This process, for `claimed_by`: host, pid and a random suffix (pids are reused)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{get_random_string(8)}"


def retry_pause(attempts: int) -> dt.timedelta:
    """The pause after the n-th failed attempt: NOTIFY_RETRY_SECONDS, doubling, capped."""
    seconds = settings.NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.NOTIFY_RETRY_MAX_SECONDS))


def outbox_waiting(now: dt.datetime):
    """Waiting notifications that are due and under nobody's live lease."""
    return Notification.objects.filter(state=State.WAITING, next_attempt_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )


def notifications_claim(*, worker: str, limit: int, now: dt.datetime) -> list[Notification]:
    """Lease up to `limit` due notifications, oldest first, to this worker. Each comes with
    `known`, its deliveries of earlier attempts by channel (most have none)."""
    with transaction.atomic():
        ids = list(
            outbox_waiting(now)
            .order_by("pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Notification.objects.filter(pk__among=ids).update(
            claimed_by=worker, lease_until=now + dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)
        )
    batch = list(
        Notification.objects.filter(pk__among=ids, claimed_by=worker)
        .select_related("user")
        .order_by("pk")
    )
    known: dict[int, dict[str, Delivery]] = {}
    for delivery in Delivery.objects.filter(notification_id__among=[n.pk for n in batch]):
        known.setdefault(delivery.notification_id, {})[delivery.channel] = delivery
    # The texts' short links, for the whole batch in a few queries (senders.short_code).
    codes = short_links_make(paths=[n.url for n in batch if n.kind in TEXTS and n.url])
    for notification in batch:
        notification.known = known.get(notification.pk, {})
        notification.short_code = codes.get(notification.url, "")
    return batch


def notifications_send(
    *, limit: int | None = None, worker: str | None = None, now: dt.datetime | None = None
) -> int:
    """Deliver one batch from the outbox (see the module's docstring). Returns how many
    notifications it dealt with (delivered, failed or put off); 0 when none was due."""
    worker = worker or worker_name()
    now = now or timezone.now()
    batch = notifications_claim(worker=worker, limit=limit or settings.NOTIFY_BATCH, now=now)
    if not batch:
        return 0
    senders = configured_senders()
    # Stop with two sender time-outs of lease left: a send never outlives the lease.
    margin = 2 * settings.SMS["TIMEOUT_SECONDS"] + 5
    stop_at = time.monotonic() + settings.NOTIFY_LEASE_SECONDS - margin
    handled = 0
    unrecorded = Unrecorded(worker)
    marked = _marked_ahead(batch, senders)
    if marked:
        # One statement, committed as it runs, before the first message goes out.
        upsert(marked, **_DELIVERY_UPSERT)
    try:
        for notification in batch:
            if time.monotonic() > stop_at:
                break
            _deliver(notification, senders, unrecorded=unrecorded)
            handled += 1
    except Exception:
        # Not the next message's fault (the database refused its row): the outcomes already
        # known are still recorded. A worker that dies records nothing more, as ever.
        unrecorded.commit()
        raise
    rest = batch[handled:]
    # Out of lease time: let the rest go at once rather than when the lease runs out.
    unrecorded.commit(then=partial(_release, rest, worker=worker) if rest else None)
    return handled


def _release(rest: list[Notification], *, worker: str) -> None:
    """Let notifications go that this worker claimed and handed nothing of over, their
    "sending" written ahead put back as it was (a new row removed, an earlier attempt's
    row written again)."""
    Notification.objects.filter(pk__among=[n.pk for n in rest], claimed_by=worker).update(
        lease_until=None, claimed_by=""
    )
    earlier, new = [], {}
    for notification in rest:
        for channel in notification.marked:
            known = notification.known.get(channel)
            if known is None:
                new.setdefault(channel, []).append(notification.pk)
            else:
                earlier.append(known)
    for channel, ids in new.items():
        Delivery.objects.filter(notification_id__among=ids, channel=channel).delete()
    if earlier:
        upsert(earlier, **_DELIVERY_UPSERT)


# A delivery row is found by its notification and channel (one a channel: the constraint
# delivery_one_per_channel), so its outcome and its "sending" are written alike, new or not.
DELIVERY_KEY = ("street", "notification", "channel")
DELIVERY_WRITTEN = ("address", "status", "detail", "gateway_id", "attempts", "at")


class Unrecorded:
    """What a worker learnt and has not written yet: the outcomes of the messages it handed
    over (or decided without handing anything over: a skip), and the notifications it is done
    with.

    The outcomes go with the next message's "sending", all in one statement (an upsert of
    their delivery rows, `sending`), before that message is handed over: every message still
    has its outcome recorded before the next one goes out, with one write a message, and no
    transaction around it (on SQLite each takes the database's one write lock, which the web
    workers filing orders wait for). The rest waits for `commit`: at the end of the batch,
    before a gateway look-up, on an error. A notification left "waiting" by a worker that
    died with its channels all final is closed by the next worker to claim it, which sends
    nothing for it.
    """

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.deliveries: dict[tuple[int, str], Delivery] = {}
        self.done: list[int] = []  # notifications whose channels all ended without a failure
        self.writes: list[Callable[[], object]] = []  # the others' new state (retry, failed)

    def add(self, delivery: Delivery) -> None:
        self.deliveries[delivery.notification_id, delivery.channel] = delivery

    def sending(self, delivery: Delivery) -> None:
        """Write `delivery` ("sending") with the outcomes known so far, in one statement."""
        if self.writes:
            self.commit(then=partial(upsert, [delivery], **_DELIVERY_UPSERT))
            return
        upsert([*self.deliveries.values(), delivery], **_DELIVERY_UPSERT)
        self.deliveries.clear()

    def commit(self, *, then: Callable[[], object] | None = None) -> None:
        """Write all that is waiting, then what `then` writes, in one transaction."""
        if not (self.deliveries or self.done or self.writes or then):
            return
        with transaction.atomic():
            if self.deliveries:
                upsert(list(self.deliveries.values()), **_DELIVERY_UPSERT)
            for write in self.writes:
                write()
            if self.done:
                Notification.objects.filter(pk__among=self.done, claimed_by=self.worker).update(
                    state=State.DONE,
                    handled_at=timezone.now(),
                    claimed_by="",
                    lease_until=None,
                    last_error="",
                )
            if then:
                then()
        self.deliveries.clear()
        self.done.clear()
        self.writes.clear()


_DELIVERY_UPSERT = {"unique_fields": DELIVERY_KEY, "update_fields": DELIVERY_WRITTEN}


def _reaches_nobody(sender) -> bool:
    """Whether a message of this sender, sent again, reaches no one (the logging sender): it
    is sent with no "sending" written before it."""
    return getattr(sender, "reaches_nobody", False)


def _marked_ahead(batch: list[Notification], senders) -> list[Delivery]:
    """The "sending" rows of the batch's messages to senders that can say whether they have
    a message (`look_up`), so that one may be left "sending" without harm, made before any
    goes out: what `_deliver` will hand over to them (not a final channel, nor one to look up
    first, nor a message with nowhere to go or that the sender skips). Each notification's
    `marked` holds its own, by channel; its `known` keeps the rows as they were."""
    ahead = [sender for sender in senders if getattr(sender, "look_up", None) is not None]
    rows = []
    for notification in batch:
        notification.marked = {}
        for sender in ahead:
            known = notification.known.get(sender.channel)
            if known is not None and (
                known.status in Delivery.FINAL or known.status == Status.SENDING
            ):
                continue
            if not sender.address_for(notification):
                continue
            skips = getattr(sender, "skips", None)
            if skips and skips(notification) is not None:
                continue
            row = _sending(notification, sender.channel, copy.copy(known) if known else None)
            notification.marked[sender.channel] = row
            rows.append(row)
    return rows


def _deliver(notification: Notification, senders, *, unrecorded: Unrecorded) -> None:
    """Hand the notification to each sender that has not reached a final outcome; its
    outcomes and new state are left in `unrecorded`."""
    deliveries = dict(notification.known)
    key = idempotency_key(notification)
    for sender in senders:
        delivery = deliveries.get(sender.channel)
        marked = notification.marked.get(sender.channel)
        if marked is not None:
            # Checked, and written "sending", before the batch's first message went out.
            delivery, outcome = marked, _send(sender, notification, key)
        else:
            if delivery is not None and delivery.status in Delivery.FINAL:
                continue
            outcome = None
            if delivery is not None and delivery.status == Status.SENDING:
                # The last attempt ended without an answer: does the gateway have it? (What
                # is known already is committed first: asking may take a sender's time-out.)
                unrecorded.commit()
                outcome = _look_up(sender, notification, key, since=delivery.at)
                if outcome is False:
                    continue  # cannot tell now: try again later, without sending
            if outcome is None:
                if not sender.address_for(notification):
                    continue  # nothing to send it to (a user without email): nothing to record
                skips = getattr(sender, "skips", None)
                # Refused before anything is handed over (no template for the kind): no
                # "sending" needed, the outcome goes with the next write.
                outcome = skips(notification) if skips else None
            if outcome is None:
                delivery = _sending(notification, sender.channel, delivery)
                if not _reaches_nobody(sender):
                    unrecorded.sending(delivery)
                outcome = _send(sender, notification, key)
        delivery = delivery or new(
            Delivery,
            street_id=notification.street_id,
            notification_id=notification.pk,
            channel=sender.channel,
            attempts=0,
        )
        _record(delivery, outcome)
        deliveries[sender.channel] = delivery
        unrecorded.add(delivery)
    _finish(notification, list(deliveries.values()), unrecorded=unrecorded)


def _look_up(sender, notification, key, *, since) -> Outcome | None | bool:
    """The gateway's record of an earlier attempt: an Outcome if it has the message, None
    if it has not (send it), False if it cannot say now (leave it for the next attempt)."""
    look_up = getattr(sender, "look_up", None)
    if look_up is None:
        return None  # the sender cannot tell: send again (email, the logging sender)
    try:
        return look_up(notification, key=key, since=since)
    except Exception as error:
        log.warning("could not look up message %s at %s: %s", key, sender.channel, error)
        Delivery.objects.filter(notification=notification, channel=sender.channel).update(
            detail=f"look-up failed: {error}"[:300]
        )
        return False


def _sending(notification, channel: str, delivery: Delivery | None) -> Delivery:
    """The delivery row as it is written before the message is handed over, so that a death
    after it leaves a trace."""
    now = timezone.now()
    if delivery is None:
        return new(
            Delivery,
            street_id=notification.street_id,
            notification_id=notification.pk,
            channel=channel,
            status=Status.SENDING,
            attempts=1,
            at=now,
        )
    delivery.status, delivery.attempts, delivery.at = Status.SENDING, delivery.attempts + 1, now
    return delivery


def _send(sender, notification, key) -> Outcome:
    try:
        return sender.send(notification, key=key)
    except Exception as error:  # a broken sender must not stop the others
        log.exception("sender %s failed", sender.channel)
        # Raised inside the sender: it may have handed the message over before it failed.
        return Outcome(Status.SENDING, "", f"{type(error).__name__}: {error}"[:300])


def _record(delivery: Delivery, outcome: Outcome) -> None:
    delivery.status = outcome.status
    delivery.address = outcome.address or delivery.address
    delivery.detail = outcome.detail[:300]
    delivery.gateway_id = outcome.gateway_id[:80]
    delivery.at = timezone.now()


def _finish(notification: Notification, deliveries: list[Delivery], *, unrecorded) -> None:
    """Close the notification, or put it off for a retry: with the batch's end when every
    channel ended well, else with the next write."""
    pending = [d for d in deliveries if d.status not in Delivery.FINAL]
    if not pending and not any(d.status == Status.FAILED for d in deliveries):
        unrecorded.done.append(notification.pk)
        return
    unrecorded.writes.append(
        partial(_close, notification, deliveries, pending, worker=unrecorded.worker)
    )


# Written by lib/updates.py (the ORM built each statement anew); nothing listens to saves.
def _close(notification, deliveries, pending, *, worker: str) -> None:
    """A notification with a failed channel, or one to retry, if this worker still holds
    it. (Written from a row of its own, so that writing it again gives the same row.)"""
    now = timezone.now()
    failed = [d for d in deliveries if d.status == Status.FAILED]
    row = Notification(pk=notification.pk, claimed_by="", lease_until=None)
    done = ["claimed_by", "lease_until", "last_error"]
    mine = {"claimed_by": worker}
    if not pending:
        row.state, row.handled_at = State.FAILED, now
        row.last_error = "; ".join(f"{d.channel}: {d.detail}" for d in failed)[:300]
        update_row(row, ["state", "handled_at", *done], where=mine)
        return
    row.attempts = notification.attempts + 1
    row.last_error = "; ".join(f"{d.channel}: {d.detail}" for d in pending)[:300]
    if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        row.state, row.handled_at = State.FAILED, now
        Delivery.objects.filter(
            notification_id=notification.pk, channel__in=[d.channel for d in pending]
        ).update(status=Status.FAILED)
        update_row(row, ["state", "handled_at", "attempts", *done], where=mine)
        return
    row.next_attempt_at = now + retry_pause(row.attempts)
    update_row(row, ["attempts", "next_attempt_at", *done], where=mine)


@transaction.atomic
def notification_retry(*, notification: Notification) -> Notification:
    """An admin sends a failed notification again (after fixing what made it fail): its
    failed channels are tried anew, the ones that went out are not."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.state != State.FAILED:
        return notification
    notification.deliveries.filter(status=Status.FAILED).update(status=Status.RETRY)
    notification.state, notification.handled_at = State.WAITING, None
    notification.attempts, notification.next_attempt_at = 0, timezone.now()
    notification.save(update_fields=["state", "handled_at", "attempts", "next_attempt_at"])
    return notification


# --- the inbox -----------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- texts that must not wait or be kept ---------------------------------------------------


def text_send_now(
    *, phone: str, kind: str, title: str, params: dict, street_id: int, key: str, url: str = ""
) -> list[Outcome]:
    """Hand a text straight to the configured SMS senders and return their outcomes.

    For one-time codes: the person is waiting for it, and its text must not be kept, so it
    does not go through the outbox (whose rows keep their title and parameters). Nothing is
    stored but the short link of `url`, if given. `key` is the message's idempotency key.
    """
    notification = Notification(
        street_id=street_id, phone=phone, kind=kind, title=title[:120], params=params, url=url
    )
    outcomes = []
    for sender in configured_senders():
        if sender.channel != "sms":
            continue
        try:
            outcomes.append(sender.send(notification, key=key))
        except Exception:
            log.exception("one-time text to a number failed (%s)", kind)
            outcomes.append(Outcome(Status.RETRY, "", "the gateway could not be reached"))
    return outcomes
