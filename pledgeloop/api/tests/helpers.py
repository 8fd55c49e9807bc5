"""Tokens made through the real service, and requests with them."""

from pledgeloop.api.models import APPLICATION_SCOPES, Scope
from pledgeloop.api.tokens import api_token_create


def token_for(user, street, community=None, scopes=None, **fields) -> str:
    _token, text = api_token_create(
        by=user,
        street=street,
        community=community,
        application=fields.pop("application", "12345热线"),
        scopes=scopes if scopes is not None else list(APPLICATION_SCOPES),
        **fields,
    )
    return text


def personal_token(world) -> str:
    _token, text = api_token_create(
        by=world.member,
        street=world.street,
        community=world.community,
        application="我的日历",
        scopes=[Scope.OWN_RECORDS],
        personal=True,
    )
    return text


def bearer(text: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}
