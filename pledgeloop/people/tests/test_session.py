"""Session idle time-out (issue 13): staff are signed out after SESSION_IDLE_MINUTES without
a request; activity keeps the session alive; members and residents have their own limit."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@override_settings(SESSION_IDLE_MINUTES=30)
def test_staff_are_signed_out_after_the_idle_time(world, client_for):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(world.community_admin)
        assert client.get(reverse("console:home")).status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get(reverse("console:home"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("people:login"))
        assert not signed_in(client)
        page = client.get(response.url)
        [message] = [str(m) for m in page.context["messages"]]
        assert "30" in message
        assert message in page.text


@override_settings(SESSION_IDLE_MINUTES=30)
def test_activity_keeps_a_staff_session_alive(world, client_for):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(world.street_admin)
        for _ in range(4):  # an hour and a half in all, never 30 minutes idle
            clock.shift(timedelta(minutes=25))
            assert client.get(reverse("console:street_home")).status_code == 200
        assert signed_in(client)


@override_settings(SESSION_IDLE_MINUTES=5)
def test_the_idle_time_is_a_setting(world, client_for):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(world.community_admin)
        client.get(reverse("console:home"))
        clock.shift(timedelta(minutes=6))
        client.get(reverse("console:home"))
        assert not signed_in(client)


@override_settings(SESSION_IDLE_MINUTES=30, SESSION_IDLE_MINUTES_MEMBERS=7 * 24 * 60)
def test_members_and_residents_keep_their_longer_limit(world, client_for, client):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for user, page in [
            (world.member, "people:member_home"),
            (world.resident, "privacy:my"),
        ]:
            client.force_login(user)
            client.get(reverse(page))
            clock.shift(timedelta(hours=5))
            assert client.get(reverse(page)).status_code == 200
            clock.shift(timedelta(days=7, minutes=1))
            client.get(reverse(page))
            assert not signed_in(client)


@override_settings(SESSION_IDLE_MINUTES=0)
def test_zero_turns_the_limit_off(world, client_for):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = client_for(world.community_admin)
        client.get(reverse("console:home"))
        clock.shift(timedelta(days=3))
        assert client.get(reverse("console:home")).status_code == 200
