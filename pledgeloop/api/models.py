"""Other systems' access to pledgeloop (DESIGN.md C11): API tokens, the orders they filed,
webhook subscriptions and their delivery outbox, and the diary's WeChat publications.

A token is shown once, when it is made, and stored as the SHA-256 of its text (it is a
random `secrets.token_urlsafe`, so a plain hash is enough: there is nothing to guess). Its
first characters (`prefix`) stay readable so that an admin can tell tokens apart.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    READ_PUBLIC = "read_public", _("Read public pages (categories, sites, pledges, members)")
    FILE_ORDERS = "file_orders", _("File orders and follow the orders it filed")
    ACT_COMMUNITY = "act_community", _("Act in the community: list orders, change their state")
    READ_INDICATORS = "read_indicators", _("Read the indicators")
    OWN_RECORDS = "own_records", _("A member's own orders and service records")


# What an admin may give an application's token; a personal token has OWN_RECORDS only.
APPLICATION_SCOPES = [
    Scope.READ_PUBLIC,
    Scope.FILE_ORDERS,
    Scope.ACT_COMMUNITY,
    Scope.READ_INDICATORS,
]


class ApiToken(models.Model):
    street = models.ForeignKey(
        "orgs.Street", on_delete=models.CASCADE, related_name="+", verbose_name=_("street")
    )
    # Empty: the whole street (made by a street admin).
    community = models.ForeignKey(
        "orgs.Community",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    application = models.CharField(_("application"), max_length=80)
    # Who made it (an application's token acts with this admin's rights, checked on every
    # request) or, for a personal token, the member it belongs to.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("made by"),
    )
    personal = models.BooleanField(_("personal"), default=False)
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(_("starts with"), max_length=16)
    # Unique with the street (apitoken_digest_unique: Citus needs the street in every unique
    # key), and indexed alone: a request's Authorization header names no street.
    digest = models.CharField(max_length=64, db_index=True, editable=False)
    created_at = models.DateTimeField(_("made at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Requests per minute; the current minute and its count (one conditional UPDATE a
    # request, so the limit holds across processes).
    rate_limit = models.PositiveIntegerField(_("requests per minute"), default=60)
    rate_window = models.DateTimeField(null=True, blank=True, editable=False)
    rate_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["street", "digest"], name="apitoken_digest_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.application} ({self.prefix}…)"

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def label(self) -> str:
        """How the token is named in an order's history (OrderEvent.by_label)."""
        return f"API · {self.application} ({self.prefix}…)"[:60]


class ApiOrder(models.Model):
    """An order filed through the API or Open311: by which token, and the Open311 token
    a client may ask about."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="api_filing", primary_key=True
    )
    # The order's street (the shard key: docs/ARCHITECTURE.md, "Sharding by street").
    street = models.ForeignKey(
        "orgs.Street", on_delete=models.CASCADE, related_name="+", verbose_name=_("street")
    )
    token = models.ForeignKey(
        ApiToken, on_delete=models.PROTECT, related_name="orders", verbose_name=_("token")
    )
    # Random; unique with the street, indexed alone for Open311 clients, who name none.
    public_token = models.CharField(max_length=40, db_index=True)
    # Where the client says the media (a photo) is; never fetched by the server.
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("order filed through the API")
        verbose_name_plural = _("orders filed through the API")
        constraints = [
            models.UniqueConstraint(
                fields=["street", "public_token"], name="apiorder_public_token_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} · {self.token_id}"


class WebhookSubscription(models.Model):
    """A subscriber (a hotline system, say) told of state changes of the orders its token
    filed, by signed POSTs to `url`."""

    # The token's street (the shard key: docs/ARCHITECTURE.md, "Sharding by street").
    street = models.ForeignKey(
        "orgs.Street", on_delete=models.CASCADE, related_name="+", verbose_name=_("street")
    )
    token = models.ForeignKey(
        ApiToken, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("token")
    )
    url = models.URLField(_("address"), max_length=500)
    # The shared secret of the HMAC-SHA256 signature (the receiver needs it too).
    secret = models.CharField(_("secret"), max_length=80)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    created_at = models.DateTimeField(_("made at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one subscriber: the outbox row, delivered at least once, in order per
    order (a later event of an order waits while an earlier one is still waiting)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting to be delivered")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    # The subscription's street (the shard key: docs/ARCHITECTURE.md, "Sharding by street").
    street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("orders.OrderEvent", on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField()
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=80, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "subscription", "event"], name="webhook_delivery_once_per_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} · #{self.order_id} · {self.event_id}"


class WechatPublication(models.Model):
    """A diary article sent to the WeChat official account: draft, submission, outcome."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("submitted, being published")
        PUBLISHED = "published", _("published")
        FAILED = "failed", _("failed")

    # The article's street (the shard key: docs/ARCHITECTURE.md, "Sharding by street").
    street = models.ForeignKey(
        "orgs.Street", on_delete=models.CASCADE, related_name="+", verbose_name=_("street")
    )
    article = models.ForeignKey(
        "diary.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    media_id = models.CharField(_("draft media id"), max_length=100, blank=True)
    publish_id = models.CharField(_("publish id"), max_length=100, blank=True)
    article_url = models.URLField(_("article URL"), max_length=500, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("WeChat publication")
        verbose_name_plural = _("WeChat publications")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.article_id} · {self.state}"
