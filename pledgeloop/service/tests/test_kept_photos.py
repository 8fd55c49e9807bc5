"""The service log's photos are kept when the form comes back with a mistake elsewhere
(lib/photos.py, KeepsPhoto): the member's own log, the visit's log and the staff's log."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.service.models import ServicePhoto, ServiceRecord

from .test_logging import form_data


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PHOTO_KEPT_DIR = tmp_path / "kept"
    return settings.PHOTO_KEPT_DIR


def kept_files(folder) -> list:
    return sorted(folder.iterdir()) if folder.exists() else []


def jpeg(name: str, size=(64, 48)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def token_in(html: str) -> str:
    found = re.search(r'name="photos_kept" value="([^"]+)"', html)
    assert found, "no photos_kept token on the page"
    return found.group(1)


def tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def test_a_members_photos_are_kept_when_the_day_is_wrong(world, client_for, folders):
    client = client_for(world.member)
    photos = [jpeg("IMG_0101.jpg"), jpeg("IMG_0102.jpg", (80, 60))]
    response = client.post(reverse("service:new"), form_data(day=tomorrow(), photos=photos))
    html = response.content.decode()
    assert response.status_code == 200 and not ServiceRecord.objects.exists()
    assert "已保留您选的 2 张照片，不用重新选择" in html
    assert "IMG_0101.jpg" in html and "IMG_0102.jpg" in html and "不要这些照片" in html
    assert len(kept_files(folders)) == 2

    response = client.post(reverse("service:new"), form_data(photos_kept=token_in(html)))
    assert response.status_code == 302
    stored = ServicePhoto.objects.filter(record=ServiceRecord.objects.get()).order_by("pk")
    sizes = []
    for photo in stored:
        with photo.image.open("rb") as file:
            image = Image.open(file)
            image.load()
        assert image.format == "JPEG"
        sizes.append(image.size)
    assert sorted(sizes) == [(64, 48), (80, 60)]
    assert kept_files(folders) == []


def test_dropped_photos_are_not_stored(world, client_for, folders):
    client = client_for(world.member)
    html = client.post(
        reverse("service:new"), form_data(day=tomorrow(), photos=[jpeg("a.jpg")])
    ).content.decode()
    data = form_data(photos_kept=token_in(html), photos_drop="1")
    assert client.post(reverse("service:new"), data).status_code == 302
    assert not ServicePhoto.objects.exists()
    assert kept_files(folders) == []


def test_the_staffs_photos_are_kept_when_no_member_is_ticked(world, client_for, folders):
    client = client_for(world.community_admin)
    url = reverse("service:console_new")
    html = client.post(url, form_data(photos=[jpeg("IMG_0103.jpg")])).content.decode()
    assert not ServiceRecord.objects.exists()
    assert "已保留您选的 1 张照片，不用重新选择" in html and "IMG_0103.jpg（" in html
    data = form_data(members=[world.member.member.pk], photos_kept=token_in(html))
    assert client.post(url, data).status_code == 302
    assert ServicePhoto.objects.filter(record=ServiceRecord.objects.get()).count() == 1
    assert kept_files(folders) == []
