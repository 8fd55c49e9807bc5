"""Workers claiming from the outbox at the same time on PostgreSQL: `SKIP LOCKED` gives each
its own rows at once, never one row to two workers, and nobody waits for another's lock."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from pledgeloop.notify.models import Notification
from pledgeloop.notify.services import notifications_claim, notify

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def queue(world, n: int) -> list[int]:
    return [notify(user=world.member, kind="x", title=f"消息{i}").pk for i in range(n)]


def test_a_claim_skips_the_rows_another_worker_holds_without_waiting(world):
    ids = queue(world, 10)
    locked, release = threading.Event(), threading.Event()

    def hold_the_first_five():
        try:
            with transaction.atomic():
                list(Notification.objects.filter(pk__in=ids[:5]).select_for_update())
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_first_five)
    holder.start()
    assert locked.wait(timeout=30)
    try:
        # With the first five locked, a plain FOR UPDATE would wait for the holder here.
        claimed = notifications_claim(worker="worker-2", limit=10, now=timezone.now())
    finally:
        release.set()
        holder.join(timeout=30)
    assert [n.pk for n in claimed] == ids[5:]


def test_workers_claiming_at_once_never_share_a_notification(world):
    ids = queue(world, 40)
    workers = 4
    barrier = threading.Barrier(workers)
    claims: dict[str, list[int]] = {}

    def claim(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            got = []
            while batch := notifications_claim(worker=name, limit=3, now=timezone.now()):
                got += [n.pk for n in batch]
            claims[name] = got
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"worker-{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = [pk for got in claims.values() for pk in got]
    assert sorted(everything) == sorted(ids)  # each one claimed, by exactly one worker
    holders = dict(Notification.objects.values_list("pk", "claimed_by"))
    for name, got in claims.items():
        assert all(holders[pk] == name for pk in got)
