"""One way to write hours everywhere: 20 → "20", 100 → "100", 0.25 → "0.25", 1.50 → "1.5"."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from pledgeloop.lib.numbers import format_hours


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("20"), "20"),
        (Decimal("20.00"), "20"),
        (Decimal("100"), "100"),
        (Decimal("100.00"), "100"),
        (Decimal("0.25"), "0.25"),
        (Decimal("1.50"), "1.5"),
        (Decimal("1.5"), "1.5"),
        (Decimal("0"), "0"),
        (Decimal("0.00"), "0"),
        (Decimal("1E+1"), "10"),
        (Decimal("2.005"), "2.01"),  # hours are kept to the hundredth, rounded half up
        (3, "3"),
        (1.25, "1.25"),
        (None, "—"),
    ],
)
def test_hours_are_written_without_trailing_zeros_and_never_lose_a_digit(value, shown):
    assert format_hours(value) == shown


def test_the_template_filter_writes_the_same():
    template = Template(
        "{% load pledgeloop %}{{ a|hours }} {{ b|hours }} {{ c|hours }} {{ d|hours }}"
    )
    context = Context(
        {"a": Decimal("20"), "b": Decimal("100.00"), "c": Decimal("0.25"), "d": Decimal("1.50")}
    )
    assert template.render(context) == "20 100 0.25 1.5"
