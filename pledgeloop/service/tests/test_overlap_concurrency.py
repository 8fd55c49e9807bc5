"""One member's hours never overlap, even when several entries arrive at once (PostgreSQL).

Threads, each with its own connection, log overlapping service for the same member at the
same moment; service_record_create locks the member's row before it looks for clashes, so
exactly one record is written and the others get the overlap message. SQLite takes one writer
at a time (BEGIN IMMEDIATE), so the race cannot even be staged there.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.services import ServiceError, service_record_log_by_member

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
WRITERS = 12


def test_overlapping_entries_logged_at_once_only_one_is_kept(world):
    member = world.member.member
    day = timezone.localdate() - dt.timedelta(days=2)
    barrier = threading.Barrier(WRITERS)
    results: list = [None] * WRITERS

    def log(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            service_record_log_by_member(
                member=member, day=day, start=dt.time(6 + index % 3), hours=Decimal("4")
            )
            results[index] = "kept"
        except ServiceError as error:
            results[index] = str(error)
        except Exception as error:  # anything else is a failure the test must show
            results[index] = f"error: {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=log, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results.count("kept") == 1, results
    assert all("不能重叠" in r for r in results if r != "kept"), results
    assert ServiceRecord.objects.count() == 1
