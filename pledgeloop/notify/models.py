"""In-app notifications (the inbox) and a log of what each sender delivered (C10)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE, verbose_name=_("street"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # Idempotency: a scheduled job that runs twice must not notify twice.
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # When the tasks worker handed it to the senders (notify.services.notifications_send);
    # empty while it waits in the outbox.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(sent_at__isnull=True), name="notification_outbox"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One message handed to one sender (email, SMS, ...), for the audit and for retries."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=20)
    address = models.CharField(_("address"), max_length=120)
    ok = models.BooleanField(_("delivered"), default=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}"
