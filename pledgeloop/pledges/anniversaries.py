"""Party anniversaries (政治生日): the day each year a member renews their pledges."""

import datetime as dt


def anniversary_in(year: int, joined: dt.date) -> dt.date:
    """The anniversary in a given year; 29 February falls on the 28th in other years."""
    try:
        return joined.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def next_anniversary(joined: dt.date, today: dt.date) -> dt.date:
    """Today if it is the day, else the next one."""
    this_year = anniversary_in(today.year, joined)
    return this_year if this_year >= today else anniversary_in(today.year + 1, joined)


def party_years(joined: dt.date, on: dt.date) -> int:
    """Whole years in the party on a given day (党龄)."""
    return on.year - joined.year - ((on.month, on.day) < (joined.month, joined.day))
