"""Password change for everyone signed in (issue 13)."""

import pytest
from django.test import Client
from django.urls import reverse

from pledgeloop.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Lantern-Harbour-42"


def change(client, old, new, again=None):
    return client.post(
        reverse("people:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


@pytest.mark.parametrize("who", ["street_admin", "community_admin", "member", "resident"])
def test_every_signed_in_person_changes_their_password(world, client_for, client, who):
    user = getattr(world, who)
    signed_in = client_for(user)
    page = signed_in.get(reverse("people:password_change"))
    assert page.status_code == 200
    assert "修改密码" in page.text  # Chinese by default, in the site's layout
    assert (
        reverse("people:password_change") in signed_in.get(reverse("people:home"), follow=True).text
    )
    response = change(signed_in, PASSWORD, NEW)
    assert response.status_code == 302
    assert signed_in.session["_auth_user_id"] == str(user.pk)  # still signed in here
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert not user.check_password(PASSWORD)


def test_a_wrong_current_password_changes_nothing(world, client_for):
    client = client_for(world.member)
    response = change(client, "not-my-password", NEW)
    assert response.status_code == 200
    assert "旧密码不正确" in response.text or "incorrectly" in response.text
    world.member.refresh_from_db()
    assert world.member.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "again"), [("1234", "1234"), ("password", "password"), (NEW, NEW + "x")]
)
def test_a_weak_or_mistyped_new_password_is_refused(world, client_for, new, again):
    client = client_for(world.resident)
    response = change(client, PASSWORD, new, again)
    assert response.status_code == 200
    assert 'class="field-error"' in response.text
    world.resident.refresh_from_db()
    assert world.resident.check_password(PASSWORD)


def test_signing_in_is_needed(client, db):
    response = client.get(reverse("people:password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_other_sessions_end_when_the_password_changes(world, client_for, client):
    other_device = Client()
    other_device.force_login(world.member)
    change(client_for(world.member), PASSWORD, NEW)
    assert other_device.get(reverse("people:member_home")).status_code == 302
