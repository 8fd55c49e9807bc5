import pytest

from pledgeloop.lib.geo import haversine_km, walking_minutes
from pledgeloop.lib.masking import is_mainland_mobile, mask_name, mask_phone, normalise_phone
from pledgeloop.lib.pinyin import pinyin_keys


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


def test_walking_minutes_follow_design_definition():
    # One degree of latitude is about 111.2 km.
    assert haversine_km(31.0, 120.0, 32.0, 120.0) == pytest.approx(111.2, abs=0.1)
    km = haversine_km(31.95, 120.94, 31.96, 120.94)
    assert walking_minutes(31.95, 120.94, 31.96, 120.94) == pytest.approx(km * 1.3 / 5 * 60)
