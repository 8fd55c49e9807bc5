"""The console's photo forms of the teams app keep a photo across a page sent back with a
mistake elsewhere (lib/photos.py, KeepsPhoto): a milestone marked done, an event's photo."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.teams import projects
from pledgeloop.teams.models import EventPhoto

from .test_events import fair  # noqa: F401 (a fixture)
from .test_project_console import a_project, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def kept_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PHOTO_KEPT_DIR = tmp_path / "kept"
    return settings.PHOTO_KEPT_DIR


def token_in(html: str, field: str) -> str:
    found = re.search(rf'name="{field}_kept" value="([^"]+)"', html)
    assert found, f"no {field}_kept token on the page"
    return found.group(1)


def test_a_milestones_photo_is_kept_when_the_evidence_is_missing(world, client_for, kept_dir):
    project = a_project(world)
    milestone = projects.milestone_add(
        project=project, title="雨棚施工", due_on=timezone.localdate() + dt.timedelta(days=3)
    )
    admin = client_for(world.community_admin)
    url = reverse("console:teams:milestone_done", args=[project.pk, milestone.pk])
    today = timezone.localdate().isoformat()
    response = admin.post(url, {"done_on": today, "evidence": "", "photo": png()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "已保留您选的照片（shed.png，" in html and "不要这张照片" in html
    data = {"done_on": today, "evidence": "雨棚已建成", "photo_kept": token_in(html, "photo")}
    assert admin.post(url, data).status_code == 302
    milestone.refresh_from_db()
    with milestone.photo.open("rb") as stored:
        image = Image.open(stored)
        image.load()
    assert image.format == "PNG" and image.size == (40, 30)
    assert not any(kept_dir.iterdir())


def test_an_events_photo_is_kept_when_the_caption_is_too_long(world, fair, client_for, kept_dir):  # noqa: F811
    event = fair[0]
    admin = client_for(world.community_admin)
    url = reverse("console:teams:event_add", args=[event.pk, "photo"])
    response = admin.post(url, {"image": png(), "caption": "长" * 81})
    assert response.status_code == 400
    html = response.content.decode()
    assert "已保留您选的照片（shed.png，" in html
    assert (
        admin.post(url, {"caption": "集市", "image_kept": token_in(html, "image")}).status_code
        == 302
    )
    photo = EventPhoto.objects.get(event=event)
    assert photo.caption == "集市" and photo.image.name.endswith(".png")
    assert not any(kept_dir.iterdir())
