"""A resident rates a service through the link on a 360 px phone; the showcase shows it."""

import pytest
from django.utils import timezone

from pledgeloop.conftest import PHONE
from pledgeloop.service.review_links import review_link_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resident_rates_on_a_phone_and_the_showcase_counts_it(
    world, done_order, live_server, browser, screenshot_dir
):
    _order, rec = done_order
    today = timezone.localdate()
    showcase = f"{live_server.url}/showcase/xinggangwan/{today.year}q{(today.month - 1) // 3 + 1}/"
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()

    page.goto(showcase)
    member = page.locator(f"[data-member='{world.member.member.pk}']")
    assert member.locator("[data-ratings-count]").get_attribute("data-ratings-count") == "0"

    page.goto(live_server.url + review_link_for(rec))
    assert page.locator("h1").inner_text() == "评价这次服务"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    choice = page.locator("label.rate-5")
    assert choice.bounding_box()["height"] >= 48  # a large tap target
    page.screenshot(path=str(screenshot_dir / "review-form-phone.png"), full_page=True)
    choice.tap()
    page.locator("label.solved-choice", has_text="解决了").tap()
    page.fill("#id_comment", "小张修得又快又好")
    page.screenshot(path=str(screenshot_dir / "review-form-filled-phone.png"), full_page=True)
    page.click("button[type=submit].primary")
    assert page.locator("h1").inner_text() == "感谢您的评价"
    assert page.locator(".review-given").inner_text().startswith("您的评价：")
    assert "非常满意" in page.content()
    page.screenshot(path=str(screenshot_dir / "review-thanks-phone.png"), full_page=True)

    page.goto(live_server.url + review_link_for(rec))  # a second visit changes nothing
    assert page.locator("h1").inner_text() == "这次服务已经评价过了"

    page.goto(showcase)
    member = page.locator(f"[data-member='{world.member.member.pk}']")
    assert member.locator("[data-ratings-count]").get_attribute("data-ratings-count") == "1"
    assert member.locator("[data-ratings-average]").inner_text() == "5.0"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(screenshot_dir / "showcase-phone.png"), full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=str(screenshot_dir / "showcase-print.png"), full_page=True)
    context.close()
