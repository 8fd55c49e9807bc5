"""Logging service: members log their own (self), staff log for members (recorded)."""

import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from pledgeloop.conftest import make_user
from pledgeloop.people.models import Member, Role
from pledgeloop.service.models import ServicePhoto, ServiceRecord


@pytest.fixture
def other_member(world):
    user = make_user("13900000106", "李明", Role.MEMBER, world.street, world.community)
    return Member.objects.create(
        user=user,
        street=world.street,
        community=world.community,
        kind=Member.Kind.VOLUNTEER,
    )


@pytest.fixture
def neighbour_member(world):
    user = make_user("13900000107", "周强", Role.MEMBER, world.street, world.neighbour)
    return Member.objects.create(
        user=user, street=world.street, community=world.neighbour, kind=Member.Kind.VOLUNTEER
    )


def form_data(**extra):
    # Yesterday: a service from that morning has ended by now, at any hour (today's 00:00
    # plus an hour is still to come between midnight and one o'clock).
    day = timezone.localdate() - dt.timedelta(days=1)
    data = {"day": day.isoformat(), "start": "00:00", "hours": "1", "note": "陪同就医"}
    data.update(extra)
    return data


def jpeg_bytes() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "visit.jpg"
    return buffer


def test_member_logs_own_service_as_self_reported(world, client_for):
    client = client_for(world.member)
    page = client.get(reverse("service:new"))
    assert page.status_code == 200
    assert page.context["form"]["hours"].value() == Decimal("1")
    assert ">服务时长（小时）</label>" in page.text  # the unit: the field held a bare "1"
    response = client.post(
        reverse("service:new"), form_data(beneficiary_q="wxl", photos=[jpeg_bytes()])
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert record.verification == ServiceRecord.Verification.SELF
    assert list(record.members.all()) == [world.member.member]
    assert record.beneficiary == world.resident_here
    assert record.hours == Decimal("1")
    assert ServicePhoto.objects.filter(record=record).count() == 1
    listing = client.get(reverse("service:mine"))
    assert "陪同就医" in listing.content.decode()


def test_member_cannot_log_hours_for_another_member(world, client_for, other_member):
    client = client_for(world.member)
    # The member form has no member field: a forged one is ignored, the record is their own.
    client.post(reverse("service:new"), form_data(members=[other_member.pk]))
    record = ServiceRecord.objects.get()
    assert list(record.members.all()) == [world.member.member]
    # And the staff form is not theirs.
    response = client.post(reverse("service:console_new"), form_data(members=[other_member.pk]))
    assert response.status_code == 404
    assert ServiceRecord.objects.count() == 1


def test_member_cannot_name_a_resident_of_another_community(world, client_for):
    client = client_for(world.member)
    response = client.post(reverse("service:new"), form_data(beneficiary=world.resident_there.pk))
    assert response.status_code == 200
    assert not ServiceRecord.objects.exists()


def test_member_cannot_log_future_service(world, client_for):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(world.member).post(
        reverse("service:new"), form_data(day=tomorrow.isoformat())
    )
    assert response.status_code == 200
    assert not ServiceRecord.objects.exists()


def test_a_file_that_is_not_a_photo_is_refused(world, client_for):
    fake = io.BytesIO(b"<?php echo 1; ?>")
    fake.name = "photo.jpg"
    response = client_for(world.member).post(reverse("service:new"), form_data(photos=[fake]))
    assert response.status_code == 200
    assert not ServiceRecord.objects.exists()


@pytest.mark.parametrize("who", ["resident", "community_admin", "street_admin"])
def test_only_members_log_on_the_member_page(world, client_for, who):
    response = client_for(getattr(world, who)).post(reverse("service:new"), form_data())
    assert response.status_code == 404
    assert not ServiceRecord.objects.exists()


def test_anonymous_is_sent_to_sign_in(world, client):
    response = client.post(reverse("service:new"), form_data())
    assert response.status_code == 302
    assert reverse("people:login") in response["Location"]
    assert not ServiceRecord.objects.exists()


def test_staff_record_for_several_members_marked_recorded(world, client_for, other_member):
    client = client_for(world.community_admin)
    assert client.get(reverse("service:console_new")).status_code == 200
    response = client.post(
        reverse("service:console_new"),
        form_data(members=[world.member.member.pk, other_member.pk], hours="2.5"),
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert record.verification == ServiceRecord.Verification.RECORDED
    assert record.created_by == world.community_admin
    assert set(record.members.all()) == {world.member.member, other_member}
    assert record.hours == Decimal("2.5")


def test_staff_cannot_record_for_members_of_another_community(world, client_for, neighbour_member):
    response = client_for(world.community_admin).post(
        reverse("service:console_new"), form_data(members=[neighbour_member.pk])
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not ServiceRecord.objects.exists()


def test_street_admin_records_across_the_street(world, client_for, neighbour_member):
    response = client_for(world.street_admin).post(
        reverse("service:console_new"), form_data(members=[neighbour_member.pk])
    )
    assert response.status_code == 302
    assert ServiceRecord.objects.get().verification == "recorded"


@pytest.mark.parametrize("who", ["member", "resident"])
def test_console_record_form_denied_to_non_admins(world, client_for, who):
    response = client_for(getattr(world, who)).post(
        reverse("service:console_new"), form_data(members=[world.member.member.pk])
    )
    assert response.status_code == 404
    assert not ServiceRecord.objects.exists()


def test_record_detail_hidden_from_other_communities(world, client_for):
    client_for(world.member).post(reverse("service:new"), form_data())
    record = ServiceRecord.objects.get()
    assert (
        client_for(world.community_admin)
        .get(reverse("service:record", args=[record.pk]))
        .status_code
        == 200
    )
    assert (
        client_for(world.outsider).get(reverse("service:record", args=[record.pk])).status_code
        == 404
    )
    assert (
        client_for(world.resident).get(reverse("service:record", args=[record.pk])).status_code
        == 404
    )


def test_a_record_leads_back_to_the_list_its_reader_keeps(world, client_for):
    """The record's page linked every reader to "My service records" (/me/service/), which
    answers 404 to an admin who is not a member: the desk's way back was a dead end."""
    client_for(world.member).post(reverse("service:new"), form_data())
    url = reverse("service:record", args=[ServiceRecord.objects.get().pk])
    for user, back, not_back in [
        (world.street_admin, "service:console", "service:mine"),
        (world.community_admin, "service:console", "service:mine"),
        (world.member, "service:mine", "service:console"),
    ]:
        client = client_for(user)
        html = client.get(url).content.decode()
        assert f'href="{reverse(back)}"' in html and f'href="{reverse(not_back)}"' not in html
        assert client.get(reverse(back)).status_code == 200
        assert "<dd>1 小时 <span" in html  # the hours with their unit


def test_beneficiary_search_finds_by_initials_in_own_community(world, client_for):
    client = client_for(world.member)
    found = client.get(reverse("service:beneficiaries"), {"beneficiary_q": "wxl"}).content
    assert "王秀兰" in found.decode()
    other = client.get(reverse("service:beneficiaries"), {"beneficiary_q": "李四"}).content
    assert "李四" not in other.decode()


def test_console_list_shows_hours_kept_apart(world, client_for, other_member):
    client_for(world.member).post(reverse("service:new"), form_data(hours="1"))
    client = client_for(world.community_admin)
    client.post(reverse("service:console_new"), form_data(members=[other_member.pk], hours="2"))
    page = client.get(reverse("service:console"))
    assert page.context["totals"] == {
        "verified": Decimal("0"),
        "recorded": Decimal("2"),
        "self": Decimal("1"),
    }


def test_the_forms_own_defaults_can_be_sent_just_after_midnight(world, client_for):
    """At 00:30 an hour ago is yesterday evening: the form offers yesterday at 23:30, not
    today at 23:30 (a service still to come, which the form would then refuse)."""
    beijing = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    client = client_for(world.member)
    with time_machine.travel(dt.datetime(2026, 3, 10, 0, 30, tzinfo=beijing), tick=False):
        form = client.get(reverse("service:new")).context["form"]
        day, start = form["day"].value(), form["start"].value()
        assert (day, start) == (dt.date(2026, 3, 9), dt.time(23, 30))
        hours = form["hours"].value()
        response = client.post(
            reverse("service:new"),
            {"day": day.isoformat(), "start": start.strftime("%H:%M"), "hours": hours,
             "note": "夜间陪护"},
        )  # fmt: skip
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert timezone.localtime(record.started_at) == dt.datetime(2026, 3, 9, 23, 30, tzinfo=beijing)
