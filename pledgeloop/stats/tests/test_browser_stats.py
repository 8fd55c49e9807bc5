"""The dashboard draws its charts on a desktop; the public page fits a 360 px phone."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from pledgeloop.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ["chart-trend", "chart-categories", "chart-communities", "chart-rates"]


def signed_in_context(browser, live_server, user, **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", **options)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def canvas_size(page, container: str) -> tuple[int, int]:
    canvas = page.locator(f"#{container} canvas").first
    canvas.wait_for(state="attached", timeout=10_000)
    box = canvas.bounding_box()
    return int(box["width"]), int(box["height"])


def test_dashboard_draws_every_chart(figures, live_server, browser, screenshot_dir):
    context = signed_in_context(browser, live_server, figures.world.street_admin, **DESKTOP)
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.goto(f"{live_server.url}/console/stats/?period=2026")
    for chart in CHARTS:
        width, height = canvas_size(page, chart)
        assert width > 100 and height > 100, chart
    page.screenshot(path=str(screenshot_dir / "stats-dashboard-desktop.png"), full_page=True)
    page.goto(f"{live_server.url}/console/stats/?period=2026&screen=1")
    assert canvas_size(page, "chart-trend")[0] > 100
    page.screenshot(path=str(screenshot_dir / "stats-wall-display.png"))
    assert not violations, violations
    context.close()


def test_public_page_fits_a_phone(figures, live_server, browser, screenshot_dir):
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/stats/jianghai/")
    width, height = canvas_size(page, "chart-trend")
    assert 200 < width <= 360 and height > 100
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(screenshot_dir / "stats-public-phone.png"), full_page=True)
    context.close()
