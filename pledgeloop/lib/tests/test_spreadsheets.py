"""The formula escape of exports and its undoing on import: a value survives a round trip."""

import pytest

from pledgeloop.lib.spreadsheets import escape_cell, unescape_cell


@pytest.mark.parametrize(
    "value", ["=1+2", "+86", "-5", "@home", "'=1+2", "'already quoted", "''", "'", "张三", ""]
)
def test_escaping_then_unescaping_gives_the_value_back(value):
    assert unescape_cell(escape_cell(value)) == value


def test_formulas_are_escaped_and_plain_text_is_not():
    assert escape_cell("=1+2") == "'=1+2"
    assert escape_cell("张三") == "张三"
    assert escape_cell(3) == 3
    # A typed value that merely starts with an apostrophe and a letter is left as typed.
    assert unescape_cell("'abc") == "'abc"
