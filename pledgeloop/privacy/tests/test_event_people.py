"""Event registrations and non-member volunteers (teams) in the person's /my/ data: exported,
and made anonymous by a completed deletion request, while the hours they served still count."""

import datetime as dt
import json

import time_machine
from django.urls import reverse
from django.utils import timezone

from pledgeloop.privacy.models import DeletionRequest
from pledgeloop.stats import indicators, rollups
from pledgeloop.stats.periods import Period
from pledgeloop.stats.scope import Scope
from pledgeloop.teams import event_changes, events, services
from pledgeloop.teams.models import Event, EventSession, Registration, Shift, Volunteer
from pledgeloop.teams.tests.helpers import course_in, team_with_leaders

from .conftest import sign_in_by_code

PHONE = "13655554444"  # held nowhere else: only the event and the volunteer roster know it


def _hours(world):
    rollups.rollups_refresh()
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=30), today + dt.timedelta(days=3))
    return indicators.headline(Scope(street_id=world.street.pk), period)["service_hours"]


def test_registrations_and_volunteering_are_exported_then_made_anonymous(
    world, client, client_for, texts
):
    team, _heads = team_with_leaders(world)
    start = timezone.now() + dt.timedelta(hours=2)
    event = Event.objects.create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.ACTIVITY,
        title="手工编织下午",
        slug="knitting",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        registration=True,
    )
    session = EventSession.objects.create(
        street=world.street, event=event, starts_at=start, ends_at=event.ends_at, secret="s"
    )
    shift = Shift.objects.create(
        street=world.street, session=session, role="引导", starts_at=start, ends_at=event.ends_at
    )
    events.registration_submit(session=session, name="陈阿婆", phone=PHONE, consent=True)
    volunteer = services.volunteer_register(
        street=world.street,
        community=world.community,
        name="陈小红",
        phone=PHONE,
        consent=True,
        source="paper",
    )
    services.team_volunteer_add(team=team, volunteer=volunteer, by=world.community_admin)
    events.shift_signup_volunteer(shift=shift, volunteer=volunteer)
    with time_machine.travel(event.ends_at + dt.timedelta(minutes=5)):
        events.attendance_mark_volunteer(session=session, volunteer=volunteer)
        hours = _hours(world)
        assert hours >= 2  # the volunteer's two hours count as service hours

        sign_in_by_code(client, texts, PHONE)
        data = json.loads(client.get(reverse("privacy:export_json")).content)
        assert [r["name"] for r in data["event_registrations"]] == ["陈阿婆"]
        assert data["event_registrations"][0]["event"] == "手工编织下午"
        assert data["volunteer"][0]["name"] == "陈小红"
        assert data["volunteer"][0]["teams"] == team.name
        assert [(r["event"], r["hours"]) for r in data["volunteer_hours"]] == [
            ("手工编织下午", "2.00")
        ]
        assert "陈小红" in client.get(reverse("privacy:my")).content.decode()

        client.post(reverse("privacy:delete"), {"confirm": "1"})
        request = DeletionRequest.objects.get()
        assert request.community == world.community
        admin = client_for(world.community_admin)
        admin.post(reverse("console:deletion_request_complete", args=[request.pk]))
        request.refresh_from_db()
        assert request.completed_at is not None
        assert "1" in request.summary

        registration = Registration.objects.get(session=session)
        volunteer = Volunteer.objects.get(pk=volunteer.pk)
        for row in (registration, volunteer):
            assert row.phone == row.name == f"#{row.pk}"
        assert not Registration.objects.filter(phone=PHONE).exists()
        assert not Volunteer.objects.filter(phone=PHONE).exists()
        assert "陈" not in volunteer.name
        # The hours served stay counted.
        assert _hours(world) == hours


def test_a_registration_for_a_cancelled_event_says_when_it_was_called_off(world, client, texts):
    """/my/ listed the registration of an event since cancelled as if it were still on."""
    start = timezone.now() + dt.timedelta(days=2)
    session = course_in(world, "手工编织下午", start).sessions.get()
    events.registration_submit(session=session, name="陈阿婆", phone=PHONE, consent=True)
    sign_in_by_code(client, texts, PHONE)
    before = json.loads(client.get(reverse("privacy:export_json")).content)
    assert before["event_registrations"][0]["event_cancelled_at"] == ""
    event_changes.event_cancel(event=session.event, reason="场地临时征用")
    cancelled_at = Event.objects.get(pk=session.event_id).cancelled_at
    after = json.loads(client.get(reverse("privacy:export_json")).content)
    [row] = after["event_registrations"]
    assert row["event_cancelled_at"] == timezone.localtime(cancelled_at).isoformat(
        timespec="minutes"
    )
    assert "活动取消时间" in client.get(reverse("privacy:my")).content.decode()
