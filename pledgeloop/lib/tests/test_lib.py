import datetime as dt
import io
from decimal import Decimal

import pytest
import zxingcpp
from django.test import RequestFactory
from django.utils import timezone, translation
from PIL import Image
from pypinyin import Style, lazy_pinyin

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.geo import haversine_km, walking_minutes
from pledgeloop.lib.masking import is_mainland_mobile, mask_name, mask_phone, normalise_phone
from pledgeloop.lib.moments import format_span_short
from pledgeloop.lib.numbers import format_yuan
from pledgeloop.lib.pinyin import person_keys, pinyin_keys
from pledgeloop.lib.qr import qr_png, qr_svg, qr_svg_data_uri


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
    ],
)
def test_phones_are_normalised(raw, clean):
    assert normalise_phone(raw) == clean


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("13812345678", True),
        ("19912345678", True),
        ("12812345678", False),
        ("1381234567", False),
        ("23812345678", False),
        ("1381234567a", False),
    ],
)
def test_mainland_mobile_numbers(phone, ok):
    assert is_mainland_mobile(phone) is ok


def test_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("") == ""
    assert mask_phone("123") == "****"
    assert mask_name("张三丰") == "张**"


def test_pinyin_keys():
    assert pinyin_keys("张三") == ("zhangsan", "zs")
    assert pinyin_keys("陈建国") == ("chenjianguo", "cjg")
    assert person_keys("陈建国") == ("chenjianguo", "cjg", "chen0jian0guo0")


def test_names_sort_syllable_by_syllable_and_surnames_read_as_surnames():
    """程丽 came before 陈建国 and 林峰 before 李志 (the pinyin compared as one run of letters:
    chengli < chenjianguo), and 曾 was filed under C (session 26's walk)."""
    names = ["林峰", "曾国藩", "程丽", "陈建国", "李志", "单雄信", "尉迟恭", "王五"]
    ordered = sorted(names, key=lambda name: person_keys(name)[2])
    assert ordered == ["陈建国", "程丽", "李志", "林峰", "单雄信", "王五", "尉迟恭", "曾国藩"]
    assert person_keys("曾国藩")[:2] == ("zengguofan", "zgf")
    assert pinyin_keys("曾家村") == ("cengjiacun", "cjc")  # a place: the everyday reading


@pytest.mark.parametrize(
    "name",
    ["重庆银行", "长大了", "单于", "A栋3单元", "阳光花园 10幢", "李明abc", "①号楼", "嗯", ""],
)
def test_pinyin_initials_are_those_of_the_first_letter_style(name):
    """The initials come from the full syllables: the same as pypinyin's own initials."""
    initials = "".join(s[0] for s in lazy_pinyin(name.strip(), style=Style.FIRST_LETTER) if s)
    assert pinyin_keys(name)[1] == initials.lower()


def test_walking_minutes_follow_design_definition():
    # One degree of latitude is about 111.2 km.
    assert haversine_km(31.0, 120.0, 32.0, 120.0) == pytest.approx(111.2, abs=0.1)
    km = haversine_km(31.95, 120.94, 31.96, 120.94)
    assert walking_minutes(31.95, 120.94, 31.96, 120.94) == pytest.approx(km * 1.3 / 5 * 60)


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.7"),  # no proxy: the peer, whatever the header says
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the entry our proxy appended
        (2, "6.6.6.6, 203.0.113.5, 10.1.1.1", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.7"),  # fewer entries than proxies: not trusted
        (1, "", "10.0.0.7"),
    ],
)
def test_the_client_address_honours_the_trusted_proxy_hops(settings, hops, forwarded, expected):
    settings.PROXY_HOPS = hops
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.7")
    assert client_ip(request) == expected
    assert client_ip(None) is None


def test_one_qr_drawing_decodes_to_its_address():
    url = "https://example.org/m/AB12CD/"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(url))))
    assert [code.text for code in decoded] == [url]
    svg = qr_svg(url, title="张三")
    assert svg.startswith("<svg width=") and 'viewBox="0 0' in svg and 'class="qr"' in svg
    assert "<title>张三</title>" in svg and "style=" not in svg  # CSP: no inline style
    assert qr_svg_data_uri(url).startswith("data:image/svg+xml")


def test_money_reads_as_people_write_it():
    """The project board said 预算：260000元 (session 26's third walk)."""
    with translation.override("zh-hans"):
        assert format_yuan(260000) == "26万元"
        assert format_yuan(Decimal("265000.00")) == "26.5万元"
        assert format_yuan(2600) == "2,600元"
    with translation.override("en"):
        assert format_yuan(260000) == "260,000 yuan"


def test_a_span_for_a_text_is_short_enough_for_a_gateway():
    """A text's parameter holds at most 20 characters (notify.kinds.PARAM_MOST): the span
    drops the year, and a span of days its hours."""
    zone = timezone.get_current_timezone()
    start = dt.datetime(2026, 12, 10, 9, 0, tzinfo=zone)
    with translation.override("zh-hans"):
        assert format_span_short(start, start + dt.timedelta(hours=7)) == "12月10日 09:00–16:00"
        assert format_span_short(start, start + dt.timedelta(days=2)) == "12月10日–12月12日"
