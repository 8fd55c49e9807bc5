"""Publishing a diary article on the WeChat official account, against a stand-in that answers
as the documented API does: success (the article URL recorded), an expired token (fetched
again, the call repeated), content refused, still publishing; and no account configured."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.api.models import WechatPublication
from pledgeloop.diary.models import Article
from pledgeloop.orgs.models import Category
from pledgeloop.service.models import ServicePhoto, ServiceRecord

from .wechat_standin import WechatStandIn

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def standin(settings, tmp_path):
    cache.clear()
    settings.MEDIA_ROOT = tmp_path
    settings.WECHAT_APP_ID = "wx1234567890"
    settings.WECHAT_APP_SECRET = "secret"
    server = WechatStandIn().start()
    settings.WECHAT_API_BASE = server.url
    yield server
    server.stop()
    cache.clear()


def _photo(world) -> ServicePhoto:
    started = timezone.now() - dt.timedelta(days=2)
    record = ServiceRecord.objects.create(
        street=world.street,
        community=world.community,
        category=Category.objects.filter(street=world.street).first(),
        started_at=started,
        ended_at=started + dt.timedelta(hours=1),
        hours=1,
    )
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 0)).save(out, "JPEG")
    return ServicePhoto.objects.create(
        street=world.street,
        record=record,
        image=SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg"),
    )


def _article(world, body="本周为独居老人上门服务 12 次。") -> Article:
    return Article.objects.create(
        street=world.street,
        community=world.community,
        title="星港湾服务日志 第 12 周",
        slug="xinggangwan-2026-w12",
        period_start=dt.date(2026, 3, 16),
        period_end=dt.date(2026, 3, 23),
        body=body,
        state=Article.State.PUBLISHED,
        published_at=timezone.now(),
    )


def _publish(client_for, world, article):
    client = client_for(world.community_admin)
    return client.post(reverse("console:api_wechat_publish", args=[article.pk]), follow=True)


def test_publishing_uploads_photos_and_cover_and_records_the_article_url(
    world, client_for, standin
):
    photo = _photo(world)
    article = _article(world, body=f"上门服务。\n\n![服务照片](/photos/service/{photo.pk}/)")
    response = _publish(client_for, world, article)
    publication = WechatPublication.objects.get()
    assert publication.state == WechatPublication.State.PUBLISHED
    assert publication.article_url == "https://mp.weixin.qq.com/s/abcDEF"
    assert (publication.media_id, publication.publish_id) == ("DRAFT_MEDIA_ID", "2247483999")
    paths = [path for path, _body in standin.calls]
    assert paths == [
        "/cgi-bin/media/uploadimg",
        "/cgi-bin/material/add_material",
        "/cgi-bin/draft/add",
        "/cgi-bin/freepublish/submit",
        "/cgi-bin/freepublish/get",
    ]
    [draft] = standin.drafts
    content = draft["articles"][0]["content"]
    assert 'src="http://mmbiz.qpic.cn/mmbiz_jpg/1/0"' in content and "/photos/" not in content
    assert draft["articles"][0]["thumb_media_id"] == "COVER_MEDIA_ID"
    assert "https://mp.weixin.qq.com/s/abcDEF" in response.content.decode()
    assert len(standin.token_requests) == 1  # the token is kept, not fetched per call


def test_an_expired_token_is_fetched_again_and_the_call_repeated(world, client_for, standin):
    article = _article(world)
    _publish(client_for, world, article)
    standin.expire_tokens()
    standin.calls.clear()
    _publish(client_for, world, article)
    assert [r["force_refresh"] for r in standin.token_requests] == [False, True]
    assert WechatPublication.objects.filter(state="published").count() == 2


def test_refused_content_is_recorded_and_said(world, client_for, standin):
    standin.refuse_content = "违规"
    article = _article(world, body="一段违规内容")
    response = _publish(client_for, world, article)
    publication = WechatPublication.objects.get()
    assert publication.state == WechatPublication.State.FAILED
    assert "45166" in publication.message and "45166" in response.content.decode()
    assert not standin.drafts


def test_a_publication_still_in_progress_is_looked_up_again(world, client_for, standin):
    standin.publish_status = 1
    article = _article(world)
    _publish(client_for, world, article)
    publication = WechatPublication.objects.get()
    assert publication.state == WechatPublication.State.SUBMITTED
    standin.publish_status = 0
    client = client_for(world.community_admin)
    client.post(reverse("console:api_wechat_refresh", args=[publication.pk]))
    publication.refresh_from_db()
    assert publication.state == "published" and publication.article_url.endswith("abcDEF")


def test_without_an_account_the_console_says_so_and_nothing_is_sent(world, client_for, settings):
    settings.WECHAT_APP_ID = ""
    settings.WECHAT_APP_SECRET = ""
    article = _article(world)
    client = client_for(world.community_admin)
    page = client.get(reverse("console:api_wechat")).content.decode()
    assert 'data-wechat="not-configured"' in page
    response = client.post(reverse("console:api_wechat_publish", args=[article.pk]), follow=True)
    assert "WECHAT_APP_ID" in response.content.decode()
    assert not WechatPublication.objects.exists()
    assert Article.objects.get(pk=article.pk).state == Article.State.PUBLISHED


def test_only_the_articles_editors_may_publish(world, client_for, standin):
    article = _article(world)
    for user in [world.outsider, world.member]:
        client = client_for(user)
        response = client.post(reverse("console:api_wechat_publish", args=[article.pk]))
        assert response.status_code in {403, 404}
    assert not standin.calls and not WechatPublication.objects.exists()
