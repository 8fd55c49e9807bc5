"""Reading values out of a request: the one set of parsers every view uses (issue 13).

A query parameter or a posted value that is not a form field is text anyone can write. These
helpers turn it into an int, an id, a date, a period or one of a few choices, or into None
when it is not one; the view then shows its default (or answers 400), never a 500.

- Digits are ASCII only. ``str.isdigit()`` also accepts '²' and '①', which ``int()`` then
  refuses, and ``int()`` accepts '٣' and '３' and ' 3 ' and '1_000'.
- Numbers are bounded: an id is 1 … the largest value a ``BigAutoField`` holds on every
  database we run, so a huge number is "no such row", not an overflow in the driver.
- Text is capped in length and loses NUL characters (PostgreSQL refuses them in a query).
- Repeated parameters (``?community=1&community=2``) read the last value, as ``QueryDict.get``
  does; lists of ids (``getlist``) keep the well-formed ones, in order, without repeats.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

# The largest id a BigAutoField holds (PostgreSQL bigint, SQLite's 64-bit INTEGER).
MAX_ID = 2**63 - 1
# Years a date or period in a query may name; anything else is someone typing nonsense.
MIN_YEAR = 1900
MAX_YEAR = 2100
# Enough for a name or a search; a longer query parameter is cut, not stored or searched.
MAX_TEXT = 200
# How many ids one posted list may carry (bulk actions on a page of 50 to 200 rows).
MAX_IDS = 1000


def is_ascii_digits(value: str | None) -> bool:
    """'0'–'9' only, at least one: what ``str.isdigit()`` was meant to say."""
    return bool(value) and value.isascii() and value.isdigit()


def parse_int(value: str | None, *, minimum: int, maximum: int) -> int | None:
    """A whole number written in ASCII digits (an optional leading '-') within the range."""
    if value is None:
        return None
    value = value.strip()
    negative = value.startswith("-")
    digits = value[1:] if negative else value
    # A number longer than the range's own bounds cannot be in it; do not even convert it.
    if not is_ascii_digits(digits) or len(digits) > len(str(max(abs(minimum), abs(maximum)))):
        return None
    number = -int(digits) if negative else int(digits)
    return number if minimum <= number <= maximum else None


def parse_id(value: str | None) -> int | None:
    """A primary key: 1 … MAX_ID."""
    return parse_int(value, minimum=1, maximum=MAX_ID)


def parse_ids(values: Iterable[str], *, limit: int = MAX_IDS) -> list[int]:
    """The well-formed ids of a posted list, in order, each once, at most ``limit``."""
    ids: list[int] = []
    seen: set[int] = set()
    for value in values:
        pk = parse_id(value)
        if pk is not None and pk not in seen:
            seen.add(pk)
            ids.append(pk)
            if len(ids) >= limit:
                break
    return ids


def parse_date(value: str | None) -> dt.date | None:
    """An ISO date (2026-03-31) of a real day between MIN_YEAR and MAX_YEAR."""
    if not value:
        return None
    value = value.strip()
    if len(value) != 10 or not value.isascii():
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def parse_year(value: str | None) -> int | None:
    return parse_int(value, minimum=MIN_YEAR, maximum=MAX_YEAR)


def parse_choice[T: str](value: str | None, choices: Iterable[T]) -> T | None:
    """The value when it is one of ``choices`` (compared as text), else None."""
    if value is None:
        return None
    return next((choice for choice in choices if str(choice) == value), None)


def parse_text(value: str | None, *, max_length: int = MAX_TEXT) -> str:
    """Free text (a search): trimmed, without NUL characters, at most ``max_length``."""
    if not value:
        return ""
    return value.replace("\x00", "").strip()[:max_length]


@dataclass(frozen=True)
class PeriodKey:
    """A period named in a query: a year (2026), a quarter (2026-Q1) or a month (2026-03)."""

    kind: str  # "year", "quarter" or "month"
    year: int
    number: int = 0  # the quarter (1–4) or the month (1–12); 0 for a year


def parse_period(value: str | None) -> PeriodKey | None:
    """2026 → year, 2026-Q1 (or 2026q1) → quarter, 2026-03 → month; anything else None."""
    if not value:
        return None
    value = value.strip()
    year = parse_year(value[:4])
    if year is None:
        return None
    rest = value[4:]
    if rest == "":
        return PeriodKey("year", year)
    quarter_part = rest.upper().removeprefix("-")
    if len(quarter_part) == 2 and quarter_part[0] == "Q":
        quarter = parse_int(quarter_part[1], minimum=1, maximum=4)
        return PeriodKey("quarter", year, quarter) if quarter is not None else None
    if len(rest) == 3 and rest[0] == "-":
        month = parse_int(rest[1:], minimum=1, maximum=12)
        return PeriodKey("month", year, month) if month is not None else None
    return None


# --- the same, read from a request's query string or posted data ----------------------------


def query_int(params, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """``params`` is ``request.GET`` or ``request.POST``; a bad or missing value is the default."""
    number = parse_int(params.get(name), minimum=minimum, maximum=maximum)
    return default if number is None else number


def query_id(params, name: str) -> int | None:
    return parse_id(params.get(name))


def query_ids(params, name: str, *, limit: int = MAX_IDS) -> list[int]:
    return parse_ids(params.getlist(name), limit=limit)


def query_date(params, name: str) -> dt.date | None:
    return parse_date(params.get(name))


def query_choice[T: str](params, name: str, choices: Iterable[T], *, default: T) -> T:
    chosen = parse_choice(params.get(name), choices)
    return default if chosen is None else chosen


def query_text(params, name: str, *, max_length: int = MAX_TEXT) -> str:
    return parse_text(params.get(name), max_length=max_length)
