"""deploy/backup on PostgreSQL, and README's restore: pg_dump's archive of the running
database, restored with pg_restore into an empty database, holds the same rows.

The SQLite path runs in tests/test_deploy_kit.py, against the kit's server while it serves.
"""

import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import triaged_order
from pledgeloop.orgs.models import Street
from pledgeloop.people.models import User
from pledgeloop.testing_database import postgresql_tool

pytestmark = [
    pytest.mark.postgres_only("pg_dump and pg_restore"),
    pytest.mark.django_db(transaction=True),
]

DEPLOY = Path(settings.BASE_DIR) / "deploy"


def _url(database: str) -> str:
    given = connection.settings_dict
    password = f":{quote(given['PASSWORD'])}" if given["PASSWORD"] else ""
    host = f"{given['HOST']}:{given['PORT']}" if given["PORT"] else given["HOST"]
    return f"postgresql://{quote(given['USER'])}{password}@{host}/{database}"


def _counts(database: str) -> dict[str, int]:
    tables = [Street._meta.db_table, User._meta.db_table, Order._meta.db_table]
    with psycopg.connect(_url(database)) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_a_backup_restores_into_an_empty_database_with_every_row(world, tmp_path):
    triaged_order(world)
    name = connection.settings_dict["NAME"]
    env_file = tmp_path / "pledgeloop.env"
    env_file.write_text(f"DATABASE_URL={_url(name)}\nPLEDGELOOP_VAR_DIR={tmp_path / 'var'}\n")
    path = os.environ.get("PATH", "")
    if os.environ.get("PG_BINDIR"):  # the throwaway cluster's own client tools
        path = f"{os.environ['PG_BINDIR']}:{path}"
    done = subprocess.run(
        [str(DEPLOY / "backup"), str(tmp_path / "backups")],
        env={"PATH": path, "HOME": str(tmp_path), "PLEDGELOOP_ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    backup = Path(done.stdout.strip())
    # No photos folder in this data folder: the archive has the database and the settings.
    assert {p.name for p in backup.iterdir()} == {"db.pgdump", "pledgeloop.env"}

    restored = f"{name}_restored"
    with psycopg.connect(_url("postgres")) as admin:
        admin.autocommit = True
        admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        admin.execute(f'CREATE DATABASE "{restored}"')
    try:
        subprocess.run(
            [
                postgresql_tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                _url(restored),
                str(backup / "db.pgdump"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        counts = _counts(restored)
        assert counts == _counts(name) and all(counts.values())
    finally:
        with psycopg.connect(_url("postgres")) as admin:
            admin.autocommit = True
            admin.execute(f'DROP DATABASE IF EXISTS "{restored}"')
