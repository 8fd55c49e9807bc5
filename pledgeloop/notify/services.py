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
    """Put a notification in the user's inbox and hand it to every configured sender.

    With a dedupe_key, a second call for the same user and key does nothing and returns None,
    so scheduled reminder jobs are idempotent. Senders run after the commit; a failing sender
    is logged and never undoes the inbox entry (nor fails the request that made it).
    """
    if street_id is None:
        grant = user.role_grants.first()
        street_id = grant.street_id if grant else None
    if street_id is None:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
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
    transaction.on_commit(lambda: _deliver([notification]), robust=True)
    return notification


def notify_all(
    *, users, kind: str, title: str, street_id: int, body: str = "", url: str = ""
) -> list[Notification]:
    """The same notification for each of these users (a community's admins), in one INSERT;
    delivered after the commit like notify(). No dedupe key: for events, not reminders."""
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                street_id=street_id, user=user, kind=kind, title=title[:120], body=body, url=url
            )
            for user in users
        ]
    )
    if notifications:
        transaction.on_commit(lambda: _deliver(notifications), robust=True)
    return notifications


def _deliver(notifications: list[Notification]) -> None:
    """Hand each notification to every sender, then log what happened in one INSERT."""
    deliveries = []
    for sender in configured_senders():
        for notification in notifications:
            try:
                result = sender.send(notification)
            except Exception as exc:  # a broken gateway must not break the request
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


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
