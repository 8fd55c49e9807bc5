"""Each reminder job notifies the right people once, however often it runs."""

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django_tasks_db.models import DBTaskResult

from pledgeloop.notify.models import Delivery, Notification
from pledgeloop.notify.services import notify
from pledgeloop.orders.models import Dispatch, IntakeAttempt, Order
from pledgeloop.orgs.models import Category
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.tasks import reminders
from pledgeloop.tasks.models import JobRun
from pledgeloop.tasks.schedule import JOBS, run_due_jobs
from pledgeloop.tasks.tasks import (
    notifications_tick,
    reminders_tick,
    schedule_start,
    tick_waiting,
)


def notified(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("user__name", flat=True))


def run_twice(job, **kwargs):
    first = job(**kwargs)
    second = job(**kwargs)
    assert second == 0
    return first


@pytest.fixture
def category(world):
    return Category.objects.filter(street=world.street).first()


@pytest.fixture
def pledge(world, category):
    today = timezone.localdate()
    return Pledge.objects.create(
        street=world.street,
        community=world.community,
        member=world.member.member,
        category=category,
        title="每周为独居老人测血压",
        beneficiary_kind=Pledge.Beneficiary.RESIDENT,
        beneficiary_resident=world.resident_here,
        rrule="FREQ=WEEKLY",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300),
        target_visits=40,
        state=Pledge.State.ACTIVE,
    )


def visit(world, pledge, day, state=Visit.State.DUE):
    return Visit.objects.create(
        street=world.street,
        pledge=pledge,
        member=world.member.member,
        scheduled_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))),
        due_on=day,
        state=state,
    )


def order(world, category, **fields):
    return Order.objects.create(
        street=world.street,
        community=world.community,
        category=category,
        description="水管漏水",
        phone="13812345678",
        **fields,
    )


def test_visit_due_tomorrow_tells_the_member_once(world, pledge):
    today = timezone.localdate()
    visit(world, pledge, today + dt.timedelta(days=1))
    visit(world, pledge, today + dt.timedelta(days=2))
    assert run_twice(reminders.visits_due_tomorrow) == 1
    assert notified("visit_due") == ["张三"]


def test_dispatch_deadline_near_tells_the_member_once(world, category):
    now = timezone.now()
    soon = order(world, category, state=Order.State.DISPATCHED)
    later = order(world, category, state=Order.State.DISPATCHED)
    member = world.member.member
    Dispatch.objects.create(
        street=world.street, order=soon, member=member, respond_by=now + dt.timedelta(hours=1)
    )
    Dispatch.objects.create(
        street=world.street, order=later, member=member, respond_by=now + dt.timedelta(hours=20)
    )
    assert run_twice(reminders.dispatch_deadlines) == 1
    assert notified("dispatch_deadline") == ["张三"]


def test_overdue_order_tells_the_communitys_admins_once(world, category):
    now = timezone.now()
    order(world, category, state=Order.State.TRIAGED, respond_by=now - dt.timedelta(hours=1))
    order(world, category, state=Order.State.TRIAGED, respond_by=now + dt.timedelta(hours=5))
    assert run_twice(reminders.orders_overdue) == 2
    # The community's admin and the street admin; not the neighbouring community's admin.
    assert notified("order_overdue") == sorted(["星港湾书记", "街道管理员"])


def test_missed_visit_tells_the_member_and_admins_once(world, pledge):
    today = timezone.localdate()
    visit(world, pledge, today - dt.timedelta(days=3), state=Visit.State.MISSED)
    visit(world, pledge, today - dt.timedelta(days=60), state=Visit.State.MISSED)
    assert run_twice(reminders.visits_missed) == 3
    assert notified("visit_missed") == sorted(["张三", "星港湾书记", "街道管理员"])
    day = date_format(today - dt.timedelta(days=3), "MONTH_DAY_FORMAT")  # 11月28日, not 11-28
    titles = set(Notification.objects.filter(kind="visit_missed").values_list("title", flat=True))
    assert titles and all(title.startswith(f"{day} 的走访未完成") for title in titles), titles


def test_showcase_due_tells_admins_in_the_last_week_of_a_quarter(world):
    mid = timezone.make_aware(dt.datetime(2026, 8, 15, 10))
    assert reminders.showcase_due(now=mid) == 0
    end = timezone.make_aware(dt.datetime(2026, 9, 27, 10))
    assert run_twice(reminders.showcase_due, now=end) == 3
    assert notified("showcase_due") == sorted(["星港湾书记", "腾飞书记", "街道管理员"])
    titles = set(Notification.objects.filter(kind="showcase_due").values_list("title", flat=True))
    assert all("9月30日" in title for title in titles), titles


def test_quarter_end():
    assert reminders.quarter_end(dt.date(2026, 11, 3)) == dt.date(2026, 12, 31)
    assert reminders.quarter_end(dt.date(2026, 2, 3)) == dt.date(2026, 3, 31)
    assert reminders.quarter_end(dt.date(2026, 6, 30)) == dt.date(2026, 6, 30)


def test_due_jobs_run_once_per_period(world):
    now = timezone.now()
    IntakeAttempt.objects.create(phone="13800000001", at=now - dt.timedelta(days=3))
    # Old enough to be pruned two hours from now, but the prune runs once a day.
    IntakeAttempt.objects.create(phone="13800000002", at=now - dt.timedelta(hours=47))
    first = run_due_jobs(now=now)
    assert set(first) == {job.name for job in JOBS}
    assert "failed" not in first.values()
    assert IntakeAttempt.objects.count() == 1
    # Ten minutes on, only what runs every few minutes; an hour on, the hourly jobs too.
    frequent = {job.name for job in JOBS if job.every <= dt.timedelta(minutes=10)}
    assert (
        set(run_due_jobs(now=now + dt.timedelta(minutes=10)))
        == frequent
        == {"stats_refresh", "webhooks_send"}
    )
    hourly = {job.name for job in JOBS if job.every <= dt.timedelta(hours=1)}
    assert set(run_due_jobs(now=now + dt.timedelta(hours=2))) == hourly
    assert IntakeAttempt.objects.count() == 1
    assert JobRun.objects.get(name="intake_attempts_prune").last_run_at == now
    assert "intake_attempts_prune" in run_due_jobs(now=now + dt.timedelta(days=1))
    assert not IntakeAttempt.objects.exists()


def test_an_hourly_job_waits_for_its_hour_even_with_ticks_every_few_minutes(world, settings):
    settings.REMINDERS_TICK_MINUTES = 5
    now = timezone.now()
    run_due_jobs(now=now)
    assert "orders_overdue" not in run_due_jobs(now=now + dt.timedelta(minutes=55))
    assert "orders_overdue" in run_due_jobs(now=now + dt.timedelta(minutes=59))


def run_like_the_worker(tick):
    """What db_worker does with the queued tick: claim it (RUNNING), then call it."""
    row = DBTaskResult.objects.get(task_path=tick.module_path, status="READY")
    row.claim("worker-1")
    result = tick.call()
    row.set_successful(result)
    return result


def test_the_tick_runs_jobs_and_queues_the_next_tick(world, settings):
    settings.REMINDERS_TICK_MINUTES = 7
    assert schedule_start() is True
    assert tick_waiting()
    assert schedule_start() is False  # starting again adds no second chain
    old = DBTaskResult.objects.get(task_path=reminders_tick.module_path, status="READY")
    finished = reminders_tick.enqueue()
    DBTaskResult.objects.filter(pk=finished.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - dt.timedelta(hours=2)
    )
    result = run_like_the_worker(reminders_tick)
    assert "orders_overdue" in result
    # The old tick's result is forgotten; the next tick waits, 7 minutes on.
    assert not DBTaskResult.objects.filter(pk=finished.id).exists()
    waiting = DBTaskResult.objects.filter(task_path=reminders_tick.module_path, status="READY")
    assert waiting.count() == 1 and waiting.get().pk != old.pk
    soon = timezone.now() + dt.timedelta(minutes=7)
    assert soon - dt.timedelta(seconds=5) < waiting.get().run_after <= soon


def test_the_notifications_tick_empties_the_outbox_and_queues_the_next(world, settings):
    settings.NOTIFY_SEND_SECONDS = 7
    assert schedule_start() is True
    assert tick_waiting(notifications_tick)
    for n in range(3):
        notify(user=world.member, kind="x", title=f"消息{n}")
    assert run_like_the_worker(notifications_tick) == 3
    assert not Notification.objects.filter(state="waiting").exists()
    assert Delivery.objects.filter(channel="sms").count() == 3
    waiting = DBTaskResult.objects.filter(task_path=notifications_tick.module_path, status="READY")
    # The next one, in 7 seconds.
    soon = timezone.now() + dt.timedelta(seconds=7)
    assert soon - dt.timedelta(seconds=5) < waiting.get().run_after <= soon


def test_run_reminders_command(world, capsys):
    from django.core.management import call_command

    call_command("run_reminders", "orders_overdue", "showcase_due")
    out = capsys.readouterr().out
    assert "orders_overdue: 0" in out
    call_command("run_reminders", "--list")
    assert "generate_visits" in capsys.readouterr().out
