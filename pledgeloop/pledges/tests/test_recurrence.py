"""occurrences() runs a rule on twin years near 9999 (so that a rule that never occurs again
costs nothing); what it returns must be exactly what dateutil gives on the pledge's own years."""

import datetime as dt

from dateutil import rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from pledgeloop.pledges import recurrence

# Rules that occur at least every few years, so that plain dateutil finds the end quickly.
RULES = [
    *(rule for rule, _label in recurrence.PRESETS),
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=DAILY;BYMONTH=2",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;WKST=SU",
    "FREQ=WEEKLY;INTERVAL=53;BYDAY=SA",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=2TU",
    "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=YEARLY;BYDAY=20MO",
    "FREQ=YEARLY;BYMONTH=12;BYDAY=-1SU",
]


def plain_dateutil(rule, *, starts_on, ends_on, at, since, until):
    since, until = max(since, starts_on), min(until, ends_on)
    if until < since:
        return []
    moments = rrule.rrulestr(rule, dtstart=dt.datetime.combine(starts_on, at)).between(
        dt.datetime.combine(since, dt.time.min), dt.datetime.combine(until, dt.time.max), inc=True
    )
    return moments[: recurrence.MOST_VISITS + 1]


@settings(max_examples=300, deadline=None)
@given(
    rule=st.sampled_from(RULES),
    starts_on=st.dates(dt.date(1990, 1, 1), dt.date(2110, 12, 31)),
    length=st.integers(0, 5 * 366),
    since_after=st.integers(0, 400),
    until_before=st.integers(0, 400),
    at=st.times().map(lambda t: t.replace(microsecond=0)),
)
def test_occurrences_are_dateutils_own(rule, starts_on, length, since_after, until_before, at):
    ends_on = starts_on + dt.timedelta(days=length)
    window = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "at": at,
        "since": starts_on + dt.timedelta(days=since_after),
        "until": ends_on - dt.timedelta(days=until_before),
    }
    assert recurrence.occurrences(rule, **window) == plain_dateutil(rule, **window)


def test_a_pledges_years_run_on_twin_years_just_before_9999():
    # 2026 and 2027 start on a Thursday and a Friday and are not leap years; so are 9982-9983.
    offset = recurrence.calendar_twin_offset(2026, 2027)
    assert 9900 < 2027 + offset <= 9998
    for year in (2026, 2027):
        twin = year + offset
        assert dt.date(twin, 1, 1).weekday() == dt.date(year, 1, 1).weekday()
        assert (twin % 4 == 0) == (year % 4 == 0)


def test_a_rule_that_never_occurs_gives_no_moments():
    for rule in ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31"):
        moments = recurrence.occurrences(
            rule, starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 12, 31), at=dt.time(9)
        )
        assert moments == []


def test_a_rule_whose_next_moment_falls_past_the_year_9999_on_the_twin_years():
    # 2026 runs on 9998; the 53rd week after 9998-12-26 reaches into the year 10000, which
    # dateutil cannot build: the moments up to the pledge's end are still all there.
    window = {
        "starts_on": dt.date(2026, 12, 21),
        "ends_on": dt.date(2026, 12, 31),
        "at": dt.time(9),
    }
    rule = "FREQ=WEEKLY;INTERVAL=53;BYDAY=SA"
    assert recurrence.occurrences(rule, **window) == [dt.datetime(2026, 12, 26, 9)]
