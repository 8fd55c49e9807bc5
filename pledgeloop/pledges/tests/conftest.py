"""Factories for pledges: rows made directly, for tests that are about something else."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pledgeloop.conftest import make_user
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member, Role
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.service.models import ServiceParticipant, ServiceRecord


def category_of(street, code: str = "health") -> Category:
    return Category.objects.get(street=street, code=code)


def make_pledge(member: Member, *, state: str = Pledge.State.ACTIVE, **fields) -> Pledge:
    today = timezone.localdate()
    values = {
        "street_id": member.street_id,
        "community_id": member.community_id,
        "member": member,
        "category": category_of(member.street),
        "title": "每周为独居老人测血压",
        "beneficiary_kind": Pledge.Beneficiary.GROUP,
        "beneficiary_name": "独居老人",
        "rrule": "FREQ=WEEKLY",
        "starts_on": today - dt.timedelta(days=28),
        "ends_on": today + dt.timedelta(days=300),
        "target_visits": 40,
        "public": True,
        "state": state,
    }
    values.update(fields)
    if state in Pledge.WALL_STATES and "approved_at" not in fields:
        values["approved_at"] = timezone.make_aware(
            dt.datetime.combine(values["starts_on"] - dt.timedelta(days=3), dt.time(10))
        )
    return Pledge.objects.create(**values)


def make_member(world, phone: str, name: str, community=None, **fields) -> Member:
    community = community or world.community
    user = make_user(phone, name, Role.MEMBER, world.street, community)
    values = {"kind": Member.Kind.EMPLOYED, "party_join_date": dt.date(2001, 7, 1)}
    values.update(fields)
    return Member.objects.create(user=user, street=world.street, community=community, **values)


def service_record(world, members, hours: str, started, note: str = "") -> ServiceRecord:
    """A service record of `hours` from `started`, served by `members`."""
    record = ServiceRecord.objects.create(
        street=world.street,
        community=world.community,
        started_at=started,
        ended_at=started + dt.timedelta(hours=float(hours)),
        hours=Decimal(hours),
        note=note,
    )
    for member in members:
        ServiceParticipant.objects.create(street=world.street, record=record, member=member)
    return record


def visit_states(pledge: Pledge) -> list[tuple[dt.date, str]]:
    return list(pledge.visits.order_by("scheduled_at").values_list("due_on", "state"))


def fulfil_all_past(pledge: Pledge, today: dt.date) -> None:
    pledge.visits.filter(due_on__lte=today).update(
        state=Visit.State.FULFILLED, fulfilled_at=timezone.now()
    )


@pytest.fixture
def member(world) -> Member:
    """张三 of 星港湾, a retired party member."""
    return world.member.member


@pytest.fixture
def valid_form(world) -> dict:
    """What a member types into the pledge form for a sound pledge."""
    today = timezone.localdate()
    return {
        "category": category_of(world.street).pk,
        "title": "每周为独居老人测血压",
        "details": "带上血压计，上门测量并记录。",
        "beneficiary_kind": "group",
        "beneficiary_name": "独居老人",
        "frequency": "FREQ=WEEKLY;BYDAY=SA",
        "rrule": "",
        "visit_time": "09:00",
        "duration_minutes": "60",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=364)).isoformat(),
        "target_visits": "40",
        "public": "on",
    }
