"""Every role signs in on a 360 px phone and on a desktop, in real Chromium."""

import pytest

from pledgeloop.conftest import DESKTOP, PASSWORD, PHONE, sign_in
from pledgeloop.orders.tests.loop import new_order, triaged_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["street_admin", "community_admin", "member", "resident"]
LANDING = {
    "street_admin": "/console/street/",
    "community_admin": "/console/",
    "member": "/me/",
    "resident": "/my/",
}


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_each_role_signs_in_and_lands_home(world, live_server, browser, screenshot_dir, device):
    options = PHONE if device == "phone" else DESKTOP
    for role in ROLES:
        user = getattr(world, role)
        context = browser.new_context(locale="zh-CN", **options)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        assert page.locator("h1").inner_text() == "登录"
        page.fill("#id_phone", user.phone)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}{LANDING[role]}")
        assert user.name in page.content()
        # Nothing wider than the screen: no sideways scrolling on a phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= options["viewport"]["width"], f"{role} page is {width}px wide"
        if role == "community_admin":
            # The community's card holds the residents' phone field: whole, not cut off (a
            # lone community's card was 150 px wide on a desktop).
            field = page.locator(".community-phone input[name=phone]")
            cut = field.evaluate("e => e.scrollWidth > e.clientWidth + 1 || e.clientWidth < 200")
            assert not cut, f"the phone field is {field.evaluate('e => e.clientWidth')}px wide"
        page.screenshot(path=str(screenshot_dir / f"login-{role}-{device}.png"), full_page=True)
        context.close()


def test_wrong_password_shows_a_chinese_message_on_a_phone(
    world, live_server, browser, screenshot_dir
):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_phone", world.member.phone)
    page.fill("#id_password", "wrong")
    page.click("button[type=submit].primary")
    assert "手机号或密码不正确" in page.locator("[role=alert]").inner_text()
    page.screenshot(path=str(screenshot_dir / "login-wrong-password-phone.png"))
    context.close()


def test_language_switch_to_english(world, live_server, browser):
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.click("button[name=language][value=en]")
    assert page.locator("h1").inner_text() == "Sign in"
    context.close()


def test_the_needs_lists_tick_boxes_take_a_thumb_on_a_phone(world, live_server, browser):
    """The boxes that select orders for 受理 or 退回 were the browser's own 13 px squares,
    alone in a corner of each stacked order: too small for a thumb."""
    order = triaged_order(world)
    new_order(world)
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, live_server.url, world.community_admin, then="/console/needs/")
    boxes = page.locator("table.needs tbody input[type=checkbox]")
    assert boxes.count() == 2
    for box in boxes.all():
        size = box.bounding_box()
        assert size["width"] >= 22 and size["height"] >= 22, size
    boxes.first.click()
    assert boxes.first.is_checked()
    # and on an order's page, the choice of member in the picker
    page.goto(f"{live_server.url}/console/orders/{order.pk}/")
    choice = page.locator("table.picker input[type=radio]").first.bounding_box()
    assert choice["width"] >= 22 and choice["height"] >= 22, choice
    # and every other form's: a new team's skills, drawn by Django's own widget
    page.goto(f"{live_server.url}/console/teams/new/")
    skills = page.locator("input[type=checkbox][name=skills]")
    assert skills.count() >= 2
    for box in skills.all():
        size = box.bounding_box()
        assert size["width"] >= 20 and size["height"] >= 20, size
    context.close()
