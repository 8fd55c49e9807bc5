"""Users, roles and scopes, members and residents (DESIGN.md §1, C1, C12)."""

import datetime as dt
import re
import secrets
from functools import cached_property
from importlib import import_module

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.indexes import index_where_set
from pledgeloop.lib.masking import is_mainland_mobile, mask_phone, normalise_phone
from pledgeloop.lib.pinyin import person_keys
from pledgeloop.orgs.models import LATITUDE, LONGITUDE, Category, Community, Site, Street


def validate_mobile(value: str) -> None:
    if not is_mainland_mobile(value):
        raise ValidationError(
            _("%(value)s is not a mainland mobile number (11 digits starting with 1)."),
            params={"value": value},
            code="invalid_mobile",
        )


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", _("Street admin")
    COMMUNITY_ADMIN = "community_admin", _("Community admin")
    MEMBER = "member", _("Member")
    RESIDENT = "resident", _("Resident")


# Highest first: a person with several roles lands on the home page of the highest.
ROLE_RANK = [Role.STREET_ADMIN, Role.COMMUNITY_ADMIN, Role.MEMBER, Role.RESIDENT]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **fields):
        phone = normalise_phone(phone)
        validate_mobile(phone)
        user = self.model(phone=phone, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in does so with a mainland mobile number and a password."""

    phone = models.CharField(
        _("mobile number"), max_length=11, unique=True, validators=[validate_mobile]
    )
    name = models.CharField(_("name"), max_length=40)
    name_pinyin = models.CharField(max_length=160, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(max_length=40, blank=True, db_index=True, editable=False)
    # What lists sort people by: their pinyin syllable by syllable (lib.pinyin.person_keys).
    name_sort = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["name_sort"]

    def __str__(self) -> str:
        return self.name or mask_phone(self.phone)

    def save(self, *args, **kwargs):
        self.name_pinyin, self.name_initials, self.name_sort = person_keys(self.name)
        super().save(*args, **kwargs)

    @cached_property
    def grants(self) -> list["RoleGrant"]:
        return list(self.role_grants.select_related("street", "community"))

    def has_role(self, role: str) -> bool:
        return any(g.role == role for g in self.grants)

    @property
    def primary_role(self) -> str | None:
        held = {g.role for g in self.grants}
        return next((r for r in ROLE_RANK if r in held), None)

    def admin_street_ids(self) -> set[int]:
        return {g.street_id for g in self.grants if g.role == Role.STREET_ADMIN}

    def admin_community_ids(self) -> set[int]:
        """Communities this user administers: directly, or through a street they run.

        Read once per user object (a request's; the view, its access checks and the
        navigation all ask), as long as the grants it was read from are those held."""
        grants = self.grants
        cached = self.__dict__.get("_admin_community_ids")
        if cached is not None and cached[0] is grants:
            return set(cached[1])
        direct = {g.community_id for g in grants if g.role == Role.COMMUNITY_ADMIN}
        streets = self.admin_street_ids()
        if streets:
            direct |= set(
                Community.objects.filter(street_id__in=streets).values_list("id", flat=True)
            )
        self.__dict__["_admin_community_ids"] = (grants, frozenset(direct))
        return direct

    def member_community_ids(self) -> set[int]:
        return {g.community_id for g in self.grants if g.role == Role.MEMBER}


class RoleGrant(models.Model):
    """A role held in a scope: a street (street admin) or a community (the other roles)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_grants", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    street = models.ForeignKey(Street, on_delete=models.CASCADE, verbose_name=_("street"))
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("community")
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["street", "user", "role"],
                condition=models.Q(community__isnull=True),
                name="rolegrant_unique_street_scope",
            ),
            models.UniqueConstraint(
                fields=["street", "user", "role", "community"],
                condition=models.Q(community__isnull=False),
                name="rolegrant_unique_community_scope",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="street_admin", community__isnull=True)
                    | (~models.Q(role="street_admin") & models.Q(community__isnull=False))
                ),
                name="rolegrant_scope_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.community or self.street}"


def new_member_code() -> str:
    return secrets.token_urlsafe(6)


def default_availability() -> dict:
    # Monday to Sunday (0-6) → list of [start hour, end hour) the member can serve.
    return {}


class Member(models.Model):
    """党员 or volunteer: who serves, with skills, a home point, availability and capacity."""

    class Kind(models.TextChoices):
        EMPLOYED = "employed", _("In-work party member")
        RETIRED = "retired", _("Retired party member")
        ENTERPRISE = "enterprise", _("Enterprise party member")
        VOLUNTEER = "volunteer", _("Volunteer")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="member", verbose_name=_("user")
    )
    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="members", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    party_join_date = models.DateField(_("joined the party on"), null=True, blank=True)
    skills = models.ManyToManyField(
        Category, blank=True, related_name="skilled_members", verbose_name=_("skills")
    )
    home_latitude = models.DecimalField(
        _("home latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=LATITUDE,
    )
    home_longitude = models.DecimalField(
        _("home longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=LONGITUDE,
    )
    availability = models.JSONField(
        _("weekly availability"),
        default=default_availability,
        blank=True,
        help_text=_('Weekday (0 = Monday) to hour ranges, e.g. {"5": [[9, 12]]}.'),
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity (most open orders)"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
    )
    public_contact = models.BooleanField(_("show my phone on my public page"), default=False)
    # Random; unique with the street (member_code_unique: Citus needs the street in every
    # unique key), and indexed alone for /m/<code>/, whose link names no street.
    code = models.CharField(
        _("public code"), max_length=16, db_index=True, default=new_member_code, editable=False
    )
    active = models.BooleanField(_("active"), default=True)
    # The roster over time, so that a period's figures divide by the members of that period
    # (DESIGN.md §5), not by today's: see `on_roster_q`.
    joined_on = models.DateField(
        _("on the roster since"),
        null=True,
        blank=True,
        help_text=_("Empty: since before the records began."),
    )
    left_on = models.DateField(
        _("left the roster on"),
        null=True,
        blank=True,
        help_text=_("The first day no longer a member; empty while still one."),
    )

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["user__name_sort"]
        indexes = [
            # The dispatch suggestions (members within walking range of an order, in a box).
            models.Index(
                fields=["street", "home_latitude", "home_longitude"],
                condition=models.Q(active=True),
                name="member_active_street_home",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="member_code_unique"),
            models.CheckConstraint(
                condition=models.Q(capacity__lte=50), name="member_capacity_range"
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(joined_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="member_leaves_after_joining",
                violation_error_message=_("A member cannot leave before joining the roster."),
            ),
            models.CheckConstraint(
                condition=models.Q(kind="volunteer") | models.Q(party_join_date__isnull=False),
                name="member_party_date_unless_volunteer",
            ),
        ]

    def __str__(self) -> str:
        return self.user.name

    @property
    def name(self) -> str:
        return self.user.name

    def clean(self):
        if not self.active and self.left_on is None:
            raise ValidationError(
                {
                    "left_on": _(
                        "Give the day the member left the roster, so that earlier "
                        "figures still count them."
                    )
                }
            )
        if self.active and self.left_on is not None and self.left_on <= timezone.localdate():
            raise ValidationError({"active": _("A member who has left the roster is not active.")})
        if self.kind != self.Kind.VOLUNTEER and not self.party_join_date:
            raise ValidationError(
                {"party_join_date": _("A party member needs the date they joined the party.")}
            )
        errors = availability_errors(self.availability)
        if errors:
            raise ValidationError({"availability": errors})


def on_roster_q(start: dt.date, end: dt.date, prefix: str = "") -> models.Q:
    """Members on the roster at some time in the local days [start, end).

    joined_on empty = since before the records began; left_on is the first day no longer a
    member. An inactive member without a left_on (nobody said when they left) is on no
    period's roster, as before the roster had dates.
    """
    joined = models.Q(**{f"{prefix}joined_on__isnull": True}) | models.Q(
        **{f"{prefix}joined_on__lt": end}
    )
    staying = models.Q(**{f"{prefix}left_on__gt": start}) | models.Q(
        **{f"{prefix}left_on__isnull": True, f"{prefix}active": True}
    )
    return joined & staying


def availability_errors(value) -> list[str]:
    """Availability is {weekday 0-6: [[start, end], ...]} with whole hours 0-24, start < end."""
    if not isinstance(value, dict):
        return [_("Availability must map weekdays to hour ranges.")]
    errors = []
    for day, ranges in value.items():
        if str(day) not in {str(d) for d in range(7)}:
            errors.append(
                _("%(day)s is not a weekday number from 0 (Monday) to 6 (Sunday).") % {"day": day}
            )
            continue
        for item in ranges if isinstance(ranges, list) else [ranges]:
            ok = (
                isinstance(item, list | tuple)
                and len(item) == 2
                and all(isinstance(h, int) for h in item)
                and 0 <= item[0] < item[1] <= 24
            )
            if not ok:
                errors.append(
                    _("%(range)s is not an hour range such as [9, 12].") % {"range": item}
                )
    return errors


class Resident(models.Model):
    """群众: a person the community serves. The phone is stored whole and shown masked."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="residents", verbose_name=_("community")
    )
    user = models.OneToOneField(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=40)
    name_pinyin = models.CharField(max_length=160, blank=True, editable=False)
    name_initials = models.CharField(max_length=40, blank=True, editable=False)
    name_sort = models.CharField(max_length=200, blank=True, editable=False)
    phone = models.CharField(_("mobile number"), max_length=11, validators=[validate_mobile])
    address = models.CharField(_("address"), max_length=200)
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("building or compound"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name_sort"]
        indexes = [
            models.Index(fields=["street", "name_sort"], name="resident_street_sort"),
            models.Index(fields=["street", "name_initials"], name="resident_street_initials"),
            # Intake's match of an order's number to the community's resident (orders/
            # services._intake_read), on every order.
            models.Index(fields=["street", "community", "phone"], name="resident_community_phone"),
            # /my/: a person's rows found by their number alone, in every street (privacy/).
            models.Index(fields=["phone"], name="resident_phone"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "community", "name", "phone"], name="resident_unique_person"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_pinyin, self.name_initials, self.name_sort = person_keys(self.name)
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Consent(models.Model):
    """One agreement, as China's PIPL asks: given for a purpose, under a notice version, at a
    time, and withdrawable. Its subject is a phone number (an order's) and, when the number is
    on the resident list, the resident record. Written only through people/consents.py.

    DATA_USE: to serve the person (an order, a resident record); PUBLIC: the separate consent
    to appear, by name or photo, on public pages (the diary, a service photo's public link).
    """

    class Purpose(models.TextChoices):
        DATA_USE = "data_use", _("Use of my data to serve my requests")
        PUBLIC = "public", _("Showing me or my photo on public pages")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("resident"),
    )
    phone = models.CharField(_("mobile number"), max_length=11, blank=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    source = models.CharField(_("given through"), max_length=40)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]
        indexes = [
            # An order's consent is given by its number, before any resident record links it
            # (lib/indexes.py): filing one writes no entry here.
            index_where_set("resident", "consent_resident"),
            # /my/: a person's consents by their number, city-wide. The model's index, not
            # the field's db_index, which on PostgreSQL adds a second one for LIKE that no
            # query asks of a number (one index entry fewer an order, issue 17).
            models.Index(fields=["phone"], name="consent_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resident__isnull=False) | ~models.Q(phone=""),
                name="consent_has_a_subject",
            ),
        ]

    def __str__(self) -> str:
        subject = self.resident or mask_phone(self.phone)
        return f"{subject} · {self.get_purpose_display()}"

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


# Why a number was seen, as the writers of PhoneView.context say it (in English, the same in
# every language), and how the log says it to its reader.
PHONE_VIEW_REASONS = {
    "export": _("Residents' Excel export"),
    "members export": _("Members' Excel export"),
    "hours export": _("Service hours' Excel export"),
    "resident detail": _("A resident's page"),
}
PHONE_VIEW_ORDER = re.compile(r"order #(\d+)( \(member\))?$")


class PhoneView(models.Model):
    """Access log (C12, issue 13): every sight of a whole phone number, by anyone.

    Written only by people.services (phone_view_record and phone_views_record). Durable: a
    row names whose number it was (name and masked number) in its own columns, so it stays
    readable when the number is on no resident list or the resident record is gone.
    """

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    viewer = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("viewer")
    )
    resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="phone_views",
        verbose_name=_("resident"),
    )
    subject_name = models.CharField(_("whose number"), max_length=40, blank=True)
    subject_phone = models.CharField(_("number (masked)"), max_length=11, blank=True)
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now)
    context = models.CharField(_("why"), max_length=80, blank=True)
    page = models.CharField(_("page"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("phone number view")
        verbose_name_plural = _("phone number views")
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["street", "-viewed_at"], name="phoneview_street_viewed")]

    def __str__(self) -> str:
        whose = self.subject_name or self.subject_phone
        return f"{self.viewer} → {whose} ({self.viewed_at:%Y-%m-%d %H:%M})"

    @property
    def reason(self) -> str:
        """`context` in the reader's language: "order #680 (member)" → 订单 #680（接单党员查看）."""
        if self.context in PHONE_VIEW_REASONS:
            return str(PHONE_VIEW_REASONS[self.context])
        order = PHONE_VIEW_ORDER.match(self.context)
        if order and order[2]:
            return _("Order #%(n)s, by its member") % {"n": order[1]}
        if order:
            return _("Order #%(n)s, in the console") % {"n": order[1]}
        return self.context


class LoginFailure(models.Model):
    """A failed sign-in; enough of them on one number locks it for a while."""

    phone = models.CharField(max_length=32, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.at:%Y-%m-%d %H:%M}"


class Session(AbstractBaseSession):
    """A browser's session (settings.SESSION_ENGINE's store writes it), with the id of the user
    signed in to it, or NULL: what the signed data says (`_auth_user_id`), written with it on
    every save, so that the session's read can bring its user in the same statement
    (notify/sessions.py). Not a foreign key: the data decides, the column only finds the row
    to read with it, and a user deleted leaves their sessions signing in nobody."""

    user_id = models.BigIntegerField(_("signed-in user"), null=True, blank=True)

    @classmethod
    def get_session_store_class(cls):
        """The store that writes these rows (to decode one: `get_decoded()`)."""
        return import_module(settings.SESSION_ENGINE).SessionStore
