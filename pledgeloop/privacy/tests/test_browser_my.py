"""A resident on a 360 px phone signs in with a texted code, sees their data in large type,
downloads it and asks for its deletion."""

import pytest

from pledgeloop.conftest import PHONE
from pledgeloop.orders.models import Order
from pledgeloop.orders.tests.loop import bring_to
from pledgeloop.privacy.models import DeletionRequest

from .conftest import last_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"{page.url} is {width}px wide"


def test_a_resident_uses_my_data_on_a_phone(world, live_server, browser, screenshot_dir, texts):
    order = bring_to(world, Order.State.DONE)
    page = browser.new_context(locale="zh-CN", **PHONE).new_page()
    page.goto(f"{live_server.url}/my/")
    no_sideways_scroll(page)
    page.fill("#id_phone", "13812345678")
    page.locator("button.primary").first.tap()
    page.wait_for_selector("#id_code")
    page.fill("#id_code", last_code(texts))
    page.locator(".code-step button").tap()
    page.wait_for_selector("#orders")
    assert order.description in page.locator("#orders").inner_text()
    font = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#orders dd')).fontSize)"
    )
    assert font >= 16  # large type, as every resident page
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "resident-my-data-phone.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("a[href$='export.xlsx']").tap()
    assert download.value.suggested_filename == "my-data.xlsx"
    page.locator("#delete input[name=confirm]").tap()
    page.locator("#delete button").tap()
    page.wait_for_selector("#delete .notice")
    assert DeletionRequest.objects.filter(community=world.community).exists()
