"""Webhook deliveries survive a worker kill (issue 16): at least once, signed, in order per
order.

The real path: `manage.py db_worker` in a subprocess runs a queued `reminders_tick`, whose
`webhooks_send` job POSTs the deliveries to a receiver on 127.0.0.1. The receiver answers the
first two and holds the third unanswered; while it hangs, the test SIGKILLs the worker (no
`finally`, no bookkeeping runs). Once the dead worker's lease has run out (the test moves its
end into the past rather than wait for it), a new worker is started and a tick queued. Every
event must then have reached the receiver with a valid signature, each order's events in
order; what was acknowledged before the kill is not sent again (each delivery's result is
committed as soon as it is known, not at the end of the job), and the one caught
mid-delivery is sent again.

Both processes share the test database: a file for SQLite (settings' TEST NAME), the test
database of the throwaway cluster for PostgreSQL; a settings module written to a temporary
folder points the worker at it.
"""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from pledgeloop.api.models import ApiOrder, ApiToken, Scope, WebhookDelivery
from pledgeloop.api.webhooks import webhook_create
from pledgeloop.orders import services
from pledgeloop.orders.models import OrderEvent
from pledgeloop.orders.tests.loop import member_of
from pledgeloop.tasks.models import JobRun
from pledgeloop.tasks.schedule import JOBS
from pledgeloop.tasks.tasks import reminders_tick

from .helpers import bearer, token_for
from .receiver import receiving

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
LEASE_SECONDS = 10  # the shortest the settings allow
ORDERS = 3


def _worker_env(folder: Path) -> dict:
    (folder / "worker_settings.py").write_text(
        "import os\n"
        "from pledgeloop.settings import *  # noqa: F403\n"
        'DATABASES["default"]["NAME"] = os.environ["WORKER_TEST_DATABASE"]  # noqa: F405\n'
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "worker_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "WORKER_TEST_DATABASE": str(connection.settings_dict["NAME"]),
        "WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
        "WEBHOOK_TIMEOUT_SECONDS": "120",  # the hung request is ended by the kill, not this
        "REMINDERS_TICK_MINUTES": "1",
    }


def _worker(env: dict, name: str, folder: Path) -> subprocess.Popen:
    """`manage.py db_worker` as `make run` starts it; its log in `folder`/<name>.log."""
    log = (folder / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
            "--worker-id",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.stdout_log = log
    return process


def _stop(process: subprocess.Popen) -> str:
    """Stop the worker (if still running); the end of its log."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    process.stdout_log.close()
    return Path(process.stdout_log.name).read_text(errors="replace")[-3000:]


def _wait(condition, seconds: float, what: str, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if worker.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{_stop(worker)}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{_stop(worker)}")
        time.sleep(0.2)


def _lease_over() -> bool:
    return not WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.WAITING, lease_until__gt=timezone.now()
    ).exists()


def _orders_with_events(world, client, text: str) -> list[int]:
    """ORDERS orders filed through the API, each then triaged and dispatched: three events
    each, for the token's subscriber."""
    ids = []
    for n in range(ORDERS):
        body = {
            "community": "xinggangwan",
            "category": "repairs",
            "description": f"楼道灯坏了 {n}",
            "phone": "13812345678",
            "consent": True,
            "address": f"阳光花园{n + 1}幢",
            "external_id": f"kill-{n}",
        }
        response = client.post(
            "/api/v1/orders", body, content_type="application/json", **bearer(text)
        )
        assert response.status_code == 201, response.content
        ids.append(response.json()["id"])
    for order in ApiOrder.objects.filter(order_id__in=ids).select_related("order"):
        triaged = services.order_triage(order=order.order, by=world.community_admin)
        services.order_dispatch(order=triaged, member=member_of(world), by=world.community_admin)
    return ids


def test_webhook_deliveries_survive_a_worker_killed_mid_delivery(world, client, tmp_path):
    text = token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    env = _worker_env(tmp_path)
    with receiving() as receiver:
        subscription = webhook_create(
            token=ApiToken.objects.get(prefix=text[:10]),
            url=receiver.url,
            by=world.community_admin,
        )
        receiver.secret = subscription.secret
        receiver.stall_on = 3
        ids = _orders_with_events(world, client, text)
        events = list(
            OrderEvent.objects.filter(order_id__in=ids).order_by("id").values_list("pk", flat=True)
        )
        assert len(events) == 3 * ORDERS

        # The other jobs have just run, so the ticks go straight to the webhooks.
        for job in JOBS:
            if job.name != "webhooks_send":
                JobRun.objects.create(name=job.name, last_run_at=timezone.now())
        reminders_tick.enqueue()
        first = _worker(env, "first", tmp_path)
        _wait(receiver.stalled.is_set, 180, "the third delivery to arrive", first)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        first.stdout_log.close()
        # The next worker starts now (Django takes a while to start); its tick is queued
        # once the dead worker's lease has run out.
        second = _worker(env, "second", tmp_path)
        try:
            acknowledged = [r["payload"]["event_id"] for r in receiver.received if r["status"]]
            assert len(acknowledged) == 2
            # The dead worker holds its lease on the delivery it was caught in: no worker
            # may take it before the lease runs out.
            held = WebhookDelivery.objects.filter(
                state=WebhookDelivery.State.WAITING, lease_until__gt=timezone.now()
            )
            assert held.exists() and not _lease_over()
            assert all(
                d.lease_until <= timezone.now() + dt.timedelta(seconds=LEASE_SECONDS) for d in held
            )
            assert {d.worker for d in held} == {f"{socket.gethostname()}:{first.pid}"}
            # Its LEASE_SECONDS go by: moved on in the rows rather than waited for.
            held.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
            assert _lease_over()
            reminders_tick.enqueue()
            _wait(
                lambda: (
                    {r["payload"]["event_id"] for r in receiver.accepted} >= set(events)
                    and not WebhookDelivery.objects.exclude(state="delivered").exists()
                ),
                180,
                "every event to be delivered and recorded",
                second,
            )
        finally:
            log = _stop(second)
        received = list(receiver.received)

    # At least once: every event was acknowledged by the receiver.
    assert {r["payload"]["event_id"] for r in receiver.accepted} == set(events), log
    # Signed: every request, the one caught mid-delivery included, carries a valid signature.
    assert all(r["verified"] for r in received)
    # In order per order: each order's events arrived in the order they happened.
    for order_id in ids:
        arrived = [
            r["payload"]["event_id"] for r in received if r["payload"]["order_id"] == order_id
        ]
        assert arrived == sorted(arrived), (order_id, arrived)
    # What was acknowledged before the kill was recorded then, and not sent again; the one
    # caught mid-delivery was sent again.
    sent = [r["payload"]["event_id"] for r in received]
    assert all(sent.count(event) == 1 for event in acknowledged), sent
    caught = received[2]["payload"]["event_id"]
    assert sent.count(caught) == 2
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
