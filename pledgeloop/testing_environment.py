"""A pytest plugin loaded before Django (`-p pledgeloop.testing_environment` in pyproject.toml).

With DEBUG off, which is how the tests run, settings.py refuses to start without a private
SECRET_KEY (lib/secret_key.py). The tests get a random one per run, unless one is set: a
conftest.py would come too late, since pytest-django loads the settings before any conftest.

As in manage.py, no garbage is collected while the run starts (Django, the app, every test
module): those objects live as long as the run, and collecting among them as they are made
costs a quarter of each pytest-xdist worker's collection. Once collected, they are set aside
for good (gc.freeze) and collection resumes for what the tests make.
"""

import gc
import os
import secrets

import pytest

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
gc.disable()


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    try:
        return (yield)
    finally:
        gc.freeze()
        gc.enable()
