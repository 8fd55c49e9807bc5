"""承诺: pledges, their recorded state changes and their visits (DESIGN.md §3, C4)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from pledgeloop.lib.masking import mask_name
from pledgeloop.orgs.models import Category, Community, Site, Street
from pledgeloop.people.models import Member, Resident

from . import recurrence

# A pledge runs for a bounded time: "四化三可" asks for a deadline that can be checked.
LONGEST_PLEDGE_DAYS = 5 * 366


def visit_grace_days() -> int:
    """Days after its date that a visit may still be recorded before it counts as missed."""
    return settings.VISIT_GRACE_DAYS


class PledgeError(Exception):
    """An action on a pledge was refused; the message says why and what to do instead."""


class PledgeQuerySet(models.QuerySet):
    def on_wall(self):
        """Approved public pledges: the only ones the wall and member pages show."""
        return self.on_wall_of_active_members().filter(member__active=True)

    def on_wall_of_active_members(self):
        """on_wall() for pledges whose member the query already holds to be active (a prefetch
        or subquery of active members): without the join to every member (issue 17)."""
        return self.filter(public=True, state__in=Pledge.WALL_STATES)


class Pledge(models.Model):
    """A member's public commitment: what, for whom, how often, by when, and how much."""

    class State(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        SUBMITTED = "submitted", gettext_lazy("Awaiting approval")
        RETURNED = "returned", gettext_lazy("Returned for changes")
        APPROVED = "approved", gettext_lazy("Approved")
        ACTIVE = "active", gettext_lazy("Active")
        FULFILLED = "fulfilled", gettext_lazy("Fulfilled")
        LAPSED = "lapsed", gettext_lazy("Lapsed")
        WITHDRAWN = "withdrawn", gettext_lazy("Withdrawn")

    class Beneficiary(models.TextChoices):
        RESIDENT = "resident", gettext_lazy("A resident")
        GROUP = "group", gettext_lazy("A group of people")
        PLACE = "place", gettext_lazy("A place")

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, verbose_name=gettext_lazy("street")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="pledges",
        verbose_name=gettext_lazy("community"),
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="pledges",
        verbose_name=gettext_lazy("member"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, verbose_name=gettext_lazy("category")
    )
    title = models.CharField(
        gettext_lazy("what I pledge"),
        max_length=120,
        help_text=gettext_lazy("Concrete and checkable, e.g. 每周为独居老人测血压."),
    )
    details = models.TextField(gettext_lazy("details"), blank=True)
    beneficiary_kind = models.CharField(
        gettext_lazy("for whom"), max_length=10, choices=Beneficiary.choices
    )
    beneficiary_resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("resident"),
    )
    beneficiary_site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("place"),
    )
    beneficiary_name = models.CharField(
        gettext_lazy("group or place name"),
        max_length=60,
        blank=True,
        help_text=gettext_lazy("e.g. 独居老人, 老年党员, 阳光花园3幢."),
    )
    rrule = models.CharField(gettext_lazy("frequency (RFC 5545 rule)"), max_length=200)
    visit_time = models.TimeField(gettext_lazy("time of each visit"), default=dt.time(9, 0))
    duration_minutes = models.PositiveSmallIntegerField(
        gettext_lazy("minutes per visit"),
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(720)],
    )
    starts_on = models.DateField(gettext_lazy("starts on"))
    ends_on = models.DateField(gettext_lazy("ends on (deadline)"))
    target_visits = models.PositiveSmallIntegerField(
        gettext_lazy("target (visits)"),
        help_text=gettext_lazy("How many visits you will have made by the deadline."),
    )
    public = models.BooleanField(gettext_lazy("show on the pledge wall"), default=True)
    # A recurring need from the needs list that this pledge took on (认领).
    need = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pledges",
        verbose_name=gettext_lazy("claimed need"),
    )
    state = models.CharField(
        gettext_lazy("state"), max_length=10, choices=State.choices, default=State.DRAFT
    )
    review_comment = models.TextField(gettext_lazy("reviewer's comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("reviewed by"),
    )
    reviewed_at = models.DateTimeField(gettext_lazy("reviewed on"), null=True, blank=True)
    approved_at = models.DateTimeField(gettext_lazy("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    objects = PledgeQuerySet.as_manager()

    WALL_STATES = (State.APPROVED, State.ACTIVE, State.FULFILLED)
    EDITABLE_STATES = (State.DRAFT, State.RETURNED)
    # Allowed state changes (DESIGN.md §3), made by pledges/services.py through
    # lib.transitions; anything else is refused with a message.
    TRANSITIONS = {
        State.DRAFT: {State.SUBMITTED, State.WITHDRAWN},
        State.SUBMITTED: {State.APPROVED, State.RETURNED, State.WITHDRAWN},
        State.RETURNED: {State.SUBMITTED, State.WITHDRAWN},
        State.APPROVED: {State.ACTIVE, State.WITHDRAWN},
        State.ACTIVE: {State.FULFILLED, State.LAPSED, State.WITHDRAWN},
        State.FULFILLED: set(),
        State.LAPSED: set(),
        State.WITHDRAWN: set(),
    }

    class Meta:
        verbose_name = gettext_lazy("pledge")
        verbose_name_plural = gettext_lazy("pledges")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street", "community", "state"], name="pledge_community_state"),
            models.Index(fields=["street", "member", "state"], name="pledge_member_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="pledge_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(target_visits__gte=1), name="pledge_target_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=720),
                name="pledge_duration_range",
            ),
            # Two members cannot both hold a claimed need.
            models.UniqueConstraint(
                fields=["street", "need"],
                condition=models.Q(
                    need__isnull=False,
                    state__in=["draft", "submitted", "returned", "approved", "active"],
                ),
                name="pledge_one_open_per_need",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def on_wall(self) -> bool:
        return self.public and self.state in self.WALL_STATES

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES

    @property
    def is_open(self) -> bool:
        """Not yet closed: it may still be withdrawn."""
        return bool(self.TRANSITIONS[self.state])

    @property
    def frequency_text(self) -> str:
        return recurrence.describe_rule(self.rrule, self.starts_on)

    @property
    def starting_text(self) -> str:
        """When the visits begin, how often and at what time: 12月15日起，每周六 09:30."""
        return _("From %(start)s, %(frequency)s %(time)s") % {
            "start": formats.date_format(self.starts_on, "MONTH_DAY_FORMAT"),
            "frequency": self.frequency_text,
            "time": self.visit_time.strftime("%H:%M"),
        }

    # Whether the resident beneficiary's consent to appear on public pages stands: annotated by
    # the public pages' selectors (pledges.selectors), False on a pledge they did not read.
    beneficiary_may_appear = False

    @property
    def beneficiary_public(self) -> str:
        """For whom, as a public page may say it: a resident by surname only (张**), and only
        with their standing consent to appear publicly; else "a resident"."""
        if self.beneficiary_kind == self.Beneficiary.RESIDENT:
            if self.beneficiary_resident_id is None or not self.beneficiary_may_appear:
                return _("a resident")
            return mask_name(self.beneficiary_resident.name)
        return self.beneficiary_label

    @property
    def beneficiary_label(self) -> str:
        """For whom, as the member and the community's staff see it: the resident's name."""
        if self.beneficiary_kind == self.Beneficiary.RESIDENT:
            if self.beneficiary_resident_id is None:
                return _("a resident")
            return self.beneficiary_resident.name
        if self.beneficiary_kind == self.Beneficiary.PLACE and self.beneficiary_site_id:
            return str(self.beneficiary_site.name)
        return self.beneficiary_name

    def clean(self):
        errors: dict[str, list] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.target_visits is not None and self.target_visits < 1:
            add(
                "target_visits",
                _("Set a target of at least one visit: a pledge must be checkable."),
            )
        dated = self.starts_on and self.ends_on
        if dated and self.ends_on < self.starts_on:
            add(
                "ends_on",
                _("The end date is before the start date. Choose an end on or after %(start)s.")
                % {"start": formats.date_format(self.starts_on, "DATE_FORMAT")},
            )
        elif dated and (self.ends_on - self.starts_on).days > LONGEST_PLEDGE_DAYS:
            add(
                "ends_on",
                _("A pledge runs at most five years. Choose an earlier end date."),
            )
        if self.rrule:
            try:
                self.rrule = recurrence.check_rule(self.rrule)
            except ValidationError as error:
                add("rrule", error.messages[0])
        if self.rrule and dated and not errors.get("rrule") and not errors.get("ends_on"):
            self._check_rule_occurs(add)
        self._check_beneficiary(add)
        if self.category_id and self.street_id and self.category.street_id != self.street_id:
            add("category", _("Choose one of your street's categories."))
        if errors:
            raise ValidationError(errors)

    def _check_rule_occurs(self, add) -> None:
        moments = recurrence.occurrences(
            self.rrule, starts_on=self.starts_on, ends_on=self.ends_on, at=self.visit_time
        )
        if not moments:
            add(
                "rrule",
                _(
                    "This frequency never falls between %(start)s and %(end)s, so there would "
                    "be no visits. Choose another frequency or other dates."
                )
                % {"start": self.starts_on.isoformat(), "end": self.ends_on.isoformat()},
            )
        elif len(moments) > recurrence.MOST_VISITS:
            add(
                "rrule",
                _("This frequency gives more than %(most)s visits. Choose a lighter one.")
                % {"most": recurrence.MOST_VISITS},
            )
        elif self.target_visits and self.target_visits > len(moments):
            add(
                "target_visits",
                _(
                    "The frequency gives only %(n)s visits between the start and the end, "
                    "fewer than the target of %(target)s. Lower the target or visit more often."
                )
                % {"n": len(moments), "target": self.target_visits},
            )

    def _check_beneficiary(self, add) -> None:
        kind = self.beneficiary_kind
        if kind == self.Beneficiary.RESIDENT:
            resident = self.beneficiary_resident
            if resident is None:
                add("beneficiary_resident", _("Choose the resident you will serve."))
            elif self.community_id and resident.community_id != self.community_id:
                add("beneficiary_resident", _("Choose a resident of your own community."))
        elif kind == self.Beneficiary.GROUP and not self.beneficiary_name.strip():
            add("beneficiary_name", _("Name the group you will serve, e.g. 独居老人."))
        elif kind == self.Beneficiary.PLACE:
            site = self.beneficiary_site
            if site is None and not self.beneficiary_name.strip():
                add("beneficiary_site", _("Choose the place, or write its name."))
            elif site and self.community_id and site.community_id != self.community_id:
                add("beneficiary_site", _("Choose a place in your own community."))

    def occurrences(self, *, since=None, until=None) -> list[dt.datetime]:
        return recurrence.occurrences(
            self.rrule,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            at=self.visit_time,
            since=since,
            until=until,
        )


class PledgeEvent(models.Model):
    """One recorded change of a pledge's state: who, when, from what to what, and why."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, verbose_name=gettext_lazy("street")
    )
    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="events", verbose_name=gettext_lazy("pledge")
    )
    from_state = models.CharField(
        gettext_lazy("from"), max_length=10, choices=Pledge.State.choices, blank=True
    )
    to_state = models.CharField(gettext_lazy("to"), max_length=10, choices=Pledge.State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("changed by"),
    )
    comment = models.TextField(gettext_lazy("remark"), blank=True)
    at = models.DateTimeField(gettext_lazy("at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("pledge state change")
        verbose_name_plural = gettext_lazy("pledge state changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.pledge} · {self.from_state} → {self.to_state}"


class Visit(models.Model):
    """排班: one scheduled occurrence of an active pledge, fulfilled by service or missed."""

    class State(models.TextChoices):
        DUE = "due", gettext_lazy("Due")
        # 已践诺, not the pledge's 已兑现 (its target met): one word, one meaning.
        FULFILLED = "fulfilled", pgettext_lazy("visit state", "Visit made")
        MISSED = "missed", gettext_lazy("Missed")

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, verbose_name=gettext_lazy("street")
    )
    pledge = models.ForeignKey(
        Pledge, on_delete=models.CASCADE, related_name="visits", verbose_name=gettext_lazy("pledge")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="visits", verbose_name=gettext_lazy("member")
    )
    scheduled_at = models.DateTimeField(gettext_lazy("scheduled at"))
    due_on = models.DateField(gettext_lazy("due on"))
    state = models.CharField(
        gettext_lazy("state"), max_length=10, choices=State.choices, default=State.DUE
    )
    fulfilled_at = models.DateTimeField(gettext_lazy("fulfilled at"), null=True, blank=True)
    created_at = models.DateTimeField(gettext_lazy("created at"), default=timezone.now)

    class Meta:
        verbose_name = gettext_lazy("visit")
        verbose_name_plural = gettext_lazy("visits")
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["street", "member", "due_on"], name="visit_member_due"),
            models.Index(fields=["street", "state", "due_on"], name="visit_state_due"),
        ]
        constraints = [
            # Generating visits twice must not double them.
            models.UniqueConstraint(
                fields=["street", "pledge", "scheduled_at"], name="visit_once_per_moment"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="fulfilled") | models.Q(fulfilled_at__isnull=False),
                name="visit_fulfilled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pledge} · {self.due_on}"

    @property
    def ends_at(self) -> dt.datetime:
        return self.scheduled_at + dt.timedelta(minutes=self.pledge.duration_minutes)
