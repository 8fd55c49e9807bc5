"""lib/urls.reverse_one gives reverse()'s own answer, for every page of one value."""

import secrets

import pytest
from django.urls import NoReverseMatch, get_resolver, reverse, set_script_prefix
from django.urls.resolvers import URLPattern, URLResolver

from pledgeloop.lib.urls import reverse_one


def _pages_of_one_value(resolver=None, namespace=""):
    """Every named page of the project whose path takes exactly one value."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _pages_of_one_value(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            if len(converters) == 1:
                yield f"{namespace}{entry.name}"


def _reversed(viewname, value):
    try:
        return reverse(viewname, args=[value])
    except (NoReverseMatch, TypeError) as error:  # a quarter's converter takes no number
        return type(error)


def _reversed_one(viewname, value):
    try:
        return reverse_one(viewname, value)
    except (NoReverseMatch, TypeError) as error:
        return type(error)


VALUES = [
    7,
    "42",
    "0042",
    "Xk3_q-9ZtR2wLm0pQv8yNb4c",
    secrets.token_urlsafe(24),
    "-_-",
    "2026q3",
    "with space",
    "a/b",
    "百分比%",
    "12ab",
    "3fa85f64-5717-4562-b3fc-2c963f66afa6",
]


def test_every_page_of_one_value_reverses_as_reverse_does():
    pages = sorted(set(_pages_of_one_value()))
    assert "orders:sent" in pages and "orders:track" in pages and "console:order_detail" in pages
    for viewname in pages:
        for value in VALUES:
            assert _reversed_one(viewname, value) == _reversed(viewname, value), (viewname, value)


@pytest.mark.parametrize("value", ["Xk3_q-9ZtR2wLm0pQv8yNb4c", "987654321"])
def test_under_a_script_prefix_too(value):
    try:
        set_script_prefix("/street/")
        prefixed = reverse_one("orders:track", value)
        assert prefixed == reverse("orders:track", args=[value])
        assert prefixed.startswith("/street/")
    finally:
        set_script_prefix("/")
    assert reverse_one("orders:track", value) == reverse("orders:track", args=[value])


def test_a_changed_url_configuration_is_followed(settings):
    before = reverse_one("orders:track", "abc")
    settings.ROOT_URLCONF = "pledgeloop.lib.tests.urls_elsewhere"
    assert reverse_one("orders:track", "abc") == "/elsewhere/abc/" != before
