"""Booths at a fair: a resident scans, takes a number with no account, sees their place; a
double tap gives one number."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pledgeloop.orders.tests.loop import member_of
from pledgeloop.orgs.models import Category
from pledgeloop.teams import events, services
from pledgeloop.teams.models import Booth, Event, QueueTicket

from .helpers import team_with_leaders

pytestmark = pytest.mark.django_db


@pytest.fixture
def booth(world):
    start = timezone.now() - dt.timedelta(hours=1)
    event = Event.objects.create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        slug="market",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
    )
    return Booth.objects.create(
        street=world.street,
        event=event,
        team=team_with_leaders(world)[0],
        name="家电维修",
        category=Category.objects.get(street=world.street, code="repairs"),
    )


def booth_url(booth):
    return reverse("teams:booth", args=[booth.event.street.slug, booth.event.slug, booth.pk])


def test_a_double_tap_gives_one_number(booth, client):
    client.get(booth_url(booth))  # the scan sets the browser's key
    first = client.post(booth_url(booth))
    second = client.post(booth_url(booth))
    assert first.status_code == second.status_code == 302
    assert QueueTicket.objects.filter(booth=booth).count() == 1
    page = client.get(booth_url(booth)).content.decode()
    assert "data-ticket>1<" in page


def test_the_service_gives_the_same_ticket_to_the_same_key(booth):
    a = services.queue_ticket_take(booth=booth, client_key="k" * 43)
    b = services.queue_ticket_take(booth=booth, client_key="k" * 43)
    assert a.pk == b.pk and a.number == 1
    booth.refresh_from_db()
    assert booth.last_number == 1


def test_residents_get_numbers_in_order_and_see_their_place(booth, client, world):
    for n in range(3):
        services.queue_ticket_take(booth=booth, client_key=f"resident-{n}")
    events.queue_ticket_serve(
        ticket=QueueTicket.objects.get(booth=booth, number=1), worker=member_of(world)
    )
    client.get(booth_url(booth))
    client.post(booth_url(booth))
    ticket = QueueTicket.objects.get(booth=booth, number=4)
    assert ticket.client_key == client.cookies["queue_key"].value
    page = client.get(booth_url(booth)).content.decode()
    assert "data-ticket>4<" in page
    assert "前面还有2人" in page


def test_a_post_without_the_cookie_is_refused_and_takes_no_number(booth, client):
    response = client.post(booth_url(booth))
    assert response.status_code == 400
    assert not QueueTicket.objects.exists()


def test_the_event_page_shows_live_queue_lengths(booth, client, world):
    for n in range(3):
        services.queue_ticket_take(booth=booth, client_key=f"resident-{n}")
    events.queue_ticket_serve(
        ticket=QueueTicket.objects.get(booth=booth, number=1), worker=member_of(world)
    )
    event = booth.event
    page = client.get(reverse("teams:event", args=[event.street.slug, event.slug]))
    body = page.content.decode()
    assert page.status_code == 200 and "家电维修" in body
    row = body.split(f'data-booth="{booth.pk}"')[1].split("</tr>")[0]
    assert " data-waiting>2</td>" in row and " data-served>1</td>" in row
    partial = client.get(reverse("teams:event_queues", args=[event.street.slug, event.slug]))
    assert " data-waiting>2</td>" in partial.content.decode()
    listing = client.get(reverse("teams:events", args=[event.street.slug])).content.decode()
    assert "红色便民集市" in listing


def test_a_number_is_called_once(booth, world):
    ticket = services.queue_ticket_take(booth=booth, client_key="x")
    events.queue_ticket_serve(ticket=ticket, worker=member_of(world))
    with pytest.raises(services.TeamError):
        events.queue_ticket_serve(ticket=ticket, worker=member_of(world))
