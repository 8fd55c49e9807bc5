"""The secret key: production refuses to start without a private one of its own.

Anyone holding the key can forge what Django signs (sessions, review links, check-in codes),
so a missing, short or published key must stop the app at start-up, not run quietly.
"""

import os
import runpy
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Tags, run_checks
from django.core.exceptions import ImproperlyConfigured

from pledgeloop.lib.secret_key import REPOSITORY_KEY

ROOT = Path(__file__).resolve().parents[3]
GOOD_KEY = "k" * 20 + "0123456789abcdefghijABCDEFGHIJ-_"  # 52 characters, many different


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """A clean environment for importing the settings afresh: no key anywhere, DEBUG off."""
    for name in ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLEDGELOOP_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


def load_settings() -> dict:
    """Run settings.py again as a fresh module (the loaded settings stay untouched)."""
    return runpy.run_path(str(ROOT / "pledgeloop" / "settings.py"))


def test_production_refuses_to_start_without_a_key(environment):
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings()
    message = str(refused.value)
    assert "SECRET_KEY" in message
    assert 'python -c "import secrets; print(secrets.token_urlsafe(50))"' in message


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("short-key-0123456789", "at least 50"),
        ("a" * 30 + "b" * 30, "different characters"),
        ("pledgeloop-demo-key-change-me-in-production-0123456789", "published"),
        ("django-insecure-" + "x1y2z3w4" * 8, "published"),
    ],
)
def test_production_refuses_a_short_or_published_key(environment, key, why):
    environment.setenv("SECRET_KEY", key)
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings()
    assert why in str(refused.value)
    assert "secrets.token_urlsafe(50)" in str(refused.value)


def test_production_starts_with_a_private_key(environment):
    environment.setenv("SECRET_KEY", GOOD_KEY)
    assert load_settings()["SECRET_KEY"] == GOOD_KEY


def test_the_key_may_come_from_a_file(environment, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_KEY + "\n")
    environment.setenv("SECRET_KEY_FILE", str(key_file))
    assert load_settings()["SECRET_KEY"] == GOOD_KEY


def test_a_missing_key_file_is_refused_by_name(environment, tmp_path):
    environment.setenv("SECRET_KEY_FILE", str(tmp_path / "nowhere"))
    with pytest.raises(ImproperlyConfigured) as refused:
        load_settings()
    assert "nowhere" in str(refused.value)


def test_the_key_file_under_var_is_used_when_nothing_else_is_set(environment, tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "secret_key").write_text(GOOD_KEY)
    assert load_settings()["SECRET_KEY"] == GOOD_KEY


def test_a_key_file_of_a_published_key_is_refused_too(environment, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(REPOSITORY_KEY)
    environment.setenv("SECRET_KEY_FILE", str(key_file))
    with pytest.raises(ImproperlyConfigured):
        load_settings()


def test_development_runs_without_a_key_on_one_that_deploy_checks_flag(environment):
    environment.setenv("DEBUG", "1")
    assert load_settings()["SECRET_KEY"]  # runs, on the development key


def test_manage_py_stops_with_the_message(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "DATABASE_URL"}
    }
    env.update(PLEDGELOOP_VAR_DIR=str(tmp_path / "var"), DEBUG="0")
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "secrets.token_urlsafe(50)" in done.stderr


@pytest.mark.parametrize("key", [REPOSITORY_KEY, "django-insecure-" + "x1y2z3w4" * 8])
def test_deploy_checks_report_a_published_key_as_an_error(settings, key):
    settings.SECRET_KEY = key
    errors = [m for m in deploy_checks() if m.id == "pledgeloop.E001"]
    assert len(errors) == 1 and errors[0].is_serious()
    assert "secrets.token_urlsafe(50)" in errors[0].hint


def test_deploy_checks_report_a_published_fallback_key(settings):
    settings.SECRET_KEY = GOOD_KEY
    settings.SECRET_KEY_FALLBACKS = [REPOSITORY_KEY]
    ids = [m.id for m in deploy_checks()]
    assert "pledgeloop.E001" in ids


def test_deploy_checks_accept_a_private_key(settings):
    settings.SECRET_KEY = GOOD_KEY
    ids = [m.id for m in deploy_checks()]
    assert "pledgeloop.E001" not in ids


def deploy_checks():
    return run_checks(include_deployment_checks=True, tags=[Tags.security])


# --- the demo's key: `make run` makes one under var/ once -----------------------------------


def make_key(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/make-secret-key.py", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_demo_key_is_made_once_private_and_random(tmp_path):
    path = tmp_path / "var" / "secret_key"
    assert make_key(path).returncode == 0
    key = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 50 and key != REPOSITORY_KEY
    assert make_key(path).returncode == 0
    assert path.read_text().strip() == key  # kept, so sessions survive a restart
    other = tmp_path / "other" / "secret_key"
    make_key(other)
    assert other.read_text().strip() != key


def test_the_makefile_makes_the_key_before_anything_imports_the_settings():
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/make-secret-key.py" in makefile
    setup = next(line for line in makefile.splitlines() if line.startswith("setup:"))
    steps = setup.split(":", 1)[1].split()
    # right after the virtualenv is installed, before any step that runs manage.py
    assert steps.index("var/secret_key") == steps.index("$(STAMP)") + 1
