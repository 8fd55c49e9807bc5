"""Rollups that the indicators read (DESIGN.md §5, C8, §9).

Derived data only: every row here is recomputed from the raw records by stats/rollups.py and
can be thrown away and rebuilt at any time (`manage.py stats_refresh --full`). The raw tables
stay the truth; stats/definitions.py computes the same figures from them directly, and a
test holds the two to identical results.

- DayFigures: one row per (street, community, category, local day) with additive counts
  (no community: a street-wide event's volunteer hours, in the street's figure only).
- MonthFigures: the same summed by local month, for whole-month periods.
- MemberMonth: one row per (member, local month) with the member's records and hours, for
  the ranking and the member pages.
- MemberYear: MemberMonth folded by local year into a bit per month, for the participation
  rate (a distinct count, which days cannot add up): one row per member and year to test.
- DirtyDay / RollupState: what changed since the last refresh.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayFigures(models.Model):
    street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE, related_name="+")
    # Empty for a street-wide event's volunteer hours (definitions.service_hours).
    community = models.ForeignKey(
        "orgs.Community", on_delete=models.CASCADE, null=True, related_name="+"
    )
    category = models.ForeignKey(
        "orgs.Category", on_delete=models.CASCADE, null=True, related_name="+"
    )
    day = models.DateField()
    # Service records started that day, and those that fulfil a dispatched order.
    records = models.PositiveIntegerField(default=0)
    on_order_records = models.PositiveIntegerField(default=0)
    # Volunteer hours: Σ record hours × participants of the record, plus non-member
    # volunteers' event hours (teams.Attendance).
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # Orders that reached done that day (done_at).
    orders_done = models.PositiveIntegerField(default=0)
    # Orders triaged that day, and how many of those are now done (a cohort).
    orders_triaged = models.PositiveIntegerField(default=0)
    orders_triaged_done = models.PositiveIntegerField(default=0)
    # Orders first dispatched that day, and how many of those were accepted in time.
    orders_dispatched = models.PositiveIntegerField(default=0)
    orders_responded = models.PositiveIntegerField(default=0)
    # Reviews written that day, and those rated 4 or 5.
    reviews = models.PositiveIntegerField(default=0)
    reviews_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        indexes = [
            models.Index(fields=["street", "day"], name="stats_day_street_day"),
            models.Index(fields=["street", "community", "day"], name="stats_day_community_day"),
        ]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.category_id} {self.day}"


class MonthFigures(models.Model):
    """DayFigures summed by local month: what whole-month periods (most of them) read."""

    street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE, related_name="+")
    # Empty for a street-wide event's volunteer hours (definitions.service_hours).
    community = models.ForeignKey(
        "orgs.Community", on_delete=models.CASCADE, null=True, related_name="+"
    )
    category = models.ForeignKey(
        "orgs.Category", on_delete=models.CASCADE, null=True, related_name="+"
    )
    month = models.DateField()  # the first day of the local month
    records = models.PositiveIntegerField(default=0)
    on_order_records = models.PositiveIntegerField(default=0)
    hours = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    orders_done = models.PositiveIntegerField(default=0)
    orders_triaged = models.PositiveIntegerField(default=0)
    orders_triaged_done = models.PositiveIntegerField(default=0)
    orders_dispatched = models.PositiveIntegerField(default=0)
    orders_responded = models.PositiveIntegerField(default=0)
    reviews = models.PositiveIntegerField(default=0)
    reviews_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("monthly figures")
        verbose_name_plural = _("monthly figures")
        indexes = [
            # The city's months read every street's rows: a multi-shard query on Citus.
            models.Index(fields=["street", "month"], name="stats_month_street_month"),
        ]

    def __str__(self) -> str:
        return f"{self.community_id}/{self.category_id} {self.month:%Y-%m}"


class MemberMonth(models.Model):
    # The street of the records (the member's street: a record's members share its street).
    street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("people.Member", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the local month
    records = models.PositiveIntegerField(default=0)
    hours = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("member's month")
        verbose_name_plural = _("members' months")
        indexes = [models.Index(fields=["street", "month", "member"], name="stats_mm_street")]
        constraints = [
            # With the street, like MemberYear: a member who moved may serve in two streets
            # within a month, and the rollups run street by street.
            models.UniqueConstraint(fields=["street", "member", "month"], name="stats_mm_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"


class MemberYear(models.Model):
    """The months of one local year in which a member served, as bits: bit 0 is January, bit
    11 December. "Served in some month of the period" is then `months & mask <> 0` over one
    row per year of the period, instead of a distinct count over many member-months."""

    street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("people.Member", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    months = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("member's year")
        verbose_name_plural = _("members' years")
        indexes = [models.Index(fields=["street", "year"], name="stats_my_street")]
        constraints = [
            # The street is in the key: rollups are refreshed street by street, and a member
            # who moved may have served in two streets within one year.
            models.UniqueConstraint(fields=["street", "member", "year"], name="stats_my_unique"),
            models.CheckConstraint(
                condition=models.Q(months__gt=0, months__lt=4096), name="stats_my_months"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} {self.months:012b}"


class DirtyDay(models.Model):
    """A day whose figures changed since the last refresh (written by stats/signals.py)."""

    street = models.ForeignKey("orgs.Street", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        verbose_name = _("day to refresh")
        verbose_name_plural = _("days to refresh")
        constraints = [
            models.UniqueConstraint(fields=["street", "day"], name="stats_dirty_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.street_id} {self.day}"


class RollupState(models.Model):
    """When the rollups were refreshed and the highest raw ids they include.

    One row (key "all"). Rows added without model signals (bulk_create, the demo builder,
    imports) are found by id above these marks, so they are never missed.
    """

    key = models.CharField(max_length=10, unique=True, default="all")
    refreshed_at = models.DateTimeField()
    marks = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.key} @ {self.refreshed_at}"
