"""Helpers for the review tests: members, service records at explicit times, a done order."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from pledgeloop.conftest import make_user
from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import age
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member, Role
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.services import service_record_create

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hour: int = 9) -> datetime:
    return datetime(y, m, d, hour, tzinfo=SHANGHAI)


def new_member(world, phone: str, name: str, community=None) -> Member:
    community = community or world.community
    user = make_user(phone, name, Role.MEMBER, world.street, community)
    return Member.objects.create(
        user=user,
        street=world.street,
        community=community,
        kind=Member.Kind.VOLUNTEER,
        capacity=3,
    )


def record(
    members, when: datetime, hours: str, verification=ServiceRecord.Verification.SELF, **extra
) -> ServiceRecord:
    members = members if isinstance(members, list) else [members]
    if verification == ServiceRecord.Verification.VERIFIED:
        extra.setdefault("evidence", ServiceRecord.Evidence.REVIEW)
    return service_record_create(
        members=members,
        started_at=when,
        ended_at=when + timedelta(hours=float(hours)),
        hours=Decimal(hours),
        by=members[0].user,
        verification=verification,
        **extra,
    )


def review(rec: ServiceRecord, rating: int, solved=None) -> Review:
    """A review row written directly: for fixtures of the annual review and the showcase."""
    return Review.objects.create(
        street_id=rec.street_id,
        community_id=rec.community_id,
        record=rec,
        rating=rating,
        solved=solved,
    )


@pytest.fixture
def done_order(world):
    """An order of 王秀兰 that 张三 took and finished: (order, its service record)."""
    category = Category.objects.filter(street=world.street).first()
    order = order_services.order_submit(
        community=world.community,
        category=category,
        description="楼道灯坏了",
        phone=world.resident_here.phone,
        consent=True,
        address="阳光花园3幢201室",
    )
    order_services.order_triage(order=order, by=world.community_admin)
    member = world.member.member
    order = age(order_services.order_claim(order=order, member=member))
    order, rec = order_services.order_finish(order=order, member=member, hours=Decimal("1.5"))
    return order, rec


def pledge_with_visits(member, visits: list[tuple[str, str]], year: int = 2025):
    """A running pledge of `member` and its visits: [(due_on ISO date, state), ...]."""

    pledge = Pledge.objects.create(
        street_id=member.street_id,
        community_id=member.community_id,
        member=member,
        category=Category.objects.filter(street_id=member.street_id).first(),
        title="每月为独居老人测血压",
        beneficiary_kind=Pledge.Beneficiary.GROUP,
        beneficiary_name="独居老人",
        rrule="FREQ=MONTHLY",
        starts_on=date(year, 1, 1),
        ends_on=date(year, 12, 31),
        target_visits=12,
        state=Pledge.State.ACTIVE,
    )
    for due_on, state in visits:
        day = date.fromisoformat(due_on)
        when = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
        Visit.objects.create(
            street_id=member.street_id,
            pledge=pledge,
            member=member,
            scheduled_at=when,
            due_on=day,
            state=state,
            fulfilled_at=when if state == "fulfilled" else None,
        )
    return pledge
