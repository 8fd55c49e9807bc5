"""Orphan photos: files left by a server killed mid-intake are removed once they are old enough
that no submission can still be writing its row."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from pledgeloop.orders.jobs import ORPHAN_PHOTO_GRACE, remove_orphan_photos
from pledgeloop.tasks.schedule import JOBS_BY_NAME, run_due_jobs

from .test_photo_access import order_with_photo, service_photo


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stray(media: Path, name: str, *, age: dt.timedelta) -> Path:
    """A file no row references, last written `age` ago."""
    path = media / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 half a photo")
    then = (timezone.now() - age).timestamp()
    os.utime(path, (then, then))
    return path


def age(path: Path, by: dt.timedelta) -> None:
    then = (timezone.now() - by).timestamp()
    os.utime(path, (then, then))


def test_old_orphans_go_young_ones_and_referenced_photos_stay(world, media):
    order = order_with_photo(world)
    kept_photo = service_photo(world)
    for field in (order.photo, kept_photo.image):
        age(Path(field.path), dt.timedelta(days=30))  # old, but a row references it
    old_order_orphan = stray(media, "orders/2026/03/dead.jpg", age=dt.timedelta(days=2))
    old_service_orphan = stray(media, "service/2026/01/dead.png", age=dt.timedelta(hours=3))
    in_flight = stray(media, "orders/2026/03/new.jpg", age=dt.timedelta(minutes=1))
    elsewhere = stray(media, "exports/report.xlsx", age=dt.timedelta(days=90))

    assert remove_orphan_photos() == 2
    assert not old_order_orphan.exists() and not old_service_orphan.exists()
    assert in_flight.exists(), "an upload whose order is still being written must stay"
    assert elsewhere.exists(), "only the photo folders are swept"
    assert Path(order.photo.path).exists() and Path(kept_photo.image.path).exists()
    assert remove_orphan_photos() == 0  # idempotent


def test_the_grace_period_protects_an_upload_in_flight(world, media):
    young = stray(media, "orders/2026/03/young.jpg", age=ORPHAN_PHOTO_GRACE / 2)
    assert remove_orphan_photos() == 0 and young.exists()
    later = timezone.now() + ORPHAN_PHOTO_GRACE
    assert remove_orphan_photos(now=later) == 1 and not young.exists()


def test_symlinks_are_never_followed_or_removed(world, media, tmp_path):
    outside = tmp_path / "precious.jpg"
    outside.write_bytes(b"keep me")
    link = media / "orders" / "2026" / "03" / "link.jpg"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    assert remove_orphan_photos(now=timezone.now() + dt.timedelta(days=365)) == 0
    assert outside.exists() and link.is_symlink()


def test_no_media_folder_at_all_is_fine(world):
    assert remove_orphan_photos() == 0


def test_the_command_reports_and_can_only_count(world, media, capsys):
    orphan = stray(media, "orders/2026/03/dead.jpg", age=dt.timedelta(days=2))
    call_command("remove_orphan_photos", "--dry-run")
    assert "1" in capsys.readouterr().out and orphan.exists()
    call_command("remove_orphan_photos")
    assert "orphan photos: 1 removed" in capsys.readouterr().out
    assert not orphan.exists()
    young = stray(media, "orders/2026/03/young.jpg", age=dt.timedelta(minutes=5))
    call_command("remove_orphan_photos", "--grace-minutes", "1")
    assert not young.exists()


def test_the_job_is_scheduled_daily(world, media):
    job = JOBS_BY_NAME["remove_orphan_photos"]
    assert job.every == dt.timedelta(days=1)
    stray(media, "orders/2026/03/dead.jpg", age=dt.timedelta(days=2))
    assert run_due_jobs()["remove_orphan_photos"] == 1
