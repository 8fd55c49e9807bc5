"""践诺: service done — who, for whom, when, how long (DESIGN.md §2, C5).

Hours are *verified* (a check-in/out with a second factor, or confirmed by the beneficiary's
review; `evidence` names which), *recorded* (entered by staff) or *self* (the member's own
entry); every report keeps them apart. A record's hours fit between its start and end, and one
member's records never overlap in time (services.service_record_create checks both).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
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

    class Evidence(models.TextChoices):
        """What made the hours verified: set exactly when the hours are verified."""

        NONE = "", _("None")
        SITE_SCREEN = "site_screen", _("Code on the site's screen")
        BENEFICIARY_CODE = "beneficiary_code", _("The beneficiary's own code")
        REVIEW = "review", _("The beneficiary's review")
        STAFF = "staff", _("Checked by community staff")

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
    evidence = models.CharField(
        _("verified by"), max_length=20, choices=Evidence.choices, blank=True, default=""
    )
    # The beneficiary said the hours are wrong: not verified, for the community admin to check.
    flagged_at = models.DateTimeField(_("hours disputed at"), null=True, blank=True)
    flag_reason = models.CharField(_("what the beneficiary said"), max_length=500, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hours checked by"),
    )
    settled_at = models.DateTimeField(_("hours checked at"), null=True, blank=True)
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
        indexes = [
            models.Index(fields=["street", "started_at"], name="service_street_started"),
            # A community's records of a period (the showcase's totals, issue 17).
            models.Index(
                fields=["street", "community", "started_at"], name="service_community_started"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="service_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24),
                name="service_hours_range",
            ),
            # Verified hours name their evidence; other hours have none.
            models.CheckConstraint(
                condition=(models.Q(verification="verified") & ~models.Q(evidence=""))
                | (~models.Q(verification="verified") & models.Q(evidence="")),
                name="service_verified_names_evidence",
            ),
            models.CheckConstraint(
                condition=models.Q(flagged_at__isnull=True) | ~models.Q(verification="verified"),
                name="service_disputed_not_verified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d} · {format_hours(self.hours)} h"

    @property
    def is_flagged(self) -> bool:
        return self.flagged_at is not None

    def clean(self) -> None:
        super().clean()
        if self.started_at and self.ended_at and self.hours:
            span = (self.ended_at - self.started_at).total_seconds()
            if self.hours * 3600 > span:
                raise ValidationError(
                    _("%(hours)s h do not fit between the start and the end of the service.")
                    % {"hours": format_hours(self.hours)}
                )


class ServiceParticipant(models.Model):
    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="participations")

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["street", "record", "member"], name="participant_once_per_record"
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

    Checking out writes a service record of the whole quarter hours between the scans and
    links it here; under a quarter hour writes none. The record is verified only when both
    scans carried a second factor (`in_proof`, `out_proof`): the code on the site's screen,
    which changes every few minutes, or the beneficiary's own code. A printed site code alone
    gives self-reported hours, which the beneficiary's review can still confirm.
    """

    class Proof(models.TextChoices):
        PRINTED = "printed", _("Printed site code")
        SCREEN = "screen", _("Code on the site's screen")
        BENEFICIARY = "beneficiary", _("The beneficiary's own code")

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
    in_proof = models.CharField(
        _("checked in with"), max_length=12, choices=Proof.choices, default=Proof.PRINTED
    )
    out_proof = models.CharField(
        _("checked out with"), max_length=12, choices=Proof.choices, blank=True, default=""
    )
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
                fields=["street", "member"],
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


class SiteScreen(models.Model):
    """A screen at a site that shows a check-in code changing every few minutes.

    The code is a TOTP of `secret` (RFC 6238, pyotp), so it cannot be printed or photographed
    for later: scanning it proves the member was at the site then. The screen's page is opened
    by its secret link (`key`), which only the community's admins see; resetting the screen
    gives a new secret and a new link, and the old ones stop working.
    """

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    site = models.OneToOneField(
        "orgs.Site",
        on_delete=models.CASCADE,
        related_name="checkin_screen",
        verbose_name=_("building or compound"),
    )
    secret = models.CharField(_("secret"), max_length=64)
    # Random; unique with the street (sitescreen_key_unique), indexed alone for the screen's
    # link, which names no street.
    key = models.CharField(_("screen link key"), max_length=64, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("set up by"),
    )
    created_at = models.DateTimeField(_("set up at"), default=timezone.now)

    class Meta:
        verbose_name = _("check-in screen")
        verbose_name_plural = _("check-in screens")
        constraints = [
            models.UniqueConstraint(fields=["street", "key"], name="sitescreen_key_unique"),
        ]

    def __str__(self) -> str:
        return str(self.site)
