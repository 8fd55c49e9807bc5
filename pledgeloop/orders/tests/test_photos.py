"""Photos: JPEG/PNG/WebP up to 5 MB, re-encoded, EXIF gone; anything else refused clearly."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pledgeloop.lib.photos import PHOTO_MAX_BYTES, photo_clean
from pledgeloop.orders.models import IntakeAttempt, Order
from pledgeloop.orders.services import order_submit
from pledgeloop.orders.throttle import IntakeAdmission, IntakeRefused
from pledgeloop.orgs.models import Category

from .test_intake import intake_url, order_data

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(fmt: str, size=(40, 20), color=(200, 30, 30), exif=None, mode="RGB") -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    if orientation:
        exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (31.0, 57.0, 22.0), 3: "E", 4: (120.0, 56.0, 30.0)}  # 31°57'N 120°56'E
    )
    return exif


def upload(content: bytes, name: str, content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- the helper ------------------------------------------------------------------------


def test_a_jpeg_with_gps_is_stored_without_any_exif_and_upright():
    raw = image_bytes("JPEG", size=(40, 20), exif=gps_exif(orientation=6))
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(GPS_IFD)  # the input has a position
    clean = photo_clean(upload(raw, "IMG_0001.JPG"))
    assert clean.name.endswith(".jpg") and "IMG_0001" not in clean.name
    stored = Image.open(io.BytesIO(clean.read()))
    assert stored.format == "JPEG"
    assert stored.size == (20, 40)  # orientation 6 (rotate 90°) applied before stripping
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert b"PhoneModel" not in clean.file.getvalue()


@pytest.mark.parametrize(("fmt", "extension"), [("PNG", "png"), ("WEBP", "webp")])
def test_png_and_webp_are_kept_in_their_format(fmt, extension):
    raw = image_bytes(fmt, exif=gps_exif(), mode="RGBA", color=(0, 0, 255, 128))
    clean = photo_clean(upload(raw, f"photo.{extension}", f"image/{extension}"))
    assert clean.name.endswith(f".{extension}")
    stored = Image.open(io.BytesIO(clean.read()))
    assert stored.format == fmt
    assert stored.mode == "RGBA"
    assert not stored.getexif()


def test_a_huge_photo_is_shrunk():
    raw = image_bytes("JPEG", size=(4000, 1000))
    stored = Image.open(io.BytesIO(photo_clean(upload(raw, "wide.jpg")).read()))
    assert stored.size == (2048, 512)


def test_a_gif_is_refused_with_a_clear_message():
    raw = image_bytes("GIF", mode="P", color=3)
    with pytest.raises(ValidationError) as refused:
        photo_clean(upload(raw, "funny.gif", "image/gif"))
    assert "GIF" in refused.value.messages[0]
    assert refused.value.code == "photo_format"


def test_a_text_file_named_jpg_is_refused():
    with pytest.raises(ValidationError) as refused:
        photo_clean(upload(b"#!/bin/sh\necho hello\n" * 20, "photo.jpg"))
    assert refused.value.code == "photo_unreadable"


def test_a_truncated_jpeg_never_crashes():
    # Refused, unless some library has set PIL.ImageFile.LOAD_TRUNCATED_IMAGES (WeasyPrint
    # does, on import): then Pillow fills in the missing part and the clean copy is kept.
    raw = image_bytes("JPEG", size=(400, 400))
    try:
        clean = photo_clean(upload(raw[: len(raw) // 3], "broken.jpg"))
    except ValidationError as refused:
        assert refused.code == "photo_unreadable"
    else:
        assert Image.open(io.BytesIO(clean.read())).size == (400, 400)


def test_a_file_over_5_mb_is_refused_before_it_is_decoded():
    raw = image_bytes("JPEG") + b"\0" * PHOTO_MAX_BYTES
    with pytest.raises(ValidationError) as refused:
        photo_clean(upload(raw, "big.jpg"))
    assert refused.value.code == "photo_too_large"


# --- through the intake page --------------------------------------------------------------


def post_with_photo(client, world, content, name, content_type="image/jpeg"):
    data = order_data(world)
    data["photo"] = upload(content, name, content_type)
    return client.post(intake_url(world), data)


def test_an_order_with_a_photo_stores_the_clean_copy(world, client, media):
    raw = image_bytes("JPEG", exif=gps_exif())
    response = post_with_photo(client, world, raw, "IMG_0001.jpg")
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.photo.name.startswith("orders/") and order.photo.name.endswith(".jpg")
    with order.photo.open("rb") as stored:
        image = Image.open(stored)
        image.load()
    assert not image.getexif()
    assert not image.info.get("exif")


def test_an_order_refused_inside_its_transaction_leaves_no_photo_behind(world, media, settings):
    """The photo is written before the write; a refusal there (the limits) removes it."""
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 0  # every order refused
    refuse = IntakeAdmission(ip="10.0.0.1", phone="13812345678")
    photo = photo_clean(upload(image_bytes("JPEG"), "a.jpg"))
    with pytest.raises(IntakeRefused):
        order_submit(
            community=world.community,
            category=Category.objects.get(street=world.street, code="repairs"),
            description="厨房水龙头漏水",
            phone="13812345678",
            consent=True,
            address="阳光花园3幢201室",
            photo=photo,
            admit=refuse,
        )
    assert not Order.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (image_bytes("GIF", mode="P", color=3), "a.gif", "只能上传 JPEG、PNG 或 WebP"),
        (b"hello, not a photo at all" * 10, "a.jpg", "这个文件不是能用的照片"),
        (image_bytes("JPEG") + b"\0" * PHOTO_MAX_BYTES, "big.jpg", "照片超过5MB"),
    ],
    ids=["gif", "not-a-photo", "over-5mb"],
)
def test_a_bad_photo_is_refused_clearly_and_stores_nothing(
    world, client, media, content, name, message
):
    response = post_with_photo(client, world, content, name)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "厨房水龙头漏水" in html  # what was typed is kept
    assert "请重新选一次" in html  # a file input cannot be refilled: say so
    assert not Order.objects.exists()
    # Counted as a refusal from this address only, against no number.
    assert not IntakeAttempt.objects.exclude(phone="").exists()
    assert not (media / "orders").exists() or not any((media / "orders").rglob("*.*"))


@pytest.mark.parametrize("mode", ["I;16", "CMYK", "P", "LA", "1"])
def test_unusual_pixel_formats_are_kept_or_refused_never_crash(mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    image = Image.new(mode, (30, 30))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    try:
        clean = photo_clean(upload(buffer.getvalue(), f"odd.{fmt.lower()}"))
    except ValidationError as refused:
        assert refused.code == "photo_unreadable"
    else:
        assert Image.open(io.BytesIO(clean.read())).size == (30, 30)


def test_an_enormous_bitmap_in_a_small_file_is_refused():
    image = Image.new("1", (9000, 6000))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    assert len(buffer.getvalue()) < PHOTO_MAX_BYTES
    with pytest.raises(ValidationError) as refused:
        photo_clean(upload(buffer.getvalue(), "bomb.png", "image/png"))
    assert refused.value.code == "photo_too_many_pixels"
