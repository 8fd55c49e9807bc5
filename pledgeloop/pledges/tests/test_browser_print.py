"""The A4 wall, printed by Chromium to PDF, scans: every member's QR code is whole and decodes to
their page, every pledge is listed, and no card splits across two pages (issue 14, part 1)."""

import datetime as dt

import pypdfium2
import pytest
import zxingcpp
from django.utils import timezone

from pledgeloop.conftest import DESKTOP, PHONE
from pledgeloop.pledges import jobs

from .conftest import category_of, make_member, make_pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = [
    "每周为独居老人测血压并记录在健康手册上",
    "每月第一个周六为老年党员送学上门",
    "每两周清理一次小区楼道杂物和乱贴的小广告",
    "每月最后一个周日陪同行动不便的老人去社区医院复诊",
]
RULES = [
    "FREQ=WEEKLY",
    "FREQ=MONTHLY;BYDAY=1SA",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=MONTHLY;BYDAY=-1SU",
]


def busy_wall(world) -> dict[str, list[str]]:
    """Nine members: most with two to four pledges (long titles), a few with one."""
    start = timezone.localdate() - dt.timedelta(days=20)
    titles_of = {}
    for n in range(9):
        member = make_member(world, f"1380000{n:04d}", f"队员{n}号")
        count = [1, 2, 3, 4, 2, 3, 1, 4, 2][n]
        for k in range(count):
            make_pledge(
                member,
                title=f"{TITLES[k]}（{n}-{k}）",
                rrule=RULES[k],
                starts_on=start,
                target_visits=6,
            )
        titles_of[member.code] = [f"{TITLES[k]}（{n}-{k}）" for k in range(count)]
    jobs.generate_visits()
    return titles_of


def page_texts_and_codes(pdf: bytes) -> list[tuple[str, list[str]]]:
    """Each page's text and the QR codes that decode on its image (rendered at 200 dpi)."""
    document = pypdfium2.PdfDocument(pdf)
    pages = []
    for page in document:
        text = page.get_textpage().get_text_range()
        image = page.render(scale=200 / 72).to_pil()
        codes = [
            code.text
            for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        ]
        pages.append(("".join(text.split()), codes))
    return pages


def test_the_printed_wall_scans_and_lists_every_pledge(world, live_server, browser, screenshot_dir):
    titles_of = busy_wall(world)
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    page.goto(f"{live_server.url}/wall/{world.community.slug}/print/")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (screenshot_dir / "pledges-wall-print.pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    document[0].render(scale=150 / 72).to_pil().save(screenshot_dir / "pledges-wall-print-p1.png")
    context.close()

    pages = page_texts_and_codes(pdf)
    codes = [code for _text, found in pages for code in found]
    wanted = {f"{live_server.url}/m/{code}/" for code in titles_of}
    assert len(codes) == len(titles_of), f"{len(codes)} of {len(titles_of)} QR codes decode"
    assert set(codes) == wanted
    for code, titles in titles_of.items():
        url = f"{live_server.url}/m/{code}/"
        [(text, found)] = [(t, f) for t, f in pages if url in f]
        # The whole card is on the page whose image holds the code: every pledge is listed.
        for title in titles:
            assert title in text, f"{title} is not on the page with {code}'s QR code"
    # Sensible packing: at least four cards on a page (on average), not two and a blank half.
    assert len(pages) <= -(-len(titles_of) // 4) + 1, f"{len(pages)} pages for {len(codes)}"


def test_the_phone_wall_is_searched_and_grouped(world, live_server, browser, screenshot_dir):
    """Issue 14, part 7, at 360 px: one category to a page with big links to the others (real
    addresses, no script), a search box that finds a member by the initials of their name,
    nothing wider than the screen."""
    titles_of = busy_wall(world)
    fixer = make_member(world, "13800000901", "修理工")
    make_pledge(fixer, title="每周六上门修水龙头", category=category_of(world.street, "repairs"))
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/wall/{world.community.slug}/")
    assert page.locator(".wall-group").count() == 1
    assert page.locator(".wall-group > h2").inner_text().startswith("健康义诊")
    assert page.locator(".wall-group .member-card").count() == len(titles_of)
    assert "修理工" not in page.locator("main").inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["viewport"]["width"], f"the wall is {width}px wide"
    links = page.locator(".category-links a")
    assert links.count() == 2
    for box in [links.nth(i).bounding_box() for i in range(links.count())]:
        assert box["height"] >= 44, f"a category link is {box['height']}px tall"
    page.screenshot(path=str(screenshot_dir / "pledges-wall-phone.png"), full_page=False)
    page.screenshot(path=str(screenshot_dir / "pledges-wall-phone-full.png"), full_page=True)
    page.locator(".category-links a", has_text="便民维修").click()
    page.wait_for_load_state()
    assert page.url.endswith("?category=repairs")
    assert page.locator(".member-card h2").all_inner_texts() == ["修理工"]
    assert "每周六上门修水龙头" in page.locator(".wall-group").inner_text()
    page.fill("#wall-q", "dy3h")  # 队员3号: dui yuan 3 hao
    page.locator(".wall-tools button[type=submit]").click()
    page.wait_for_load_state()
    names = page.locator(".member-card h2").all_inner_texts()
    assert set(names) == {"队员3号"}
    assert page.input_value("#wall-q") == "dy3h"
    context.close()
