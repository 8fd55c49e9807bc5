import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.urls import Resolver404, resolve


@pytest.mark.django_db
def test_healthz_says_only_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert connection.vendor not in response.text


def test_healthz_answers_503_when_the_database_is_unreachable():
    """A separate process, configured with a database nobody listens for, asks /healthz."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client; r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.content.decode()}))"
    )
    env = dict(
        os.environ,
        DATABASE_URL="postgres://nobody@127.0.0.1:1/nowhere",
        DJANGO_SETTINGS_MODULE="pledgeloop.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    assert answer["body"] == "unavailable"


@pytest.mark.django_db
def test_livez_answers_without_a_query(client, django_assert_num_queries):
    """The liveness probe, and the benchmarks' no-database baseline: it must stay query-free
    through the whole middleware stack, or the baseline would measure the database too."""
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_robots_txt_keeps_private_pages_out_of_search_engines(client):
    """Every prefix it disallows is one the app serves (a renamed prefix would leave its pages
    open to crawlers), and the public pages stay allowed."""
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    prefixes = [line.split(":", 1)[1].strip() for line in response.text.splitlines()]
    prefixes = [p for p in prefixes if p.startswith("/")]
    assert {"/console/", "/my/", "/track/", "/review/", "/api/"} <= set(prefixes)
    served = {
        "/console/": "/console/",
        "/me/": "/me/",
        "/my/": "/my/",
        "/track/": "/track/x/",
        "/review/": "/review/x/",
        "/t/": "/t/x/",
        "/photos/": "/photos/order/1/",
        "/api/": "/api/v1/openapi.json",
        "/open311/": "/open311/v2/discovery.json",
        "/admin/": "/admin/",
    }
    for prefix in prefixes:
        try:
            resolve(served[prefix])
        except Resolver404 as missing:
            raise AssertionError(
                f"robots.txt disallows {prefix}, which the app no longer serves"
            ) from missing
    for public in ("/wall/", "/stats/", "/diary/", "/order/"):
        assert not any(public.startswith(p) for p in prefixes)
