"""The person's rights (PIPL art. 44-47): one-time SMS codes to prove a number is theirs, and
the deletion requests the community has to complete within DELETION_REQUEST_DAYS."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.masking import mask_phone
from pledgeloop.orgs.models import Community, Street


class OneTimeCode(models.Model):
    """A code texted to a number. Only its keyed hash is kept; it expires within minutes, is
    void after ONE_TIME_CODE_MAX_TRIES wrong tries, and serves once (privacy/codes.py)."""

    class Purpose(models.TextChoices):
        MY_DATA = "my_data", _("Sign in to see my data")
        PASSWORD = "password", _("Set a new password")

    phone = models.CharField(_("mobile number"), max_length=11, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # Whether a text went out: a number we hold nothing for gets no text, but its request
    # counts towards the limits all the same (and the page says the same thing).
    sent = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} · {self.get_purpose_display()}"


class DeletionRequest(models.Model):
    """A person asked that their data in a community be deleted. The community's admins
    complete it (the data is made anonymous) by `due_by`."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="deletion_requests",
        verbose_name=_("community"),
    )
    # Emptied when the request is completed; the masked number stays for the admins' list.
    phone = models.CharField(_("mobile number"), max_length=11, blank=True)
    phone_masked = models.CharField(_("mobile number"), max_length=11)
    # A member or resident asking with an account: the account is part of what goes.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    requested_at = models.DateTimeField(_("asked at"), default=timezone.now)
    due_by = models.DateTimeField(_("to be completed by"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    summary = models.CharField(_("what was made anonymous"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("deletion request")
        verbose_name_plural = _("deletion requests")
        ordering = ["due_by", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "community", "phone"],
                condition=models.Q(completed_at__isnull=True),
                name="deletion_request_open_once",
            ),
        ]
        # /my/: a person's rows found by their number alone, in every street (privacy/).
        indexes = [models.Index(fields=["phone"], name="deletionrequest_phone")]

    def __str__(self) -> str:
        return f"{self.phone_masked} · {self.community}"

    @property
    def is_overdue(self) -> bool:
        return self.completed_at is None and self.due_by < timezone.now()
