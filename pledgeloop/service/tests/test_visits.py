"""Fulfilling a pledge visit: the record and the visit change together."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orgs.models import Category
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.service.models import ServiceRecord


@pytest.fixture
def due_visit(world):
    # Due yesterday: a visit logged from its morning has ended by now, at any hour.
    today = timezone.localdate() - dt.timedelta(days=1)
    pledge = Pledge.objects.create(
        street=world.street,
        community=world.community,
        member=world.member.member,
        category=Category.objects.filter(street=world.street).first(),
        title="每周为独居老人测血压",
        beneficiary_kind=Pledge.Beneficiary.RESIDENT,
        beneficiary_resident=world.resident_here,
        rrule="FREQ=WEEKLY",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300),
        target_visits=40,
        duration_minutes=90,
        state=Pledge.State.ACTIVE,
    )
    return Visit.objects.create(
        street=world.street,
        pledge=pledge,
        member=world.member.member,
        scheduled_at=timezone.make_aware(dt.datetime.combine(today, dt.time(0, 0))),
        due_on=today,
    )


def test_logging_a_visit_fulfils_it(world, client_for, due_visit):
    client = client_for(world.member)
    page = client.get(reverse("service:new"), {"visit": due_visit.pk})
    assert page.context["form"]["hours"].value() == 1.5
    response = client.post(
        reverse("service:new"),
        {
            "visit": due_visit.pk,
            "day": due_visit.due_on.isoformat(),
            "start": "00:00",
            "hours": "1.5",
        },
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    due_visit.refresh_from_db()
    assert record.visit == due_visit
    assert record.beneficiary == world.resident_here
    assert record.category == due_visit.pledge.category
    assert due_visit.state == Visit.State.FULFILLED and due_visit.fulfilled_at == record.ended_at


def test_a_member_cannot_fulfil_anothers_visit(world, client_for, due_visit):
    from pledgeloop.conftest import make_user
    from pledgeloop.people.models import Member, Role

    user = make_user("13900000106", "李明", Role.MEMBER, world.street, world.community)
    Member.objects.create(
        user=user, street=world.street, community=world.community, kind="volunteer"
    )
    response = client_for(user).post(
        reverse("service:new"),
        {
            "visit": due_visit.pk,
            "day": due_visit.due_on.isoformat(),
            "start": "00:00",
            "hours": "1",
        },
    )
    assert response.status_code == 200  # not one of their visits: the form refuses it
    due_visit.refresh_from_db()
    assert due_visit.state == Visit.State.DUE
    assert not ServiceRecord.objects.exists()


def test_a_fulfilled_visit_cannot_be_logged_twice(world, client_for, due_visit):
    data = {"visit": due_visit.pk, "day": due_visit.due_on.isoformat(), "start": "00:00",
            "hours": "1"}  # fmt: skip
    client = client_for(world.member)
    client.post(reverse("service:new"), data)
    client.post(reverse("service:new"), data)
    assert ServiceRecord.objects.count() == 1


def test_checking_in_and_out_at_the_beneficiary_fulfils_the_visit_with_the_real_time(
    world, client_for, due_visit
):
    from pledgeloop.service import access
    from pledgeloop.service.models import CheckIn

    client = client_for(world.member)
    url = reverse("service:checkin", args=[access.checkin_token(world.resident_here)])
    client.post(url, {"action": "in"})
    CheckIn.objects.update(checked_in_at=timezone.now() - dt.timedelta(minutes=65))
    client.post(url, {"action": "out"})
    record = ServiceRecord.objects.get()
    due_visit.refresh_from_db()
    assert record.visit == due_visit and due_visit.state == Visit.State.FULFILLED
    assert record.hours == 1  # the real time (65 min), not the pledge's planned 90 min
    assert record.evidence == ServiceRecord.Evidence.BENEFICIARY_CODE
