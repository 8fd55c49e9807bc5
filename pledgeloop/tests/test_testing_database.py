"""The migrated SQLite template kept between runs (pledgeloop/testing_database.py) is found
again only for the very same migrations."""

import hashlib
from types import SimpleNamespace

import django
import pytest

from pledgeloop import testing_database


def _app(tmp_path, label):
    folder = tmp_path / label / "migrations"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "0001_initial.py").write_text("operations = []\n")
    return SimpleNamespace(label=label, path=str(tmp_path / label))


def test_the_schema_key_changes_with_any_migration(tmp_path, monkeypatch):
    one, two = _app(tmp_path, "one"), _app(tmp_path, "two")
    monkeypatch.setattr(testing_database.apps, "get_app_configs", lambda: [two, one])
    first = testing_database._schema_key()
    assert testing_database._schema_key() == first  # the order apps are listed in aside

    migration = tmp_path / "one" / "migrations" / "0001_initial.py"
    migration.write_text("operations = ['changed']\n")
    changed = testing_database._schema_key()
    assert changed != first

    (tmp_path / "two" / "migrations" / "0002_more.py").write_text("operations = []\n")
    added = testing_database._schema_key()
    assert added not in {first, changed}

    (tmp_path / "two" / "migrations" / "0002_more.py").unlink()
    assert testing_database._schema_key() == changed


def test_the_key_covers_the_projects_migrations():
    """Every app's migrations count, the project's included: the key is not that of no
    migrations at all."""
    real = testing_database._schema_key()
    assert len(real) == 16
    assert real != _key_of_nothing()


def _key_of_nothing():
    return hashlib.sha256(django.get_version().encode()).hexdigest()[:16]


@pytest.mark.django_db
def test_this_runs_template_is_kept_for_the_next(request):
    """The set-up has kept the migrated template for the next run: the SQLite file, or on
    PostgreSQL a pg_dump archive (unless the client tools are missing)."""
    options = ("reuse_db", "create_db", "nomigrations")
    if any(request.config.getoption(option) for option in options):
        pytest.skip("pytest-django sets the database up itself with --reuse-db and the like")
    kept = testing_database._kept_template()
    if kept is None:
        pytest.skip("no PostgreSQL client tools here to keep the template with")
    assert kept.exists(), f"{kept} was not kept"
    assert kept.stat().st_size > 0
