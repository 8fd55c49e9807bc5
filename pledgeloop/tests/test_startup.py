"""How the app starts: manage.py, gunicorn's workers (wsgi.py) and the test run.

Each starts Django with the garbage collector off, then sets the objects made while starting
aside for good (gc.freeze) and turns collection back on: a long-running command (db_worker)
still collects what it makes. A gunicorn worker loads the URLconf before its first request,
and with it none of the slow third-party libraries that only a few requests use.
bench/startup.py measures what this saves.
"""

import gc
import json
import os
import subprocess
import sys

from django.conf import settings

from pledgeloop.testing_environment import SET_ASIDE_ON_FIRST_USE

# Third-party libraries slow to import that few requests need: imported on first use
# (docs/ARCHITECTURE.md, "Layers"), not as a process starts.
LOADED_ON_FIRST_USE = [*SET_ASIDE_ON_FIRST_USE, "weasyprint"]

PROBE = (
    "import gc, json, sys; "
    "print(json.dumps({'collecting': gc.isenabled(), 'set_aside': gc.get_freeze_count(), "
    "'urls_loaded': 'pledgeloop.urls' in sys.modules, "
    f"'slow_loaded': [m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules]}}))"
)


def _started(*command: str) -> dict:
    done = subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "pledgeloop.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_command_collects_garbage_with_what_django_made_set_aside():
    state = _started(sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE)
    assert state["collecting"]
    assert state["set_aside"] > 0


def test_a_gunicorn_worker_loads_the_urlconf_before_its_first_request():
    state = _started(sys.executable, "-c", f"import pledgeloop.wsgi; {PROBE}")
    assert state["urls_loaded"]
    assert state["slow_loaded"] == []  # every view's module loaded, none of these
    assert state["collecting"]
    assert state["set_aside"] > 0


def test_the_test_run_collects_garbage_with_its_start_set_aside():
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
