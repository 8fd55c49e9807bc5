"""Test helper: a signed-in client that has just given its password again (people/reauth.py),
for tests of full-number exports that are not about the prompt itself."""

from django.urls import reverse

from pledgeloop.conftest import PASSWORD


def password_confirmed(client):
    response = client.post(reverse("people:password_confirm"), {"password": PASSWORD})
    assert response.status_code == 302, "the password confirmation was refused"
    return client
