"""The annual review on a 360 px phone, in Chinese and in English: nothing wider than it."""

import pytest
from django.utils import timezone

from pledgeloop.conftest import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_annual_review_fits_a_phone(world, live_server, browser, screenshot_dir, locale):
    """In English the summary's "Unsatisfactory", one word wider than its card, pushed the
    page to 367 px."""
    context = browser.new_context(locale=locale, **PHONE)
    page = context.new_page()
    year = timezone.localdate().year
    sign_in(page, live_server.url, world.street_admin, then=f"/annual/jianghai/{year}/")
    labels = page.locator(".annual-summary .stats-label").all_inner_texts()
    assert ("Unsatisfactory" if locale == "en-US" else "不合格") in labels
    overflowing = page.locator(".annual-summary .stats-card").evaluate_all(
        "cards => cards.filter(c => c.scrollWidth > c.clientWidth).map(c => c.textContent.trim())"
    )
    assert overflowing == []
    if locale == "en-US":  # and no word broken in two to fit ("Member/s reviewe/d")
        broken = page.locator(".annual-summary .stats-label").evaluate_all(
            """labels => labels.filter(label => {
                const pen = document.createElement("canvas").getContext("2d");
                pen.font = getComputedStyle(label).font;
                const words = label.textContent.trim().split(/\\s+/);
                return Math.max(...words.map(w => pen.measureText(w).width)) > label.clientWidth;
            }).map(label => label.textContent.trim())"""
        )
        assert broken == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(screenshot_dir / f"annual-phone-{locale}.png"), full_page=True)
