"""Verified hours: check-in and check-out by scanning a site's or a resident's code."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orgs.models import Site
from pledgeloop.service import access
from pledgeloop.service.models import CheckIn, ServiceRecord
from pledgeloop.service.services import (
    ServiceError,
    checkin_close,
    hours_between,
    service_record_confirm_by_review,
    service_record_create,
)


@pytest.fixture
def site(world):
    return Site.objects.create(
        street=world.street,
        community=world.community,
        kind="centre",
        name="党群服务站",
        latitude="31.95",
        longitude="120.9",
    )


def url_for(place):
    return reverse("service:checkin", args=[access.checkin_token(place)])


def test_check_in_then_out_writes_a_verified_record(world, client_for, site):
    client = client_for(world.member)
    page = client.get(url_for(site))
    assert page.status_code == 200 and "党群服务站" in page.content.decode()
    client.post(url_for(site), {"action": "in"}, REMOTE_ADDR="10.1.2.3")
    checkin = CheckIn.objects.get()
    assert checkin.site == site and checkin.ip == "10.1.2.3" and checkin.is_open
    # Two hours and five minutes later (moved back in time rather than waiting).
    CheckIn.objects.filter(pk=checkin.pk).update(
        checked_in_at=timezone.now() - dt.timedelta(hours=2, minutes=5)
    )
    response = client.post(url_for(site), {"action": "out"})
    record = ServiceRecord.objects.get()
    assert response.status_code == 302
    assert record.verification == ServiceRecord.Verification.VERIFIED
    assert record.hours == Decimal("2")
    checkin.refresh_from_db()
    assert checkin.record == record and not checkin.is_open


def test_checking_in_at_a_resident_names_the_beneficiary(world, client_for):
    client = client_for(world.member)
    client.post(url_for(world.resident_here), {"action": "in"})
    client.post(url_for(world.resident_here), {"action": "out"})
    record = ServiceRecord.objects.get()
    assert record.beneficiary == world.resident_here
    assert record.hours == Decimal("0.25")  # at least a quarter hour


def test_hours_round_to_quarter_hours_and_are_capped():
    start = timezone.now()
    assert hours_between(start, start + dt.timedelta(minutes=37)) == Decimal("0.5")
    assert hours_between(start, start + dt.timedelta(minutes=52)) == Decimal("0.75")
    assert hours_between(start, start + dt.timedelta(hours=30)) == Decimal("8")


def test_a_forged_code_is_not_found(world, client_for, site):
    token = access.checkin_token(site)[:-2] + "xx"
    client = client_for(world.member)
    assert client.get(reverse("service:checkin", args=[token])).status_code == 404
    assert (
        client.post(reverse("service:checkin", args=[token]), {"action": "in"}).status_code == 404
    )
    assert not CheckIn.objects.exists()


def test_a_resident_cannot_check_in(world, client_for, site):
    client_for(world.resident).post(url_for(site), {"action": "in"})
    assert not CheckIn.objects.exists()


def test_a_member_of_another_street_cannot_check_in(world, client_for):
    from pledgeloop.conftest import make_user
    from pledgeloop.people.models import Member, Role

    user = make_user("13900000109", "远方", Role.MEMBER, world.other_street, world.faraway)
    Member.objects.create(
        user=user, street=world.other_street, community=world.faraway, kind="volunteer"
    )
    site = Site.objects.create(
        street=world.street,
        community=world.community,
        kind="centre",
        name="站",
        latitude="31.95",
        longitude="120.9",
    )
    client_for(user).post(url_for(site), {"action": "in"})
    assert not CheckIn.objects.exists()


def test_one_cannot_close_anothers_check_in(world, client_for, site):
    client_for(world.member).post(url_for(site), {"action": "in"})
    checkin = CheckIn.objects.get()
    from pledgeloop.conftest import make_user
    from pledgeloop.people.models import Member, Role

    user = make_user("13900000108", "李明", Role.MEMBER, world.street, world.community)
    other = Member.objects.create(
        user=user, street=world.street, community=world.community, kind="volunteer"
    )
    with pytest.raises(ServiceError):
        checkin_close(checkin=checkin, member=other)
    assert not ServiceRecord.objects.exists()


def test_a_second_check_in_elsewhere_is_refused_until_checked_out(world, client_for, site):
    client = client_for(world.member)
    client.post(url_for(site), {"action": "in"})
    client.post(url_for(world.resident_here), {"action": "in"})
    assert CheckIn.objects.count() == 1
    # Checking out with the wrong code does not close it either.
    client.post(url_for(world.resident_here), {"action": "out"})
    assert CheckIn.objects.get().is_open


def test_review_confirmation_makes_hours_verified(world):
    member = world.member.member
    now = timezone.now()
    record = service_record_create(
        members=[member],
        started_at=now - dt.timedelta(hours=1),
        ended_at=now,
        hours=Decimal("1"),
        by=world.member,
    )
    assert record.verification == "self"
    assert service_record_confirm_by_review(record=record).verification == "verified"
    assert service_record_confirm_by_review(record=record).verification == "verified"


def test_checkin_codes_page_for_admins_only(world, client_for, site):
    page = client_for(world.community_admin).get(reverse("service:checkin_codes"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert client_for(world.member).get(reverse("service:checkin_codes")).status_code == 404
