"""Hours that mean what they say (issue 12): a record's hours fit between its start and end,
end by now, never overlap another record of the same member, and a member's day never holds
more than 24 hours; whoever logs them (the member, staff, an order's finish, a check-out)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.conftest import make_user
from pledgeloop.orders.tests.loop import new_order
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Member, Role
from pledgeloop.service import access
from pledgeloop.service.models import CheckIn, ServiceRecord
from pledgeloop.service.services import ServiceError, service_record_create


@pytest.fixture
def other_member(world):
    user = make_user("13900000106", "李明", Role.MEMBER, world.street, world.community)
    return Member.objects.create(
        user=user, street=world.street, community=world.community, kind=Member.Kind.VOLUNTEER
    )


def yesterday() -> str:
    # Two days back: an entry of 24 h from that day's morning has ended by now, at any hour.
    return (timezone.localdate() - dt.timedelta(days=2)).isoformat()


def log(client, **data):
    return client.post(reverse("service:new"), {"day": yesterday(), "note": "陪同就医", **data})


def test_three_overlapping_24_hour_entries_on_one_day_only_the_first_is_accepted(world, client_for):
    # Issue 12: three overlapping 24 h self-logged entries on one day were all accepted.
    client = client_for(world.member)
    first = log(client, start="00:00", hours="24")
    assert first.status_code == 302
    second = log(client, start="00:00", hours="24")
    third = log(client, start="06:00", hours="24")
    for refused in (second, third):
        assert refused.status_code == 200
        assert "不能重叠" in refused.content.decode()
    assert ServiceRecord.objects.count() == 1
    assert ServiceRecord.objects.get().hours == Decimal("24")


def test_back_to_back_entries_do_not_overlap(world, client_for):
    client = client_for(world.member)
    assert log(client, start="08:00", hours="2").status_code == 302
    assert log(client, start="10:00", hours="1.5").status_code == 302
    assert log(client, start="11:00", hours="1").status_code == 200  # 11:00 is inside 10–11:30
    assert ServiceRecord.objects.count() == 2


def test_a_members_day_never_holds_more_than_24_hours(world):
    member = world.member.member
    day = timezone.localdate() - dt.timedelta(days=2)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(0)))
    service_record_create(
        members=[member],
        started_at=start,
        ended_at=start + dt.timedelta(hours=20),
        hours=Decimal("20"),
        by=world.member,
    )
    evening = start + dt.timedelta(hours=20)
    with pytest.raises(ServiceError, match="24"):
        service_record_create(
            members=[member],
            started_at=evening,
            ended_at=evening + dt.timedelta(hours=8),
            hours=Decimal("8"),
            by=world.member,
        )
    # Four hours still fit that day.
    service_record_create(
        members=[member],
        started_at=evening,
        ended_at=evening + dt.timedelta(hours=4),
        hours=Decimal("4"),
        by=world.member,
    )
    assert ServiceRecord.objects.count() == 2


def test_service_still_to_end_cannot_be_logged(world, client_for):
    now = timezone.localtime()
    response = client_for(world.member).post(
        reverse("service:new"),
        {"day": now.date().isoformat(), "start": now.strftime("%H:%M"), "hours": "3"},
    )
    if now.date() == (now + dt.timedelta(hours=3)).date():  # the form's day check aside
        assert response.status_code == 200
        assert "还没结束的服务不能登记" in response.content.decode()
    assert not ServiceRecord.objects.exists()


def test_hours_must_fit_between_start_and_end(world):
    now = timezone.now()
    with pytest.raises(ServiceError):
        service_record_create(
            members=[world.member.member],
            started_at=now - dt.timedelta(hours=1),
            ended_at=now,
            hours=Decimal("2"),
            by=world.member,
        )
    assert not ServiceRecord.objects.exists()


def test_staff_cannot_record_hours_overlapping_a_members_own_entry(world, client_for, other_member):
    log(client_for(world.member), start="09:00", hours="2")
    response = client_for(world.community_admin).post(
        reverse("service:console_new"),
        {
            "members": [other_member.pk, world.member.member.pk],
            "day": yesterday(),
            "start": "10:00",
            "hours": "1",
        },
    )
    assert response.status_code == 200
    assert "张三" in response.content.decode() and "不能重叠" in response.content.decode()
    assert ServiceRecord.objects.count() == 1
    # Without the busy member it goes through.
    response = client_for(world.community_admin).post(
        reverse("service:console_new"),
        {"members": [other_member.pk], "day": yesterday(), "start": "10:00", "hours": "1"},
    )
    assert response.status_code == 302


def test_no_other_service_is_logged_while_checked_in(world, client_for):
    site = Site.objects.create(
        street=world.street,
        community=world.community,
        kind="centre",
        name="党群服务站",
        latitude="31.95",
        longitude="120.9",
    )
    client = client_for(world.member)
    url = reverse("service:checkin", args=[access.checkin_token(site)])
    client.post(url, {"action": "in"})
    CheckIn.objects.update(checked_in_at=timezone.now() - dt.timedelta(hours=1))
    now = timezone.localtime()
    start = now - dt.timedelta(minutes=30)
    if start.date() == now.date():
        response = client.post(
            reverse("service:new"),
            {
                "day": start.date().isoformat(),
                "start": start.strftime("%H:%M"),
                "hours": "0.25",
            },
        )
        assert "签到还没签退" in response.content.decode()
    assert not ServiceRecord.objects.exists()


def test_a_record_cannot_start_before_its_order_was_filed(world):
    # Issue 12: the record's start was back-dated before the order was filed.
    order = new_order(world)
    with pytest.raises(ServiceError, match="提交"):
        service_record_create(
            members=[world.member.member],
            started_at=order.created_at - dt.timedelta(hours=2),
            ended_at=order.created_at - dt.timedelta(hours=1),
            hours=Decimal("1"),
            by=world.member,
            order=order,
        )
    assert not ServiceRecord.objects.exists()
