"""A photo chosen on a form that comes back with a mistake elsewhere is kept on the server for
a while (lib/photos.py, KeepsPhoto): the page says so, carries a signed token, and the next
send without a new file stores it, cleaned like any upload. Forged, expired and dropped tokens
are simply ignored. The resident's order form and the member's patrol report."""

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.lib import photos
from pledgeloop.lib.photos import KEPT_PHOTO_MAX_AGE, KEPT_PHOTO_SALT, kept_photos_prune
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category

from .test_intake import intake_url, order_data
from .test_intake_abuse import decodes  # noqa: F401 (a fixture)
from .test_photos import GPS_IFD, gps_exif

PATROL = reverse("orders:patrol")
KEPT_LINE = "已保留您选的照片（IMG_1234.jpg，"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def kept_dir(settings, tmp_path) -> Path:
    settings.PHOTO_KEPT_DIR = tmp_path / "kept"
    return settings.PHOTO_KEPT_DIR


def kept_files(kept_dir: Path) -> list[Path]:
    return sorted(kept_dir.iterdir()) if kept_dir.exists() else []


def photo(name="IMG_1234.jpg", size=(640, 480)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 140, 200)).save(buffer, "JPEG", exif=gps_exif())
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def token_in(html: str, field="photo") -> str:
    found = re.search(rf'name="{field}_kept" value="([^"]+)"', html)
    assert found, f"no {field}_kept token on the page"
    return found.group(1)


def stored_image(order: Order) -> Image.Image:
    with order.photo.open("rb") as stored:
        image = Image.open(stored)
        image.load()
    return image


# --- the resident's order form ----------------------------------------------------------------


def send_without_consent(client, world) -> str:
    data = {**order_data(world, consent=None), "photo": photo()}
    response = client.post(intake_url(world), data)
    assert response.status_code == 200
    return response.text


def test_a_photo_is_kept_when_the_consent_tick_is_missing(world, client, kept_dir, decodes):  # noqa: F811
    html = send_without_consent(client, world)
    assert "请勾选同意隐私说明" in html
    assert KEPT_LINE in html and "不用重新选择" in html
    assert "不要这张照片" in html
    assert "请重新选一次" not in html
    assert token_in(html)
    assert len(kept_files(kept_dir)) == 1
    # Kept as it came, and not decoded: the order could not be taken (issue 12).
    assert decodes == []
    assert not Order.objects.exists()


def test_the_kept_photo_is_stored_with_the_order_sent_again(world, client, kept_dir):
    token = token_in(send_without_consent(client, world))
    response = client.post(intake_url(world), {**order_data(world), "photo_kept": token})
    assert response.status_code == 302
    image = stored_image(Order.objects.get())
    # Re-encoded by photo_clean: a real JPEG, without the phone's GPS position.
    assert image.format == "JPEG" and image.size == (640, 480)
    assert not image.getexif().get_ifd(GPS_IFD) and "exif" not in image.info
    assert kept_files(kept_dir) == []  # removed once used


def test_a_kept_photo_is_kept_again_after_a_second_mistake(world, client, kept_dir):
    token = token_in(send_without_consent(client, world))
    data = {**order_data(world, phone="123"), "photo_kept": token}
    html = client.post(intake_url(world), data).text
    assert "11 位" in html and KEPT_LINE in html
    second = token_in(html)
    assert second != token and len(kept_files(kept_dir)) == 1
    # The first token's file went when it was read: it works once.
    sent = client.post(intake_url(world), {**order_data(world), "photo_kept": second})
    assert sent.status_code == 302
    assert Order.objects.get().photo


def test_a_newly_chosen_photo_wins_over_the_kept_one(world, client, kept_dir):
    token = token_in(send_without_consent(client, world))
    data = {**order_data(world), "photo_kept": token, "photo": photo("new.jpg", (300, 200))}
    assert client.post(intake_url(world), data).status_code == 302
    assert stored_image(Order.objects.get()).size == (300, 200)
    assert kept_files(kept_dir) == []


def test_a_dropped_photo_is_not_stored_and_its_file_goes(world, client, kept_dir):
    token = token_in(send_without_consent(client, world))
    data = {**order_data(world), "photo_kept": token, "photo_drop": "1"}
    assert client.post(intake_url(world), data).status_code == 302
    assert not Order.objects.get().photo
    assert kept_files(kept_dir) == []


def test_a_forged_token_is_ignored(world, client, kept_dir):
    token = token_in(send_without_consent(client, world))
    [kept] = kept_files(kept_dir)
    forged = {
        "bad-signature": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "another-salt": signing.dumps([[kept.name, "x.jpg", 1]], salt="other"),
        "a-path": signing.dumps([["../../media/x", "x.jpg", 1]], salt=KEPT_PHOTO_SALT),
        "garbage": "not a token",
    }
    for name, value in forged.items():
        data = {**order_data(world, phone="123"), "photo_kept": value}
        html = client.post(intake_url(world), data).text
        assert "11 位" in html, name
        assert "已保留您选的照片" not in html and "请重新选一次" not in html, name
    sent = client.post(intake_url(world), {**order_data(world), "photo_kept": forged["garbage"]})
    assert sent.status_code == 302
    assert not Order.objects.get().photo
    assert kept_files(kept_dir) == [kept]  # a forged token deletes nothing either


def test_an_expired_token_is_ignored(world, client, kept_dir):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = token_in(send_without_consent(client, world))
        traveller.shift(KEPT_PHOTO_MAX_AGE + dt.timedelta(seconds=1))
        data = {**order_data(world), "photo_kept": token}
        assert client.post(intake_url(world), data).status_code == 302
    assert not Order.objects.get().photo


def test_a_kept_photo_outlasts_a_refusal_over_the_limit(world, client, kept_dir, settings):
    """Over the address's hourly limit the order is refused (429) before anything is read: the
    kept photo stays, under its token, for when the resident may send again."""
    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 1
    token = token_in(send_without_consent(client, world))  # the one refusal the hour allows
    [kept] = kept_files(kept_dir)
    refused = client.post(intake_url(world), {**order_data(world), "photo_kept": token})
    assert refused.status_code == 429
    assert "请一小时后再试" in refused.text
    assert KEPT_LINE in refused.text and "请重新选一次" not in refused.text
    assert token_in(refused.text) == token
    assert kept_files(kept_dir) == [kept]
    assert not Order.objects.exists()

    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 10  # the hour has passed
    sent = client.post(intake_url(world), {**order_data(world), "photo_kept": token})
    assert sent.status_code == 302
    assert stored_image(Order.objects.get()).size == (640, 480)
    assert kept_files(kept_dir) == []


def test_a_new_photo_over_the_limit_is_not_kept(world, client, kept_dir, settings):
    """A new upload refused over the limit is neither read nor kept: the limit bounds what is
    kept. The page asks for it again."""
    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 1
    token_in(send_without_consent(client, world))
    kept_before = kept_files(kept_dir)
    refused = client.post(intake_url(world), {**order_data(world), "photo": photo()})
    assert refused.status_code == 429
    assert "请重新选一次" in refused.text and 'name="photo_kept"' not in refused.text
    assert kept_files(kept_dir) == kept_before


def test_a_bad_photo_is_not_kept_and_the_page_asks_for_another(world, client, kept_dir):
    not_a_photo = SimpleUploadedFile("IMG_1234.jpg", b"not a photo" * 50, "image/jpeg")
    data = {**order_data(world, consent=None), "photo": not_a_photo}
    html = client.post(intake_url(world), data).text
    assert "已保留您选的照片" not in html and 'name="photo_kept"' not in html
    assert "请重新选一次" in html
    assert kept_files(kept_dir) == []


def test_a_post_without_a_photo_keeps_nothing_and_touches_no_folder(
    world, client, kept_dir, monkeypatch
):
    """The hot path (bench/intake.py): without a photo or a token, keeping costs nothing."""

    def no_folder():
        raise AssertionError("the kept photos' folder was looked at")

    monkeypatch.setattr(photos, "_kept_dir", no_folder)
    html = client.post(intake_url(world), order_data(world, consent=None)).text
    assert "请勾选同意隐私说明" in html
    assert 'name="photo_kept"' not in html and "请重新选一次" not in html
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    assert not kept_dir.exists()


# --- the member's patrol report ---------------------------------------------------------------


def patrol_data(world, **changes) -> dict:
    data = {
        "community": world.community.pk,
        "category": Category.objects.get(street=world.street, code="environment").pk,
        "description": "小区门口路灯坏了，晚上很黑",
        "photo": photo(),
        "latitude": "31.956300",
        "longitude": "120.941900",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_patrol_photo_is_kept_when_the_place_is_missing(world, client_for, kept_dir, decodes):  # noqa: F811
    client = client_for(world.member)
    response = client.post(PATROL, patrol_data(world, latitude="", longitude=""))
    assert response.status_code == 400
    html = response.text
    assert KEPT_LINE in html and "不要这张照片" in html
    assert len(kept_files(kept_dir)) == 1
    assert decodes == []  # decoded only once everything else is right, as at intake

    data = patrol_data(world, photo=None) | {"photo_kept": token_in(html)}
    assert client.post(PATROL, data).status_code == 302
    image = stored_image(Order.objects.get(channel=Order.Channel.PATROL))
    assert image.format == "JPEG" and image.size == (640, 480)
    assert not image.getexif().get_ifd(GPS_IFD)
    assert kept_files(kept_dir) == []


@pytest.mark.parametrize("how", ["dropped", "forged", "expired"])
def test_a_patrol_report_without_a_usable_kept_photo_asks_for_one(world, client_for, how):
    client = client_for(world.member)
    html = client.post(PATROL, patrol_data(world, description="")).text
    token = token_in(html)
    data = patrol_data(world, photo=None) | {"photo_kept": token}
    if how == "dropped":
        data["photo_drop"] = "1"
    elif how == "forged":
        data["photo_kept"] = token.replace(":", ";", 1)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        if how == "expired":
            traveller.shift(KEPT_PHOTO_MAX_AGE + dt.timedelta(minutes=1))
        response = client.post(PATROL, data)
    # The patrol's photo is required: no error of ours, the form's own "take a photo".
    assert response.status_code == 400
    assert "请拍一张" in response.text
    assert "已保留您选的照片" not in response.text
    assert not Order.objects.exists()


# --- the periodic job -----------------------------------------------------------------------


def test_the_prune_job_removes_old_kept_photos_and_leaves_new_ones(world, client, kept_dir):
    send_without_consent(client, world)
    send_without_consent(client, world)
    old, new = kept_files(kept_dir)
    now = timezone.now()
    moment = (now - KEPT_PHOTO_MAX_AGE - dt.timedelta(minutes=1)).timestamp()
    os.utime(old, (moment, moment))
    stranger = kept_dir / "not-ours.txt"  # only files of our own names are touched
    stranger.write_text("x")
    os.utime(stranger, (moment, moment))
    assert kept_photos_prune(now=now) == 1
    assert kept_files(kept_dir) == sorted([new, stranger])
    assert kept_photos_prune(now=now) == 0  # idempotent


def test_the_prune_command_runs_the_job_by_hand(world, client, kept_dir):
    send_without_consent(client, world)
    [kept] = kept_files(kept_dir)
    moment = (timezone.now() - KEPT_PHOTO_MAX_AGE - dt.timedelta(minutes=1)).timestamp()
    os.utime(kept, (moment, moment))
    out = io.StringIO()
    call_command("kept_photos_prune", stdout=out)
    assert out.getvalue().startswith("1 kept photo(s)")
    assert kept_files(kept_dir) == []
