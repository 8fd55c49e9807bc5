"""A resident's order is one round trip to PostgreSQL, counted on the wire (issue 17).

Django's query log leaves out what psycopg sends on its own (a transaction's BEGIN and
COMMIT), so the frontend's messages are read from libpq's own trace of the connection: each
round trip ends with a Sync (a statement with values) or is a simple Query (BEGIN, COMMIT).
An order was six: the intake read, BEGIN, the limits' locks, their count, the rows, COMMIT;
then two: the read, then the rows with the limits' check and count in one statement that
needs no transaction of its own. Now the read is that statement's first part (its source
row: the rows' ids, the resident, whether to write at all). Committed for real, so in a
transactional test.
"""

import re
import tempfile
from pathlib import Path

import pytest
from django.db import connection
from psycopg import pq

from pledgeloop.orders.models import IntakeAttempt, Order

from .test_intake import intake_url, order_data

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _round_trips(trace: str) -> list[str]:
    """The frontend's messages that each end a round trip, from a libpq trace."""
    return [
        line for line in trace.splitlines() if re.match(r"F\s+\d+\s+(Sync|Query)\b", line.strip())
    ]


def _traced(post) -> tuple[object, list[str]]:
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trace"
        with path.open("w") as trace:
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
            try:
                response = post()
            finally:
                pgconn.untrace()
        return response, _round_trips(path.read_text())


def test_an_order_is_one_round_trip_to_postgresql(world, client):
    client.get(intake_url(world))  # the desk warm, as on every page after the first
    data = order_data(world, phone="13811112222")
    response, trips = _traced(lambda: client.post(intake_url(world), data))
    assert response.status_code == 302
    assert len(trips) == 1, trips
    assert not any("BEGIN" in trip or "COMMIT" in trip for trip in trips), trips
    order = Order.objects.get()
    assert order.phone == "13811112222" and order.events.count() == 1
    assert IntakeAttempt.objects.filter(phone="13811112222").count() == 1


def test_a_refused_order_writes_nothing_and_says_why(world, client, settings):
    settings.INTAKE_LIMIT_PER_PHONE_PER_DAY = 1
    client.get(intake_url(world))
    first = client.post(intake_url(world), order_data(world, phone="13811112222"))
    assert first.status_code == 302
    data = order_data(world, phone="13811112222", description="楼道灯不亮了")
    response, trips = _traced(lambda: client.post(intake_url(world), data))
    assert response.status_code == 429
    assert "这个手机号今天已经提交了1次" in response.content.decode()
    assert Order.objects.count() == 1
    assert IntakeAttempt.objects.filter(phone="13811112222").count() == 1
    # The refused statement, then the counts for the message.
    assert len(trips) == 2, trips


def test_a_form_sent_again_writes_nothing_and_finds_its_order(world, client):
    """The statement stops where its read finds the order this form filed (intake_go()):
    nothing is written, and the read alone, run again, finds the order to show."""
    client.get(intake_url(world))
    data = order_data(world, phone="13811112222")
    first = client.post(intake_url(world), data)
    response, trips = _traced(lambda: client.post(intake_url(world), data))
    assert response.status_code == 302 and response["Location"] == first["Location"]
    # The stopped statement, the read that says why, the order read to show it.
    assert len(trips) == 3, trips
    assert Order.objects.count() == 1
    assert IntakeAttempt.objects.filter(phone="13811112222").count() == 1
