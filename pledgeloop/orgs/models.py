"""Streets, communities, grids, sites and categories (DESIGN.md §2, C1).

Every tenant table carries the street key (`street`), so that the data can later be
sharded by street (DESIGN.md §9) and every query can be scoped by it.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

LATITUDE = [MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))]
LONGITUDE = [MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))]
# A number residents can dial: digits, with dashes or spaces between groups (0513-8350 1001,
# 13812345678, 12345); the same rule in the database (community_phone_dialable).
DIALABLE = r"^[0-9]+([- ][0-9]+)*$"


class Street(models.Model):
    """街道: the tenant, the top of one deployment's org tree."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Empty: settings.ORDER_RETENTION_DAYS. The privacy notice states the figure in force.
    order_retention_days = models.PositiveIntegerField(
        _("days a closed order is kept before it is made anonymous"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the site's default."),
    )

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def retention_days(self) -> int:
        return self.order_retention_days or settings.ORDER_RETENTION_DAYS


class Community(models.Model):
    """社区: owns its members, residents and orders."""

    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street")
    )
    name = models.CharField(_("name"), max_length=60)
    # Looked up with its street: community_slug_unique (street, slug) is the index.
    slug = models.SlugField(_("slug"), db_index=False)
    # The office's public number, not a person's: the resident pages that say "call your
    # community" give it, and the intake form offers it to whoever would rather not type.
    phone = models.CharField(
        _("phone for residents"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(DIALABLE, _("Enter digits, with dashes or spaces between groups."))
        ],
        help_text=_("The community office's number, shown to residents (e.g. 0513-8350 1001)."),
    )

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["street", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["street", "slug"], name="community_slug_unique"),
            models.UniqueConstraint(fields=["street", "name"], name="community_name_unique"),
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=DIALABLE),
                name="community_phone_dialable",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """网格: a community's patrol unit, with a grid worker."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="grids", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "community", "name"], name="grid_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.name}"


class Site(models.Model):
    """A place with coordinates: a service centre, a residential compound or a building, or
    another place of the 15-minute service circle (an enterprise, a school, a mall)."""

    class Kind(models.TextChoices):
        CENTRE = "centre", _("Party and public service centre")
        COMPOUND = "compound", _("Residential compound")
        BUILDING = "building", _("Building")
        ENTERPRISE = "enterprise", _("Enterprise")
        SCHOOL = "school", _("School")
        MALL = "mall", _("Shopping mall")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="sites", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("grid")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=80)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, validators=LATITUDE
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, validators=LONGITUDE
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["community", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                & models.Q(longitude__gte=-180, longitude__lte=180),
                name="site_point_valid",
            ),
        ]

    def __str__(self) -> str:
        if self.parent_id:
            return f"{self.parent.name} {self.name}"
        return self.name


class Category(models.Model):
    """需求类别: six by default per street (DESIGN.md §2), editable by the street."""

    street = models.ForeignKey(
        Street, on_delete=models.CASCADE, related_name="categories", verbose_name=_("street")
    )
    code = models.SlugField(_("code"), max_length=30, db_index=False)  # category_code_unique
    name = models.CharField(_("name"), max_length=30)
    icon = models.CharField(
        _("icon"), max_length=8, blank=True, help_text=_("An emoji shown on large buttons.")
    )
    # Service-level deadlines (DESIGN.md §3): respond within, finish within.
    respond_hours = models.PositiveIntegerField(_("respond within (hours)"), default=24)
    finish_days = models.PositiveIntegerField(_("finish within (days)"), default=7)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["street", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="category_code_unique"),
            models.UniqueConstraint(fields=["street", "name"], name="category_name_unique"),
            models.CheckConstraint(
                condition=models.Q(respond_hours__gt=0), name="category_respond_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(finish_days__gt=0), name="category_finish_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The six default categories of DESIGN.md §2: (code, Chinese name, icon, respond h, finish d)
DEFAULT_CATEGORIES = [
    ("elderly-children", "助老扶幼", "👵", 24, 7),
    ("environment", "环境整治", "🧹", 48, 14),
    ("skills", "技能帮扶", "🛠️", 48, 14),
    ("legal", "法律服务", "⚖️", 48, 14),
    ("health", "健康义诊", "🩺", 24, 7),
    ("repairs", "便民维修", "🔧", 24, 3),
]


class StreetVersion(models.Model):
    """The street's data version: bumped by the database itself (triggers, orgs/versions.py)
    on every write to a table the public pages show, so that a page cached under it
    (orgs/pagecache.py) is never served after its street's data changed.

    Not a foreign key in the database (db_constraint=False): a trigger bumps the street of a
    row being deleted together with its street, and a street's last version row is harmless.
    """

    street = models.OneToOneField(
        Street,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="data_version",
    )
    n = models.BigIntegerField(default=1)

    class Meta:
        verbose_name = _("street data version")

    def __str__(self) -> str:
        return f"{self.street_id}: {self.n}"
