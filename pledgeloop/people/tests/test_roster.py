"""The roster over time (Member.joined_on/left_on): who counts as a member in a period."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pledgeloop.people.models import Member, on_roster_q
from pledgeloop.reviews.tests.conftest import at, new_member
from pledgeloop.service.models import ServiceParticipant, ServiceRecord

pytestmark = pytest.mark.django_db
migration = importlib.import_module("pledgeloop.people.migrations.0002_member_roster_dates")


def roster(start: dt.date, end: dt.date) -> set[str]:
    return {m.name for m in Member.objects.filter(on_roster_q(start, end))}


def test_a_member_counts_from_joining_to_leaving(world):
    joined = new_member(world, "13900000301", "新来")
    joined.joined_on = dt.date(2026, 3, 15)
    joined.save(update_fields=["joined_on"])
    left = new_member(world, "13900000302", "离开")
    left.active, left.left_on = False, dt.date(2025, 7, 1)
    left.save(update_fields=["active", "left_on"])
    silent = new_member(world, "13900000303", "不知何时离开")
    silent.active = False
    silent.save(update_fields=["active"])
    assert roster(dt.date(2026, 3, 1), dt.date(2026, 4, 1)) == {"张三", "新来"}
    assert roster(dt.date(2026, 3, 16), dt.date(2026, 4, 1)) == {"张三", "新来"}
    assert roster(dt.date(2026, 1, 1), dt.date(2026, 3, 15)) == {"张三"}  # joins on the 15th
    assert roster(dt.date(2025, 6, 1), dt.date(2025, 7, 1)) == {"张三", "离开"}
    assert roster(dt.date(2025, 7, 1), dt.date(2025, 8, 1)) == {"张三"}  # gone on 1 July


def test_leaving_before_joining_is_refused(world):
    member = world.member.member
    member.joined_on, member.left_on = dt.date(2026, 3, 1), dt.date(2026, 2, 1)
    member.active = False
    with pytest.raises(ValidationError):
        member.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        member.save()


def test_an_inactive_member_needs_the_day_they_left(world):
    member = world.member.member
    member.active = False
    with pytest.raises(ValidationError) as refused:
        member.full_clean()
    assert "left_on" in refused.value.message_dict


def _participate(member, when, hours="2"):
    record = ServiceRecord.objects.create(
        street=member.street,
        community=member.community,
        started_at=when,
        ended_at=when + dt.timedelta(hours=2),
        hours=Decimal(hours),
    )
    ServiceParticipant.objects.create(street=member.street, record=record, member=member)


def test_the_migration_fills_the_roster_from_the_records(world):
    """joined_on: the earlier of the account and the first record; left_on for members
    already inactive: the day after their last record (none without a record)."""
    zhang = world.member.member
    _participate(zhang, at(2024, 5, 6))
    gone = new_member(world, "13900000311", "离开")
    _participate(gone, at(2024, 2, 1))
    _participate(gone, at(2025, 3, 9, 22))
    quiet = new_member(world, "13900000312", "没来过")
    for member in (gone, quiet):
        member.active = False
        member.save(update_fields=["active"])
    migration.fill_roster(apps, None)
    today = timezone.localdate()
    zhang.refresh_from_db()
    gone.refresh_from_db()
    quiet.refresh_from_db()
    assert (zhang.joined_on, zhang.left_on) == (dt.date(2024, 5, 6), None)
    assert (gone.joined_on, gone.left_on) == (dt.date(2024, 2, 1), dt.date(2025, 3, 10))
    assert (quiet.joined_on, quiet.left_on) == (today, None)
