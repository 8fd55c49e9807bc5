"""The request parsers: what they take, and everything else they turn into None."""

import datetime as dt

import pytest
from django.http import QueryDict

from pledgeloop.lib.params import (
    MAX_ID,
    PeriodKey,
    parse_date,
    parse_id,
    parse_ids,
    parse_int,
    parse_period,
    parse_text,
    query_choice,
    query_id,
    query_int,
)


@pytest.mark.parametrize(
    "value", ["²", "①", "٣", "３", "1_000", "1.0", "+1", "", None, "0x1", "1e3"]
)
def test_only_ascii_digits_make_a_number(value):
    assert parse_int(value, minimum=-10_000, maximum=10_000) is None


def test_a_number_in_range_is_read_with_its_sign_and_spaces_trimmed():
    assert parse_int(" 42 ", minimum=0, maximum=50) == 42
    assert parse_int("-3", minimum=-5, maximum=5) == -3
    assert parse_int("51", minimum=0, maximum=50) is None
    assert parse_int("-1", minimum=0, maximum=50) is None


@pytest.mark.parametrize(
    "value", ["0", "-1", str(MAX_ID + 1), "99999999999999999999", "9" * 5000, "²"]
)
def test_an_id_is_positive_and_fits_a_bigint(value):
    assert parse_id(value) is None


def test_the_largest_id_is_an_id():
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id("007") == 7


def test_a_list_of_ids_keeps_the_good_ones_in_order_once_each():
    assert parse_ids(["3", "²", "1", "3", "", "99999999999999999999", "2"]) == [3, 1, 2]
    assert parse_ids([str(n) for n in range(1, 100)], limit=5) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "value",
    ["2026-02-30", "2026-13-01", "0001-01-01", "9999-12-31", "２０２６-01-01", "2026-1-1", ""],
)
def test_a_date_must_be_a_real_iso_day_in_a_sensible_year(value):
    assert parse_date(value) is None


def test_a_good_date_is_read():
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("2026", PeriodKey("year", 2026)),
        ("2026-Q1", PeriodKey("quarter", 2026, 1)),
        ("2026q4", PeriodKey("quarter", 2026, 4)),
        ("2026-03", PeriodKey("month", 2026, 3)),
    ],
)
def test_periods_are_years_quarters_and_months(value, key):
    assert parse_period(value) == key


@pytest.mark.parametrize(
    "value", ["2026-Q5", "2026-Q0", "2026-13", "2026-00", "²０２６", "9999", "0000", "12m", "2026-"]
)
def test_anything_else_is_no_period(value):
    assert parse_period(value) is None


def test_text_loses_nul_characters_and_is_cut_to_length():
    assert parse_text(" a\x00b ") == "ab"
    assert parse_text("x" * 500, max_length=10) == "x" * 10


def test_query_helpers_fall_back_to_the_default_and_read_the_last_repeated_value():
    params = QueryDict("page=²&page=3&size=99999999999999999999&kind=evil&id=5&id=x")
    assert query_int(params, "page", default=1, minimum=1, maximum=100) == 3
    assert query_int(params, "size", default=20, minimum=1, maximum=100) == 20
    assert query_choice(params, "kind", ["a", "b"], default="a") == "a"
    assert query_id(params, "id") is None  # the last value, "x", is not an id
