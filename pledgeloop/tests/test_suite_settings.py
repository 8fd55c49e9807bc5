"""What the suite changes in the settings for itself (pledgeloop/conftest.py)."""

from pathlib import Path

from django.conf import settings


def test_photos_written_by_tests_stay_out_of_the_projects_own_folders():
    # The orphan-photo job's test deletes unreferenced files under MEDIA_ROOT: pointed at
    # var/media it would delete the demo's photos, and make test's passes would share it.
    media = Path(settings.MEDIA_ROOT).resolve()
    assert media.is_dir()
    assert not media.is_relative_to(Path(settings.BASE_DIR).resolve())
