"""Mark the days whose figures a write changes, so that the next refresh recomputes them.

The rollups are derived data, not product state, so watching other apps' models with
signals is fair here (STYLE.md keeps signals away from *important* state). A write that
sends no signal (bulk_create, QuerySet.update) is still found: new rows by their ids
(rollups._new_rows_days); `manage.py stats_refresh --full` rebuilds everything for the rare
QuerySet.update on old rows.
"""

from django.db.models import signals

from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceParticipant, ServiceRecord
from pledgeloop.teams.models import Attendance, EventSession

from .models import DirtyDay
from .rollups import local_day


def mark(street_id, *moments) -> None:
    days = {local_day(m) for m in moments if m is not None}
    if street_id is None or not days:
        return
    DirtyDay.objects.bulk_create(
        [DirtyDay(street_id=street_id, day=day) for day in days], ignore_conflicts=True
    )


def _first_offer(order_id):
    return (
        Dispatch.objects.filter(order_id=order_id)
        .order_by("offered_at")
        .values_list("offered_at", flat=True)
        .first()
    )


def before_record_change(sender, instance, **kwargs):
    """An edit may move a record to another day: the old day changes too."""
    if instance.pk:
        old = ServiceRecord.objects.filter(pk=instance.pk).values_list("started_at", flat=True)
        mark(instance.street_id, *old)


def before_order_change(sender, instance, **kwargs):
    if instance.pk:
        old = Order.objects.filter(pk=instance.pk).values_list("triaged_at", "done_at").first()
        mark(instance.street_id, *(old or ()))


def on_record_change(sender, instance, **kwargs):
    mark(instance.street_id, instance.started_at)


def on_participant_change(sender, instance, **kwargs):
    started = ServiceRecord.objects.filter(pk=instance.record_id).values_list(
        "started_at", flat=True
    )
    mark(instance.street_id, *started)


def on_order_change(sender, instance, created=False, **kwargs):
    # The order counts on its triage day (resolution cohort), its done day, and the day of
    # its first dispatch (response cohort). A new order has none of these yet.
    if created and instance.triaged_at is None and instance.done_at is None:
        return
    mark(instance.street_id, instance.triaged_at, instance.done_at, _first_offer(instance.pk))


def on_dispatch_change(sender, instance, **kwargs):
    mark(instance.street_id, instance.offered_at, _first_offer(instance.order_id))


def on_review_change(sender, instance, **kwargs):
    mark(instance.street_id, instance.created_at)


def on_volunteer_attendance_change(sender, instance, **kwargs):
    """A volunteer's event hours count on the day their session starts (before a delete, while
    the session is still there)."""
    if instance.volunteer_id is None:
        return
    starts = EventSession.objects.filter(pk=instance.session_id).values_list("starts_at", flat=True)
    mark(instance.street_id, *starts)


HANDLERS = [
    (ServiceRecord, before_record_change, on_record_change),
    (ServiceParticipant, None, on_participant_change),
    (Order, before_order_change, on_order_change),
    (Dispatch, None, on_dispatch_change),
    (Review, None, on_review_change),
]


def connect() -> None:
    for model, before, after in HANDLERS:
        uid = f"stats:{model._meta.label}"
        if before is not None:
            signals.pre_save.connect(before, sender=model, dispatch_uid=uid + ":pre")
        signals.post_save.connect(after, sender=model, dispatch_uid=uid + ":post")
        signals.post_delete.connect(after, sender=model, dispatch_uid=uid + ":del")
    uid = f"stats:{Attendance._meta.label}"
    signals.post_save.connect(
        on_volunteer_attendance_change, sender=Attendance, dispatch_uid=uid + ":post"
    )
    signals.pre_delete.connect(
        on_volunteer_attendance_change, sender=Attendance, dispatch_uid=uid + ":del"
    )
