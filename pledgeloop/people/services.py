"""Writes of the people app that pages of several apps share (STYLE.md: services for writes).

The access log of whole phone numbers (DESIGN.md §10, C12; issue 13) is written here and
nowhere else: views call this when a person has asked to see a number (or an export holding
whole numbers), never while merely building a page. Every sight is a PhoneView row, kept
when the number is on no resident list and when the resident record is gone.
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pledgeloop.lib.masking import mask_phone

from .auth import lockout_lookback
from .models import LoginFailure, PhoneView, Resident, Session, User


def _row(*, viewer, street_id, community_id, resident, name, phone, context, page, at):
    return PhoneView(
        street_id=street_id,
        community_id=community_id,
        viewer=viewer,
        resident=resident,
        subject_name=(name or "")[:40],
        subject_phone=mask_phone(phone or ""),
        context=context[:80],
        page=page[:200],
        viewed_at=at,
    )


@transaction.atomic
def phone_view_record(
    *,
    viewer: User,
    street_id: int,
    community_id: int | None,
    resident: Resident | None,
    name: str,
    phone: str,
    context: str,
    page: str = "",
) -> PhoneView:
    """Log that ``viewer`` saw the whole number ``phone`` of ``name`` (the resident when the
    number is on the list, else None), why (``context``: "detail", "order #12"...) and on
    which page. The row keeps the name and the masked number itself."""
    view = _row(
        viewer=viewer,
        street_id=street_id,
        community_id=community_id,
        resident=resident,
        name=name,
        phone=phone,
        context=context,
        page=page,
        at=timezone.now(),
    )
    view.save()
    return view


@transaction.atomic
def phone_views_record(
    *,
    viewer: User,
    street_id: int,
    community_id: int | None,
    people: Iterable[tuple[str, str, Resident | None]],
    context: str,
    page: str = "",
) -> int:
    """The same for a list or an export of whole numbers: one row per person, given as
    (name, phone, resident or None). Returns how many rows were written."""
    now = timezone.now()
    rows = [
        _row(
            viewer=viewer,
            street_id=street_id,
            community_id=community_id,
            resident=resident,
            name=name,
            phone=phone,
            context=context,
            page=page,
            at=now,
        )
        for name, phone, resident in people
    ]
    PhoneView.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def login_failures_prune(*, now: dt.datetime | None = None) -> int:
    """Delete failed sign-ins older than LOGIN_FAILURE_RETENTION_DAYS (idempotent; the daily
    scheduled job). Rows the lockout still reads (people.auth.lockout_lookback) are kept
    whatever the setting, so a prune never lifts or shortens a lock."""
    now = now or timezone.now()
    keep = max(dt.timedelta(days=settings.LOGIN_FAILURE_RETENTION_DAYS), lockout_lookback())
    deleted, _rows = LoginFailure.objects.filter(at__lt=now - keep).delete()
    return deleted


def sessions_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the sessions past their expiry (idempotent; the daily scheduled job, Django's
    `clearsessions` for people.Session): an expired session signs nobody in, and its row
    still names who was signed in to it."""
    deleted, _rows = Session.objects.filter(expire_date__lt=now or timezone.now()).delete()
    return deleted
