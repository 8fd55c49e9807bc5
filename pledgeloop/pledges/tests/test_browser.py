"""In real Chromium: a phone opens a member page from the QR code, the wall prints on A4, and
a member's pledge goes through approval onto the wall."""

import io
import re
import urllib.request

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from pledgeloop.conftest import DESKTOP, PHONE, sign_in
from pledgeloop.pledges import jobs
from pledgeloop.pledges.models import Pledge

from .conftest import make_member, make_pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_phone_opens_the_member_page_from_the_qr_code(
    world, live_server, browser, screenshot_dir
):
    member = world.member.member
    make_pledge(member, title="每周为独居老人测血压")
    make_pledge(
        member, title="每月为老年党员送学上门", rrule="FREQ=MONTHLY;BYDAY=1SA", target_visits=8
    )
    jobs.generate_visits()
    qr_url = f"{live_server.url}/m/{member.code}/qr.png"
    png = urllib.request.urlopen(qr_url).read()  # noqa: S310 (the test's own server)
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert barcode.text == f"{live_server.url}/m/{member.code}/"

    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(barcode.text)
    assert page.locator("h1").inner_text() == "张三"
    assert "每周为独居老人测血压" in page.content()
    assert page.locator(".schedule li").count() >= 3
    help_link = page.locator("a.help-button")
    assert help_link.get_attribute("href") == f"/order/new/?member={member.code}"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"member page is {width}px wide"
    page.screenshot(path=str(screenshot_dir / "pledges-member-page-phone.png"), full_page=True)
    context.close()


def test_the_wall_prints_on_a4_with_large_cards(world, live_server, browser, screenshot_dir):
    start = timezone.localdate().replace(day=1)
    for n in range(6):
        someone = make_member(world, f"1380000{n:04d}", f"队员{n}号")
        make_pledge(someone, starts_on=start, title="每周清理一次小区楼道杂物")
    jobs.generate_visits()
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    page.emulate_media(media="print")
    page.goto(f"{live_server.url}/wall/{world.community.slug}/print/")
    cards = page.locator(".member-card")
    assert cards.count() == 6
    # Two columns of cards (they flow down the first, then the second), QR codes about
    # 38 mm (≈ 144 CSS px) wide.
    boxes = [cards.nth(n).bounding_box() for n in range(6)]
    assert len({round(box["x"]) for box in boxes}) == 2
    assert boxes[1]["y"] > boxes[0]["y"] and boxes[3]["x"] > boxes[0]["x"]
    qr = page.locator(".member-card svg.qr").first.bounding_box()
    assert qr["width"] > 140
    page.screenshot(path=str(screenshot_dir / "pledges-wall-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    context.close()


def test_a_member_submits_a_pledge_and_an_admin_approves_it(
    world, live_server, browser, screenshot_dir
):
    phone = browser.new_context(locale="zh-CN", **PHONE)
    page = phone.new_page()
    sign_in(page, live_server.url, world.member)
    page.goto(f"{live_server.url}/pledges/new/")
    page.select_option("#id_category", label="健康义诊")
    page.fill("#id_title", "每周为独居老人测血压")
    page.check("input[name=beneficiary_kind][value=group]")
    page.fill("#id_beneficiary_name", "独居老人")
    assert not page.locator(".field-rrule").is_visible()
    page.select_option("#id_frequency", value="custom")
    assert page.locator(".field-rrule").is_visible()
    page.fill("#id_rrule", "FREQ=WEEKLY;BYDAY=TU")
    page.fill("#id_target_visits", "20")
    page.screenshot(path=str(screenshot_dir / "pledges-form-phone.png"), full_page=True)
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r".*/pledges/\d+/$"))
    assert "待审核" in page.content()
    pledge = Pledge.objects.get()
    assert pledge.state == Pledge.State.SUBMITTED
    phone.close()

    desk = browser.new_context(locale="zh-CN", **DESKTOP)
    page = desk.new_page()
    sign_in(page, live_server.url, world.community_admin)
    page.goto(f"{live_server.url}/pledges/review/")
    page.check(f"#pledge-{pledge.pk}")
    page.click("button[name=action][value=approve]")
    page.wait_for_load_state()
    assert "已批准1项承诺" in page.content()
    page.screenshot(path=str(screenshot_dir / "pledges-review-desktop.png"))
    page.goto(f"{live_server.url}/wall/{world.community.slug}/")
    assert "每周为独居老人测血压" in page.locator(".wall-cards").inner_text()
    desk.close()
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ACTIVE
