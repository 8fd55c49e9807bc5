"""The demo publishes a year of the street's diary, drafted from its own records (issue 14,
part 8): /diary/ and its Atom feed are full, every entry leads to a real article, and photos
appear only where the resident's PUBLIC consent stands."""

import datetime as dt
import re

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.demo.builder import demo_load
from pledgeloop.diary.models import Article
from pledgeloop.diary.selectors import public_consent_q
from pledgeloop.service.models import ServicePhoto, ServiceRecord

pytestmark = pytest.mark.django_db(transaction=False)
TODAY = dt.date(2026, 11, 28)


def test_the_demo_diary_is_a_year_of_articles_from_the_records_with_a_full_feed(client):
    demo_load(seed=2026, today=TODAY)
    published = Article.objects.filter(state=Article.State.PUBLISHED)
    months = published.filter(community__isnull=True)
    assert months.count() == 12
    assert sorted(a.period_start for a in months) == [
        dt.date(2025 + (10 + m) // 12, (10 + m) % 12 + 1, 1) for m in range(12)
    ]
    assert published.filter(community__isnull=False).count() >= 20
    # Drafted from the records, not typed: each month's figures are the month's own.
    for article in months:
        served = re.search(r"共开展服务 (\d+) 次", article.body)
        assert served, article.body[:200]
        start, end = (
            timezone.make_aware(dt.datetime.combine(day, dt.time()))
            for day in (article.period_start, article.period_end)
        )
        records = ServiceRecord.objects.filter(started_at__gte=start, started_at__lt=end)
        assert int(served[1]) == records.count() > 0
        assert "## 数据一览" in article.body and "![服务照片]" in article.body
        assert article.published_at.date() > article.period_start
        assert article.published_at.date() <= TODAY

    # Photos only from services to residents whose PUBLIC consent stands.
    photos = ServicePhoto.objects.all()
    assert photos.exists()
    publishable = set(photos.filter(record__in=_consented_records()).values_list("pk", flat=True))
    assert publishable and publishable != set(photos.values_list("pk", flat=True))
    shown = set()
    for body in published.values_list("body", flat=True):
        shown |= {int(pk) for pk in re.findall(r"/photos/service/(\d+)/", body)}
    assert shown, "no article shows a photo"
    assert shown <= publishable

    listing = client.get(reverse("diary:list"))
    assert listing.status_code == 200
    assert listing.content.decode().count('href="/diary/') >= 10

    feed = feedparser.parse(client.get("/diary/feed.atom").content)
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) >= 12
    for entry in feed.entries:
        assert entry.title and entry.summary
        path = re.sub(r"^https?://[^/]+", "", entry.link)
        assert path.startswith("/diary/")
        page = client.get(path)
        assert page.status_code == 200, path
        assert entry.title in page.content.decode()


def _consented_records():
    return ServiceRecord.objects.filter(public_consent_q(allow_none=False))
