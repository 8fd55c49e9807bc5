"""What the suite changes in the settings for itself (pledgeloop/conftest.py)."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_photos_written_by_tests_stay_out_of_the_projects_own_folders():
    # The orphan-photo job's test deletes unreferenced files under MEDIA_ROOT: pointed at
    # var/media it would delete the demo's photos, and make test's passes would share it.
    media = Path(settings.MEDIA_ROOT).resolve()
    assert media.is_dir()
    assert not media.is_relative_to(Path(settings.BASE_DIR).resolve())


def test_the_heavy_tests_without_the_database_are_handed_out_first():
    # pytest-django orders the tests without the database last; the deploy kit's test (seconds
    # of waiting on nginx and gunicorn) would then end the run alone (conftest.py,
    # HEAVY_MODULES).
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",  # with addopts' -q: one node id a line
            "pledgeloop/orders/tests/test_intake_resend.py",
            "pledgeloop/tests/test_deploy_kit.py",
        ],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = [line.split("::")[0] for line in done.stdout.splitlines() if "::" in line]
    assert done.returncode == 0 and modules, done.stdout + done.stderr
    kit = "pledgeloop/tests/test_deploy_kit.py"
    assert modules == sorted(modules, key=lambda module: module != kit), modules
