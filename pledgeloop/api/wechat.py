"""Publishing diary articles on the street's WeChat official account (公众号).

The documented API (developers.weixin.qq.com, 公众号 › 草稿箱 / 发布能力 / 素材管理):
- access token: POST /cgi-bin/stable_token (the same token for every process while it is
  valid, so workers do not invalidate each other's), kept in Django's cache until shortly
  before `expires_in`; an answer with errcode 40001 / 40014 / 42001 (invalid or expired token)
  fetches a fresh one (`force_refresh`) and tries the call once more;
- the images inside the article: POST /cgi-bin/media/uploadimg (multipart `media`) → `url`;
- the cover: POST /cgi-bin/material/add_material?type=image → `media_id`;
- POST /cgi-bin/draft/add {"articles": [...]} → `media_id` of the draft;
- POST /cgi-bin/freepublish/submit {"media_id"} → `publish_id`;
- POST /cgi-bin/freepublish/get {"publish_id"} → `publish_status` (0 published, 1 publishing,
  2–6 failed) and `article_detail.item[].article_url`.

WECHAT_APP_ID / WECHAT_APP_SECRET come from the environment; without them the console says
the account is not connected and nothing is sent or changed. WECHAT_API_BASE points the
client at a stand-in in tests (api/tests/wechat_standin.py answers as the API does).
"""

import io
import json
import re
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image

from pledgeloop.diary.models import Article
from pledgeloop.diary.rendering import wechat_html
from pledgeloop.people.models import User
from pledgeloop.service.models import ServicePhoto

from .models import WechatPublication

EXPIRED_TOKEN = {40001, 40014, 42001}
PHOTO_SRC = re.compile(r'src="[^"]*/photos/service/(\d+)/"')
PUBLISHED, PUBLISHING = 0, 1


class WechatError(Exception):
    """The account or the API refused; the message says what to do."""


def is_configured() -> bool:
    return bool(settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET)


class WechatClient:
    def __init__(self, app_id: str, secret: str, base: str):
        self.app_id = app_id
        self.secret = secret
        self.base = base.rstrip("/")

    @property
    def _cache_key(self) -> str:
        return f"wechat-token:{self.app_id}"

    def _send(self, path: str, *, data: bytes, content_type: str) -> dict:
        url = self.base + path
        if not url.lower().startswith(("http://", "https://")):
            raise WechatError(_("WECHAT_API_BASE must be an http(s) address."))
        request = urllib.request.Request(  # noqa: S310 - checked just above
            url, data=data, method="POST", headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.WECHAT_TIMEOUT_SECONDS
            ) as response:
                return json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise WechatError(
                _("The WeChat API could not be reached (%(e)s); try again later.")
                % {"e": str(getattr(error, "reason", error))[:100]}
            ) from None

    def access_token(self, *, refresh: bool = False) -> str:
        token = None if refresh else cache.get(self._cache_key)
        if token:
            return token
        body = json.dumps(
            {
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self.secret,
                "force_refresh": refresh,
            }
        ).encode()
        answer = self._send("/cgi-bin/stable_token", data=body, content_type="application/json")
        if "access_token" not in answer:
            raise WechatError(
                _("WeChat refused the account's AppID/secret (%(code)s %(msg)s).")
                % {"code": answer.get("errcode"), "msg": answer.get("errmsg", "")}
            )
        expires = int(answer.get("expires_in", 7200))
        cache.set(self._cache_key, answer["access_token"], max(60, expires - 300))
        return answer["access_token"]

    def call(self, path: str, *, json_body=None, file: tuple[str, bytes] | None = None) -> dict:
        """POST to the API with the access token; once more with a fresh token when WeChat
        says it expired. An answer with a non-zero errcode is a WechatError."""
        for attempt in range(2):
            token = self.access_token(refresh=attempt > 0)
            separator = "&" if "?" in path else "?"
            url = f"{path}{separator}access_token={token}"
            if file is not None:
                data, content_type = _multipart("media", *file)
            else:
                data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
                content_type = "application/json"
            answer = self._send(url, data=data, content_type=content_type)
            code = answer.get("errcode", 0)
            if code in EXPIRED_TOKEN and attempt == 0:
                cache.delete(self._cache_key)
                continue
            if code:
                raise WechatError(
                    _("WeChat refused: %(code)s %(msg)s")
                    % {"code": code, "msg": answer.get("errmsg", "")}
                )
            return answer
        raise WechatError(_("WeChat keeps refusing the access token."))


def _multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
        f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def client() -> WechatClient:
    if not is_configured():
        raise WechatError(
            _(
                "No WeChat official account is connected: set WECHAT_APP_ID and "
                "WECHAT_APP_SECRET (docs/API.md). Nothing was sent."
            )
        )
    return WechatClient(
        settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET, settings.WECHAT_API_BASE
    )


def _jpeg(data: bytes) -> bytes:
    """An image as a JPEG WeChat takes (uploadimg: jpg/png under 1 MB)."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.thumbnail((1280, 1280))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _cover(photos: list[bytes]) -> bytes:
    """The first photo, or a plain party-red cover when the article has none."""
    if photos:
        return photos[0]
    out = io.BytesIO()
    Image.new("RGB", (900, 383), (200, 22, 29)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _content(article: Article, wechat: WechatClient, base_url: str) -> tuple[str, list[bytes]]:
    """The article's WeChat HTML with its photos uploaded to WeChat (uploadimg), and the
    photos' bytes (the first becomes the cover)."""
    html = wechat_html(article.body, title=article.title, base_url=base_url)
    photos: list[bytes] = []
    for photo_id in dict.fromkeys(PHOTO_SRC.findall(html)):
        photo = ServicePhoto.objects.filter(pk=photo_id).first()
        if photo is None or not photo.image:
            continue
        with photo.image.open("rb") as handle:
            data = _jpeg(handle.read())
        url = wechat.call("/cgi-bin/media/uploadimg", file=(f"{photo_id}.jpg", data))["url"]
        html = re.sub(rf'src="[^"]*/photos/service/{photo_id}/"', f'src="{url}"', html)
        photos.append(data)
    return html, photos


def wechat_publish(*, article: Article, by: User, base_url: str) -> WechatPublication:
    """Upload the article's photos and cover, create a draft, submit it for publication and
    record the outcome (with the article's URL once WeChat has published it)."""
    if article.state != Article.State.PUBLISHED:
        raise WechatError(_("Publish the article on the diary first."))
    wechat = client()
    record = WechatPublication(street_id=article.street_id, article=article, by=by)
    try:
        content, photos = _content(article, wechat, base_url)
        cover = wechat.call(
            "/cgi-bin/material/add_material?type=image", file=("cover.jpg", _cover(photos))
        )
        draft = wechat.call(
            "/cgi-bin/draft/add",
            json_body={
                "articles": [
                    {
                        "title": article.title[:64],
                        "author": article.street.name[:16] if article.street_id else "",
                        "digest": "",
                        "content": content,
                        "content_source_url": f"{base_url.rstrip('/')}/diary/{article.slug}/",
                        "thumb_media_id": cover["media_id"],
                        "need_open_comment": 0,
                        "only_fans_can_comment": 0,
                    }
                ]
            },
        )
        record.media_id = draft["media_id"]
        submitted = wechat.call(
            "/cgi-bin/freepublish/submit", json_body={"media_id": record.media_id}
        )
        record.publish_id = str(submitted["publish_id"])
        record.state = WechatPublication.State.SUBMITTED
    except WechatError as error:
        record.state = WechatPublication.State.FAILED
        record.message = str(error)[:300]
    with transaction.atomic():
        record.save()
    if record.state == WechatPublication.State.SUBMITTED:
        return wechat_publication_refresh(publication=record, wechat=wechat)
    return record


def wechat_publication_refresh(
    *, publication: WechatPublication, wechat: WechatClient | None = None
) -> WechatPublication:
    """Ask WeChat how a submitted publication went (freepublish/get) and record it."""
    if publication.state != WechatPublication.State.SUBMITTED:
        return publication
    wechat = wechat or client()
    try:
        answer = wechat.call(
            "/cgi-bin/freepublish/get", json_body={"publish_id": publication.publish_id}
        )
    except WechatError as error:
        publication.message = str(error)[:300]
        publication.save(update_fields=["message"])
        return publication
    status = answer.get("publish_status")
    if status == PUBLISHED:
        items = (answer.get("article_detail") or {}).get("item") or []
        publication.state = WechatPublication.State.PUBLISHED
        publication.article_url = items[0].get("article_url", "")[:500] if items else ""
        publication.message = ""
    elif status == PUBLISHING:
        publication.message = _("WeChat is still publishing; look again in a minute.")
    else:
        publication.state = WechatPublication.State.FAILED
        publication.message = _(
            "WeChat did not publish it (status %(s)s): the content was refused or removed."
        ) % {"s": status}
    publication.save(update_fields=["state", "article_url", "message"])
    return publication
