"""Reads for the diary: what a week's or a month's records say, and the articles to show."""

from django.utils import timezone

from pledgeloop.people.consents import public_consent_q
from pledgeloop.service.models import ServicePhoto, ServiceRecord
from pledgeloop.stats import indicators, rollups, selectors
from pledgeloop.stats.periods import Period
from pledgeloop.stats.scope import Scope
from pledgeloop.teams.projects import milestones_done_between

from .models import Article


def published_articles():
    return Article.objects.filter(state=Article.State.PUBLISHED).select_related(
        "street", "community"
    )


def period_summary(*, street_id: int, community_id: int | None, period: Period) -> dict:
    """Counts, category mix, highlights and publishable photos for a draft article.

    Highlights come only from records whose beneficiary (the person who may be described)
    gave PUBLIC consent and has not withdrawn it, or from records with no beneficiary.
    Photos are stricter (C12: separate consent before a person or photo appears on a
    public page): only from records whose beneficiary gave that consent.
    """
    rollups.ensure_fresh()
    scope = Scope(street_id, community_id)
    figures = indicators.headline(scope, period)
    categories = [row for row in selectors.category_table(scope, period).rows if row[1]]
    start, end = period.bounds
    records = ServiceRecord.objects.filter(
        street_id=street_id, started_at__gte=start, started_at__lt=end
    )
    if community_id:
        records = records.filter(community_id=community_id)
    publishable = records.filter(public_consent_q())
    highlights = list(
        publishable.exclude(note="")
        .select_related("category", "community")
        .order_by("-hours", "started_at")[:5]
    )
    photos = list(
        ServicePhoto.objects.filter(record__in=records.filter(public_consent_q(allow_none=False)))
        .select_related("record")
        .order_by("record__started_at", "id")[:6]
    )
    return {
        "figures": figures,
        "served": indicators.participants(scope, period),
        # Services whose record names no member (a queue number served at a booth: the
        # worker's shift holds the time), which count as services but add no member and no
        # hours: the draft says so, or "1 service, 0 members, 0 hours" reads as a mistake.
        "without_members": records.filter(participants__isnull=True).count(),
        "categories": categories,
        "highlights": highlights,
        "photos": photos,
        # Project updates: the milestones of the street's (or community's) projects done
        # in the period (teams.projects), so residents following a project read of it.
        "milestones": list(
            milestones_done_between(
                street_id=street_id,
                community_id=community_id,
                start=period.start,
                end=period.end,
            )
        ),
        "generated_at": timezone.now(),
    }
