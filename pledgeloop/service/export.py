"""Volunteer-hours export for carrying over into 全国志愿服务信息系统 (DESIGN.md C5).

One row per volunteer per service in the period, sorted by volunteer (pinyin) then date, with
the columns the national system asks for and the kind of hours kept apart (核验/登记/自报).
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.spreadsheets import build_xlsx
from pledgeloop.people.models import User
from pledgeloop.people.services import phone_views_record

from .models import ServiceRecord
from .selectors import participations_for_export


def verification_labels() -> dict[str, str]:
    return {
        ServiceRecord.Verification.VERIFIED: _("Verified by check-in or review"),
        ServiceRecord.Verification.RECORDED: _("Recorded by community staff"),
        ServiceRecord.Verification.SELF: _("Reported by the volunteer"),
    }


def activity_name(record: ServiceRecord) -> str:
    parts = []
    if record.category_id:
        parts.append(record.category.name)
    if record.order_id:
        parts.append(_("Order #%(n)s") % {"n": record.order_id})
    if record.note:
        parts.append(record.note)
    elif record.beneficiary_id:
        parts.append(_("Service for %(name)s") % {"name": record.beneficiary.name})
    return " · ".join(parts) or _("Community volunteer service")


def hours_export(
    *, title: str, community_ids, start: dt.date, end: dt.date, by: User, page: str = ""
) -> bytes:
    """The sheet, with each volunteer's whole number: every number in it is logged as seen
    by `by` (people.services.phone_views_record), once per volunteer."""
    labels = verification_labels()
    # Headings as the national system names them (姓名, 手机号, 服务时长(小时) …).
    headers = [
        _("Volunteer's name"),
        _("Volunteer's mobile number"),
        _("Activity name / service"),
        _("Date of service"),
        _("Service start time"),
        _("Service end time"),
        _("Service duration (hours)"),
        _("Kind of hours (verified/recorded/self)"),
        _("Verified by"),
    ]
    total = Decimal("0")
    rows = []
    numbers = defaultdict(dict)  # (street, community) → {member id: (name, phone, None)}
    for part in participations_for_export(community_ids=community_ids, start=start, end=end):
        record = part.record
        member = part.member
        numbers[(member.street_id, member.community_id)][member.pk] = (
            member.user.name,
            member.user.phone,
            None,
        )
        began = timezone.localtime(record.started_at)
        ended = timezone.localtime(record.ended_at)
        total += record.hours
        rows.append(
            [
                part.member.user.name,
                part.member.user.phone,
                activity_name(record),
                began.date(),  # Excel dates and times (lib/spreadsheets.build_xlsx)
                began.time().replace(second=0, microsecond=0),
                ended.time().replace(second=0, microsecond=0),
                float(record.hours),
                labels[record.verification],
                record.get_evidence_display() if record.evidence else "",
            ]
        )
    totals = ["", "", "", "", "", "", float(total), "", ""]
    for (street_id, community_id), people in numbers.items():
        phone_views_record(
            viewer=by,
            street_id=street_id,
            community_id=community_id,
            people=people.values(),
            context="hours export",
            page=page,
        )
    return build_xlsx(title=title, headers=headers, rows=rows, totals=totals)
