"""schemathesis against /api/v1/openapi.json: every operation, a few deterministic examples
each, through Django's WSGI application with a token that may do everything. No answer may
be a 5xx, use a status the document does not list, or break the document's schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pledgeloop.api.models import APPLICATION_SCOPES, Scope
from pledgeloop.api.tokens import api_token_create
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import bring_to, new_order


@pytest.fixture
def api_schema(same_connection):
    """The document as the application serves it, fetched when the test runs (not when every
    pytest worker collects this module: building it is seconds of CPU)."""
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    # The examples and fuzzing phases only, a bounded number each: the coverage phase would
    # send hundreds of boundary values per operation, too slow for every `make test`.
    loaded.config.phases.coverage.enabled = False
    loaded.config.phases.stateful.enabled = False
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def same_connection():
    """Requests through the WSGI application keep the test's database connection (the
    test client does the same): Django would close it at each request's end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(world, same_connection):
    """An application token with every scope, a personal one, and a few orders to find."""
    new_order(world)
    bring_to(world, Order.State.ACCEPTED)
    _app, everything = api_token_create(
        by=world.street_admin,
        street=world.street,
        community=None,
        application="schemathesis",
        scopes=list(APPLICATION_SCOPES),
        rate_limit=100000,
    )
    _own, personal = api_token_create(
        by=world.member,
        street=world.street,
        community=world.community,
        application="schemathesis",
        scopes=[Scope.OWN_RECORDS],
        personal=True,
        rate_limit=100000,
    )
    return {"app": everything, "personal": personal}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_its_document_says(case, tokens):
    token = tokens["personal"] if case.path.startswith("/api/v1/me/") else tokens["app"]
    # Plain bodies: the WSGI transport hands schemathesis the bytes as sent, and GZipMiddleware
    # compresses for any caller that accepts gzip (real HTTP clients undo it themselves).
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    case.call_and_validate(headers=headers, checks=CHECKS)
