"""In-app notifications (the inbox, which is also the outbox), what each sender did with them,
and the short links that texts carry (C10).

A notification waits in the outbox until a worker claims it with a lease, hands it to every
sender outside any transaction and records each sender's real outcome (services.
notifications_send). A worker that dies keeps its claims only until the lease runs out; a
failed send is tried again with a growing pause, up to NOTIFY_MAX_ATTEMPTS.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.indexes import index_where_set


class Notification(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("waiting to be sent")
        DONE = "done", _("handled")
        FAILED = "failed", _("failed")

    # Found by notification_street_created, which leads with it: no index of its own (issue 17).
    street = models.ForeignKey(
        "orgs.Street", on_delete=models.CASCADE, db_index=False, verbose_name=_("street")
    )
    # The community it concerns, when there is one: its admins see its failed deliveries.
    community = models.ForeignKey(
        "orgs.Community",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    # The inbox it lands in; empty for a text to a resident without an account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    # The number a text goes to when it is not the user's own (a resident's order).
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # The values of the SMS template's parameters (kinds.TEXTS); "link" is filled in by the
    # sender with the short link to `url`.
    params = models.JSONField(_("text parameters"), default=dict, blank=True)
    # Idempotency: a scheduled job that runs twice must not notify twice.
    dedupe_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    # --- the outbox ---
    state = models.CharField(
        _("sending"), max_length=10, choices=State.choices, default=State.WAITING
    )
    # When it left the outbox: every sender reached an outcome (see its deliveries), or it
    # failed for good.
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # The worker holding it, and until when; a lease that ran out is anyone's to take.
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(state="waiting"), name="notification_outbox"
            ),
            models.Index(fields=["street", "-created_at"], name="notification_street_created"),
            models.Index(
                fields=["street", "state"],
                condition=models.Q(state="failed"),
                name="notification_failed",
            ),
            # An inbox's own (lib/indexes.py): a text to a resident without an account, one of
            # an order's two notifications, writes no entry.
            index_where_set("user", "notification_user"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "user", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(phone=""),
                name="notification_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def address_phone(self) -> str:
        """The number a text goes to."""
        return self.phone or (self.user.phone if self.user_id else "")


class Delivery(models.Model):
    """What one sender (email, SMS, ...) did with one notification: one row per channel,
    updated from attempt to attempt."""

    class Status(models.TextChoices):
        # Written before the message is handed over: a row still "sending" after the worker
        # died means the gateway may or may not have it (it is looked up before any resend).
        SENDING = "sending", _("sending (outcome not known yet)")
        ACCEPTED = "accepted", _("accepted by the gateway")
        LOGGED = "logged", _("logged, not sent")
        SKIPPED = "skipped", _("not sent (nothing to send it with)")
        RETRY = "retry", _("failed, will be tried again")
        FAILED = "failed", _("failed")

    # Outcomes after which this channel is not tried again.
    FINAL = frozenset({Status.ACCEPTED, Status.LOGGED, Status.SKIPPED, Status.FAILED})

    # The notification's street (the shard key: docs/ARCHITECTURE.md, "Sharding by street").
    street = models.ForeignKey(
        "orgs.Street", on_delete=models.CASCADE, related_name="+", verbose_name=_("street")
    )
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=20)
    address = models.CharField(_("address"), max_length=120)
    status = models.CharField(
        _("outcome"), max_length=10, choices=Status.choices, default=Status.SENDING
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    # The gateway's id for the message (Alibaba's BizId, Tencent's SerialNo).
    gateway_id = models.CharField(_("gateway id"), max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "notification", "channel"], name="delivery_one_per_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: {self.status}"


class ShortLink(models.Model):
    """A short, unguessable code for a long link (a tracking or review page), for texts:
    /t/<code>/ answers with a plain redirect to `path` on the same host."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    path = models.CharField(_("path"), max_length=400, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("short link")
        verbose_name_plural = _("short links")

    def __str__(self) -> str:
        return f"/t/{self.code}/ → {self.path}"
