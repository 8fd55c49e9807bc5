"""Accounts: a new password by SMS code from the sign-in page; activation of imported members."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from pledgeloop.people.models import User
from pledgeloop.privacy.models import OneTimeCode

from .conftest import last_code

NEW = "Xin-mima-2026"


def test_the_sign_in_page_offers_a_reset(world, client):
    assert reverse("privacy:password_reset") in client.get(reverse("people:login")).content.decode()


def test_a_password_is_reset_by_code(world, client, texts):
    client.post(reverse("privacy:password_reset"), {"phone": world.member.phone})
    code = last_code(texts)
    response = client.post(
        reverse("privacy:password_set"), {"code": code, "password1": NEW, "password2": NEW}
    )
    assert response.status_code == 302 and response["Location"] == reverse("people:login")
    assert User.objects.get(pk=world.member.pk).check_password(NEW)
    # The code served once.
    again = client.post(
        reverse("privacy:password_set"),
        {
            "phone": world.member.phone,
            "code": code,
            "password1": "Other-pass-1",
            "password2": "Other-pass-1",
        },
    )
    assert again.status_code == 200
    assert User.objects.get(pk=world.member.pk).check_password(NEW)


def test_a_wrong_code_or_unknown_number_sets_nothing(world, client, texts):
    client.post(reverse("privacy:password_reset"), {"phone": "13600000001"})
    assert texts() == []  # nobody has that number: no text, the same next page
    client.post(reverse("privacy:password_reset"), {"phone": world.member.phone})
    code = last_code(texts)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post(
        reverse("privacy:password_set"), {"code": wrong, "password1": NEW, "password2": NEW}
    )
    assert response.status_code == 200 and "验证码不正确" in response.content.decode()
    assert not User.objects.get(pk=world.member.pk).check_password(NEW)


def test_imported_members_get_an_activation_text_and_set_a_password(world, client_for, texts):
    member = world.member
    User.objects.filter(pk=member.pk).update(password=make_password(None))  # as the import does
    admin = client_for(world.community_admin)
    page = admin.get(reverse("console:activations")).content.decode()
    assert "139****0103" in page
    admin.post(reverse("console:activations"))
    text = texts()[-1]
    assert "139****0103" in text and "/t/" in text
    row = OneTimeCode.objects.get(phone=member.phone)
    assert row.expires_at - row.created_at == dt.timedelta(days=settings.ACTIVATION_DAYS)
    admin.logout()
    # The member opens the link on their phone: a fresh browser, the number asked for.
    response = admin.post(
        reverse("privacy:password_set"),
        {"phone": member.phone, "code": last_code(texts), "password1": NEW, "password2": NEW},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).check_password(NEW)
    assert (
        "139****0103"
        not in client_for(world.community_admin)
        .get(reverse("console:activations"))
        .content.decode()
    )


def test_members_and_residents_cannot_send_activation_texts(world, client_for):
    assert client_for(world.member).get(reverse("console:activations")).status_code == 403
