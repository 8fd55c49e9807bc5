"""`check --deploy` refuses a SITE_URL whose links would be dead on a resident's phone.

README's production block once lacked SITE_URL, so every text's link read
http://127.0.0.1:8000/t/…: tests/test_deploy.py now fails on that, through this check."""

import pytest

from pledgeloop.notify.checks import site_url_reaches_the_site


@pytest.mark.parametrize(
    ("site_url", "says"),
    [
        ("http://127.0.0.1:8000", "this machine's own address"),
        ("https://localhost", "this machine's own address"),
        ("https://other.example.cn", "not in ALLOWED_HOSTS"),
        ("http://pledge.example.cn", "use https://"),
        ("pledge.example.cn", "is not an address"),
    ],
)
def test_a_dead_site_url_is_an_error(settings, site_url, says):
    settings.SITE_URL = site_url
    settings.ALLOWED_HOSTS = ["pledge.example.cn"]
    settings.SECURE_SSL_REDIRECT = True
    [error] = site_url_reaches_the_site()
    assert error.id == "pledgeloop.notify.E003" and says in error.msg


@pytest.mark.parametrize("allowed", [["pledge.example.cn"], [".example.cn"], ["*"]])
def test_the_sites_own_address_passes(settings, allowed):
    settings.SITE_URL = "https://pledge.example.cn/"
    settings.ALLOWED_HOSTS = allowed
    settings.SECURE_SSL_REDIRECT = True
    assert site_url_reaches_the_site() == []
