"""The site's screen in Chromium: an admin sets it up, the screen shows the changing code, a
member on a phone checks in with it and out again, and the hours count as verified."""

import datetime as dt
from decimal import Decimal

import pytest

from pledgeloop.conftest import DESKTOP, PHONE, sign_in
from pledgeloop.orgs.models import Site
from pledgeloop.service import access
from pledgeloop.service.models import CheckIn, ServiceRecord, SiteScreen
from pledgeloop.service.services import site_screen_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_checks_in_and_out_with_the_code_on_the_sites_screen(
    world, live_server, browser, screenshot_dir
):
    site = Site.objects.create(
        street=world.street,
        community=world.community,
        kind="centre",
        name="星港湾党群服务中心",
        latitude="31.95",
        longitude="120.9",
    )
    desktop = browser.new_context(locale="zh-CN", **DESKTOP)
    admin = desktop.new_page()
    sign_in(admin, live_server.url, world.community_admin)
    admin.goto(f"{live_server.url}/console/service/screens/")
    admin.click("table form button[type=submit]")
    admin.wait_for_load_state()
    link = admin.locator("td a").first.get_attribute("href")
    screen = SiteScreen.objects.get(site=site)
    admin.goto(link)  # as the screen on the wall would
    assert site_screen_code(screen=screen) in admin.inner_text(".screen-code")
    assert admin.locator(".checkin-code svg").count() == 1
    admin.screenshot(path=str(screenshot_dir / "service-checkin-screen.png"), full_page=True)
    desktop.close()

    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, world.member)

    # What the screen's QR code holds: the site's check-in URL with the current code.
    def scanned() -> str:
        token = access.checkin_token(site)
        return f"{live_server.url}/checkin/{token}/?code={site_screen_code(screen=screen)}"

    page.goto(scanned())
    assert "时长计为核验时长" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "service-checkin-phone.png"), full_page=True)
    page.click("button[name=action][value=in]")
    page.wait_for_load_state()
    assert CheckIn.objects.get().in_proof == CheckIn.Proof.SCREEN
    CheckIn.objects.update(
        checked_in_at=CheckIn.objects.get().checked_in_at - dt.timedelta(hours=1)
    )
    page.goto(scanned())
    page.click("button[name=action][value=out]")
    page.wait_for_load_state()
    assert "核验" in page.inner_text(".messages")
    record = ServiceRecord.objects.get()
    assert record.hours == Decimal("1") and record.evidence == "site_screen"
    phone.close()
