"""服务日志: published write-ups of a week's or a month's service (DESIGN.md C9)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    street = models.ForeignKey("orgs.Street", on_delete=models.PROTECT, verbose_name=_("street"))
    # None: the whole street's diary; otherwise one community's.
    community = models.ForeignKey(
        "orgs.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="diary_articles",
        verbose_name=_("community"),
    )
    title = models.CharField(_("title"), max_length=120)
    # Unique with the street (article_slug_unique: Citus needs the street in every unique
    # key), and city-wide too by services._unique_slug (it starts with the street's slug);
    # indexed alone for /diary/<slug>/, which names no street.
    slug = models.SlugField(_("address"), max_length=80)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (excluded)"))
    body = models.TextField(_("text (Markdown)"), max_length=50_000)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("diary article")
        verbose_name_plural = _("diary articles")
        ordering = ["-published_at", "-created_at", "-id"]
        indexes = [models.Index(fields=["street", "state", "published_at"], name="diary_published")]
        constraints = [
            models.UniqueConstraint(fields=["street", "slug"], name="article_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="diary_period_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="published") | models.Q(published_at__isnull=False),
                name="diary_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED
