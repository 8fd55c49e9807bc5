"""The service diary: drafting from records, sanitised Markdown, publishing, feed, WeChat."""

import datetime as dt
from decimal import Decimal

import feedparser
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from pledgeloop.diary.models import Article
from pledgeloop.diary.rendering import render_markdown, wechat_html
from pledgeloop.diary.services import article_draft, article_publish
from pledgeloop.people.models import Consent
from pledgeloop.service.models import ServiceParticipant, ServicePhoto, ServiceRecord
from pledgeloop.service.services import service_record_in_counted_time
from pledgeloop.stats import periods

MARCH = periods.month(2026, 3)


def record(world, day, hours, note="", beneficiary=None):
    started = timezone.make_aware(dt.datetime(2026, 3, day, 9))
    r = ServiceRecord.objects.create(
        street=world.street,
        community=world.community,
        started_at=started,
        ended_at=started + dt.timedelta(hours=float(hours)),
        hours=Decimal(str(hours)),
        note=note,
        beneficiary=beneficiary,
    )
    ServiceParticipant.objects.create(street=world.street, record=r, member=world.member.member)
    return r


@pytest.fixture
def march(world):
    record(world, 3, 2, note="为王阿姨修理水龙头", beneficiary=world.resident_here)
    record(world, 10, 1, note="陪李大爷去医院", beneficiary=world.resident_there)
    return world


def draft(world, **kw):
    return article_draft(
        street=world.street,
        community=world.community,
        period=MARCH,
        kind="month",
        by=world.community_admin,
        **kw,
    )


def test_a_draft_counts_the_months_records(march):
    article = draft(march)
    assert "2026年3月" in article.title
    assert "3" in article.body  # service hours: 2 + 1
    assert article.state == Article.State.DRAFT


def test_highlights_and_photos_need_public_consent(march, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    consented, refused = ServiceRecord.objects.order_by("started_at")
    shown, hidden = (
        ServicePhoto.objects.create(
            street=march.street,
            record=r,
            image=SimpleUploadedFile(f"p{r.pk}.jpg", b"x", content_type="image/jpeg"),
        )
        for r in (consented, refused)
    )
    Consent.objects.create(
        street=march.street,
        resident=march.resident_here,
        purpose=Consent.Purpose.PUBLIC,
        notice_version="1",
        source="test",
    )
    # 李四 consented once, then withdrew: neither the note nor the photo may appear.
    Consent.objects.create(
        street=march.street,
        resident=march.resident_there,
        purpose=Consent.Purpose.PUBLIC,
        notice_version="1",
        source="test",
        withdrawn_at=timezone.now(),
    )
    body = draft(march).body
    assert "修理水龙头" in body
    assert "**：为王阿姨修理水龙头" in body  # after a full-width colon: it read "**:"
    assert "</strong>：为王阿姨修理水龙头" in render_markdown(
        body
    )  # and Markdown still sets it bold
    assert "陪李大爷" not in body
    # Linked through the photo view, never by the file's /media/ address.
    assert f"(/photos/service/{shown.pk}/)" in body
    assert f"/photos/service/{hidden.pk}/" not in body and "/media/" not in body


def test_photos_of_records_without_a_beneficiary_stay_out(march, settings, tmp_path):
    """Nobody consented to appear in them, so they are not published (C12)."""
    settings.MEDIA_ROOT = tmp_path
    lone = record(march, 12, 1, note="楼道清扫")
    photo = ServicePhoto.objects.create(
        street=march.street,
        record=lone,
        image=SimpleUploadedFile(f"lone{lone.pk}.jpg", b"x", content_type="image/jpeg"),
    )
    body = draft(march).body
    assert "楼道清扫" in body
    assert f"/photos/service/{photo.pk}/" not in body


def test_markdown_is_sanitised():
    html = render_markdown(
        "## 标题\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
        '<img src="a.png" onerror="alert(1)">'
    )
    assert "<h2>标题</h2>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_wechat_html_has_inline_styles_and_absolute_images():
    html = wechat_html(
        "## 本月\n\n![照片](/media/service/a.jpg)", title="日志", base_url="https://example.org/"
    )
    assert 'src="https://example.org/media/service/a.jpg"' in html
    assert '<h2 style="' in html and "<section style=" in html


def test_admin_drafts_edits_and_publishes_then_the_public_reads_it(march, client_for, client):
    admin = client_for(march.community_admin)
    response = admin.post(
        reverse("diary:manage"),
        {"kind": "month", "day": "2026-03-15", "community": str(march.community.pk)},
    )
    article = Article.objects.get()
    assert response.status_code == 302
    admin.post(
        reverse("diary:edit", args=[article.pk]),
        {"title": "三月服务日志", "body": "## 好人好事\n\n**张三**陪伴老人。"},
    )
    admin.post(reverse("diary:act", args=[article.pk, "publish"]))
    admin.logout()
    page = client.get(reverse("diary:detail", args=[article.slug]))
    assert page.status_code == 200
    assert "<strong>张三</strong>" in page.content.decode()
    assert "三月服务日志" in client.get(reverse("diary:list")).content.decode()


def test_drafts_are_hidden_from_the_public(march, client):
    article = draft(march)
    assert client.get(reverse("diary:detail", args=[article.slug])).status_code == 404
    assert client.get(reverse("diary:wechat", args=[article.slug])).status_code == 404


@pytest.mark.parametrize("who", ["member", "resident"])
def test_members_and_residents_cannot_write(march, client_for, who):
    client = client_for(getattr(march, who))
    assert client.get(reverse("diary:manage")).status_code == 403
    article = draft(march)
    assert client.post(reverse("diary:act", args=[article.pk, "publish"])).status_code == 404


def test_another_communitys_admin_cannot_edit(march, client_for):
    article = draft(march)
    outsider = client_for(march.outsider)
    assert outsider.get(reverse("diary:edit", args=[article.pk])).status_code == 404
    assert outsider.post(reverse("diary:act", args=[article.pk, "publish"])).status_code == 404
    article.refresh_from_db()
    assert article.state == Article.State.DRAFT


def test_the_atom_feed_parses_and_lists_published_articles(march, client):
    published = article_publish(article=draft(march))
    hidden = draft(march)
    response = client.get(reverse("diary:feed"))
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert published.title in titles and len(titles) == 1
    assert hidden.slug not in response.content.decode()


def test_wechat_page_offers_a_copy_button_and_a_download(march, client):
    article = article_publish(article=draft(march))
    page = client.get(reverse("diary:wechat", args=[article.slug]))
    assert 'id="diary-copy"' in page.content.decode()
    download = client.get(reverse("diary:wechat", args=[article.slug]), {"download": "1"})
    assert "attachment" in download["Content-Disposition"]
    assert b"<section style=" in download.content


def test_the_list_takes_a_fixed_number_of_queries(march, client, django_assert_num_queries):
    for _ in range(5):
        article_publish(article=draft(march))
    with django_assert_num_queries(2):  # the count and one page, whatever its length
        response = client.get(reverse("diary:list"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("hours", "shown"),
    [(["8", "8", "4"], "20"), (["10"] * 10, "100"), (["0.25"], "0.25"), (["1.50"], "1.5")],
)
def test_the_draft_writes_the_hours_in_full_on_the_page_the_feed_and_wechat(
    world, client, hours, shown
):
    """20 h once came out as "2 小时" and 100 h as "1 小时" (trailing zeros stripped from a
    whole number)."""
    for day, h in enumerate(hours, start=1):
        record(world, day, h)
    article = article_publish(article=draft(world))
    expected = f"服务时长：{shown} 小时"
    assert expected + "\n" in article.body
    page = client.get(reverse("diary:detail", args=[article.slug])).content.decode()
    assert expected + "<" in page
    feed = client.get(reverse("diary:feed")).content.decode()
    assert expected + "&lt;" in feed or expected + "<" in feed
    wechat = client.get(reverse("diary:wechat", args=[article.slug]), {"download": "1"})
    assert expected + "<" in wechat.content.decode()


def test_a_month_of_booth_numbers_alone_does_not_read_as_a_contradiction(world):
    """A month whose only service was a queue number served at a booth (a record without
    participants: the worker's shift holds the time) read "served 1 time … members who served:
    0 … service hours: 0" (user walk 27). The draft says how many of its services carry no
    member or hours, counted from the records."""
    served_at = timezone.make_aware(dt.datetime(2026, 3, 14, 10))
    service_record_in_counted_time(
        street_id=world.street.pk,
        community_id=world.community.pk,
        category=None,
        started_at=served_at - dt.timedelta(minutes=10),
        ended_at=served_at,
        by=world.member,
    )
    body = draft(world).body
    assert "共开展服务 1 次，其中 1 次（如摊位叫号）未记录服务党员和时长。\n" in body
    assert "参与服务党员：0 人" in body and "服务时长：0 小时" in body


def test_a_month_of_members_services_has_no_line_for_services_without_members(march):
    body = draft(march).body
    assert "共开展服务 2 次。\n" in body and "未记录" not in body
