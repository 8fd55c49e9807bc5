"""/api/v1/: the OpenAPI document, orders filed and moved through the services with the
token in their history, one error shape in the caller's language, the member's own records,
reviews by token, indicators."""

import datetime as dt
from decimal import Decimal

import ninja.main
import pytest
from django.utils import timezone

from pledgeloop.api.models import ApiOrder, Scope
from pledgeloop.api.v1 import api
from pledgeloop.orders import services
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orders.tests.loop import age, bring_to, member_of, new_order
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import review_token_for

from .helpers import bearer, personal_token, token_for

pytestmark = pytest.mark.django_db

ORDER = {
    "community": "xinggangwan",
    "category": "repairs",
    "description": "楼道灯坏了，晚上很黑",
    "phone": "13812345678",
    "consent": True,
    "channel": "hotline",
    "address": "阳光花园3幢",
    "external_id": "12345-20260301-0001",
}


def _hotline(world, scopes=(Scope.FILE_ORDERS,)):
    return token_for(world.community_admin, world.street, world.community, list(scopes))


def test_the_openapi_document_and_docs_are_served(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["version"] == "1"
    assert "/api/v1/orders" in document["paths"]
    assert "ErrorOut" in document["components"]["schemas"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in docs.content.decode()  # not a CDN


def test_the_openapi_document_is_built_once_per_language(client, monkeypatch):
    built = []
    monkeypatch.setattr(api, "_documents", {})
    monkeypatch.setattr(ninja.main, "get_schema", _counting(ninja.main.get_schema, built))
    first = client.get("/api/v1/openapi.json").content
    assert client.get("/api/v1/openapi.json").content == first
    assert len(built) == 1
    client.get("/api/v1/openapi.json", headers={"accept-language": "en"})
    assert len(built) == 2


def _counting(function, calls: list):
    def counted(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)

    return counted


def test_a_hotline_files_an_order_with_consent_and_channel(world, client):
    text = _hotline(world)
    response = client.post("/api/v1/orders", ORDER, content_type="application/json", **bearer(text))
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get(pk=body["id"])
    assert order.channel == "hotline" and order.consent_at is not None
    assert body["phone_masked"] == "138****5678" and "13812345678" not in response.content.decode()
    event = OrderEvent.objects.get(order=order)
    assert event.source == OrderEvent.Source.API
    assert event.by_label.startswith("API · 12345热线 (pl_")
    assert ApiOrder.objects.get(order=order).token.application == "12345热线"
    # The same ticket sent again (its answer was lost) is the same order.
    again = client.post("/api/v1/orders", ORDER, content_type="application/json", **bearer(text))
    assert again.json()["id"] == order.pk and Order.objects.count() == 1


def test_an_order_without_consent_is_refused_in_the_callers_language(world, client):
    text = _hotline(world)
    data = ORDER | {"consent": False}
    response = client.post("/api/v1/orders", data, content_type="application/json", **bearer(text))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert "隐私" in response.json()["error"]["message"]
    english = client.post(
        "/api/v1/orders",
        data,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(text),
    )
    assert "privacy notice" in english.json()["error"]["message"]
    assert not Order.objects.exists()


def test_a_malformed_body_gets_the_one_error_shape(world, client):
    text = _hotline(world)
    response = client.post(
        "/api/v1/orders",
        {"community": "xinggangwan"},
        content_type="application/json",
        **bearer(text),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert {"body.data.phone", "body.data.consent"} <= {f["field"] for f in error["fields"]}
    assert client.get("/api/v1/orders/1").json()["error"]["code"] == "unauthorized"


def test_an_admin_token_lists_filters_and_triages_through_the_services(world, client):
    text = token_for(world.community_admin, world.street, world.community, [Scope.ACT_COMMUNITY])
    mine = new_order(world)
    new_order(world, community=world.neighbour)
    listed = client.get("/api/v1/orders?state=submitted", **bearer(text)).json()
    assert [o["id"] for o in listed["items"]] == [mine.pk] and listed["count"] == 1
    assert client.get("/api/v1/orders?state=triaged", **bearer(text)).json()["count"] == 0
    response = client.post(f"/api/v1/orders/{mine.pk}/triage", **bearer(text))
    assert response.status_code == 200 and response.json()["state"] == "triaged"
    event = OrderEvent.objects.filter(order=mine).last()
    assert (event.action, event.source, event.by) == ("triage", "api", world.community_admin)
    assert "API" in event.by_label
    again = client.post(f"/api/v1/orders/{mine.pk}/triage", **bearer(text))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_a_return_needs_a_reason(world, client):
    text = token_for(world.community_admin, world.street, world.community, [Scope.ACT_COMMUNITY])
    order = new_order(world)
    response = client.post(
        f"/api/v1/orders/{order.pk}/reject", {}, content_type="application/json", **bearer(text)
    )
    assert response.status_code == 409 and "原因" in response.json()["error"]["message"]
    assert Order.objects.get(pk=order.pk).state == "submitted"


def test_a_hotline_cancels_an_order_it_filed_but_no_other(world, client):
    text = _hotline(world)
    filed = client.post("/api/v1/orders", ORDER, content_type="application/json", **bearer(text))
    other = new_order(world)
    cancel = {"reason": "居民来电说不需要了"}
    response = client.post(
        f"/api/v1/orders/{filed.json()['id']}/cancel",
        cancel,
        content_type="application/json",
        **bearer(text),
    )
    assert response.json()["state"] == "cancelled"
    refused = client.post(
        f"/api/v1/orders/{other.pk}/cancel", cancel, content_type="application/json", **bearer(text)
    )
    assert refused.status_code == 404
    assert Order.objects.get(pk=other.pk).state == "submitted"


def test_a_member_reads_their_records_and_starts_a_service_they_took(world, client):
    text = personal_token(world)
    order = bring_to(world, Order.State.ACCEPTED)
    someone_elses = new_order(world)
    mine = client.get("/api/v1/orders", **bearer(text)).json()
    assert [o["id"] for o in mine["items"]] == [order.pk]
    assert client.get(f"/api/v1/orders/{someone_elses.pk}", **bearer(text)).status_code == 404
    started = client.post(f"/api/v1/me/orders/{order.pk}/start", **bearer(text))
    assert started.json()["state"] == "in_service"
    order = age(Order.objects.get(pk=order.pk))
    services.order_finish(order=order, member=member_of(world), hours=Decimal("1"))
    records = client.get("/api/v1/me/records", **bearer(text)).json()
    assert [r["order_id"] for r in records] == [order.pk] and records[0]["hours"] == 1.0


def test_a_review_taken_by_phone_goes_through_the_review_service(world, client):
    text = _hotline(world)
    order = bring_to(world, Order.State.DONE)
    record = ServiceRecord.objects.get(order=order)
    token = review_token_for(record)
    shown = client.get(f"/api/v1/reviews/{token}", **bearer(text)).json()
    assert shown["record_id"] == record.pk and shown["reviewed"] is False
    data = {"rating": 5, "solved": True, "hours_right": True}
    response = client.post(
        f"/api/v1/reviews/{token}", data, content_type="application/json", **bearer(text)
    )
    assert response.status_code == 201 and response.json()["order_state"] == "reviewed"
    assert Review.objects.get(record=record).rating == 5
    assert OrderEvent.objects.filter(order=order).last().source == "api"
    twice = client.post(
        f"/api/v1/reviews/{token}", data, content_type="application/json", **bearer(text)
    )
    assert twice.status_code == 409
    forged = client.get(f"/api/v1/reviews/{token}x", **bearer(text))
    assert forged.status_code == 404 and forged.json()["error"]["code"] == "not_found"


def test_indicators_for_the_tokens_scope_and_a_period(world, client):
    text = token_for(world.street_admin, world.street, None, [Scope.READ_INDICATORS])
    bring_to(world, Order.State.DONE)
    year = timezone.localdate().year
    body = client.get(f"/api/v1/indicators?period={year}", **bearer(text)).json()
    figures = {f["name"]: f["value"] for f in body["figures"]}
    assert body["street"] == "jianghai" and body["period_start"] == f"{year}-01-01"
    assert figures["problems_solved"] == 1
    # The year runs: its days so far, up to today, set against the same days a year earlier.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert body["counted_end"] == tomorrow.isoformat() and body["period_end"] == f"{year + 1}-01-01"
    ended = client.get(f"/api/v1/indicators?period={year - 1}", **bearer(text)).json()
    assert ended["counted_end"] == ended["period_end"] == f"{year}-01-01"
    narrowed = client.get("/api/v1/indicators?community=tengfei", **bearer(text)).json()
    assert {f["name"]: f["value"] for f in narrowed["figures"]}["problems_solved"] == 0
    bad = client.get("/api/v1/indicators?period=2026-Q5", **bearer(text))
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "period"
