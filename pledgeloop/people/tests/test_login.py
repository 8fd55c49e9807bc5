import pytest
from django.test import override_settings
from django.urls import reverse

from pledgeloop.conftest import PASSWORD
from pledgeloop.people.models import LoginFailure

pytestmark = pytest.mark.django_db


def sign_in(client, phone, password):
    return client.post(reverse("people:login"), {"phone": phone, "password": password})


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("street_admin", "console:street_home"),
        ("community_admin", "console:home"),
        ("member", "people:member_home"),
        ("resident", "people:resident_home"),
    ],
)
def test_each_role_lands_on_its_own_home_page(world, client, who, landing):
    user = getattr(world, who)
    response = sign_in(client, user.phone, PASSWORD)
    assert response.status_code == 302
    home = client.get(response.url)
    assert home.status_code == 302
    assert home.url == reverse(landing)
    assert client.get(home.url).status_code == 200


def test_phone_may_be_typed_with_country_code_and_dashes(world, client):
    response = sign_in(client, "+86 139-0000-0103", PASSWORD)
    assert response.status_code == 302


def test_not_a_mobile_number_is_refused_in_plain_words(world, client):
    response = sign_in(client, "12345", PASSWORD)
    assert response.status_code == 200
    assert "11 位" in response.text or "11-digit" in response.text
    assert not LoginFailure.objects.exists()


def test_wrong_password_says_so(world, client):
    response = sign_in(client, world.member.phone, "wrong")
    assert "_auth_user_id" not in client.session
    assert response.status_code == 200
    assert LoginFailure.objects.count() == 1


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCKOUT_MINUTES=15)
def test_five_failures_lock_the_number_even_for_the_right_password(world, client):
    for _ in range(4):
        sign_in(client, world.member.phone, "wrong")
    fifth = sign_in(client, world.member.phone, "wrong")
    assert "15" in fifth.text
    locked = sign_in(client, world.member.phone, PASSWORD)
    assert locked.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "15" in locked.text
    # Another number is not affected.
    assert sign_in(client, world.community_admin.phone, PASSWORD).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_lockout_also_guards_the_admin_site(world, client):
    world.street_admin.is_staff = True
    world.street_admin.save()
    for _ in range(3):
        client.post(reverse("admin:login"), {"username": world.street_admin.phone, "password": "x"})
    client.post(
        reverse("admin:login"), {"username": world.street_admin.phone, "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session


def test_success_clears_earlier_failures(world, client):
    sign_in(client, world.member.phone, "wrong")
    sign_in(client, world.member.phone, PASSWORD)
    assert not LoginFailure.objects.filter(phone=world.member.phone).exists()


def test_logout_needs_post_and_signs_out(world, client_for):
    client = client_for(world.member)
    assert client.get(reverse("people:logout")).status_code == 405
    client.post(reverse("people:logout"))
    assert "_auth_user_id" not in client.session


def test_open_redirect_after_login_is_refused(world, client):
    response = client.post(
        reverse("people:login") + "?next=https://evil.example/",
        {"phone": world.member.phone, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == reverse("people:home")


def test_a_failure_records_the_address_behind_trusted_proxies(world, client, settings):
    # The same client address as intake limits and check-ins use (lib/client.py).
    settings.PROXY_HOPS = 1
    client.post(
        reverse("people:login"),
        {"phone": world.member.phone, "password": "wrong"},
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
        REMOTE_ADDR="127.0.0.1",
    )
    assert LoginFailure.objects.get().ip == "203.0.113.9"
