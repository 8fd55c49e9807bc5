"""The tracking page /track/<token>/: plain words, every step, cancel and "not solved"."""

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from pledgeloop.notify.models import Notification
from pledgeloop.orders import services
from pledgeloop.orders.models import Dispatch, Order, OrderEvent
from pledgeloop.people.models import Member
from pledgeloop.service.review_links import review_link_for

from .loop import age
from .test_intake import intake_url, order_data

STATE_WORDS = {
    "submitted": "待受理",
    "triaged": "已受理",
    "dispatched": "已派单",
    "accepted": "已接单",
    "in_service": "服务中",
    "done": "已完成",
    "reviewed": "已评价",
    "rejected": "已退回",
    "cancelled": "已取消",
    "expired": "已过期",
}


@pytest.fixture
def filed(world, client) -> Order:
    """An order filed through the intake page, as a resident would."""
    response = client.post(intake_url(world), order_data(world))
    assert response.status_code == 302
    return Order.objects.get()


def bring_to(order: Order, state: str, world) -> Order:
    """Move an order along the loop with the real services."""
    admin, member = world.community_admin, Member.objects.get(user=world.member)
    path = ["triaged", "dispatched", "accepted", "in_service", "done", "reviewed"]
    if state in {"rejected", "expired"}:
        if state == "rejected":
            return services.order_reject(order=order, by=admin, reason="不属于社区服务范围")
        return services.order_expire(order=order, reason="too old")
    if state == "cancelled":
        return services.order_cancel(order=order, reason="不需要了")
    for step in path[: path.index(state) + 1] if state != "submitted" else []:
        if step == "triaged":
            order = services.order_triage(order=order, by=admin)
        elif step == "dispatched":
            services.order_dispatch(order=order, member=member, by=admin)
        elif step == "accepted":
            dispatch = Dispatch.objects.get(order=order, state=Dispatch.State.OFFERED)
            order = services.dispatch_accept(dispatch=dispatch, member=member)
        elif step == "in_service":
            order = services.order_start(order=order, member=member)
        elif step == "done":
            order = age(order)
            order, _record = services.order_finish(
                order=order, member=member, hours=Decimal("1.5"), note="换了阀芯"
            )
        elif step == "reviewed":
            order = services.order_mark_reviewed(order=order)
    order.refresh_from_db()
    return order


def track_url(order: Order, name: str = "track") -> str:
    return reverse(f"orders:{name}", args=[order.tracking_token])


# --- the page ------------------------------------------------------------------------


def test_a_fresh_order_shows_its_state_steps_and_deadlines_in_plain_words(world, client, filed):
    response = client.get(track_url(filed))
    html = response.content.decode()
    assert response.status_code == 200
    assert "待受理" in html
    assert "您提交了需求" in html
    when = timezone.localtime(filed.created_at)
    assert f"{when.year}年{when.month}月{when.day}日" in html  # Chinese date format
    assert when.strftime("%H:%M") in html
    respond = timezone.localtime(filed.respond_by)
    assert f"最晚 {respond.year}年{respond.month}月{respond.day}日" in html
    assert "138****5678" in html and "13812345678" not in html  # phone masked
    assert "取消这个需求" in html  # cancellable
    assert "问题没解决" not in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert 'name="robots"' in html


@pytest.mark.parametrize("state", list(STATE_WORDS))
def test_every_state_is_shown_in_plain_words(world, client, filed, state):
    order = bring_to(filed, state, world)
    assert order.state == state
    html = client.get(track_url(order)).content.decode()
    assert f'id="state">{STATE_WORDS[state]}<' in html
    # the state is the page's one heading: a screen reader found no heading at all
    assert html.count("<h1") == 1 and f'<h1 class="state state-{state}" id="state">' in html


def test_who_is_coming_is_shown_masked_with_every_step(world, client, filed):
    order = bring_to(filed, "in_service", world)
    html = client.get(track_url(order)).content.decode()
    assert "上门帮忙的是：张*" in html
    assert "张三" not in html
    for text in ["社区已受理", "社区已派单给党员", "张* 已接单", "开始上门服务"]:
        assert text in html
    assert html.index("社区已受理") < html.index("开始上门服务")


def test_a_returned_order_shows_the_reason(world, client, filed):
    order = bring_to(filed, "rejected", world)
    html = client.get(track_url(order)).content.decode()
    assert "不属于社区服务范围" in html
    assert "取消这个需求" not in html


def test_an_overdue_order_says_so(world, client, filed):
    Order.objects.filter(pk=filed.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    html = client.get(track_url(filed)).content.decode()
    assert "已经超过约定时间" in html


def test_an_unknown_token_is_a_plain_chinese_404(world, client):
    for url in [
        reverse("orders:track", args=["no-such-token"]),
        reverse("orders:sent", args=["no-such-token"]),
    ]:
        response = client.get(url)
        assert response.status_code == 404
        assert "没有找到这个需求" in response.content.decode()
    response = client.post(reverse("orders:track_cancel", args=["no-such-token"]))
    assert response.status_code == 404


# --- cancel --------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "triaged", "dispatched", "accepted"])
def test_the_resident_cancels_while_nobody_has_started(world, client, filed, state):
    order = bring_to(filed, state, world)
    response = client.post(
        track_url(order, "track_cancel"), {"reason": "儿子回来修好了", "confirm": "on"}
    )
    assert response.status_code == 302 and response["Location"] == track_url(order)
    order.refresh_from_db()
    assert order.state == Order.State.CANCELLED
    event = order.events.last()
    assert (event.action, event.reason, event.by_id) == ("cancel", "儿子回来修好了", None)
    page = client.get(track_url(order)).content.decode()
    assert "您的需求已取消" in page and "已取消" in page
    assert "儿子回来修好了" in page
    assert "取消这个需求" not in page
    if state == "dispatched":
        assert Dispatch.objects.get(order=order).state == Dispatch.State.WITHDRAWN
    if state == "accepted":
        assert Notification.objects.filter(user=world.member, kind="order_cancelled").exists()


def test_a_cancel_reason_is_optional(world, client, filed):
    client.post(track_url(filed, "track_cancel"), {"confirm": "on"})
    filed.refresh_from_db()
    assert filed.state == Order.State.CANCELLED


def test_a_cancel_without_the_tick_asks_for_it_and_changes_nothing(world, client, filed):
    """One shaky tap on 取消这个需求 ended the order, with no way back."""
    response = client.post(track_url(filed, "track_cancel"), {"reason": "点错了"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请勾选确认" in html and "点错了" in html  # the reason typed is kept
    # The answer opens at the form (#cancel-form), not at the page's top on a phone.
    assert f'action="{track_url(filed, "track_cancel")}#cancel-form"' in html
    filed.refresh_from_db()
    assert filed.state == Order.State.SUBMITTED and filed.events.count() == 1


@pytest.mark.parametrize("state", ["in_service", "done", "cancelled", "rejected"])
def test_cancelling_is_refused_once_it_cannot_be_undone(world, client, filed, state):
    order = bring_to(filed, state, world)
    events = order.events.count()
    response = client.post(track_url(order, "track_cancel"), {"reason": "算了"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "已经不能取消了" in html
    order.refresh_from_db()
    assert order.state == state and order.events.count() == events


def test_cancel_needs_a_post(world, client, filed):
    assert client.get(track_url(filed, "track_cancel")).status_code == 405
    filed.refresh_from_db()
    assert filed.state == Order.State.SUBMITTED


def test_a_signed_in_resident_is_recorded_as_the_one_who_cancelled(world, client_for, filed):
    client = client_for(world.resident)
    client.post(track_url(filed, "track_cancel"), {"reason": "", "confirm": "on"})
    assert OrderEvent.objects.filter(order=filed, action="cancel").get().by == world.resident


# --- not solved ------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["done", "reviewed"])
def test_not_solved_reopens_a_done_order_with_the_reason_kept(world, client, filed, state):
    order = bring_to(filed, state, world)
    page = client.get(track_url(order)).content.decode()
    assert "问题没解决？" in page and "服务人：张*" in page
    response = client.post(track_url(order, "track_reopen"), {"reason": "水龙头还在滴水"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == Order.State.TRIAGED
    assert order.assigned_member is None and order.done_at is None
    event = order.events.last()
    assert (event.action, event.reason) == ("reopen", "水龙头还在滴水")
    assert Notification.objects.filter(user=world.community_admin, kind="order_reopened").exists()
    page = client.get(track_url(order)).content.decode()
    assert "已受理" in page and "水龙头还在滴水" in page
    assert "社区会重新安排" in page


def test_not_solved_needs_a_reason(world, client, filed):
    order = bring_to(filed, "done", world)
    response = client.post(track_url(order, "track_reopen"), {"reason": "  "})
    assert response.status_code == 400
    assert "请告诉我们还有什么没解决" in response.content.decode()
    order.refresh_from_db()
    assert order.state == Order.State.DONE


@pytest.mark.parametrize("state", ["submitted", "in_service", "cancelled"])
def test_not_solved_is_refused_for_an_order_that_is_not_done(world, client, filed, state):
    order = bring_to(filed, state, world)
    response = client.post(track_url(order, "track_reopen"), {"reason": "还没来"})
    assert response.status_code == 409
    assert "只有已完成的需求" in response.content.decode()
    order.refresh_from_db()
    assert order.state == state


def test_a_done_order_offers_its_review_link_until_it_is_used(world, client):
    """评诺 from the tracking page: the link opens the review form of the order's service."""

    order = services.order_submit(
        community=world.community,
        category=world.community.street.categories.first(),
        description="楼道灯不亮了",
        phone="13812345678",
        consent=True,
        address="阳光花园3幢",
    )
    services.order_triage(order=order, by=world.community_admin)
    member = world.member.member
    order = age(services.order_claim(order=order, member=member))
    order, record = services.order_finish(order=order, member=member, hours=Decimal("1"))
    page = client.get(f"/track/{order.tracking_token}/")
    link = review_link_for(record)
    assert link in page.text
    form = client.get(link)
    assert form.status_code == 200
    client.post(link, {"rating": "5", "comment": "很好", "solved": "yes"})
    order.refresh_from_db()
    assert order.state == Order.State.REVIEWED
    assert link not in client.get(f"/track/{order.tracking_token}/").text


def test_an_order_for_the_weekend_is_due_then_and_the_page_says_so(world, client):
    """A repair (three days to finish) asked for this weekend on a Monday was due on
    Thursday: overdue before anyone might come, and its page read "最晚周四前办完" beside the
    weekend chosen (session 17's walk)."""
    monday = dt.datetime(2026, 12, 7, 10, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(monday, tick=False):
        response = client.post(intake_url(world), order_data(world, when="weekend"))
        assert response.status_code == 302
        order = Order.objects.get()
        html = client.get(track_url(order)).content.decode()
    sunday_night = timezone.localtime(order.window_end)
    assert (sunday_night.month, sunday_night.day) == (12, 13)
    assert order.finish_by == order.window_end
    assert order.respond_by == monday + timedelta(hours=order.category.respond_hours)
    assert "社区会按您选的时间安排" in html and "前办完" not in html
    thursday = monday + timedelta(days=3, hours=1)
    assert "finish" not in order.overdue_deadlines(thursday)
    with time_machine.travel(monday + timedelta(days=7), tick=False):
        html = client.get(track_url(order)).content.decode()
    assert "社区会按您选的时间安排" not in html and "前办完" in html


def test_an_order_wanted_soon_keeps_its_category_deadline(world, client):
    client.post(intake_url(world), order_data(world, when="tomorrow_am"))
    order = Order.objects.get()
    assert order.finish_by == order.created_at + timedelta(days=order.category.finish_days)
