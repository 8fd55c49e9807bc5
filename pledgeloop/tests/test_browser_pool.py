"""The browser fixture's pool (conftest.py): a context handed to the next test keeps nothing of
the last one, and is the same context (the pool works, not a new one each time); its pages save
screenshots at CSS pixels."""

import io

import pytest
from PIL import Image

from pledgeloop.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_pooled_context_comes_back_wiped(live_server, browser):
    heard = []
    first = browser.new_context(locale="zh-CN", **PHONE)
    page = first.new_page()
    page.on("console", lambda m: heard.append(m.text))
    page.goto(f"{live_server.url}/login/")
    page.evaluate(
        "localStorage.setItem('kept', '1'); sessionStorage.setItem('kept', '1');"
        " document.cookie = 'kept=1; path=/'"
    )
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 500, "height": 500})
    first.close()

    again = browser.new_context(locale="zh-CN", **PHONE)
    assert again._context is first._context  # the same Chromium context, wiped
    page = again.new_page()
    assert page.url == "about:blank"
    assert page.viewport_size == PHONE["viewport"]
    assert again.cookies() == []
    page.goto(f"{live_server.url}/login/")
    assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]
    assert page.evaluate("matchMedia('print').matches") is False
    page.evaluate("console.log('after')")
    assert "after" not in heard  # the first test's handler is gone
    again.close()


def test_a_saved_screenshot_is_at_css_pixels_and_bytes_at_the_devices_scale(
    live_server, browser, tmp_path
):
    """A screenshot saved for people to look at is the page as laid out, 360 px wide on the
    phone, on the kept page and on a further one; the bytes a test reads back (a QR code to
    decode) keep the phone's device scale of 2."""
    context = browser.new_context(locale="zh-CN", **PHONE)
    width = PHONE["viewport"]["width"]
    for page in (context.new_page(), context.new_page()):
        page.goto(f"{live_server.url}/login/")
        page.screenshot(path=str(tmp_path / "saved.png"), full_page=True)
        with Image.open(tmp_path / "saved.png") as saved:
            assert saved.width == width
        with Image.open(io.BytesIO(page.screenshot())) as read:
            assert read.width == width * PHONE["device_scale_factor"]
    context.close()
