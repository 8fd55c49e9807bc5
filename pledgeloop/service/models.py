"""践诺: service done — who, for whom, when, how long (DESIGN.md §2, C5).

The fulfilment issue extends this (photos, check-in/out, pledge visits). Hours are either
*verified* (check-in/out by QR, or confirmed by the beneficiary's review) or *recorded*
(entered by staff); every report keeps the two apart.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.numbers import format_hours
from pledgeloop.orgs.models import Category, Community, Street
from pledgeloop.people.models import Member, Resident


class ServiceRecord(models.Model):
    class Verification(models.TextChoices):
        SELF = "self", _("Logged by the member")
        RECORDED = "recorded", _("Recorded by staff")
        VERIFIED = "verified", _("Verified")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="service_records",
        verbose_name=_("community"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("category")
    )
    # What it fulfils: a dispatched or claimed order, or nothing (ad-hoc service).
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_records",
        verbose_name=_("order"),
    )
    # ... or a pledge visit (践诺 of a pledge): logging the record marks the visit fulfilled.
    visit = models.ForeignKey(
        "pledges.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_records",
        verbose_name=_("pledge visit"),
    )
    beneficiary = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services_received",
        verbose_name=_("beneficiary"),
    )
    members = models.ManyToManyField(
        Member,
        through="ServiceParticipant",
        related_name="service_records",
        verbose_name=_("members"),
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("24"))],
        help_text=_("Hours each member served."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    verification = models.CharField(
        _("hours are"), max_length=10, choices=Verification.choices, default=Verification.SELF
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(_("logged at"), default=timezone.now)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["street", "started_at"], name="service_street_started")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="service_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24),
                name="service_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d} · {format_hours(self.hours)} h"


class ServiceParticipant(models.Model):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="participations")

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "member"], name="participant_once_per_record"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.record_id}"


class ServicePhoto(models.Model):
    """A photo of the service, re-encoded on upload (images only, size-capped, no EXIF)."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    record = models.ForeignKey(
        ServiceRecord, on_delete=models.CASCADE, related_name="photos", verbose_name=_("record")
    )
    image = models.ImageField(_("photo"), upload_to="service/%Y/%m/")
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("service photo")
        verbose_name_plural = _("service photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name


class CheckIn(models.Model):
    """A member's check-in by scanning a site's or a resident's QR code; check-out closes it.

    Checking out writes a *verified* service record (hours = out − in) and links it here.
    """

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("member")
    )
    site = models.ForeignKey(
        "orgs.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="checkins",
        verbose_name=_("building or compound"),
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="checkins",
        verbose_name=_("resident"),
    )
    checked_in_at = models.DateTimeField(_("checked in at"), default=timezone.now)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    out_ip = models.GenericIPAddressField(_("IP address at check-out"), null=True, blank=True)
    record = models.OneToOneField(
        ServiceRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkin",
        verbose_name=_("service record"),
    )

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-checked_in_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(site__isnull=False) | models.Q(resident__isnull=False),
                name="checkin_has_place",
            ),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True)
                | models.Q(checked_out_at__gte=models.F("checked_in_at")),
                name="checkin_out_after_in",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(checked_out_at__isnull=True),
                name="checkin_one_open_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.place} {self.checked_in_at:%Y-%m-%d %H:%M}"

    @property
    def place(self):
        return self.site or self.resident

    @property
    def is_open(self) -> bool:
        return self.checked_out_at is None
