from datetime import datetime
from decimal import Decimal

from django.db import transaction

from pledgeloop.people.models import Member, Resident

from .models import ServiceParticipant, ServiceRecord


@transaction.atomic
def service_record_create(
    *,
    members: list[Member],
    started_at: datetime,
    ended_at: datetime,
    hours: Decimal,
    by,
    note: str = "",
    order=None,
    beneficiary: Resident | None = None,
    category=None,
    verification: str = ServiceRecord.Verification.SELF,
) -> ServiceRecord:
    first = members[0]
    record = ServiceRecord(
        street_id=first.street_id,
        community_id=order.community_id if order else first.community_id,
        category=category or (order.category if order else None),
        order=order,
        beneficiary=beneficiary or (order.resident if order else None),
        started_at=started_at,
        ended_at=ended_at,
        hours=hours,
        note=note,
        verification=verification,
        created_by=by,
    )
    record.full_clean(exclude=["members"])
    record.save()
    ServiceParticipant.objects.bulk_create(
        ServiceParticipant(street_id=record.street_id, record=record, member=m) for m in members
    )
    return record
