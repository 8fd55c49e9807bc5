from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Delivery, Notification
from .senders import configured_senders, log


def notify(
    *,
    user,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
    street_id: int | None = None,
) -> Notification | None:
    """Put a notification in the user's inbox; the tasks worker hands it to every sender.

    With a dedupe_key, a second call for the same user and key does nothing and returns None,
    so scheduled reminder jobs are idempotent. Nothing is sent from the request: the row is
    the outbox entry, and notifications_send() (every NOTIFY_SEND_SECONDS on the worker)
    delivers it, so a slow or failing gateway never holds up the page that notified.
    """
    if street_id is None:
        grant = user.role_grants.first()
        street_id = grant.street_id if grant else None
    if street_id is None:
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(
                street_id=street_id,
                user=user,
                kind=kind,
                title=title[:120],
                body=body,
                url=url,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key:
            return None
        raise


def notify_all(
    *, users, kind: str, title: str, street_id: int, body: str = "", url: str = ""
) -> list[Notification]:
    """The same notification for each of these users (a community's admins), in one INSERT.
    No dedupe key: for events, not reminders."""
    return Notification.objects.bulk_create(
        [
            Notification(
                street_id=street_id, user=user, kind=kind, title=title[:120], body=body, url=url
            )
            for user in users
        ]
    )


def notifications_send(*, limit: int = 500) -> int:
    """Hand up to `limit` waiting notifications, oldest first, to every sender; log each
    delivery. Returns how many were sent.

    They are claimed first, in a short transaction of their own (rows locked and skipped by
    any other worker on PostgreSQL; SQLite serialises writers), so two workers never send
    one twice; the senders then run outside any transaction, so a slow gateway holds no lock.
    """
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            Notification.objects.filter(sent_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .order_by("pk")[:limit]
        )
        Notification.objects.filter(pk__in=[n.pk for n in batch]).update(sent_at=now)
    deliveries = []
    for sender in configured_senders():
        for notification in batch:
            try:
                result = sender.send(notification)
            except Exception as exc:  # a broken gateway must not stop the others
                log.exception("sender %s failed", sender.channel)
                result = ("", False, str(exc)[:300])
            if result is not None:
                address, ok, detail = result
                deliveries.append(
                    Delivery(
                        notification=notification,
                        channel=sender.channel,
                        address=address,
                        ok=ok,
                        detail=detail,
                    )
                )
    Delivery.objects.bulk_create(deliveries)
    return len(batch)


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
