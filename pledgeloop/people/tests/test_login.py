from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from pledgeloop.conftest import PASSWORD
from pledgeloop.people.auth import lock_end, login_lock_minutes
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
        ("resident", "privacy:my"),
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


# --- a lockout nobody can turn against the owner (issue 13) ---------------------------------

STRANGER = "203.0.113.66"
OFFICE = "198.51.100.7"


def sign_in_from(client, address, phone, password):
    return client.post(
        reverse("people:login"), {"phone": phone, "password": password}, REMOTE_ADDR=address
    )


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_MAX_FAILURES_PER_IP=10)
def test_a_stranger_cannot_lock_an_admin_out_from_another_address(world, client):
    admin = world.community_admin
    for _ in range(12):
        sign_in_from(client, STRANGER, admin.phone, "guess")
    # The stranger is stopped, even with the right password...
    refused = sign_in_from(client, STRANGER, admin.phone, PASSWORD)
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session
    # ...and every guess after the lock was refused unchecked, not recorded.
    assert LoginFailure.objects.filter(phone=admin.phone).count() == 5
    # The admin, at the office, signs in as usual.
    assert sign_in_from(client, OFFICE, admin.phone, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_MAX_FAILURES_PER_IP=8)
def test_one_address_cannot_try_number_after_number(world, client):
    for n in range(8):
        sign_in_from(client, STRANGER, f"1380000{n:04d}", "guess")
    # The ninth number from that address is refused, right password or not...
    locked = sign_in_from(client, STRANGER, world.member.phone, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert "15" in locked.text
    assert not LoginFailure.objects.filter(phone=world.member.phone).exists()
    # ...while the same member elsewhere is not hindered.
    assert sign_in_from(client, OFFICE, world.member.phone, PASSWORD).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15, LOGIN_LOCKOUT_MAX_MINUTES=60)
def test_each_further_lock_lasts_twice_as_long_up_to_the_longest(world, client):
    phone = world.member.phone
    start = timezone.now()
    lengths = []
    with time_machine.travel(start, tick=False) as clock:
        for _round in range(4):
            for _ in range(3):
                sign_in_from(client, STRANGER, phone, "guess")
            lengths.append(login_lock_minutes(phone=phone, ip=STRANGER))
            clock.shift(timedelta(minutes=lengths[-1] - 1))
            # A minute before the end it still holds; at the end it lets go.
            assert sign_in_from(client, STRANGER, phone, PASSWORD).status_code == 200
            clock.shift(timedelta(minutes=1))
            assert login_lock_minutes(phone=phone, ip=STRANGER) == 0
        assert lengths == [15, 30, 60, 60]
        assert sign_in_from(client, STRANGER, phone, PASSWORD).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
def test_failures_spread_over_time_do_not_add_up_to_a_lock(world, client):
    phone = world.member.phone
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(6):
            sign_in_from(client, OFFICE, phone, "typo")
            clock.shift(timedelta(minutes=8))  # any three typos span more than 15 minutes
        assert sign_in_from(client, OFFICE, phone, PASSWORD).status_code == 302


def test_a_success_forgets_only_its_own_address_failures(world, client):
    phone = world.member.phone
    sign_in_from(client, STRANGER, phone, "guess")
    sign_in_from(client, OFFICE, phone, "typo")
    sign_in_from(client, OFFICE, phone, PASSWORD)
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == [STRANGER]


@override_settings(LOGIN_LOCKOUT_MINUTES=15, LOGIN_LOCKOUT_MAX_MINUTES=60)
def test_after_the_longest_lock_without_failures_the_next_lock_is_a_first_one():
    start = timezone.now()

    def burst(minute):  # three failures a second apart
        return [start + timedelta(minutes=minute, seconds=s) for s in range(3)]

    one, two = burst(0), burst(20)  # locked 0–15, then 20–50
    assert lock_end(one + two, threshold=3) == two[-1] + timedelta(minutes=30)
    soon, late = burst(50 + 59), burst(50 + 60)
    assert lock_end(one + two + soon, threshold=3) == soon[-1] + timedelta(minutes=60)
    assert lock_end(one + two + late, threshold=3) == late[-1] + timedelta(minutes=15)
