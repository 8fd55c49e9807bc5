"""scripts/with-throwaway-postgres.py hands its command the cluster through its socket too
(PG_SOCKET_URL), as the README's production setting reaches PostgreSQL on its own machine:
bench/intake.py serves through it."""

import os

import dj_database_url
import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.postgres_only("the throwaway cluster's socket"),
    pytest.mark.django_db,
]


def test_the_socket_url_reaches_the_same_cluster_through_its_socket():
    url = os.environ.get("PG_SOCKET_URL")
    if not url:
        pytest.skip("not inside scripts/with-throwaway-postgres.py")
    settings = dj_database_url.parse(url)
    assert settings["HOST"].startswith("/")  # a folder: the socket's, not a network address
    with psycopg.connect(url) as through_socket, connection.cursor() as cursor:
        # No server address over a socket (inet_server_addr() is NULL); the same cluster.
        address, port = through_socket.execute(
            "SELECT inet_server_addr(), current_setting('port')"
        ).fetchone()
        cursor.execute("SELECT current_setting('port'), current_setting('data_directory')")
        ours = cursor.fetchone()
        directory = through_socket.execute("SELECT current_setting('data_directory')").fetchone()
    assert address is None
    assert (port, directory[0]) == ours
