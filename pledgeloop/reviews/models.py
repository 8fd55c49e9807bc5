"""评诺: residents' ratings of each service, and the quarterly assessments (C6).

One review per service record (a database constraint). Ratings are five levels
(非常满意 … 非常不满意); satisfaction = reviews rated 4 or 5 ÷ all reviews (DESIGN.md §5).
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Review(models.Model):
    class Rating(models.IntegerChoices):
        VERY_SATISFIED = 5, _("Very satisfied")
        SATISFIED = 4, _("Satisfied")
        NEUTRAL = 3, _("Neutral")
        DISSATISFIED = 2, _("Dissatisfied")
        VERY_DISSATISFIED = 1, _("Very dissatisfied")

    street = models.ForeignKey("orgs.Street", on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        "orgs.Community",
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("community"),
    )
    record = models.OneToOneField(
        "service.ServiceRecord",
        on_delete=models.CASCADE,
        related_name="review",
        verbose_name=_("service record"),
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("order"),
    )
    rating = models.PositiveSmallIntegerField(_("rating"), choices=Rating.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    solved = models.BooleanField(_("was it solved?"), null=True, blank=True)
    created_at = models.DateTimeField(_("reviewed at"), default=timezone.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["street", "created_at"], name="review_street_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1) & models.Q(rating__lte=5),
                name="review_rating_range",
            ),
        ]

    # Satisfied = rated 满意 or 非常满意 (DESIGN.md §5): the one definition, read by the review
    # pages, the showcase, the indicators and their rollups' SQL (stats/rollups.py).
    SATISFIED_MIN = Rating.SATISFIED

    def __str__(self) -> str:
        return f"{self.get_rating_display()} · {self.record_id}"

    @property
    def satisfied(self) -> bool:
        return self.rating >= self.SATISFIED_MIN

    @classmethod
    def satisfied_q(cls, prefix: str = "") -> models.Q:
        """``satisfied`` as a filter; ``prefix`` is the path to the review from the queried
        model (``"participations__record__review__"``)."""
        return models.Q(**{f"{prefix}rating__gte": int(cls.SATISFIED_MIN)})

    @classmethod
    def satisfied_sql(cls, column: str) -> str:
        """``satisfied`` as an SQL condition on a rating column (``"v.rating"``), for the raw
        aggregations of stats/rollups.py."""
        return f"{column} >= {int(cls.SATISFIED_MIN)}"


class Assessment(models.Model):
    """A quarter's self-assessment by the member, or the organisation's assessment of them."""

    class Kind(models.TextChoices):
        SELF = "self", _("Self-assessment")
        ORGANISATION = "org", _("Organisation's assessment")

    street = models.ForeignKey("orgs.Street", on_delete=models.PROTECT, verbose_name=_("street"))
    member = models.ForeignKey(
        "people.Member",
        on_delete=models.CASCADE,
        related_name="assessments",
        verbose_name=_("member"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    score = models.PositiveSmallIntegerField(
        _("score (0-100)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    by = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "member", "year", "quarter", "kind"],
                name="assessment_once_per_quarter",
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__gte=1) & models.Q(quarter__lte=4),
                name="assessment_quarter",
            ),
            models.CheckConstraint(
                condition=models.Q(score__lte=100), name="assessment_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.year}Q{self.quarter} {self.get_kind_display()}: {self.score}"


class ReviewWeights(models.Model):
    """A street's weights for the annual review (年度评议), in percent; they sum to 100.

    A street without a row uses the defaults (30/20/25/15/10, 24 hours a year, a member with
    no evidence at all 未评议): see `pledgeloop.reviews.annual` for how each component is
    computed.
    """

    DEFAULTS = {
        "pledge_fulfilment": 30,
        "hours": 20,
        "resident_ratings": 25,
        "organisation": 15,
        "self_assessment": 10,
        "target_hours": 24,
        "no_evidence_grade": "unreviewed",
    }
    COMPONENTS = (
        "pledge_fulfilment",
        "hours",
        "resident_ratings",
        "organisation",
        "self_assessment",
    )

    street = models.OneToOneField(
        "orgs.Street",
        on_delete=models.CASCADE,
        related_name="review_weights",
        verbose_name=_("street"),
    )
    pledge_fulfilment = models.PositiveSmallIntegerField(
        _("pledge fulfilment (%)"), default=30, validators=[MaxValueValidator(100)]
    )
    hours = models.PositiveSmallIntegerField(
        _("service hours (%)"), default=20, validators=[MaxValueValidator(100)]
    )
    resident_ratings = models.PositiveSmallIntegerField(
        _("residents' ratings (%)"), default=25, validators=[MaxValueValidator(100)]
    )
    organisation = models.PositiveSmallIntegerField(
        _("organisation's assessment (%)"), default=15, validators=[MaxValueValidator(100)]
    )
    self_assessment = models.PositiveSmallIntegerField(
        _("self-assessment (%)"), default=10, validators=[MaxValueValidator(100)]
    )

    class NoEvidence(models.TextChoices):
        """What a member with no evidence at all (nothing weighted to score) is graded."""

        NOT_REVIEWED = "unreviewed", _("Not reviewed")  # 未评议
        UNSATISFACTORY = "unsatisfactory", _("Unsatisfactory")  # 不合格

    target_hours = models.PositiveSmallIntegerField(
        _("target service hours per year"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(2000)],
    )
    no_evidence_grade = models.CharField(
        _("a member with no record at all is graded"),
        max_length=16,
        choices=NoEvidence.choices,
        default=NoEvidence.NOT_REVIEWED,
        help_text=_(
            "A member with no service record, no due visit, no review and no assessment in "
            "the year has nothing to score."
        ),
    )
    updated_by = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("annual review weights")
        verbose_name_plural = _("annual review weights")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    pledge_fulfilment=100
                    - models.F("hours")
                    - models.F("resident_ratings")
                    - models.F("organisation")
                    - models.F("self_assessment")
                ),
                name="review_weights_sum_100",
            ),
            models.CheckConstraint(condition=models.Q(target_hours__gte=1), name="weights_target"),
            models.CheckConstraint(
                condition=models.Q(no_evidence_grade__in=["unreviewed", "unsatisfactory"]),
                name="weights_no_evidence_grade_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.street} · " + "/".join(str(getattr(self, c)) for c in self.COMPONENTS)

    @classmethod
    def for_street(cls, street) -> "ReviewWeights":
        """The street's saved weights, or an unsaved row holding the defaults."""
        return cls.objects.filter(street=street).first() or cls(street=street, **cls.DEFAULTS)

    @property
    def total(self) -> int:
        return sum(getattr(self, c) for c in self.COMPONENTS)


class SharedAnnualSummary(models.Model):
    """The headline figures of an annual review, kept in the database so that one worker
    process's computation serves every other (reviews/shared.py; issue 17).

    Keyed by the summary's cache key, which holds the street's data version: a write to
    anything the figures read gives a new key, so a row is never read after a write. Rows
    older than PUBLIC_PAGE_CACHE_SECONDS are neither read nor kept (deleted on the next
    store). Plain numbers and the scope's name only: no member is named here."""

    key = models.CharField(max_length=100, unique=True)
    figures = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("shared annual review summary")
        verbose_name_plural = _("shared annual review summaries")

    def __str__(self) -> str:
        return self.key
