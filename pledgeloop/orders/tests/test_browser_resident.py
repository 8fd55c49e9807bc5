"""A resident on a 360 px phone inside WeChat files an order with a photo and follows it."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from pledgeloop.conftest import PHONE
from pledgeloop.orders.models import Order

from .test_intake import intake_url, make_sites
from .test_photos import GPS_IFD, gps_exif

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_with_gps() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 200)).save(buffer, "JPEG", exif=gps_exif())
    return buffer.getvalue()


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"{page.url} is {width}px wide"


def posted_bodies(page) -> list[str]:
    """The Content-Type of every form the page posts, in order (filled in as it posts)."""
    kinds = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST" and kinds.append(request.headers.get("content-type", ""))
        ),
    )
    return kinds


def choose_photo(page, name: str) -> None:
    """As a resident does: a tap on the page's big photo button (the browser's own file
    control is out of sight), a photo picked in the phone's chooser; the page then names it."""
    button = page.locator("#photo-button")
    box = button.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 250, box
    assert page.locator("#id_photo").bounding_box()["width"] <= 1  # kept, but out of sight
    with page.expect_file_chooser() as chooser:
        button.tap()
    chooser.value.set_files(
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": photo_with_gps()}]
    )
    expect(page.locator("#photo-chosen")).to_have_text(f"已选好照片：{name}")
    expect(button).to_have_text("换一张照片")
    expect(page.locator("#photo-remove")).to_be_visible()


def test_resident_files_an_order_with_a_photo_and_follows_it(
    world, live_server, browser, screenshot_dir, settings, tmp_path
):
    sites = make_sites(world)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PHOTO_KEPT_DIR = tmp_path / "kept"
    b2 = sites["b2"]
    context = browser.new_context(
        locale="zh-CN",
        geolocation={"latitude": float(b2.latitude), "longitude": float(b2.longitude)},
        permissions=["geolocation"],
        **PHONE,
    )
    page = context.new_page()
    sent = posted_bodies(page)
    page.goto(f"{live_server.url}{intake_url(world)}?via=qr")
    assert page.locator("h1").inner_text() == "向星港湾社区点单"
    expect(page.locator("#photo-button")).to_have_text("拍照或选一张照片")
    expect(page.locator("#photo-chosen")).to_have_text("还没有选照片。")
    expect(page.locator("#photo-remove")).to_be_hidden()
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "resident-intake-phone.png"), full_page=True)

    # Category by a large tile, then the description, a photo and the phone number.
    page.locator(".tile", has_text="便民维修").tap()
    page.fill("#id_description", "厨房水龙头漏水，关不紧")
    choose_photo(page, "IMG_0001.jpg")
    page.locator("fieldset.step", has=page.locator("#id_photo")).screenshot(
        path=str(screenshot_dir / "resident-intake-photo-chosen-phone.png")
    )
    page.fill("#id_phone", "138 1234 5678")
    page.fill("#id_address", "201室")

    # Forgetting the tick: a clear message, and everything typed is still there.
    page.locator("#send").tap()
    page.wait_for_selector("#form-errors")
    assert "请勾选同意隐私说明" in page.locator(".consent .field-error").inner_text()
    assert page.input_value("#id_description") == "厨房水龙头漏水，关不紧"
    assert page.locator(".tile input[type=radio]:checked").count() == 1
    page.screenshot(
        path=str(screenshot_dir / "resident-intake-missing-consent.png"), full_page=True
    )
    assert not Order.objects.exists()
    # A file input cannot be refilled, but the photo was kept on the server (lib/photos.py):
    # the page says so in large type, with a tick to drop it; no need to choose it again.
    kept = page.locator("#photo-kept")
    expect(kept).to_be_visible()
    expect(kept.locator(".photo-kept-line")).to_contain_text("已保留您选的照片（IMG_0001.jpg，")
    expect(kept.locator(".photo-kept-line")).to_contain_text("不用重新选择")
    expect(kept.locator("label.tick")).to_have_text("不要这张照片")
    assert "请重新选一次" not in page.locator("#form-errors").inner_text()
    expect(page.locator("#photo-chosen")).to_be_hidden()
    expect(page.locator("#photo-button")).to_have_text("换一张照片")
    line = kept.locator(".photo-kept-line").bounding_box()
    assert line["x"] >= 0 and line["x"] + line["width"] <= PHONE["viewport"]["width"], line
    assert (
        page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.photo-kept-line')).fontSize)"
        )
        >= 17
    )
    assert kept.locator("label.tick").bounding_box()["height"] >= 48
    no_sideways_scroll(page)
    page.locator("fieldset.step", has=page.locator("#id_photo")).screenshot(
        path=str(screenshot_dir / "resident-intake-photo-kept-phone.png")
    )

    # Three taps after the description: my location, the consent tick, send.
    page.locator("#locate").tap()
    expect(page.locator("#id_site")).to_have_value(str(b2.pk))
    expect(page.locator("#locate-note")).to_contain_text("阳光花园 2幢")
    page.locator("#id_consent").tap()
    page.locator("#send").tap()

    page.wait_for_url(f"{live_server.url}/order/sent/**")
    assert "您的需求已提交" in page.locator("h1").inner_text()
    # The first sending carried the photo (multipart); the second only its kept token, and no
    # file chosen, so the page's script sent it as a plain form.
    assert [kind.split(";")[0] for kind in sent] == [
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ]
    assert page.locator(".qr-box svg").count() == 1
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "resident-sent-phone.png"), full_page=True)

    order = Order.objects.get()
    assert order.site == b2 and order.channel == Order.Channel.QR
    assert order.phone == "13812345678"
    with order.photo.open("rb") as stored:
        image = Image.open(stored)
        image.load()
    assert image.format == "JPEG" and image.size == (640, 480)
    assert not image.getexif().get_ifd(GPS_IFD) and "exif" not in image.info
    assert not any(settings.PHOTO_KEPT_DIR.iterdir())  # the kept file went once used

    # Follow it on the tracking page.
    page.locator("a.big-link").tap()
    page.wait_for_url(f"{live_server.url}/track/{order.tracking_token}/")
    assert page.locator("#state").inner_text() == "待受理"
    assert "您提交了需求" in page.locator(".steps").inner_text()
    assert "138****5678" in page.content()
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "resident-track-phone.png"), full_page=True)

    # 长辈模式: larger type, no reload, remembered on the next page.
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    page.locator(".elder-toggle").tap()
    assert page.evaluate("document.body.classList.contains('elder')")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") > size
    page.reload()
    assert page.evaluate("document.body.classList.contains('elder')")
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "resident-track-elder-phone.png"), full_page=True)

    # Cancel, with a reason: a tap without the tick asks for it and keeps what was typed.
    page.fill("#id_cancel_reason", "邻居帮忙修好了")
    with page.expect_navigation():
        page.locator("#cancel-form button").tap()
    assert "请勾选确认" in page.locator("#cancel-form").inner_text()
    assert page.locator("#id_cancel_reason").input_value() == "邻居帮忙修好了"
    order.refresh_from_db()
    assert order.state != Order.State.CANCELLED
    page.locator("#id_cancel_confirm").tap()
    with page.expect_navigation():
        page.locator("#cancel-form button").tap()
    assert page.locator("#state").inner_text() == "已取消"
    assert "邻居帮忙修好了" in page.locator(".steps").inner_text()
    page.screenshot(path=str(screenshot_dir / "resident-track-cancelled-phone.png"), full_page=True)
    order.refresh_from_db()
    assert order.state == Order.State.CANCELLED
    context.close()


def test_a_pin_on_the_plan_sets_the_point_and_the_nearest_building(
    world, live_server, browser, screenshot_dir
):
    sites = make_sites(world)
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}{intake_url(world)}")
    page.locator(".map-box summary").tap()
    # Tap exactly on building 10's dot.
    dot = page.locator("circle.map-building").nth(2)
    box = dot.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lat, lng = page.input_value("#id_latitude"), page.input_value("#id_longitude")
    assert abs(float(lat) - float(sites["b10"].latitude)) < 0.00005
    assert abs(float(lng) - float(sites["b10"].longitude)) < 0.00005
    assert page.input_value("#id_site") == str(sites["b10"].pk)
    assert page.locator("#map-pin.shown").count() == 1
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "resident-intake-map-phone.png"), full_page=True)
    context.close()


def test_an_order_without_a_photo_is_sent_as_a_plain_form(world, live_server, browser):
    """The page's script sends the form urlencoded when no photo is chosen (the server reads
    it for a fraction of a multipart body's CPU, issue 17), multipart again once one is."""
    make_sites(world)
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sent = posted_bodies(page)
    page.goto(f"{live_server.url}{intake_url(world)}")
    page.locator(".tile", has_text="便民维修").tap()
    page.fill("#id_description", "楼道灯坏了")
    page.fill("#id_phone", "13812345678")
    page.fill("#id_address", "3幢201室")
    # A photo chosen, then taken off again before sending: nothing to upload.
    choose_photo(page, "IMG_0002.jpg")
    page.locator("#photo-remove").tap()
    expect(page.locator("#photo-chosen")).to_have_text("还没有选照片。")
    expect(page.locator("#photo-button")).to_have_text("拍照或选一张照片")
    expect(page.locator("#photo-remove")).to_be_hidden()
    page.locator("#id_consent").tap()
    page.locator("#send").tap()
    page.wait_for_url(f"{live_server.url}/order/sent/**")
    assert sent == ["application/x-www-form-urlencoded"]
    order = Order.objects.get()
    assert (order.description, order.phone, order.address) == (
        "楼道灯坏了",
        "13812345678",
        "3幢201室",
    )
    assert not order.photo
    context.close()


def test_without_the_script_the_browsers_own_photo_control_shows(world, live_server, browser):
    """The big photo button needs the page's script; without it the form keeps the browser's
    own file control, in sight, and no button that would do nothing."""
    make_sites(world)
    context = browser.new_context(locale="zh-CN", java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}{intake_url(world)}")
    assert page.locator("#id_photo").bounding_box()["width"] >= 250
    expect(page.locator("#photo-button")).to_be_hidden()
    expect(page.locator("#photo-chosen")).to_be_hidden()
    context.close()


# What a resident reads or taps on the form: none of it smaller than the body's text.
READ_AND_TAPPED = "legend, label, .hint, .field-error, .error, .tile-name, .chip span, button"
SMALLEST = f"""() => {{
    const body = parseFloat(getComputedStyle(document.body).fontSize);
    const sizes = [...document.querySelectorAll("{READ_AND_TAPPED}")]
        .filter(e => e.offsetParent !== null && e.innerText.trim())
        .map(e => [parseFloat(getComputedStyle(e).fontSize), e.innerText.trim().slice(0, 20)]);
    sizes.sort((a, b) => a[0] - b[0]);
    return {{body, smallest: sizes[0], heading: parseFloat(getComputedStyle(
        document.querySelector("h1")).fontSize)}};
}}"""


def test_elder_mode_enlarges_the_whole_form_and_the_summary_leads_to_each_mistake(
    world, live_server, browser, screenshot_dir
):
    """In 长辈模式 the body's text grew to 22 px but the fields' names and the send button,
    sized against the page's root, stayed at 19.8 px and the heading at 25.2 px (session 26's
    walk). And a mistake was named only far down the page: the banner's links go to each."""
    make_sites(world)
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}{intake_url(world)}")
    page.locator(".elder-toggle").tap()
    page.wait_for_function("document.body.classList.contains('elder')")
    sizes = page.evaluate(SMALLEST)
    assert sizes["body"] == 22
    assert sizes["smallest"][0] >= 22, sizes
    assert sizes["heading"] > 26, sizes
    no_sideways_scroll(page)

    # Sent with a bad number and no tick: the banner at the top names both and leads there.
    page.locator(".tile").first.tap()
    page.fill("#id_description", "楼道灯不亮")
    page.fill("#id_address", "3幢201室")
    page.fill("#id_phone", "1381234567")
    with page.expect_navigation():
        page.locator("#send").tap()
    banner = page.locator("#form-errors")
    assert banner.is_visible() and banner.bounding_box()["y"] < 800
    assert page.locator(".error-summary a").all_inner_texts() == ["您的手机号", "隐私说明"]
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshot_dir / "resident-intake-elder-mistakes-phone.png"))
    page.locator(".error-summary a").nth(0).tap()
    page.wait_for_function("location.hash === '#id_phone'")
    label = page.locator('label[for="id_phone"]').bounding_box()
    assert label["y"] >= 0, label  # the field's name in sight above it, not scrolled off
    page.locator(".error-summary a").nth(1).tap()
    page.wait_for_function("location.hash === '#id_consent'")
    box = page.locator("#id_consent").bounding_box()
    assert 0 <= box["y"] < PHONE["viewport"]["height"], box  # scrolled to the tick box
    assert not Order.objects.exists()
    context.close()
