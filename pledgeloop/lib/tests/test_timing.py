"""The benchmarks' Server-Timing header (lib/timing.py): app time and the request's queries."""

import re

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory

from pledgeloop.lib.timing import ServerTimingMiddleware


@pytest.mark.django_db
def test_the_header_counts_the_queries_the_request_ran_and_no_others():
    def view(request):
        with connection.cursor() as cursor:
            for _ in range(3):
                cursor.execute("SELECT 1")
        return HttpResponse("ok")

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # before the request: not counted
    response = ServerTimingMiddleware(view)(RequestFactory().get("/"))
    timing = re.fullmatch(
        r'app;dur=([0-9.]+), db;dur=([0-9.]+);desc="([0-9]+) queries"',
        response["Server-Timing"],
    )
    assert timing, response["Server-Timing"]
    assert timing.group(3) == "3"
    assert float(timing.group(1)) >= float(timing.group(2))
    # The next request starts from nought.
    response = ServerTimingMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))
    assert response["Server-Timing"].endswith('desc="0 queries"')
