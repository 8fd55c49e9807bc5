"""Scheduled jobs of the order loop: idempotent functions, each returning how much it did.

    time_out_dispatches(now=...)   offers past their answer deadline go back to the needs list
    expire_orders(now=...)         orders nobody took, long past their time, close as timed out
    remove_orphan_photos(now=...)  photo files no row references (a server killed mid-intake)

Run by the tasks framework (tasks/schedule.py) or by hand: `manage.py time_out_dispatches`,
`manage.py expire_orders`, `manage.py remove_orphan_photos`. Running any twice changes nothing
the second time, and each notification carries a dedupe key, so nobody is told twice.
"""

import datetime as dt
import os
import stat
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.notify.services import notify
from pledgeloop.service.models import ServicePhoto

from . import services
from .models import Dispatch, Order, OrderError

# A waiting order whose wanted time window ended this long ago is closed as timed out.
EXPIRE_AFTER_WINDOW = dt.timedelta(days=1)
# A waiting order without a window is closed this long after its finish deadline.
EXPIRE_AFTER_DEADLINE = dt.timedelta(days=30)


def time_out_dispatches(*, now: dt.datetime | None = None) -> int:
    """Time out every unanswered offer past its deadline and tell the community's admins."""
    now = now or timezone.now()
    due = Dispatch.objects.filter(state=Dispatch.State.OFFERED, respond_by__lt=now).only(
        "pk", "order_id"
    )
    count = 0
    for dispatch in list(due):
        if not services.dispatch_time_out(dispatch=dispatch, now=now):
            continue  # answered or timed out meanwhile: someone else won
        count += 1
        dispatch = Dispatch.objects.select_related("order__community", "member__user", "team").get(
            pk=dispatch.pk
        )
        order = dispatch.order
        for admin in services.community_admins(order.community):
            notify(
                user=admin,
                kind="dispatch_timed_out",
                street_id=order.street_id,
                url=reverse("console:order_detail", args=[order.pk]),
                title=_("%(name)s did not answer order #%(n)s in time")
                % {"name": dispatch.target_name, "n": order.pk},
                body=_("The order is back on the needs list; dispatch it again."),
                dedupe_key=f"dispatch-timed-out:{dispatch.pk}",
            )
    return count


def orders_to_expire(now: dt.datetime) -> Q:
    # Not Order.WAITING: a dispatched order waits for the member's answer, not for expiry.
    untaken = [s for s, moves in Order.TRANSITIONS.items() if Order.State.EXPIRED in moves]
    window_gone = Q(recurrence="", window_end__lt=now - EXPIRE_AFTER_WINDOW)
    long_late = Q(finish_by__lt=now - EXPIRE_AFTER_DEADLINE)
    return Q(state__in=untaken) & (window_gone | long_late)


def expire_orders(*, now: dt.datetime | None = None) -> int:
    """Close orders nobody took whose wanted time is long gone (已超时), telling the admins."""
    now = now or timezone.now()
    due = Order.objects.filter(orders_to_expire(now)).select_related("community")
    count = 0
    for order in list(due):
        gone = order.window_end is not None and order.window_end < now - EXPIRE_AFTER_WINDOW
        reason = (
            _("The wanted time has passed and nobody took the order.")
            if gone and not order.recurrence
            else _("Nobody took the order within %(days)s days of its deadline.")
            % {"days": EXPIRE_AFTER_DEADLINE.days}
        )
        try:
            services.order_expire(order=order, reason=reason)
        except OrderError:
            continue  # taken or closed meanwhile
        count += 1
        for admin in services.community_admins(order.community):
            notify(
                user=admin,
                kind="order_expired",
                street_id=order.street_id,
                url=reverse("console:order_detail", args=[order.pk]),
                title=_("Order #%(n)s closed as timed out") % {"n": order.pk},
                body=reason,
                dedupe_key=f"order-expired:{order.pk}",
            )
    return count


# --- orphan photos ---------------------------------------------------------------------------

# A photo file is written just before its row's transaction (order_submit, the service record
# forms), so a file younger than this may belong to a submission still in flight.
ORPHAN_PHOTO_GRACE = dt.timedelta(hours=1)
# Every field that stores photos: its model and the field's name. Their upload_to folders are
# the only places swept.
PHOTO_FIELDS = [(Order, "photo"), (ServicePhoto, "image")]
BATCH = 500


def _photo_folders() -> list[str]:
    return sorted({m._meta.get_field(f).upload_to.split("/")[0] for m, f in PHOTO_FIELDS})


def _referenced(names: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(names), BATCH):
        chunk = names[start : start + BATCH]
        for model, field in PHOTO_FIELDS:
            found.update(
                model.objects.filter(**{f"{field}__in": chunk}).values_list(field, flat=True)
            )
    return found


def orphan_photos(
    *, now: dt.datetime | None = None, grace: dt.timedelta = ORPHAN_PHOTO_GRACE
) -> list[str]:
    """Names (relative to MEDIA_ROOT) of the photo files no row references, older than grace.

    Only regular files under the photo fields' folders count; symbolic links are neither
    followed nor listed. The rows are asked about one folder's old files at a time.
    """
    now = now or timezone.now()
    cutoff = (now - grace).timestamp()
    root = Path(settings.MEDIA_ROOT)
    orphans = []
    for folder in _photo_folders():
        for directory, _dirs, files in os.walk(root / folder):
            prefix = Path(directory).relative_to(root).as_posix()
            old = []
            for file_name in files:
                status = os.lstat(os.path.join(directory, file_name))
                if stat.S_ISREG(status.st_mode) and status.st_mtime < cutoff:
                    old.append(f"{prefix}/{file_name}")
            if old:
                referenced = _referenced(old)
                orphans += [name for name in old if name not in referenced]
    return orphans


def remove_orphan_photos(
    *, now: dt.datetime | None = None, grace: dt.timedelta = ORPHAN_PHOTO_GRACE
) -> int:
    """Delete the orphan photo files (idempotent); returns how many went."""
    root = Path(settings.MEDIA_ROOT)
    removed = 0
    for name in orphan_photos(now=now, grace=grace):
        try:
            (root / name).unlink()
        except FileNotFoundError:
            continue  # removed meanwhile
        removed += 1
    return removed
