"""The test database under pytest-xdist: migrated once per run, copied to every worker.

Running the migrations is mostly Python (Django renders the model states of every migration
step): about 25 s of CPU, which pytest-django spends again in each xdist worker. Here the
first worker to need a database migrates a template database, with the real migrations, and
every worker (that one included) works on its own copy of it: Django's own test-database
cloning, a file copy for SQLite and `CREATE DATABASE ... TEMPLATE` for PostgreSQL, the way
`manage.py test --parallel` does it. The workers take turns through a lock file; the xdist
controller names the template (`pytest_configure_node`) and removes it after the run
(`pytest_sessionfinish`).

The migrated template is also kept between runs, in var/ under a name made of a hash of
every installed app's migration files and Django's version (`_schema_key`): a run whose
migrations are those of the last one restores it instead of migrating (the migrations' 25 s
of CPU on SQLite, about 50 s on PostgreSQL), and a run with any migration changed, added or
removed migrates again and replaces it. On SQLite the kept template is the database file
itself; on PostgreSQL, whose throwaway cluster starts empty each run, it is a `pg_dump` of the
migrated template (custom format), restored by `pg_restore` into an empty template database.
Where the PostgreSQL client tools are missing (or refuse the server's version) the run
migrates, as before.

Without xdist (`-p no:xdist`, a targeted run) the process is its own only worker: it restores
or migrates the template, works on a copy and removes both at the end. With pytest-django's
--reuse-db, --create-db or --nomigrations the test database is set up as pytest-django does
it.

pledgeloop/conftest.py imports the fixture and the hooks, so that they take precedence over
pytest-django's.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connections
from django.test.utils import setup_databases, teardown_databases
from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup
from pytest_django.plugin import blocking_manager_key

TEMPLATE = "pledgeloop_db_template"
LOCK = "pledgeloop_db_template_lock"
BUILT = "built"


def template_name() -> str:
    """The template database's name: the test database's, with "_template" added."""
    database = settings.DATABASES["default"]
    name = str(database.get("TEST", {}).get("NAME") or f"test_{database['NAME']}")
    root, ext = os.path.splitext(name) if "sqlite" in database["ENGINE"] else (name, "")
    return f"{root}_template{ext}"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller: tell each worker the template and the lock file of this run."""
    config = node.config
    if not hasattr(config, "_pledgeloop_template"):
        lock = Path(tempfile.gettempdir()) / f"pledgeloop-db-template-{os.getpid()}.lock"
        config._pledgeloop_template = (template_name(), str(lock))
    node.workerinput[TEMPLATE], node.workerinput[LOCK] = config._pledgeloop_template


def pytest_sessionfinish(session) -> None:
    """xdist controller: remove the template database after the workers are done."""
    config = session.config
    if hasattr(config, "workerinput") or not hasattr(config, "_pledgeloop_template"):
        return
    template, lock = config._pledgeloop_template
    with config.stash[blocking_manager_key].unblock():
        _remove_template(template, lock)


def _remove_template(template: str, lock: str) -> None:
    """Drop this run's template database (if it was built) and its lock file."""
    lock_path = Path(lock)
    if lock_path.exists() and lock_path.read_text() == BUILT:
        connection = connections["default"]
        original = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = template
        connection.creation.destroy_test_db(old_database_name=original, verbosity=0)
    lock_path.unlink(missing_ok=True)


def _schema_key() -> str:
    """What the migrated schema is made of: every installed app's migration files (names and
    contents), the Django version that runs them, and the statements each connection starts
    with (SQLite's: the page size of a database it creates)."""
    digest = hashlib.sha256(django.get_version().encode())
    options = connections["default"].settings_dict.get("OPTIONS", {})
    digest.update(str(options.get("init_command", "")).encode())
    for app in sorted(apps.get_app_configs(), key=lambda app: app.label):
        folder = Path(app.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
            digest.update(f"{app.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def postgresql_tool(name: str) -> str | None:
    """The PostgreSQL client program `name` (pg_dump, pg_restore): from PG_BINDIR, which
    scripts/with-throwaway-postgres.py sets to its server's binaries, else from PATH."""
    bindir = os.environ.get("PG_BINDIR")
    if bindir and os.access(Path(bindir) / name, os.X_OK):
        return str(Path(bindir) / name)
    return shutil.which(name)


def _kept_template() -> Path | None:
    """Where this schema's migrated template is kept between runs: a copy of the SQLite file,
    or a pg_dump archive where the PostgreSQL client tools are at hand (None otherwise)."""
    vendor = connections["default"].vendor
    if vendor == "sqlite":
        suffix = "sqlite3"
    elif vendor == "postgresql" and postgresql_tool("pg_dump") and postgresql_tool("pg_restore"):
        suffix = "pgdump"
    else:
        return None
    return Path(settings.VAR_DIR) / f"test-template-{_schema_key()}.{suffix}"


def _postgresql_environment(database: dict) -> dict:
    """libpq's environment for the client tools: the test database's server and user."""
    env = dict(os.environ)
    for key, variable in [("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")]:
        if database.get(key):
            env[variable] = str(database[key])
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return env


def _restore(creation, template: str, kept: Path) -> bool:
    """Make the template database from the kept one; False if that cannot be done (the run
    migrates instead)."""
    if creation.connection.vendor == "sqlite":
        try:
            shutil.copyfile(kept, template)
        except FileNotFoundError:  # replaced by a run with other migrations meanwhile
            return False
        return True
    name = creation._create_test_db(verbosity=0, autoclobber=True)
    database = creation.connection.settings_dict
    restored = subprocess.run(
        [postgresql_tool("pg_restore"), "--exit-on-error", "--no-owner", "-d", name, kept],
        env=_postgresql_environment(database),
        capture_output=True,
    )
    return restored.returncode == 0


def _keep(creation, template: str, kept: Path) -> None:
    """Keep the freshly migrated template for the next run, in place of older ones."""
    connections.close_all()  # on SQLite, the write-ahead log into the file first
    partial = kept.with_suffix(f".{os.getpid()}.partial")
    if creation.connection.vendor == "sqlite":
        shutil.copyfile(template, partial)
    else:
        database = creation.connection.settings_dict
        dumped = subprocess.run(
            [postgresql_tool("pg_dump"), "-Fc", "--no-owner", "-f", partial, "-d", template],
            env=_postgresql_environment(database),
            capture_output=True,
        )
        if dumped.returncode != 0:  # e.g. a pg_dump older than the server: migrate next time
            partial.unlink(missing_ok=True)
            return
    for old in kept.parent.glob(f"test-template-*{kept.suffix}"):
        old.unlink(missing_ok=True)
    partial.replace(kept)


def _build_template(creation, template: str) -> None:
    """Migrate the template database, or restore the one kept for these migrations."""
    kept = _kept_template()
    if kept is not None and kept.exists() and _restore(creation, template, kept):
        return
    creation.create_test_db(verbosity=0, autoclobber=True)
    if kept is not None:
        _keep(creation, template, kept)


def _clone_for_this_worker(workerinput: dict) -> str:
    """Point the default connection at this worker's copy of the template (migrated here
    first if no worker has done it yet); returns the database name to restore afterwards."""
    connection = connections["default"]
    creation = connection.creation
    original = connection.settings_dict["NAME"]
    template = workerinput[TEMPLATE]
    with open(workerinput[LOCK], "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            lock.seek(0)
            if lock.read() != BUILT:
                connection.settings_dict.setdefault("TEST", {})["NAME"] = template
                _build_template(creation, template)
                lock.truncate(0)
                lock.write(BUILT)
                lock.flush()
            # Every connection to the template is closed before it is copied: SQLite moves
            # what its write-ahead log holds into the file, PostgreSQL refuses a template in
            # use.
            connections.close_all()
            settings.DATABASES["default"]["NAME"] = template
            connection.settings_dict["NAME"] = template
            creation.clone_test_db(suffix=workerinput["workerid"], verbosity=0)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    clone = creation.get_test_db_clone_settings(workerinput["workerid"])["NAME"]
    # In place: the live server's threads make their connections from this same dict.
    settings.DATABASES["default"]["NAME"] = clone
    connection.settings_dict["NAME"] = clone
    connection.close()
    return original


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    workerinput = getattr(request.config, "workerinput", None)
    alone = workerinput is None
    if alone:
        # Without xdist (one process, `-p no:xdist`) the run is its own only worker: the
        # kept template saves it the migrations too.
        lock = Path(tempfile.gettempdir()) / f"pledgeloop-db-template-{os.getpid()}.lock"
        workerinput = {TEMPLATE: template_name(), LOCK: str(lock), "workerid": "alone"}
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    cloned = (
        TEMPLATE in workerinput
        and django_db_use_migrations
        and not django_db_keepdb
        and not django_db_createdb
        and aliases <= {"default"}
    )
    if not cloned:
        # pytest-django's own set-up
        if not django_db_use_migrations:
            _disable_migrations()
        with django_db_blocker.unblock():
            databases = setup_databases(
                verbosity=0,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=django_db_keepdb and not django_db_createdb,
            )
        yield
        if not django_db_keepdb:
            with django_db_blocker.unblock():
                teardown_databases(databases, verbosity=0)
        return

    with django_db_blocker.unblock():
        original = _clone_for_this_worker(workerinput)
        if serialized_aliases:
            connection = connections["default"]
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        creation = connections["default"].creation
        creation.destroy_test_db(old_database_name=original, verbosity=0)
        if alone:  # no controller to remove the template: this process made it
            _remove_template(workerinput[TEMPLATE], workerinput[LOCK])
