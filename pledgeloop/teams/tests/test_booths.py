"""Booths at a fair: a resident scans, takes a number with no account, sees their place; a
double tap gives one number."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

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


def test_numbers_are_given_out_and_served_from_the_events_day_only(booth, client, world):
    """A resident took number 1 eleven days before the fair, and a member marked it served,
    which counted a service in the diary before the fair had happened (session 26's third
    walk): the booth's page says from which day, and nothing is taken or served before it."""
    start = timezone.now() + dt.timedelta(days=11)
    Event.objects.filter(pk=booth.event_id).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=4)
    )
    booth.event.refresh_from_db()
    day = date_format(timezone.localdate(start), "MONTH_DAY_FORMAT")
    page = client.get(booth_url(booth)).content.decode()
    assert "data-take" not in page and f"{day}" in page and "当天" in page
    assert client.post(booth_url(booth)).status_code == 400
    with pytest.raises(services.TeamError, match="当天"):
        services.queue_ticket_take(booth=booth, client_key="early")
    early = QueueTicket.objects.create(
        street=booth.street, booth=booth, client_key="before", number=1
    )  # as taken before this rule
    with pytest.raises(services.TeamError, match="当天"):
        events.queue_ticket_serve(ticket=early, worker=member_of(world))
    assert not QueueTicket.objects.exclude(pk=early.pk).exists()
    assert QueueTicket.objects.get(pk=early.pk).state == QueueTicket.State.WAITING


def test_the_ticket_page_keeps_itself_up_to_date_and_leads_back(booth, client):
    """The page said "keep this page open" but never changed: it asks again by itself while
    the number waits, says 马上就轮到您了 when nobody is ahead, shows its number large, the
    event's day and time, and leads back to the event (session 26's third walk)."""
    client.get(booth_url(booth))
    client.post(booth_url(booth))
    page = client.get(booth_url(booth)).content.decode()
    assert 'hx-trigger="every 15s"' in page and "htmx.min.js" in page
    assert "马上就轮到您了" in page and "前面还有0人" not in page
    assert 'class="queue-number"' in page
    event_url = reverse("teams:event", args=[booth.event.street.slug, booth.event.slug])
    assert f'href="{event_url}"' in page
    assert date_format(timezone.localtime(booth.event.starts_at), "MONTH_DAY_FORMAT") in page


def test_a_served_numbers_record_is_noted_in_the_sites_language(booth, world):
    """Served by a member on English pages, the record read "法律咨询 at “红色便民集市”,
    number 1", and the Chinese diary quoted it (session 26's third walk)."""
    ticket = services.queue_ticket_take(booth=booth, client_key="english")
    with translation.override("en"):
        served = events.queue_ticket_serve(ticket=ticket, worker=member_of(world))
    assert served.record.note == "“红色便民集市”家电维修摊位，1号"
