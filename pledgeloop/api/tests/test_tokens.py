"""API tokens: made by admins in the console (shown once, stored hashed), revoked, scoped,
rate-limited; personal tokens made by members for their own records."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from pledgeloop.api import tokens
from pledgeloop.api.models import ApiToken
from pledgeloop.api.tokens import TokenError, api_token_create, token_admit, token_find

from .helpers import bearer, personal_token, token_for

pytestmark = pytest.mark.django_db


def _make(client, **data):
    values = {"application": "12345热线", "scopes": ["file_orders"], "days": "30"} | data
    return client.post(reverse("console:api_tokens"), values)


def test_community_admin_makes_a_token_shown_once_and_stored_hashed(world, client_for):
    client = client_for(world.community_admin)
    response = _make(client, community=world.community.pk)
    assert response.status_code == 200
    token = ApiToken.objects.get()
    text = response.context["made"]["text"]
    assert text.startswith("pl_") and text in response.content.decode()
    assert token.digest == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(ApiToken.objects.values().get())
    assert token.community == world.community and token.user == world.community_admin
    page = client.get(reverse("console:api_tokens")).content.decode()
    assert text not in page and token.prefix in page


def test_community_admin_cannot_make_a_token_for_another_community(world, client_for):
    client = client_for(world.community_admin)
    response = _make(client, community=world.neighbour.pk)
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
    assert "community" in response.context["form"].errors


def test_street_admin_makes_a_whole_street_token(world, client_for):
    client = client_for(world.street_admin)
    _make(client, street=world.street.pk, scopes=["read_indicators", "read_public"])
    token = ApiToken.objects.get()
    assert token.community is None and token.street == world.street
    assert token.scopes == ["read_indicators", "read_public"]


def test_members_and_residents_cannot_reach_the_token_console(world, client_for):
    for user in [world.member, world.resident]:
        client = client_for(user)
        assert client.get(reverse("console:api_tokens")).status_code == 403
        assert _make(client, community=world.community.pk).status_code == 403
    assert not ApiToken.objects.exists()


def test_a_revoked_token_is_refused(world, client, client_for):
    text = token_for(world.community_admin, world.street, world.community)
    url = "/api/v1/categories"
    assert client.get(url, **bearer(text)).status_code == 200
    token = ApiToken.objects.get()
    other = client_for(world.outsider)
    assert other.post(reverse("console:api_token_revoke", args=[token.pk])).status_code == 404
    admin = client_for(world.community_admin)
    admin.post(reverse("console:api_token_revoke", args=[token.pk]))
    client.logout()
    response = client.get(url, **bearer(text))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_an_expired_token_is_refused(world, client):
    text = token_for(world.community_admin, world.street, world.community)
    ApiToken.objects.update(expires_at="2020-01-01T00:00:00Z")
    assert token_find(text) is None
    assert client.get("/api/v1/categories", **bearer(text)).status_code == 401


def test_a_token_of_an_admin_who_lost_the_role_is_refused(world, client):
    text = token_for(world.community_admin, world.street, world.community)
    world.community_admin.role_grants.all().delete()
    assert client.get("/api/v1/categories", **bearer(text)).status_code == 401


def test_each_token_has_its_own_rate_limit(world, client):
    text = token_for(world.community_admin, world.street, world.community, rate_limit=3)
    other = token_for(world.community_admin, world.street, world.community)
    # All within one minute: run near a minute's end, the requests once crossed into the
    # next minute, whose count starts again.
    with time_machine.travel(timezone.now().replace(second=5), tick=False):
        codes = [client.get("/api/v1/categories", **bearer(text)).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        response = client.get("/api/v1/categories", **bearer(text))
        assert response.json()["error"]["code"] == "rate_limited"
        assert client.get("/api/v1/categories", **bearer(other)).status_code == 200


def test_a_token_cannot_be_given_a_scope_it_may_not_have(world):
    with pytest.raises(TokenError):
        api_token_create(
            by=world.community_admin,
            street=world.street,
            community=world.community,
            application="x",
            scopes=["own_records"],
        )
    with pytest.raises(TokenError):
        api_token_create(
            by=world.community_admin,
            street=world.street,
            community=world.faraway,
            application="x",
            scopes=["read_public"],
        )
    assert not ApiToken.objects.exists()


def test_a_member_makes_a_personal_token_for_their_own_records(world, client_for):
    client = client_for(world.member)
    response = client.post(reverse("api_personal_tokens"), {"application": "我的日历", "days": 30})
    text = response.context["made"]["text"]
    token = ApiToken.objects.get()
    assert token.personal and token.scopes == ["own_records"] and token.user == world.member
    client.logout()
    assert client.get("/api/v1/me/records", **bearer(text)).status_code == 200
    assert client.get("/api/v1/categories", **bearer(text)).status_code == 403


def test_residents_cannot_make_personal_tokens(world, client_for):
    client = client_for(world.resident)
    assert client.get(reverse("api_personal_tokens")).status_code == 403
    assert client.post(reverse("api_personal_tokens"), {"application": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_personal_token_text_is_not_an_application_token(world, client):
    text = personal_token(world)
    assert client.get("/api/v1/orders", **bearer(text)).status_code == 200


def test_a_request_racing_another_into_a_new_minute_is_counted_not_refused(world, monkeypatch):
    """Two requests of one token open a new minute at once: the other one starts the minute
    between this one's two updates. This one is counted in that minute, not refused (429)."""
    text = token_for(world.community_admin, world.street, world.community, rate_limit=100)
    token = token_find(text)
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    ApiToken.objects.filter(pk=token.pk).update(rate_window=window - dt.timedelta(minutes=1))
    real_counted = tokens._counted
    raced = []

    def counted(token, now, window):
        done = real_counted(token, now, window)
        if not raced:
            raced.append(True)  # the other request starts the new minute now
            ApiToken.objects.filter(pk=token.pk).update(rate_window=window, rate_count=1)
        return done

    monkeypatch.setattr(tokens, "_counted", counted)
    assert token_admit(token=token, now=now)
    assert raced
    assert ApiToken.objects.get(pk=token.pk).rate_count == 2
