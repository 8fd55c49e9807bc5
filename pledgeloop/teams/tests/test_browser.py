"""In real Chromium: a resident takes a number at a booth on a 360 px phone (a double tap
gives one number); a resident registers for a course on a phone and cancels; an admin
dispatches an order to a team at a desktop and its leader assigns it on a phone; a member
signs up for a booth shift and checks in by the session's code on a phone; an admin marks a
project's milestone done at a desktop and a resident's phone shows the board's new progress;
an admin moves a fair to the next day on a phone and on a desktop, warned first of whom it
will tell; an admin cancels a course at a desktop and the resident reads why on a phone."""

import datetime as dt

import pytest
from django.utils import timezone
from PIL import Image

from pledgeloop.conftest import DESKTOP, PHONE
from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import member_of, triaged_order
from pledgeloop.orgs.models import Category
from pledgeloop.pledges.tests.test_browser import sign_in
from pledgeloop.teams import events, projects
from pledgeloop.teams.models import Attendance, Booth, Event, Milestone, QueueTicket, SignUp

from .helpers import booth_with_shift, course_in, team_with_leaders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_takes_a_number_at_a_booth_on_a_phone(
    world, live_server, browser, screenshot_dir
):
    start = timezone.now() - dt.timedelta(hours=1)
    event = Event.objects.create(
        street=world.street,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        slug="market",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
    )
    booth = Booth.objects.create(
        street=world.street,
        event=event,
        name="家电维修",
        category=Category.objects.get(street=world.street, code="repairs"),
    )
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/events/{world.street.slug}/market/booths/{booth.pk}/")
    page.locator("[data-take]").dblclick()
    page.wait_for_selector("[data-ticket]")
    assert page.locator("[data-ticket]").inner_text() == "1"
    assert QueueTicket.objects.filter(booth=booth).count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"booth page is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "teams-booth-number-phone.png"), full_page=True)
    # 长辈模式 at the fair: switched on at the booth, kept on the event's and the street's
    # other public pages (they fell back to small type, with no switch: session 26's walk)
    page.locator(".elder-switch[data-public] button").tap()
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "22px"
    street = world.street.slug
    for path in [
        f"/events/{street}/market/",
        f"/events/{street}/",
        f"/projects/{street}/",
        f"/teams/{street}/",
        f"/circle/{street}/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("getComputedStyle(document.body).fontSize") == "22px", path
        assert page.locator(".elder-switch[data-public] button").is_visible(), path
    context.clear_cookies()
    context.close()


def test_a_resident_registers_on_a_phone_and_cancels_when_they_cannot_come(
    world, live_server, browser, screenshot_dir
):
    """报名 on a 360 px phone, then 取消报名 from the same phone: the box must be ticked
    first, and the page then offers the place again."""
    event = course_in(world, "智能手机使用课", timezone.now() + dt.timedelta(days=2), capacity=1)
    session = event.sessions.get()
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/events/{world.street.slug}/{event.slug}/")
    page.get_by_role("link", name="报名").first.tap()
    page.get_by_label("您的姓名").fill("李明")
    page.get_by_label("您的手机号").fill("13611112222")
    page.locator("input[name=consent]").check()
    page.locator("[data-register]").tap()
    page.wait_for_selector("[data-registered]")
    assert session.registrations.count() == 1
    page.screenshot(path=str(screenshot_dir / "events-registered-phone.png"), full_page=True)

    page.locator("[data-withdraw]").tap()  # not ticked: asked to, nothing cancelled
    page.wait_for_selector("#withdraw .field-error")
    assert session.registrations.count() == 1
    page.get_by_label("是的，我不能参加了").check()
    page.locator("[data-withdraw]").tap()
    page.wait_for_selector(".messages")
    assert "已取消报名" in page.locator(".messages").inner_text()
    assert page.locator("[data-register]").is_visible()
    assert session.registrations.count() == 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"registration page is {width}px wide"
    page.screenshot(
        path=str(screenshot_dir / "events-registration-cancelled-phone.png"), full_page=True
    )
    context.close()


def test_admin_dispatches_to_a_team_and_the_leader_assigns_it(
    world, live_server, browser, screenshot_dir
):
    team, heads = team_with_leaders(world)
    order = triaged_order(world)
    desk = browser.new_context(locale="zh-CN", **DESKTOP)
    page = desk.new_page()
    sign_in(page, live_server.url, world.community_admin)
    page.goto(f"{live_server.url}/console/orders/{order.pk}/")
    page.click("[data-team-dispatch]")
    page.check(f"#team-{team.pk}")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert Order.objects.get(pk=order.pk).state == Order.State.DISPATCHED
    page.screenshot(path=str(screenshot_dir / "teams-dispatch-desktop.png"), full_page=True)
    desk.close()

    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, heads[0].user)
    page.goto(f"{live_server.url}/me/teams/")
    member = member_of(world)
    page.select_option("select[name=assignee]", str(member.pk))
    page.click("[data-offer] button.primary")
    page.wait_for_load_state()
    order.refresh_from_db()
    assert order.state == Order.State.ACCEPTED and order.assigned_member == member
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"my teams page is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "teams-leader-assigns-phone.png"), full_page=True)
    phone.close()


def test_a_member_signs_up_for_a_booth_shift_and_checks_in_on_a_phone(
    world, live_server, browser, screenshot_dir
):
    start = timezone.now() - dt.timedelta(minutes=10)
    event = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        slug="market",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=4),
    )
    booth = events.booth_add(
        event=event,
        name="法律咨询",
        category=Category.objects.get(street=world.street, code="legal"),
    )
    session = event.sessions.get()
    shift = events.shift_add(
        session=session, booth=booth, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    member = member_of(world)
    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, world.member)
    page.goto(f"{live_server.url}/me/events/")
    page.click(f"[data-shift='{shift.pk}'] [data-signup]")
    page.wait_for_selector("[data-checkin-link]")
    assert SignUp.objects.filter(shift=shift, member=member).exists()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"my events page is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "events-shift-signup-phone.png"), full_page=True)
    page.click("[data-checkin-link]")
    page.fill("input[name=code]", events.session_code(session=session))
    page.click("[data-scan]")
    page.wait_for_selector("[data-attendance=in]")
    attendance = Attendance.objects.get(session=session, member=member)
    assert attendance.shift == shift and attendance.checked_out_at is None
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"check-in page is {width}px wide"
    assert f"您的班次：{shift}" in page.inner_text("main")  # a full-width colon
    page.screenshot(path=str(screenshot_dir / "events-checkin-phone.png"), full_page=True)
    phone.close()


def test_the_project_board_shows_a_milestone_just_completed(
    world, live_server, browser, screenshot_dir, tmp_path
):
    project = projects.project_create(
        street=world.street,
        community=world.community,
        title="电动车充电雨棚",
        lead=member_of(world),
    )
    today = timezone.localdate()
    first = projects.milestone_add(
        project=project, title="选址论证", due_on=today - dt.timedelta(days=20)
    )
    projects.milestone_complete(
        milestone=first, done_on=today - dt.timedelta(days=21), evidence="确定两处选址"
    )
    shed = projects.milestone_add(
        project=project, title="雨棚建成", due_on=today + dt.timedelta(days=5)
    )
    photo = tmp_path / "shed.png"
    Image.new("RGB", (800, 600), "steelblue").save(photo, "PNG")

    desk = browser.new_context(locale="zh-CN", **DESKTOP)
    page = desk.new_page()
    sign_in(page, live_server.url, world.community_admin)
    page.goto(f"{live_server.url}/console/teams/projects/{project.pk}/")
    row = page.locator(f"[data-milestone='{shed.pk}']")
    row.locator("[data-mark-done]").click()
    row.locator("textarea[name=evidence]").fill("雨棚建成,可停60辆")
    row.locator("input[name=photo]").set_input_files(str(photo))
    row.locator("input[name=photo_public]").check()
    with page.expect_navigation():
        row.locator("button[type=submit].primary").click()
    assert Milestone.objects.get(pk=shed.pk).done_on == today, page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "teams-milestone-done-desktop.png"), full_page=True)
    desk.close()

    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    page.goto(f"{live_server.url}/projects/{world.street.slug}/")
    card = page.locator(f"[data-project='{project.slug}'] [data-progress]")
    assert card.get_attribute("data-progress") == "100"
    assert card.get_attribute("data-status") == "done"
    # The bar in the party red of every page, not the browser's own blue.
    accent = card.locator("progress").evaluate("e => getComputedStyle(e).accentColor")
    assert accent == "rgb(200, 22, 29)", accent
    page.click(f"[data-project='{project.slug}'] h2 a")
    page.wait_for_load_state()
    assert "雨棚建成,可停60辆" in page.inner_text("body")
    # The photo is shown (cleared for public pages) and loads: it has a width once decoded.
    image = page.locator(".milestone-photo")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.milestone-photo').naturalWidth > 0")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"project page is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "teams-project-board-phone.png"), full_page=True)
    phone.close()


def test_the_circle_map_draws_positions_and_compounds_on_a_phone(
    circle_world, live_server, browser, screenshot_dir
):
    """The map of the 15-minute circle drew its axes and nothing else: the project's ECharts
    build (frontend/echarts.js) had no scatter chart. And a position's hours read 未办结
    ("open", as of orders) instead of 开放时间."""
    context = browser.new_context(locale="zh-CN", reduced_motion="reduce", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/circle/{circle_world.street.slug}/")
    drawn = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('circle-chart'))"
        ".getOption().series.map(s => [s.name, s.data.length])"
    )
    assert drawn == [["服务阵地", 2], ["服务圈内的小区", 3], ["服务圈外的小区", 1]]
    chart = screenshot_dir / "teams-circle-map-phone.png"
    page.locator("#circle-chart").screenshot(path=str(chart))
    colours = Image.open(chart).convert("RGB").getcolors(maxcolors=1 << 24)
    pins = sum(n for n, (r, g, b) in colours if r > 180 and r - g > 90 and r - b > 90)
    assert pins > 200, pins  # the positions' red pins, drawn on the canvas
    body = page.locator("#circle-positions").inner_text()
    assert "开放时间：周一至周五 9:00–17:00" in body and "未办结" not in body
    page.screenshot(path=str(screenshot_dir / "teams-circle-phone.png"), full_page=True)
    context.close()


def test_an_admin_moves_a_fair_to_the_next_day_warned_whom_it_tells(
    world, live_server, browser, screenshot_dir
):
    """修改活动: the date of a fair with a member on a shift, on a 360 px phone then at a
    desk; the page says how many people will be told before anything is saved."""
    day = timezone.localdate() + dt.timedelta(days=7)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    event = events.event_create(
        street=world.street,
        community=world.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
    )
    _booth, shift = booth_with_shift(world, event, "法律咨询", "legal", hours=2)
    events.shift_signup(shift=shift, member=member_of(world))
    for size, options, days in [("phone", PHONE, 1), ("desktop", DESKTOP, 2)]:
        context = browser.new_context(locale="zh-CN", **options)
        page = context.new_page()
        sign_in(page, live_server.url, world.community_admin)
        page.goto(f"{live_server.url}/console/teams/events/{event.pk}/")
        page.click("[data-edit-event]")
        assert page.locator("[data-people-told]").get_attribute("data-people-told") == "1"
        new_day = (day + dt.timedelta(days=days)).isoformat()
        page.fill("[name=starts_at]", f"{new_day}T09:00")
        page.fill("[name=ends_at]", f"{new_day}T12:00")
        page.click("#event-edit button[type=submit]")
        warning = page.locator("[data-confirm-change]")
        assert "将逐一通知已报名的 1 人" in warning.inner_text()
        assert Event.objects.get(pk=event.pk).starts_at == start + dt.timedelta(days=days - 1)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= options["viewport"]["width"], f"edit page is {width}px wide"
        page.screenshot(path=str(screenshot_dir / f"events-edit-{size}.png"), full_page=True)
        with page.expect_navigation():
            page.click("[data-confirm]")
        assert "已保存，并已通知已报名的 1 人。" in page.inner_text("main")
        assert Event.objects.get(pk=event.pk).starts_at == start + dt.timedelta(days=days)
        assert SignUp.objects.get(shift=shift).shift.starts_at == start + dt.timedelta(days=days)
        context.close()
    assert Notification.objects.filter(kind="event_changed").count() == 2


def test_an_admin_cancels_a_course_and_a_resident_sees_why_on_a_phone(
    world, live_server, browser, screenshot_dir
):
    """取消活动 at a desk: the page says whom it tells and asks why; then the resident who
    registered opens the event's page from the text, on a 360 px phone, and reads why."""
    event = course_in(world, "智能手机使用课", timezone.now() + dt.timedelta(days=3))
    session = event.sessions.get()
    events.registration_submit(session=session, name="李明", phone="13611112222", consent=True)
    desk = browser.new_context(locale="zh-CN", **DESKTOP)
    page = desk.new_page()
    sign_in(page, live_server.url, world.community_admin)
    page.goto(f"{live_server.url}/console/teams/events/{event.pk}/")
    page.click("[data-cancel-event]")
    assert page.locator("[data-people-told]").get_attribute("data-people-told") == "1"
    page.get_by_label("取消原因").fill("授课老师生病，改期另行通知。")
    page.screenshot(path=str(screenshot_dir / "events-cancel-desktop.png"), full_page=True)
    with page.expect_navigation():
        page.click("button[data-cancel-event]")
    assert "活动已取消，已通知1位报名者。" in page.inner_text("main")
    assert page.locator("[data-event-cancelled]").is_visible()
    desk.close()
    assert Notification.objects.filter(kind="event_cancelled", phone="13611112222").exists()

    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    page.goto(f"{live_server.url}/events/{world.street.slug}/{event.slug}/")
    notice = page.locator("[data-event-cancelled]")
    assert "本活动已取消" in notice.inner_text() and "授课老师生病" in notice.inner_text()
    assert page.get_by_role("link", name="报名").count() == 0
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"event page is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "events-cancelled-phone.png"), full_page=True)
    phone.close()
