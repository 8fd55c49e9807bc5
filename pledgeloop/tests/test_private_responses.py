"""Quiet, private responses (issue 13): no cache and no index for personal data and token
pages; public pages stay cacheable; expected refusals log one line."""

import logging
import sys
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.lib.request_log import ClientErrorsOnOneLine
from pledgeloop.orders import services as order_services
from pledgeloop.orders.tests.loop import age
from pledgeloop.orgs.models import Category
from pledgeloop.people.tests.reauth import password_confirmed
from pledgeloop.service.review_links import review_link_for

pytestmark = pytest.mark.django_db


def is_private(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") and "noindex" in response.get(
        "X-Robots-Tag", ""
    )


@pytest.fixture
def done_order(world):
    category = Category.objects.filter(street=world.street).first()
    order = order_services.order_submit(
        community=world.community,
        category=category,
        description="楼道灯坏了",
        phone=world.resident_here.phone,
        consent=True,
        address="阳光花园3幢201室",
    )
    order_services.order_triage(order=order, by=world.community_admin)
    member = world.member.member
    order = order_services.order_claim(order=order, member=member)
    age(order)  # served for a while: hours count only time since the order was taken
    return order_services.order_finish(order=order, member=member, hours=Decimal("1"))


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("community_admin", lambda w: reverse("people:residents")),
        ("community_admin", lambda w: reverse("people:resident_detail", args=[w.resident_here.pk])),
        ("community_admin", lambda w: reverse("console:home")),
        ("street_admin", lambda w: reverse("console:needs")),
        ("member", lambda w: reverse("people:member_home")),
        ("member", lambda w: reverse("service:mine")),
        ("resident", lambda w: reverse("privacy:my")),
        # A public page seen by someone signed in shows their name in the page frame.
        ("member", lambda w: reverse("pledges:wall", args=[w.community.slug])),
    ],
)
def test_every_page_for_a_signed_in_person_is_private(world, client_for, who, url):
    response = client_for(getattr(world, who)).get(url(world))
    assert response.status_code == 200
    assert is_private(response)


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("people:export", args=[w.community.pk, "residents"]) + "?full=1",
        lambda w: reverse("people:export", args=[w.community.pk, "members"]),
        lambda w: reverse(
            "reviews:annual_export", args=[w.street.slug, timezone.now().year, "xlsx"]
        ),
        lambda w: reverse("service:export") + "?start=2026-01-01&end=2026-03-31",
    ],
)
def test_exports_with_personal_data_are_private(world, client_for, url):
    response = password_confirmed(client_for(world.community_admin)).get(url(world))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert is_private(response)


def test_token_pages_are_private_for_anyone(world, client, done_order):
    order, record = done_order
    for url in [
        reverse("orders:track", args=[order.tracking_token]),
        reverse("orders:sent", args=[order.tracking_token]),
        review_link_for(record),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert is_private(response), url


def test_a_refused_token_action_is_private_too(world, client, done_order):
    order, _record = done_order
    response = client.post(reverse("orders:track_cancel", args=[order.tracking_token]), {})
    assert is_private(response)


@pytest.mark.parametrize(
    "url",
    [
        lambda w: reverse("pledges:wall", args=[w.community.slug]),
        lambda w: reverse("stats:public", args=[w.street.slug]),
        lambda w: reverse("diary:list"),
        lambda w: reverse("people:login"),
    ],
)
def test_public_pages_stay_cacheable_for_visitors(world, client, url):
    response = client.get(url(world))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "X-Robots-Tag" not in response


def test_healthz_is_ok_and_nothing_else(client, db):
    assert client.get("/healthz").content == b"ok"


# --- logging ------------------------------------------------------------------------------


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def one_line(record) -> str:
    return logging.Formatter().format(record)


def test_a_403_logs_one_line_without_a_traceback(world, client_for, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    response = client_for(world.resident).get(reverse("people:member_home"))
    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.exc_info is None
    assert "\n" not in one_line(record)
    assert "Forbidden" in one_line(record)


def test_a_404_logs_one_line(world, client_for, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    response = client_for(world.member).get(
        reverse("people:resident_detail", args=[world.resident_there.pk])
    )
    assert response.status_code == 404
    [record] = request_records(caplog)
    assert "\n" not in one_line(record)
    assert "Not Found" in one_line(record)


def test_a_server_error_keeps_its_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: /x", (), exc_info
    )
    record.status_code = 500
    assert ClientErrorsOnOneLine().filter(record)
    assert "Traceback" in logging.Formatter().format(record)
