"""The member's order pages (/me/orders/, /me/patrol/): offers, claims, service, access."""

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from pledgeloop.lib.moments import format_moment
from pledgeloop.notify.models import Notification
from pledgeloop.orders import services
from pledgeloop.orders.models import Dispatch, Order, OrderEvent
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import PhoneView
from pledgeloop.service.models import ServiceRecord

from .loop import (
    HOME,
    age,
    bring_to,
    category,
    dispatched_order,
    member_of,
    new_member,
    new_order,
    triaged_order,
)

pytestmark = pytest.mark.django_db
MY_ORDERS = reverse("orders:member_orders")
NEARBY = reverse("orders:member_nearby")
PATROL = reverse("orders:patrol")


def order_url(order, action=None):
    if action:
        return reverse("orders:member_order_action", args=[order.pk, action])
    return reverse("orders:member_order", args=[order.pk])


def offer_url(dispatch, action):
    return reverse("orders:member_offer_action", args=[dispatch.pk, action])


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def png(size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


# --- who may use the member pages ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["community_admin", "street_admin", "resident"])
def test_only_members_have_member_pages(world, client_for, role):
    order = triaged_order(world)
    client = client_for(getattr(world, role))
    for url in (MY_ORDERS, NEARBY, PATROL, order_url(order)):
        assert client.get(url).status_code == 403, url
    assert client.post(order_url(order, "claim")).status_code == 403
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    order = triaged_order(world)
    assert client.get(MY_ORDERS).url.startswith(reverse("people:login"))
    client.post(order_url(order, "claim"))
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_a_member_cannot_see_other_members_orders_or_other_streets(world, client_for):
    other = new_member(world, "13900000201", "李明")
    held = services.order_claim(order=triaged_order(world), member=other)
    far = triaged_order(world, community=world.faraway)
    waiting = new_order(world)  # not yet on the needs list
    client = client_for(world.member)
    for order in (held, far, waiting):
        assert client.get(order_url(order)).status_code == 404
        for action in ("start", "finish", "hand_back", "transfer"):
            assert client.post(order_url(order, action), {"hours": 1}).status_code == 404
    for order in (far, waiting):  # never on this member's needs list
        assert client.post(order_url(order, "claim")).status_code == 404
    # A claim on an order someone else took is told so (test_a_claim_that_comes_second...).
    assert client.post(order_url(held, "claim")).status_code == 302
    assert Order.objects.get(pk=held.pk).assigned_member == other


def test_someone_elses_offer_cannot_be_answered(world, client_for):
    other = new_member(world, "13900000201", "李明")
    order, offer = dispatched_order(world, member=other)
    client = client_for(world.member)
    assert client.post(offer_url(offer, "accept")).status_code == 404
    assert client.post(offer_url(offer, "decline"), {"reason": "x"}).status_code == 404
    assert Dispatch.objects.get(pk=offer.pk).state == Dispatch.State.OFFERED


def test_unknown_actions_are_not_found(world, client_for):
    order = triaged_order(world)
    client = client_for(world.member)
    assert client.post(order_url(order, "explode")).status_code == 404
    assert client.get(order_url(order, "claim")).status_code == 405


# --- offers -----------------------------------------------------------------------------------


def test_offers_are_listed_and_accepted(world, client_for):
    order, offer = dispatched_order(world)
    client = client_for(world.member)
    page = client.get(MY_ORDERS)
    assert f'data-offer="{offer.pk}"' in page.text
    response = client.post(offer_url(offer, "accept"))
    assert response.url == order_url(order)
    order.refresh_from_db()
    assert order.state == Order.State.ACCEPTED and order.assigned_member == member_of(world)


def test_declining_needs_a_reason(world, client_for):
    order, offer = dispatched_order(world)
    client = client_for(world.member)
    response = client.post(offer_url(offer, "decline"), {"reason": " "}, follow=True)
    assert "reason" in messages_of(response) or "理由" in messages_of(response)
    assert Dispatch.objects.get(pk=offer.pk).state == Dispatch.State.OFFERED
    client.post(offer_url(offer, "decline"), {"reason": "这周在外地"})
    offer.refresh_from_db()
    assert offer.state == Dispatch.State.DECLINED and offer.reason == "这周在外地"
    assert Order.objects.get(pk=order.pk).state == Order.State.TRIAGED


def test_the_dispatch_notification_lands_on_my_orders(world, client_for):
    order, offer = dispatched_order(world)
    notification = Notification.objects.get(user=world.member, kind="dispatch")
    client = client_for(world.member)
    response = client.post(reverse("notify:open", args=[notification.pk]), follow=True)
    assert response.request["PATH_INFO"] == MY_ORDERS
    assert f'data-offer="{offer.pk}"' in response.text


def test_my_orders_costs_the_same_queries_for_few_or_many(
    world, client_for, django_assert_num_queries
):
    client = client_for(world.member)
    member = member_of(world)
    member.capacity = 20
    member.save()
    dispatched_order(world)
    client.get(MY_ORDERS)
    # the session with its user, their roles (for the member menu) and unread notifications
    # (notify/sessions.py), member, offers, held, done
    with django_assert_num_queries(5):
        client.get(MY_ORDERS)
    for _ in range(3):
        dispatched_order(world)
        services.order_claim(order=triaged_order(world), member=member)
    bring_to(world, Order.State.DONE)
    with django_assert_num_queries(5):
        page = client.get(MY_ORDERS)
    assert len(page.context["offers"]) == 4 and len(page.context["held"]) == 3


# --- nearby and claiming -----------------------------------------------------------------------


def test_nearby_lists_open_orders_nearest_first(world, client_for):
    member = member_of(world)
    member.home_latitude, member.home_longitude = HOME
    member.save()
    far = triaged_order(world, latitude=HOME[0] + Decimal("0.01"), longitude=HOME[1])
    near = triaged_order(world, latitude=HOME[0] + Decimal("0.001"), longitude=HOME[1])
    other_street = triaged_order(world, community=world.faraway)
    submitted = new_order(world)
    page = client_for(world.member).get(NEARBY)
    text = page.text
    assert text.index(f'data-order="{near.pk}"') < text.index(f'data-order="{far.pk}"')
    assert f'data-order="{other_street.pk}"' not in text
    assert f'data-order="{submitted.pk}"' not in text
    assert "min" in text or "分钟" in text


def test_nearby_orders_by_distance_in_the_whole_street(world, client_for):
    """The nearest 50 of the street's needs: those within 2 km when there are 50 of them,
    else the nearest anywhere in the street, whatever their age; those without a point last,
    the oldest first."""
    member = member_of(world)
    member.home_latitude, member.home_longitude = HOME
    member.save()
    nowhere = triaged_order(world, latitude=None, longitude=None)
    far = [  # about 4.4 km away, older than the near ones
        triaged_order(world, latitude=HOME[0] + Decimal("0.04"), longitude=HOME[1])
        for _ in range(3)
    ]
    near = [
        triaged_order(world, latitude=HOME[0] + Decimal("0.0002") * (i + 1), longitude=HOME[1])
        for i in range(48)
    ]
    listed = [item.order for item in client_for(world.member).get(NEARBY).context["nearby"]]
    assert listed == [*near, *far[:2]]
    Order.objects.filter(pk=near[-1].pk).update(latitude=None, longitude=None)
    listed = [item.order for item in client_for(world.member).get(NEARBY).context["nearby"]]
    assert listed == [*near[:-1], *far, nowhere][:50]
    more = [
        triaged_order(world, latitude=HOME[0] - Decimal("0.0001"), longitude=HOME[1])
        for _ in range(3)
    ]
    listed = [item.order for item in client_for(world.member).get(NEARBY).context["nearby"]]
    assert listed == [*more, *near[:-1]]


def test_claim_from_nearby(world, client_for):
    order = triaged_order(world)
    response = client_for(world.member).post(order_url(order, "claim"))
    assert response.url == order_url(order)
    order.refresh_from_db()
    assert order.state == Order.State.ACCEPTED and order.assigned_member == member_of(world)
    assert order.events.get(action="claim").source == OrderEvent.Source.WEB


def test_an_order_taken_by_someone_else_is_no_longer_shown(world, client_for):
    order = triaged_order(world)
    services.order_claim(order=order, member=new_member(world, "13900000201", "李明"))
    client = client_for(world.member)
    assert client.get(order_url(order)).status_code == 404
    assert f'data-order="{order.pk}"' not in client.get(NEARBY).text


def test_a_claim_that_comes_second_is_told_why_not_given_a_404(world, client_for):
    """Two members see the order on their nearby lists; one presses 接单 a moment later."""
    order = triaged_order(world)
    rival = new_member(world, "13900000201", "李明")
    client = client_for(world.member)
    assert f'data-order="{order.pk}"' in client.get(NEARBY).text
    assert client_for(rival.user).post(order_url(order, "claim")).status_code == 302
    client = client_for(world.member)
    response = client.post(order_url(order, "claim"), follow=True)
    assert response.status_code == 200
    assert "这个订单已经被其他党员接走了" in messages_of(response)
    assert response.request["PATH_INFO"] == NEARBY
    order.refresh_from_db()
    assert order.assigned_member == rival
    assert order.events.filter(action="claim").count() == 1


def test_claiming_twice_says_it_is_already_yours(world, client_for):
    order = triaged_order(world)
    client = client_for(world.member)
    client.post(order_url(order, "claim"))
    response = client.post(order_url(order, "claim"), follow=True)
    assert "您已经接了这个订单" in messages_of(response)
    assert response.request["PATH_INFO"] == order_url(order)
    assert order.events.filter(action="claim").count() == 1


def test_a_claim_on_another_streets_order_is_still_404(world, client_for):
    order = triaged_order(world, community=world.faraway)
    assert client_for(world.member).post(order_url(order, "claim")).status_code == 404
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED


def test_the_losing_claimer_gets_the_clear_message(world, client_for):
    """Two members load the page; one claims; the other presses the button a moment later."""
    order = triaged_order(world)
    rival = new_member(world, "13900000201", "李明")
    client = client_for(world.member)
    assert client.get(order_url(order)).status_code == 200
    Dispatch.objects.create(  # keeps the order visible to the loser: it was offered to them
        street=world.street,
        order=order,
        member=member_of(world),
        respond_by=order.respond_by,
        state=Dispatch.State.DECLINED,
    )
    services.order_claim(order=order, member=rival)
    response = client.post(order_url(order, "claim"), follow=True)
    assert "已经被其他党员接走" in messages_of(response) or "Another member" in messages_of(
        response
    )
    assert response.request["PATH_INFO"] == NEARBY


# --- service: start, finish, hand back, transfer ------------------------------------------------


def test_start_and_finish_write_a_service_record(world, client_for):
    order = bring_to(world, Order.State.ACCEPTED)
    client = client_for(world.member)
    client.post(order_url(order, "start"))
    assert Order.objects.get(pk=order.pk).state == Order.State.IN_SERVICE
    age(order)  # taken three hours ago
    response = client.post(order_url(order, "finish"), {"hours": "1.5", "note": "换了水龙头"})
    assert response.url == MY_ORDERS
    order.refresh_from_db()
    assert order.state == Order.State.DONE
    record = ServiceRecord.objects.get(order=order)
    assert record.hours == Decimal("1.5") and record.note == "换了水龙头"
    assert list(record.members.all()) == [member_of(world)]


def _hours_input(page) -> tuple[Decimal, Decimal | None]:
    field = re.search(r'<input[^>]*name="hours"[^>]*>', page.text).group(0)
    value = Decimal(re.search(r'value="([^"]+)"', field).group(1))
    most = re.search(r'max="([^"]+)"', field)
    return value, Decimal(most.group(1)) if most else None


def test_the_finish_form_offers_no_more_hours_than_can_be_recorded(world, client_for):
    """Taken 40 minutes ago, the order can count at most 0.5 h: the form offered 1 h, which
    the member then saw refused (session 17's walk)."""
    order = bring_to(world, Order.State.IN_SERVICE)
    client = client_for(world.member)
    age(order, hours=40 / 60)
    assert _hours_input(client.get(order_url(order))) == (Decimal("0.5"), Decimal("0.5"))
    age(order, hours=3 - 40 / 60)
    assert _hours_input(client.get(order_url(order))) == (Decimal("1"), Decimal("3"))
    taken = client.post(order_url(order, "finish"), {"hours": "0.5"})
    assert taken.status_code == 302, re.findall(r'field-error">([^<]+)', taken.text)


def _finish_card(page) -> str:
    """The text of the member's "finish the service" card."""
    card = re.search(r'<section class="card actions" id="finish">(.*?)</section>', page.text, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card.group(1)))


def test_the_finish_form_states_the_limit_the_service_enforces(world, client_for):
    """Taken 50 hours ago, the form said "at most 49.50 h", and the service then refused 30 h
    as over its 24 h a record (session 26's walk): one limit, said once."""
    order = bring_to(world, Order.State.IN_SERVICE)
    client = client_for(world.member)
    age(order, hours=50)
    page = client.get(order_url(order))
    assert _hours_input(page)[1] == Decimal("24")
    card = _finish_card(page)
    assert "最多可以记 24 小时" in card and "49.5" not in card


def test_an_order_just_taken_says_when_its_hours_can_be_recorded(world, client_for):
    """Just after claiming, the form said "at most 0 h", offered 1 h, and the service refused
    it with nothing to do about it (session 26's walk): no form until a quarter hour has
    passed, and the card says when."""
    order = bring_to(world, Order.State.IN_SERVICE)
    page = client_for(world.member).get(order_url(order))
    assert 'name="hours"' not in page.text
    card = _finish_card(page)
    taken = Order.objects.get(pk=order.pk).accepted_at
    assert "服务结束后" in card, card
    assert format_moment(taken + dt.timedelta(minutes=15)) in card, card
    assert "最多可以记 0" not in card


def test_a_start_left_empty_counts_from_when_start_was_pressed_as_the_form_says(world, client_for):
    """The form said an empty start counts the hours back from now, but the record began when
    "start" was pressed, a day earlier (session 26's walk, order #666): it says so now, with
    the moment."""
    order = bring_to(world, Order.State.ACCEPTED)
    client = client_for(world.member)
    client.post(order_url(order, "start"))
    age(order, hours=26)
    pressed = OrderEvent.objects.get(order=order, to_state=Order.State.IN_SERVICE).at
    card = _finish_card(client.get(order_url(order)))
    assert format_moment(pressed) in card and "开始服务" in card, card
    assert client.post(order_url(order, "finish"), {"hours": "1.5"}).status_code == 302
    assert ServiceRecord.objects.get(order=order).started_at == pressed


def test_a_start_left_empty_counts_back_from_now_when_none_was_pressed(world, client_for):
    order = bring_to(world, Order.State.ACCEPTED)
    client = client_for(world.member)
    age(order)
    card = _finish_card(client.get(order_url(order)))
    assert "从现在往前算" in card, card


@pytest.mark.parametrize("hours", ["", "0", "30", "abc"])
def test_finish_refuses_bad_hours(world, client_for, hours):
    order = bring_to(world, Order.State.IN_SERVICE)
    response = client_for(world.member).post(order_url(order, "finish"), {"hours": hours})
    assert response.status_code == 400
    assert Order.objects.get(pk=order.pk).state == Order.State.IN_SERVICE
    assert not ServiceRecord.objects.exists()


@pytest.mark.parametrize(
    ("action", "recorded"), [("hand_back", "hand_back"), ("transfer", "transfer")]
)
def test_hand_back_and_transfer_need_a_reason(world, client_for, action, recorded):
    order = bring_to(world, Order.State.ACCEPTED)
    client = client_for(world.member)
    prefix = "transfer" if action == "transfer" else "back"
    assert client.post(order_url(order, action), {f"{prefix}-reason": ""}).status_code == 400
    assert Order.objects.get(pk=order.pk).state == Order.State.ACCEPTED
    response = client.post(order_url(order, action), {f"{prefix}-reason": "要去医院"})
    assert response.url == MY_ORDERS
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED and order.assigned_member is None
    assert order.events.get(action=recorded).reason == "要去医院"
    assert Notification.objects.filter(user=world.community_admin, kind="order_handed_back")


def test_a_refused_step_comes_back_as_a_message(world, client_for):
    order = bring_to(world, Order.State.IN_SERVICE)
    response = client_for(world.member).post(order_url(order, "start"), follow=True)
    assert "服务中" in messages_of(response) or "In service" in messages_of(response)


# --- the resident's phone --------------------------------------------------------------------


def test_full_phone_only_for_the_member_holding_the_order(world, client_for):
    order = triaged_order(world, phone=world.resident_here.phone)
    client = client_for(world.member)
    before = client.get(order_url(order))
    # Open on the needs list: the need, not the person (not even the masked number).
    assert "138****5678" not in before.text and "13812345678" not in before.text
    assert order_url(order, "phone") not in before.text
    assert client.post(order_url(order, "phone")).status_code == 403
    assert "13812345678" not in client.get(NEARBY).text
    services.order_claim(order=order, member=member_of(world))
    held = client.get(order_url(order))
    # Opening the page shows the number masked and logs nothing: seeing it is its own act.
    assert "13812345678" not in held.text and order_url(order, "phone") in held.text
    assert not PhoneView.objects.exists()
    revealed = client.post(order_url(order, "phone"))
    assert revealed.status_code == 200 and 'href="tel:13812345678"' in revealed.text
    view = PhoneView.objects.get()
    assert view.viewer == world.member and view.resident == world.resident_here
    assert str(order.pk) in view.context
    services.order_hand_back(order=order, member=member_of(world), reason="有事")
    assert "13812345678" not in client.get(order_url(order)).text
    assert client.post(order_url(order, "phone")).status_code == 403
    assert PhoneView.objects.count() == 1


def test_another_member_cannot_reveal_the_number(world, client_for):
    order = bring_to(world, Order.State.ACCEPTED)
    other = new_member(world, "13900000201", "李明")
    response = client_for(other.user).post(order_url(order, "phone"))
    assert response.status_code == 404
    assert not PhoneView.objects.exists()


# --- patrol reports ---------------------------------------------------------------------------


def patrol_data(world, **changes):
    data = {
        "community": world.neighbour.pk,
        "category": category(world, "environment").pk,
        "description": "小区门口路灯坏了，晚上很黑",
        "photo": png(),
        "latitude": "31.956300",
        "longitude": "120.941900",
    }
    data.update(changes)
    return data


def test_a_patrol_report_becomes_an_order(world, client_for):
    client = client_for(world.member)
    assert client.get(PATROL).status_code == 200
    response = client.post(PATROL, patrol_data(world))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.channel == Order.Channel.PATROL
    assert order.community == world.neighbour  # any community of the member's street
    assert order.phone == world.member.phone and order.created_by == world.member
    assert order.photo.name.endswith(".png") and order.latitude == Decimal("31.956300")
    assert order.state == Order.State.SUBMITTED
    assert Notification.objects.filter(user=world.outsider, kind="order_new").exists()


def test_a_patrol_report_at_a_compound(world, client_for):
    compound = Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.COMPOUND,
        name="阳光花园",
        latitude=HOME[0],
        longitude=HOME[1],
    )
    data = patrol_data(world, community=world.community.pk, site=compound.pk)
    del data["latitude"], data["longitude"]
    client_for(world.member).post(PATROL, data)
    assert Order.objects.get().site == compound


def test_the_patrol_form_names_each_compounds_community(world, client_for):
    """Several communities have a compound of the same name: the list showed 学田花园 three
    times, and a member who picked another community's was refused with no way to tell."""
    for community in (world.community, world.neighbour):
        Site.objects.create(
            street=world.street,
            community=community,
            kind=Site.Kind.COMPOUND,
            name="学田花园",
            latitude=HOME[0],
            longitude=HOME[1],
        )
    html = client_for(world.member).get(PATROL).content.decode()
    assert ">星港湾 · 学田花园</option>" in html and ">腾飞 · 学田花园</option>" in html


@pytest.mark.parametrize(
    "change",
    [
        {"photo": None},
        {"photo": SimpleUploadedFile("x.png", b"not an image", content_type="image/png")},
        {"latitude": "", "longitude": ""},
        {"description": ""},
    ],
    ids=["no-photo", "not-a-photo", "nowhere", "no-description"],
)
def test_a_patrol_report_needs_a_photo_a_place_and_words(world, client_for, change):
    data = {k: v for k, v in patrol_data(world, **change).items() if v is not None}
    response = client_for(world.member).post(PATROL, data)
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_a_patrol_report_cannot_go_to_another_street(world, client_for):
    data = patrol_data(world, community=world.faraway.pk)
    assert client_for(world.member).post(PATROL, data).status_code == 400
    assert not Order.objects.exists()
