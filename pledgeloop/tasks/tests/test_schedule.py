"""Every scheduled job runs through the worker, and the schedule refuses a job it cannot run.

The worker path is the one `make run` uses: a `reminders_tick` queued in the database, run by
`manage.py db_worker`, runs the jobs that are due (schedule.run_due_jobs). SCENARIOS holds,
for every job in schedule.JOBS, what to set up before the tick and what the job must have
changed after it; a job added to the schedule without a scenario fails here.
"""

import datetime as dt
import io
import os
import signal
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pledgeloop.api.models import ApiOrder, Scope, WebhookDelivery
from pledgeloop.api.tests.helpers import token_for
from pledgeloop.api.tests.receiver import receiver_start, receiver_stop
from pledgeloop.api.webhooks import webhook_create
from pledgeloop.lib.photos import KEPT_PHOTO_MAX_AGE
from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Dispatch, IntakeAttempt, Order, OrderEvent
from pledgeloop.orders.tests.loop import bring_to, dispatched_order, new_order, triaged_order
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import LoginFailure, Session
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.privacy.models import OneTimeCode
from pledgeloop.service.models import ServiceParticipant, ServiceRecord
from pledgeloop.stats import rollups
from pledgeloop.stats.models import DayFigures
from pledgeloop.tasks import reminders
from pledgeloop.tasks.schedule import DAY, JOBS, MINUTE, Job
from pledgeloop.tasks.tasks import reminders_tick

# A Sunday in the last week of the third quarter, so that the showcase reminder is due too.
NOW = dt.datetime(2026, 9, 27, 10, 0)
TODAY = NOW.date()

SCENARIOS: dict[str, Callable] = {}


def scenario(name: str):
    def register(arrange):
        SCENARIOS[name] = arrange
        return arrange

    return register


def _now() -> dt.datetime:
    return timezone.make_aware(NOW)


def _pledge(world, **fields) -> Pledge:
    values = {
        "street": world.street,
        "community": world.community,
        "member": world.member.member,
        "category": Category.objects.filter(street=world.street).first(),
        "title": "每周为独居老人测血压",
        "beneficiary_kind": Pledge.Beneficiary.RESIDENT,
        "beneficiary_resident": world.resident_here,
        "rrule": "FREQ=WEEKLY",
        "starts_on": TODAY - dt.timedelta(days=30),
        "ends_on": TODAY + dt.timedelta(days=300),
        "target_visits": 40,
        "state": Pledge.State.ACTIVE,
    }
    return Pledge.objects.create(**(values | fields))


def _visit(world, day: dt.date, state=Visit.State.DUE) -> Visit:
    # 14:00, away from the pledge's own 09:00 visits that generate_visits adds.
    return Visit.objects.create(
        street=world.street,
        pledge=_pledge(world),
        member=world.member.member,
        scheduled_at=timezone.make_aware(dt.datetime.combine(day, dt.time(14))),
        due_on=day,
        state=state,
        fulfilled_at=_now() if state == Visit.State.FULFILLED else None,
    )


def _notified(dedupe_key: str) -> set[str]:
    return set(
        Notification.objects.filter(dedupe_key=dedupe_key).values_list("user__name", flat=True)
    )


@scenario("dispatch_time_outs")
def _(world):
    order, offer = dispatched_order(world)
    Dispatch.objects.filter(pk=offer.pk).update(respond_by=_now() - dt.timedelta(minutes=1))

    def check():
        assert Dispatch.objects.get(pk=offer.pk).state == Dispatch.State.TIMED_OUT
        assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED

    return check


@scenario("expire_orders")
def _(world):
    gone = new_order(
        world,
        window_start=_now() - dt.timedelta(days=3),
        window_end=_now() - dt.timedelta(days=2),
    )

    def check():
        assert Order.objects.get(pk=gone.pk).state == Order.State.EXPIRED

    return check


@scenario("intake_attempts_prune")
def _(world):
    IntakeAttempt.objects.create(ip="10.0.0.1", phone="13800000001", at=_now() - 3 * DAY)
    fresh = IntakeAttempt.objects.create(ip="10.0.0.2", phone="13800000002", at=_now())

    def check():
        assert list(IntakeAttempt.objects.values_list("pk", flat=True)) == [fresh.pk]

    return check


@scenario("login_failures_prune")
def _(world):
    # Older than the retention period (and than anything a lock in force still reads) goes.
    days = settings.LOGIN_FAILURE_RETENTION_DAYS + 1
    LoginFailure.objects.create(phone="13900000102", ip="10.0.0.1", at=_now() - days * DAY)
    fresh = LoginFailure.objects.create(phone="13900000102", ip="10.0.0.2", at=_now())

    def check():
        assert list(LoginFailure.objects.values_list("pk", flat=True)) == [fresh.pk]

    return check


@scenario("sessions_prune")
def _(world):
    # A session past its expiry goes; one still running stays.
    def session(key: str, expires: dt.datetime) -> Session:
        return Session.objects.create(
            session_key=key, session_data="", expire_date=expires, user_id=world.member.pk
        )

    session("expired" + "x" * 25, _now() - dt.timedelta(minutes=1))
    running = session("running" + "x" * 25, _now() + DAY)

    def check():
        assert list(Session.objects.values_list("pk", flat=True)) == [running.pk]

    return check


@scenario("remove_orphan_photos")
def _(world):
    # A photo file no row references: one older than the grace period (a server killed
    # mid-intake) goes, one just written (its row's transaction may still be open) stays.
    folder = Path(settings.MEDIA_ROOT) / "orders" / "scenario"
    return _old_file_goes_young_stays(
        folder, ".jpg", old=dt.timedelta(hours=2), young=dt.timedelta(minutes=10)
    )


def _old_file_goes_young_stays(folder: Path, suffix: str, *, old, young):
    """Two files in `folder`, `old` and `young` ago; the check: the old one went, the young
    one stayed (and is then removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {age: folder / f"{uuid.uuid4().hex}{suffix}" for age in (old, young)}
    for age, path in files.items():
        path.write_bytes(b"a file of no row")
        moment = (_now() - age).timestamp()
        os.utime(path, (moment, moment))

    def check():
        assert not files[old].exists()
        assert files[young].exists()
        files[young].unlink()

    return check


@scenario("kept_photos_prune")
def _(world):
    # A photo kept for a form sent back with a mistake (lib/photos.py): one older than its
    # token's max age goes, one kept a few minutes ago (its token still valid) stays.
    return _old_file_goes_young_stays(
        Path(settings.PHOTO_KEPT_DIR),
        "",
        old=KEPT_PHOTO_MAX_AGE + dt.timedelta(minutes=5),
        young=5 * MINUTE,
    )


@scenario("anonymise_closed_orders")
def _(world):
    def closed(days_ago: int) -> Order:
        order = bring_to(world, Order.State.CANCELLED)
        OrderEvent.objects.filter(order=order).update(at=_now() - days_ago * DAY)
        return order

    old = closed(settings.ORDER_RETENTION_DAYS + 1)
    young = closed(settings.ORDER_RETENTION_DAYS - 1)

    def check():
        assert Order.objects.get(pk=old.pk).phone == ""
        assert Order.objects.get(pk=old.pk).anonymised_at is not None
        assert Order.objects.get(pk=young.pk).phone == "13812345678"

    return check


@scenario("one_time_codes_prune")
def _(world):
    stale = OneTimeCode.objects.create(
        phone="13800000001",
        purpose=OneTimeCode.Purpose.MY_DATA,
        created_at=_now() - 2 * DAY,
        expires_at=_now() - 2 * DAY,
    )
    fresh = OneTimeCode.objects.create(
        phone="13800000002",
        purpose=OneTimeCode.Purpose.MY_DATA,
        created_at=_now(),
        expires_at=_now() + DAY,
    )

    def check():
        assert not OneTimeCode.objects.filter(pk=stale.pk).exists()
        assert OneTimeCode.objects.filter(pk=fresh.pk).exists()

    return check


@scenario("generate_visits")
def _(world):
    pledge = _pledge(world)

    def check():
        # Weekly from a month ago up to the 90 days ahead: the next visit is there.
        assert pledge.visits.filter(due_on__gt=TODAY).exists()

    return check


@scenario("mark_missed_visits")
def _(world):
    visit = _visit(world, TODAY - dt.timedelta(days=10))

    def check():
        assert Visit.objects.get(pk=visit.pk).state == Visit.State.MISSED

    return check


@scenario("party_anniversaries")
def _(world):
    member = world.member.member
    member.party_join_date = dt.date(1996, TODAY.month, TODAY.day)
    member.save(update_fields=["party_join_date"])
    key = f"anniversary:{member.pk}:{TODAY.isoformat()}:0d"

    def check():
        assert _notified(key) == {"张三"}

    return check


@scenario("visits_due_tomorrow")
def _(world):
    visit = _visit(world, TODAY + dt.timedelta(days=1))

    def check():
        assert _notified(f"visit:{visit.pk}:due") == {"张三"}

    return check


@scenario("dispatch_deadlines")
def _(world):
    _order, offer = dispatched_order(world)
    Dispatch.objects.filter(pk=offer.pk).update(respond_by=_now() + dt.timedelta(hours=1))

    def check():
        assert _notified(f"dispatch:{offer.pk}:deadline") == {"张三"}

    return check


@scenario("orders_overdue")
def _(world):
    order = triaged_order(world)
    Order.objects.filter(pk=order.pk).update(respond_by=_now() - dt.timedelta(hours=1))

    def check():
        assert _notified(f"order:{order.pk}:overdue:respond") == {"星港湾书记", "街道管理员"}

    return check


@scenario("visits_missed")
def _(world):
    visit = _visit(world, TODAY - dt.timedelta(days=5), state=Visit.State.MISSED)

    def check():
        assert _notified(f"visit:{visit.pk}:missed") == {"张三", "星港湾书记", "街道管理员"}

    return check


@scenario("showcase_due")
def _(world):
    def check():
        notes = Notification.objects.filter(dedupe_key="showcase:2026Q3")
        assert {n.user.name for n in notes} == {"星港湾书记", "腾飞书记", "街道管理员"}
        assert {n.url for n in notes} == {"/console/"}

    return check


@scenario("stats_refresh")
def _(world):
    rollups.rollups_refresh()  # built once; the job must notice what came after
    # bulk_create sends no signals: only the refresh's own look at new rows finds these.
    started = _now() - dt.timedelta(days=1)
    [record] = ServiceRecord.objects.bulk_create(
        [
            ServiceRecord(
                street=world.street,
                community=world.community,
                category=Category.objects.filter(street=world.street).first(),
                started_at=started,
                ended_at=started + dt.timedelta(hours=2),
                hours=Decimal(2),
            )
        ]
    )
    ServiceParticipant.objects.bulk_create(
        [ServiceParticipant(street=world.street, record=record, member=world.member.member)]
    )

    def check():
        assert not rollups.needs_refresh()
        day = DayFigures.objects.filter(street=world.street, day=TODAY - dt.timedelta(days=1))
        assert sum(row.records for row in day) == 1

    return check


@scenario("webhooks_send")
def _(world):
    token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    token = world.community_admin.api_tokens.get()
    receiver = receiver_start()
    webhook_create(token=token, url=receiver.url, by=world.community_admin)
    receiver.secret = token.webhooks.get().secret
    order = new_order(world)
    ApiOrder.objects.create(
        street_id=order.street_id, order=order, token=token, public_token="scenario"
    )

    def check():
        try:
            assert [r["payload"]["order_id"] for r in receiver.accepted] == [order.pk]
            assert receiver.accepted[0]["verified"]
            assert WebhookDelivery.objects.get().state == WebhookDelivery.State.DELIVERED
        finally:
            receiver_stop(receiver)

    return check


def run_worker() -> dict:
    """Queue a tick and let `manage.py db_worker` run what is ready; the tick's result.

    The worker installs its own SIGINT/SIGTERM/SIGQUIT handlers (to stop gracefully); they are
    put back afterwards, or a later signal to the test process would run the worker's
    shutdown (a SystemExit) in the middle of another test."""
    reminders_tick.enqueue()
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        _call_worker()
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    [result] = DBTaskResult.objects.filter(
        task_path=reminders_tick.module_path, status="SUCCESSFUL"
    )
    return result.return_value


WORKER_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def _call_worker() -> None:
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--interval",
        "0",
        "--worker-id",
        "test",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )


def test_every_scheduled_job_has_a_worker_scenario():
    assert {job.name for job in JOBS} == set(SCENARIOS)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", [job.name for job in JOBS])
def test_each_scheduled_job_runs_through_the_worker(name, world):
    with time_machine.travel(_now(), tick=False):
        check = SCENARIOS[name](world)
        results = run_worker()
    assert results[name] != "failed"
    check()


def test_a_job_is_refused_when_its_function_does_not_take_what_the_schedule_passes():
    with pytest.raises(TypeError):
        Job("showcase_due", reminders.showcase_due, DAY, arg="today")
    with pytest.raises(TypeError):
        Job("stats_refresh", rollups.rollups_refresh, DAY)  # takes no now=
    with pytest.raises(ValueError, match="arg must be one of"):
        Job("showcase_due", reminders.showcase_due, DAY, arg="when")
