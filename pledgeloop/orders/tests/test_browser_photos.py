"""The resident's photo really shows: on the tracking page (through its token) and on the
community admin's console page, served with DEBUG off as under `make run`; nobody else gets it."""

import pytest

from pledgeloop.conftest import DESKTOP, PHONE
from pledgeloop.orders.models import Order

from .test_browser_member import sign_in
from .test_browser_resident import photo_with_gps
from .test_intake import intake_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def loaded_width(page, selector: str) -> int:
    """The image's decoded width once the browser has finished with it (0: it did not load)."""
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete; }", arg=selector
    )
    return page.evaluate("s => document.querySelector(s).naturalWidth", selector)


def test_the_admin_and_the_resident_see_the_residents_photo(
    world, live_server, browser, screenshot_dir, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PHOTOS_SENDFILE = ""
    assert not settings.DEBUG

    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    page.goto(f"{live_server.url}{intake_url(world)}")
    page.locator(".tile", has_text="便民维修").tap()
    page.fill("#id_description", "楼道灯坏了，晚上看不见")
    page.set_input_files(
        "#id_photo",
        files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps()}],
    )
    page.fill("#id_phone", "13812340000")
    page.fill("#id_address", "阳光花园3幢")
    page.locator("#id_consent").tap()
    page.locator("#send").tap()
    page.wait_for_url(f"{live_server.url}/order/sent/**")
    order = Order.objects.get()
    assert order.photo

    page.goto(f"{live_server.url}/track/{order.tracking_token}/")
    assert loaded_width(page, "img.order-photo") == 640
    page.screenshot(path=str(screenshot_dir / "resident-track-photo-phone.png"), full_page=True)
    phone.close()

    desktop = browser.new_context(locale="zh-CN", **DESKTOP)
    page = desktop.new_page()
    sign_in(page, live_server.url, world.community_admin)
    page.goto(f"{live_server.url}/console/orders/{order.pk}/")
    assert loaded_width(page, "img.order-photo") == 640
    src = page.get_attribute("img.order-photo", "src")
    assert src == f"/photos/order/{order.pk}/" and "/media/" not in page.content()
    page.screenshot(path=str(screenshot_dir / "console-order-photo-desktop.png"), full_page=True)
    desktop.close()

    # The admin of the neighbouring community, and anyone without the link, get nothing.
    other = browser.new_context(locale="zh-CN", **DESKTOP)
    page = other.new_page()
    # (Not /media/ here: Django's test live server serves MEDIA_URL itself; the app does not,
    # see test_photo_access.test_media_urls_serve_nothing.)
    assert page.goto(f"{live_server.url}{src}").status == 404
    sign_in(page, live_server.url, world.outsider)
    assert page.goto(f"{live_server.url}{src}").status == 404
    other.close()
