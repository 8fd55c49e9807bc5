"""长辈模式 on the cached public pages: the wall, a member page, the public figures and the
diary are the same page for every visitor (page cache), so the larger text comes from the
visitor's own cookie through elder.js. It stopped at the order pages (session 17's walk)."""

import pytest

from pledgeloop.conftest import PHONE
from pledgeloop.orders.tests.test_intake import intake_url

from .conftest import make_pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY_SIZE = "getComputedStyle(document.body).fontSize"
ELDER = "document.documentElement.classList.contains('elder')"


def test_elder_mode_reaches_the_cached_public_pages(
    world, member, live_server, browser, screenshot_dir
):
    make_pledge(member)
    context = browser.new_context(locale="zh-CN", **PHONE)
    context.clear_cookies()
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/wall/{world.community.slug}/")
        normal = page.evaluate(BODY_SIZE)
        assert not page.evaluate(ELDER) and float(normal.removesuffix("px")) < 22
        switch = page.locator(".elder-switch[data-public] button")
        assert switch.inner_text() == "长辈模式（大字）"
        switch.click()
        assert page.evaluate(ELDER) and page.evaluate(BODY_SIZE) == "22px"
        assert {c["name"]: c["value"] for c in context.cookies()}.get("elder") == "1"
        # Served again from the page cache, the same for everyone: large from the cookie.
        for path in (
            f"/wall/{world.community.slug}/",
            f"/m/{member.code}/",
            f"/stats/{world.street.slug}/",
            "/diary/",
        ):
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate(ELDER), path
            assert page.evaluate(BODY_SIZE) == "22px", path
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
            button = page.locator(".elder-switch[data-public] button")
            assert button.get_attribute("aria-pressed") == "true", path
            assert button.inner_text().startswith("长辈模式：已开启"), path
        page.goto(f"{live_server.url}/wall/{world.community.slug}/")
        page.screenshot(path=str(screenshot_dir / "pledges-wall-elder-phone.png"))
        # The order form, drawn per visitor, reads the same cookie on the server.
        page.goto(f"{live_server.url}{intake_url(world)}")
        assert page.evaluate("document.body.classList.contains('elder')")
        # Off again from a public page: normal text there and on the next page.
        page.goto(f"{live_server.url}/m/{member.code}/")
        page.locator(".elder-switch[data-public] button").click()
        assert not page.evaluate(ELDER) and page.evaluate(BODY_SIZE) == normal
        page.goto(f"{live_server.url}/wall/{world.community.slug}/")
        assert not page.evaluate(ELDER)
    finally:
        context.clear_cookies()
        context.close()


def test_without_the_script_there_is_no_switch(world, member, live_server, browser):
    make_pledge(member)
    context = browser.new_context(locale="zh-CN", java_script_enabled=False, **PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/wall/{world.community.slug}/")
        assert not page.locator(".elder-switch[data-public]").is_visible()
    finally:
        context.close()
