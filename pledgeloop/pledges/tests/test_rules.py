"""Bad pledges get clear messages: rules that never occur, dates the wrong way round, no target."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pledgeloop.pledges import recurrence
from pledgeloop.pledges.models import Pledge

from .conftest import category_of

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 1)


def pledge_for(world, member, **fields) -> Pledge:
    values = {
        "street": world.street,
        "community": world.community,
        "member": member,
        "category": category_of(world.street),
        "title": "每月为老年党员送学上门",
        "beneficiary_kind": Pledge.Beneficiary.GROUP,
        "beneficiary_name": "老年党员",
        "rrule": "FREQ=MONTHLY;BYDAY=1SA",
        "starts_on": START,
        "ends_on": dt.date(2026, 12, 31),
        "target_visits": 10,
    }
    values.update(fields)
    return Pledge(**values)


def errors_of(pledge: Pledge) -> dict[str, list[str]]:
    with translation.override("en"):
        try:
            pledge.full_clean()
        except ValidationError as error:
            return error.message_dict
    return {}


def test_a_sound_pledge_has_no_errors(world, member):
    assert errors_of(pledge_for(world, member)) == {}


def test_a_rule_that_never_occurs_is_refused_with_a_clear_message(world, member):
    pledge = pledge_for(world, member, rrule="FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    [message] = errors_of(pledge)["rrule"]
    assert "never falls between 2026-03-01 and 2026-12-31" in message
    assert "Choose another frequency or other dates" in message


def test_a_rule_that_only_occurs_outside_the_dates_is_refused(world, member):
    pledge = pledge_for(world, member, rrule="FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=15")
    assert "never falls between" in errors_of(pledge)["rrule"][0]


def test_an_end_before_the_start_is_refused(world, member):
    pledge = pledge_for(world, member, ends_on=START - dt.timedelta(days=1))
    [message] = errors_of(pledge)["ends_on"]
    assert message == (
        "The end date is before the start date. Choose an end on or after March 1, 2026."
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        pledge.full_clean()
    [message] = refused.value.message_dict["ends_on"]
    assert message == "结束日期早于开始日期。请选择 2026年3月1日 当天或之后的结束日期。"


def test_a_target_of_zero_is_refused(world, member):
    [message] = errors_of(pledge_for(world, member, target_visits=0))["target_visits"]
    assert message == "Set a target of at least one visit: a pledge must be checkable."


def test_a_target_the_rule_cannot_reach_is_refused(world, member):
    [message] = errors_of(pledge_for(world, member, target_visits=12))["target_visits"]
    assert "gives only 10 visits" in message and "target of 12" in message


def test_the_messages_are_in_chinese_by_default(world, member):
    pledge = pledge_for(world, member, target_visits=0, ends_on=START - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as raised:
        pledge.full_clean()
    text = " ".join(raised.value.messages)
    assert "结束日期早于开始日期" in text
    assert "目标至少为1次" in text


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=WEEKLY;COUNT=10", "Leave COUNT out of the rule"),
        ("DTSTART:20260101T090000\nRRULE:FREQ=WEEKLY", "Leave DTSTART out"),
        ("FREQ=WEEKLY;UNTIL=20261231", "Leave UNTIL out"),
        ("FREQ=DAILY;BYHOUR=9,15", "the time of each visit is set separately"),
        ("FREQ=HOURLY", "Start the rule with FREQ=DAILY"),
        ("BYDAY=SA", "Start the rule with FREQ=DAILY"),
        ("FREQ=WEEKLY;BYWEEKNO=20", "BYWEEKNO cannot be used here"),
        ("FREQ=WEEKLY;BYDAY=XX", "This rule could not be read"),
        ("FREQ=WEEKLY;INTERVAL=zwei", "This rule could not be read"),
    ],
)
def test_malformed_rules_say_what_to_change(world, member, rule, expected):
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        recurrence.check_rule(rule)
    assert expected in raised.value.messages[0]


def test_a_written_rule_is_normalised(world):
    assert recurrence.check_rule(" rrule: freq=weekly; byday=sa ") == "FREQ=WEEKLY;BYDAY=SA"


def test_a_resident_beneficiary_must_be_named_and_live_in_the_community(world, member):
    missing = pledge_for(world, member, beneficiary_kind=Pledge.Beneficiary.RESIDENT)
    assert errors_of(missing)["beneficiary_resident"] == ["Choose the resident you will serve."]
    elsewhere = pledge_for(
        world,
        member,
        beneficiary_kind=Pledge.Beneficiary.RESIDENT,
        beneficiary_resident=world.resident_there,
    )
    assert errors_of(elsewhere)["beneficiary_resident"] == [
        "Choose a resident of your own community."
    ]


def test_a_group_needs_a_name(world, member):
    pledge = pledge_for(world, member, beneficiary_name=" ")
    assert "Name the group" in errors_of(pledge)["beneficiary_name"][0]


def test_rules_occur_at_the_visit_time_from_the_start_date():
    moments = recurrence.occurrences(
        "FREQ=MONTHLY;BYDAY=1SA",
        starts_on=START,
        ends_on=dt.date(2026, 5, 31),
        at=dt.time(14, 30),
    )
    assert moments == [
        dt.datetime(2026, 3, 7, 14, 30),
        dt.datetime(2026, 4, 4, 14, 30),
        dt.datetime(2026, 5, 2, 14, 30),
    ]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY", "每周日"),  # 2026-03-01 is a Sunday
        ("FREQ=WEEKLY;BYDAY=SA", "每周六"),
        # "every other": 两, as it is said (每2周 read like a form field, session 26's walk)
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "每两周的周二、周四"),
        ("FREQ=WEEKLY;INTERVAL=3;BYDAY=TU", "每3周的周二"),
        ("FREQ=DAILY;INTERVAL=2", "每两天"),
        ("FREQ=MONTHLY;INTERVAL=2", "每两个月的1日"),
        ("FREQ=YEARLY;INTERVAL=2", "每两年的3月1日"),
        ("FREQ=MONTHLY;BYDAY=1SA", "每月第一个周六"),
        ("FREQ=MONTHLY;BYDAY=-1SU", "每月最后一个周日"),
        ("FREQ=MONTHLY", "每月1日"),
        ("FREQ=MONTHLY;INTERVAL=3", "每3个月的1日"),
        ("FREQ=DAILY", "每天"),
        ("FREQ=YEARLY", "每年3月1日"),
        ("FREQ=MONTHLY;BYSETPOS=2;BYDAY=SA,SU", "自定义规则：FREQ=MONTHLY;BYSETPOS=2;BYDAY=SA,SU"),
    ],
)
def test_frequencies_read_as_plain_chinese(rule, words):
    assert recurrence.describe_rule(rule, START) == words
