"""PostgreSQL's statements: values bound by the server, statements run again prepared
(settings.py, POSTGRES_PREPARE_THRESHOLD; issue 17)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

ON_POSTGRES = connection.vendor == "postgresql"


def _options(**environ) -> dict:
    """The database OPTIONS the settings make from this environment (a fresh interpreter)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTGRES_")}
    env.update(DATABASE_URL="postgres://app@127.0.0.1:5432/app", **environ)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, pledgeloop.settings as s; "
            "print(json.dumps(s.DATABASES['default']['OPTIONS']))",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_values_are_bound_by_the_server_and_statements_run_again_are_prepared():
    assert _options() == {
        "options": "-c jit=off",
        "server_side_binding": True,
        "prepare_threshold": 5,
    }
    # Behind a pooler that cannot keep prepared statements: never prepared, still bound.
    never = _options(POSTGRES_PREPARE_THRESHOLD="0")
    assert never["server_side_binding"] is True
    assert never["prepare_threshold"] is None


# Committed rows (transaction=True), so that the test may start on a connection of its own:
# the worker's connection has prepared what the tests before this one ran five times.
@pytest.mark.skipif(not ON_POSTGRES, reason="prepared statements are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_signed_in_page_asked_again_reads_its_session_with_a_prepared_statement(
    world, client_for
):
    connection.close()
    client = client_for(world.member)

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 5
    client.get("/me/")
    assert not [s for s in prepared() if "people_session" in s]
    for _ in range(5):
        assert client.get("/me/").status_code == 200
    # The session's read (with the user, roles, versions and unread count) now skips planning.
    assert [s for s in prepared() if "people_session" in s and "people_rolegrant" in s]
