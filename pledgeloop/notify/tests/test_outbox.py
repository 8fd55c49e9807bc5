"""At-least-once delivery from the outbox: leases a dead worker gives up by running out,
real outcomes, retries with a doubling pause, failures shown to the community's admins."""

import datetime as dt
import logging

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledgeloop.notify.models import Delivery, Notification
from pledgeloop.notify.senders import Outcome
from pledgeloop.notify.services import notifications_send, notify

pytestmark = pytest.mark.django_db

GATEWAY = "pledgeloop.notify.tests.test_outbox.Gateway"
CAREFUL_GATEWAY = "pledgeloop.notify.tests.test_outbox.CarefulGateway"
BROKEN = "pledgeloop.notify.tests.test_outbox.BrokenGateway"


class WorkerKilled(BaseException):
    """SIGKILL, as the database sees it: nothing after this point runs (no except, no
    finally that writes)."""


class Gateway:
    """A gateway stand-in that counts what it receives per message key and can kill the
    worker before or after it takes a message."""

    channel = "gateway"
    received: list[str] = []
    kill_before: int | None = None  # the n-th send kills the worker before it goes out
    kill_after: int | None = None  # ... after the gateway has it, before the answer

    def address_for(self, notification):
        return notification.address_phone

    def send(self, notification, *, key):
        number = len(Gateway.received) + 1
        if Gateway.kill_before == number:
            Gateway.kill_before = None
            raise WorkerKilled
        Gateway.received.append(key)
        if Gateway.kill_after == number:
            Gateway.kill_after = None
            raise WorkerKilled
        return Outcome(Delivery.Status.ACCEPTED, "138****0000", "OK", f"biz-{number}")


class CarefulGateway(Gateway):
    """A gateway that can say whether it has a message (Alibaba's QuerySendDetails)."""

    def look_up(self, notification, *, key, since):
        if key in Gateway.received:
            return Outcome(Delivery.Status.ACCEPTED, "138****0000", "found at the gateway")
        return None


class BrokenGateway:
    channel = "gateway"
    calls = 0

    def address_for(self, notification):
        return notification.address_phone

    def send(self, notification, *, key):
        BrokenGateway.calls += 1
        return Outcome(Delivery.Status.RETRY, "138****0000", "isp.SYSTEM_ERROR: 系统繁忙")


@pytest.fixture(autouse=True)
def _fresh_gateway():
    Gateway.received, Gateway.kill_before, Gateway.kill_after = [], None, None
    BrokenGateway.calls = 0


def queue(world, n: int) -> list[Notification]:
    return [notify(user=world.member, kind="x", title=f"消息{i}") for i in range(n)]


def after_the_lease(settings, now=None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS + 1)


def test_a_worker_killed_mid_batch_loses_nothing_once_its_lease_runs_out(world, settings):
    settings.NOTIFY_SENDERS = [GATEWAY]
    made = queue(world, 6)
    Gateway.kill_before = 3
    with pytest.raises(WorkerKilled):
        notifications_send()
    assert len(Gateway.received) == 2
    # Another worker at once: the dead one's batch is still under its lease.
    assert notifications_send(worker="worker-2") == 0
    with time_machine.travel(after_the_lease(settings)):
        while notifications_send(worker="worker-2"):
            pass
    keys = [f"pl{n.pk}" for n in made]
    assert sorted(Gateway.received) == sorted(keys)  # every one, each once
    assert set(Notification.objects.values_list("state", flat=True)) == {"done"}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"accepted"}


def test_a_message_the_gateway_took_before_the_worker_died_is_not_sent_again(world, settings):
    settings.NOTIFY_SENDERS = [CAREFUL_GATEWAY]
    made = queue(world, 3)
    Gateway.kill_after = 2  # the gateway has the second message, the worker never hears
    with pytest.raises(WorkerKilled):
        notifications_send()
    # A gateway that can look a message up has the batch's messages go "sending" together,
    # before the first is handed over; their outcomes go with the batch's end, which never
    # came. The next worker asks the gateway about each before it sends anything again.
    assert list(Delivery.objects.values_list("status", flat=True)) == ["sending"] * 3
    assert set(Notification.objects.values_list("state", flat=True)) == {"waiting"}
    with time_machine.travel(after_the_lease(settings)):
        assert notifications_send(worker="worker-2") == 3
    assert Gateway.received == [f"pl{n.pk}" for n in made]  # none twice
    assert set(Notification.objects.values_list("state", flat=True)) == {"done"}
    found = Delivery.objects.filter(detail="found at the gateway")
    assert sorted(found.values_list("notification_id", flat=True)) == [n.pk for n in made[:2]]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"accepted"}


def test_without_a_look_up_the_unanswered_message_is_sent_again(world, settings):
    """The one double-send window: a gateway that cannot be asked (documented)."""
    settings.NOTIFY_SENDERS = [GATEWAY]
    made = queue(world, 2)
    Gateway.kill_after = 1
    with pytest.raises(WorkerKilled):
        notifications_send()
    with time_machine.travel(after_the_lease(settings)):
        notifications_send(worker="worker-2")
    assert Gateway.received == [f"pl{made[0].pk}", f"pl{made[0].pk}", f"pl{made[1].pk}"]


def test_the_logging_sender_says_logged_not_sent_and_never_accepted(world, caplog):
    notify(user=world.member, kind="order_filed", title="您的需求已登记", url="/me/")
    with caplog.at_level(logging.INFO, logger="pledgeloop.notify.sms"):
        notifications_send()
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == Delivery.Status.LOGGED != Delivery.Status.ACCEPTED
    assert delivery.get_status_display() == "记录在日志，未发送"
    assert "NOT sent" in caplog.text and "139****0103" in caplog.text


def test_the_logging_sender_skips_what_is_no_text_as_a_gateway_does(world, caplog):
    """Only the kinds in notify/kinds.py can go out by SMS: a gateway has no template for the
    others, and the log shows no text that no resident would get. Skipped without a "sending"
    of its own: the only writes are the claim and the batch's end."""
    notify(user=world.member, kind="dispatch", title="新的派单", url="/me/")
    with (
        caplog.at_level(logging.INFO, logger="pledgeloop.notify.sms"),
        CaptureQueriesContext(connection) as queries,
    ):
        assert notifications_send() == 1
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == Delivery.Status.SKIPPED and delivery.address == "139****0103"
    assert "“dispatch”" in delivery.detail and "NOT sent" not in caplog.text
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    assert len(writes) == 3  # the claim; the skip; the notification closed
    assert Notification.objects.get().state == "done"


def test_a_failing_send_is_retried_with_a_doubling_pause_then_marked_failed(
    world, settings, client_for
):
    settings.NOTIFY_SENDERS = [BROKEN]
    settings.NOTIFY_RETRY_SECONDS = 60
    settings.NOTIFY_MAX_ATTEMPTS = 3
    notification = notify(user=world.member, kind="dispatch", title="新的派单")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert notifications_send() == 1
    notification.refresh_from_db()
    assert notification.state == "waiting" and notification.attempts == 1
    assert notification.next_attempt_at == start + dt.timedelta(seconds=60)
    assert notification.last_error == "gateway: isp.SYSTEM_ERROR: 系统繁忙"
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        assert notifications_send() == 0  # not due yet
    second = start + dt.timedelta(seconds=61)
    with time_machine.travel(second, tick=False):
        assert notifications_send() == 1
    notification.refresh_from_db()
    assert notification.next_attempt_at == second + dt.timedelta(seconds=120)
    with time_machine.travel(second + dt.timedelta(seconds=121), tick=False):
        assert notifications_send() == 1
    notification.refresh_from_db()
    assert BrokenGateway.calls == 3
    assert notification.state == "failed" and notification.handled_at is not None
    assert Delivery.objects.get(notification=notification).status == "failed"
    with time_machine.travel(start + dt.timedelta(days=1)):
        assert notifications_send() == 0  # failed for good: not tried again

    page = client_for(world.community_admin).get(reverse("console:notifications"))
    assert page.status_code == 200
    assert "isp.SYSTEM_ERROR: 系统繁忙" in page.text and "新的派单" in page.text
    # The admin of another community does not see it; a member may not open the page.
    assert "新的派单" not in client_for(world.outsider).get(reverse("console:notifications")).text
    assert client_for(world.member).get(reverse("console:notifications")).status_code == 403


def test_an_admin_sends_a_failed_message_again(world, settings, client_for):
    settings.NOTIFY_SENDERS = [BROKEN]
    settings.NOTIFY_MAX_ATTEMPTS = 1
    notification = notify(user=world.member, kind="dispatch", title="新的派单")
    notifications_send()
    notification.refresh_from_db()
    assert notification.state == "failed"
    retry = reverse("console:notification_retry", args=[notification.pk])
    assert client_for(world.outsider).post(retry).status_code == 404
    assert Notification.objects.get(pk=notification.pk).state == "failed"
    settings.NOTIFY_SENDERS = [GATEWAY]  # the gateway works again
    assert client_for(world.community_admin).post(retry).status_code == 302
    assert notifications_send() == 1
    notification.refresh_from_db()
    assert notification.state == "done" and Gateway.received == [f"pl{notification.pk}"]


def test_a_worker_out_of_lease_time_lets_the_rest_of_its_batch_go(world, settings):
    settings.NOTIFY_SENDERS = [GATEWAY]
    made = queue(world, 3)
    # A lease that leaves no time to send (the margin is two SMS time-outs and five seconds).
    settings.SMS = {**settings.SMS, "TIMEOUT_SECONDS": 100}
    assert notifications_send() == 0
    assert not Gateway.received
    assert set(Notification.objects.values_list("claimed_by", flat=True)) == {""}
    settings.SMS = {**settings.SMS, "TIMEOUT_SECONDS": 10}
    assert notifications_send(worker="worker-2") == 3
    assert len(Gateway.received) == len(made)


def test_a_text_to_a_phone_alone_needs_no_account(world, settings):
    settings.NOTIFY_SENDERS = [GATEWAY, "pledgeloop.notify.senders.EmailSender"]
    notification = notify(phone="13811112222", kind="x", title="您好", street_id=world.street.pk)
    assert notification.user is None and notification.address_phone == "13811112222"
    notifications_send()
    assert Gateway.received == [f"pl{notification.pk}"]
    # No email address to send to: nothing is recorded for email.
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["gateway"]


def test_the_console_page_takes_a_fixed_number_of_queries(
    world, settings, client_for, django_assert_num_queries
):
    settings.NOTIFY_SENDERS = [BROKEN]
    settings.NOTIFY_MAX_ATTEMPTS = 1
    for i in range(12):
        notify(
            phone=f"1381111{i:04d}",
            kind="x",
            title=f"消息{i}",
            street_id=world.street.pk,
            community_id=world.community.pk,
        )
    while notifications_send():
        pass
    client = client_for(world.community_admin)
    client.get(reverse("console:notifications"))
    # the session with its user, their roles and unread inbox count (notify/sessions.py),
    # counts, page count, the page, its deliveries
    with django_assert_num_queries(5):
        page = client.get(reverse("console:notifications"))
    assert page.text.count("data-notification=") == 12
    assert "138****0011" in page.text and "13811110011" not in page.text


class WatchedGateway(Gateway):
    """A gateway that notes what the database says of every message as it takes one."""

    statuses: list[list[str]] = []

    def send(self, notification, *, key):
        WatchedGateway.statuses.append(
            list(Delivery.objects.order_by("pk").values_list("status", flat=True))
        )
        return super().send(notification, key=key)


@pytest.mark.django_db(transaction=True)
def test_each_message_takes_one_write_statement_and_its_outcome_is_committed_before_the_next(
    world, settings
):
    """The outcome of a message and the "sending" of the next are one statement, which the
    database commits as it runs (on SQLite each write waits for the database's one write lock,
    with the web workers filing orders); the notifications are closed with the batch's end."""
    settings.NOTIFY_SENDERS = ["pledgeloop.notify.tests.test_outbox.WatchedGateway"]
    WatchedGateway.statuses = []
    made = queue(world, 4)
    alone = []

    def writes_outside_a_transaction(execute, sql, params, many, context):
        write = sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        if write and not connection.in_atomic_block:
            alone.append(sql)
        return execute(sql, params, many, context)

    with (
        CaptureQueriesContext(connection) as queries,
        connection.execute_wrapper(writes_outside_a_transaction),
    ):
        assert notifications_send() == len(made)
    commits = [q for q in queries.captured_queries if q["sql"] == "COMMIT"]
    # The claim and the batch's end (the last outcome, the notifications closed) are
    # transactions; each message is one statement of its own: an upsert of its "sending"
    # with the outcome before it.
    assert len(commits) == 2
    assert len(alone) == len(made)
    assert all(sql.startswith("INSERT") and "ON CONFLICT" in sql for sql in alone)
    # Each message went out with every earlier one's outcome already committed.
    assert WatchedGateway.statuses == [["accepted"] * n + ["sending"] for n in range(len(made))]
    assert set(Notification.objects.values_list("state", flat=True)) == {"done"}


class WatchedCarefulGateway(CarefulGateway, WatchedGateway):
    """A gateway that can look a message up, noting the database's statuses as it takes one."""


@pytest.mark.django_db(transaction=True)
def test_a_sender_that_can_look_up_has_the_whole_batch_sending_before_the_first_goes_out(
    world, settings
):
    """A message left "sending" is looked up before it is sent again, so the batch's
    "sending" rows go in one statement ahead and the outcomes with the batch's end: two
    writes a batch, however many messages, rather than one a message."""
    settings.NOTIFY_SENDERS = ["pledgeloop.notify.tests.test_outbox.WatchedCarefulGateway"]
    WatchedGateway.statuses = []
    made = queue(world, 4)
    with CaptureQueriesContext(connection) as queries:
        assert notifications_send() == len(made)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(writes) == 2  # the batch's "sending", then its outcomes
    assert WatchedGateway.statuses == [["sending"] * len(made)] * len(made)
    assert set(Delivery.objects.values_list("status", "attempts")) == {("accepted", 1)}
    assert set(Notification.objects.values_list("state", flat=True)) == {"done"}


def test_out_of_lease_time_the_sending_written_ahead_is_put_back(world, settings, monkeypatch):
    """The worker runs out of lease time after the first message: the rest go back to the
    outbox as they were before the claim (no row for a first attempt, an earlier attempt's
    row as it was), so the next worker sends them without asking the gateway first."""
    settings.NOTIFY_SENDERS = [BROKEN]
    tried = queue(world, 2)
    notifications_send()  # a first attempt of each, failed: rows to retry
    before = {
        d[0]: d[1:]
        for d in Delivery.objects.values_list("notification_id", "status", "attempts", "at")
    }
    assert {row[:2] for row in before.values()} == {("retry", 1)}
    first = queue(world, 1)[0]
    settings.NOTIFY_SENDERS = [CAREFUL_GATEWAY]
    clock = [0.0]
    monkeypatch.setattr("pledgeloop.notify.services.time.monotonic", lambda: clock[0])
    real_send = CarefulGateway.send

    def send_then_stall(self, notification, *, key):
        clock[0] += settings.NOTIFY_LEASE_SECONDS  # the gateway took the whole lease
        return real_send(self, notification, key=key)

    monkeypatch.setattr(CarefulGateway, "send", send_then_stall)
    with time_machine.travel(after_the_lease(settings)):  # the failed ones are due again
        assert notifications_send() == 1
    assert Gateway.received == [f"pl{tried[0].pk}"]
    rows = {
        d[0]: d[1:]
        for d in Delivery.objects.values_list("notification_id", "status", "attempts", "at")
    }
    assert rows[tried[0].pk][:2] == ("accepted", 2)
    assert rows[tried[1].pk] == before[tried[1].pk]  # as it was
    assert first.pk not in rows  # never handed over: no row
    assert set(Notification.objects.values_list("claimed_by", flat=True)) == {""}
    monkeypatch.setattr(CarefulGateway, "send", real_send)
    with time_machine.travel(after_the_lease(settings, after_the_lease(settings))):
        assert notifications_send(worker="worker-2") == 2
    assert sorted(Gateway.received) == sorted(f"pl{n.pk}" for n in [*tried, first])
    assert not Delivery.objects.filter(detail="found at the gateway").exists()
    attempts = dict(Delivery.objects.values_list("notification_id", "attempts"))
    assert attempts == {tried[0].pk: 2, tried[1].pk: 2, first.pk: 1}


def test_the_logging_sender_logs_a_batch_with_one_write(world, caplog):
    """Its texts, logged again after a worker's death, reach no one: no "sending" is written
    before them, only their outcomes, at the batch's end."""
    for i in range(3):
        notify(user=world.member, kind="order_filed", title=f"您的需求已登记{i}", url="/me/")
    with (
        caplog.at_level(logging.INFO, logger="pledgeloop.notify.sms"),
        CaptureQueriesContext(connection) as queries,
    ):
        assert notifications_send() == 3
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('INSERT INTO "notify_delivery"')
    ]
    assert len(writes) == 1  # the batch's outcomes
    assert caplog.text.count("NOT sent") == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"logged"}
