"""Intake stays fast under abuse (issue 12): cheap checks before any image is decoded, a pixel
limit read from the header, refused submissions counted toward the per-address limit."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from pledgeloop.lib.photos import PHOTO_MAX_PIXELS, photo_clean
from pledgeloop.orders.models import IntakeAttempt, Order

from .test_intake import intake_url, order_data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def decodes(monkeypatch) -> list:
    """Every image Pillow decodes during the test (a spy: the decoding still happens)."""
    seen: list = []
    original = ImageFile.ImageFile.load

    def load(image):
        seen.append(image.size)
        return original(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def jpeg(size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 80, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width × height pixels in its header; the pixel data is a stub."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    stub = zlib.compress(b"\0" * 64)
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", stub) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def with_photo(data: dict, content: bytes, name="photo.jpg", content_type="image/jpeg") -> dict:
    data["photo"] = SimpleUploadedFile(name, content, content_type=content_type)
    return data


# --- cheap checks first -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"phone": "123"}, "11 位"),
        ({"consent": None}, "请勾选同意隐私说明"),
        ({"description": ""}, "请用几句话说说需要什么帮助"),
        ({"address": ""}, "请填写地址或选择您住的楼"),
    ],
)
def test_a_photo_is_not_decoded_when_a_cheap_check_fails(world, client, decodes, change, message):
    data = with_photo(order_data(world, **change), jpeg())
    response = client.post(intake_url(world), data)
    assert message in response.text
    assert decodes == [], "the photo was decoded although the order could not be taken"
    assert not Order.objects.exists()


def test_the_photo_is_decoded_once_everything_else_is_right(world, client, decodes):
    response = client.post(intake_url(world), with_photo(order_data(world), jpeg()))
    assert response.status_code == 302
    assert decodes and Order.objects.get().photo


def test_too_many_pixels_are_refused_from_the_header_without_decoding(world, client, decodes):
    bomb = png_header_only(10_000, 6_000)  # 60 Mpx in a few hundred bytes
    data = with_photo(order_data(world), bomb, "bomb.png", "image/png")
    response = client.post(intake_url(world), data)
    assert response.status_code == 200
    assert "像素" in response.text  # says what is wrong: too many pixels
    assert decodes == []
    assert not Order.objects.exists()


def test_a_header_far_beyond_the_limit_is_refused_the_same_way(decodes):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        photo_clean(SimpleUploadedFile("x.png", png_header_only(30_000, 30_000), "image/png"))
    assert refused.value.code == "photo_too_many_pixels"
    assert decodes == []


def test_pillow_itself_refuses_images_over_the_limit():
    assert PHOTO_MAX_PIXELS <= Image.MAX_IMAGE_PIXELS <= 2 * PHOTO_MAX_PIXELS


def test_a_big_jpeg_is_decoded_at_a_reduced_scale_and_still_stored_at_full_size(decodes):
    clean = photo_clean(SimpleUploadedFile("big.jpg", jpeg((6000, 4000)), "image/jpeg"))
    assert Image.open(io.BytesIO(clean.read())).size == (2048, 1365)
    # libjpeg's DCT scaling: decoded at 1/2 (3000 × 2000), never at 24 Mpx.
    assert decodes and max(w * h for w, h in decodes) <= 3000 * 2000


# --- refused submissions count toward the per-address limit -----------------------------------


def test_a_flood_of_bad_posts_gets_429_and_no_photo_is_looked_at(world, client, settings, decodes):
    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 3
    bad = order_data(world, phone="123")
    for _ in range(3):
        assert client.post(intake_url(world), with_photo(dict(bad), jpeg())).status_code == 200
    flooded = client.post(intake_url(world), with_photo(dict(bad), jpeg()))
    assert flooded.status_code == 429
    assert "这个网络在一小时内" in flooded.text
    # Even a good order from that address now waits; another address is not affected.
    assert client.post(intake_url(world), order_data(world)).status_code == 429
    elsewhere = client.post(intake_url(world), order_data(world), REMOTE_ADDR="10.0.0.9")
    assert elsewhere.status_code == 302
    assert decodes == []
    assert Order.objects.count() == 1


def test_honeypot_posts_count_too(world, client, settings):
    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 2
    robot = order_data(world, website="http://spam.example")
    assert [client.post(intake_url(world), robot).status_code for _ in range(3)] == [200, 200, 429]
    assert not Order.objects.exists()


def test_refusals_use_up_the_address_allowance_but_never_the_numbers(world, client, settings):
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 1
    data = order_data(world)
    del data["consent"]
    for _ in range(3):
        client.post(intake_url(world), data)
    assert IntakeAttempt.objects.filter(ip="127.0.0.1", phone="").count() == 3
    assert client.post(intake_url(world), order_data(world)).status_code == 302
    assert IntakeAttempt.objects.filter(phone="13812345678").count() == 1


def test_a_refused_photo_counts_as_a_refusal(world, client, settings):
    settings.INTAKE_LIMIT_PER_IP_PER_HOUR = 1
    data = with_photo(order_data(world), b"not a photo at all")
    assert "不是能用的照片" in client.post(intake_url(world), data).text
    assert client.post(intake_url(world), order_data(world)).status_code == 429
