"""A pytest plugin loaded before Django (`-p pledgeloop.testing_environment` in pyproject.toml).

With DEBUG off, which is how the tests run, settings.py refuses to start without a private
SECRET_KEY (lib/secret_key.py). The tests get a random one per run, unless one is set: a
conftest.py would come too late, since pytest-django loads the settings before any conftest.
"""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
