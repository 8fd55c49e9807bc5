"""A pytest plugin loaded before Django (`-p pledgeloop.testing_environment` in pyproject.toml).

With DEBUG off, which is how the tests run, settings.py refuses to start without a private
SECRET_KEY (lib/secret_key.py). The tests get a random one per run, unless one is set: a
conftest.py would come too late, since pytest-django loads the settings before any conftest.

As in manage.py, no garbage is collected while the run starts (Django, the app, every test
module): those objects live as long as the run, and collecting among them as they are made
costs a quarter of each pytest-xdist worker's collection. Once collected, they are set aside
for good (gc.freeze) and collection resumes for what the tests make. Two third-party
libraries that the app imports on first use (SET_ASIDE_ON_FIRST_USE, docs/ARCHITECTURE.md
"Layers") are imported before that, to be set aside too: the tests use them in every worker.
"""

import gc
import os
import secrets
from importlib import import_module

import pytest

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# The app imports these where it uses them, not as a process starts (slow to import, needed
# by few requests; tests/test_startup.py checks that a web worker starts without them). The
# tests use them in every worker: imported before the freeze, their objects are set aside.
# WeasyPrint, imported on first use too, is left out: a second to import, which only the few
# tests that print a PDF pay.
SET_ASIDE_ON_FIRST_USE = ["openpyxl", "scipy.spatial"]

gc.disable()


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    try:
        return (yield)
    finally:
        for name in SET_ASIDE_ON_FIRST_USE:
            import_module(name)
        gc.freeze()
        gc.enable()
