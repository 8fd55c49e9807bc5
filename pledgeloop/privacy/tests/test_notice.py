"""The privacy notice a resident reads says what the code does, with the code's own figures."""

import re

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from pledgeloop.people.notices import current_notice


def _figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(.*?)</(?:li|p)>', html, re.S)
    assert match, f"the notice states no {name}"
    return match.group(1)


def test_the_notice_states_the_figures_the_code_runs_on(world, client):
    html = client.get(reverse("orders:privacy")).content.decode()
    assert current_notice().version == "2" and 'data-notice="2"' in html
    assert str(settings.ORDER_RETENTION_DAYS) in _figure(html, "retention_days")
    assert str(settings.MEMBER_CONTACT_DAYS_AFTER_DONE) in _figure(html, "contact_days")
    assert str(settings.DELETION_REQUEST_DAYS) in _figure(html, "deletion_days")
    assert str(settings.ONE_TIME_CODE_MINUTES) in _figure(html, "code_minutes")
    assert str(settings.INTAKE_ATTEMPT_RETENTION_DAYS) in _figure(html, "attempt_days")
    assert str(settings.REVIEW_LINK_DAYS) in _figure(html, "review_days")
    assert reverse("privacy:my") in _figure(html, "code_minutes")  # how to exercise the rights


@override_settings(
    ORDER_RETENTION_DAYS=200,
    DELETION_REQUEST_DAYS=9,
    REVIEW_LINK_DAYS=21,
    INTAKE_ATTEMPT_RETENTION_DAYS=4,
    MEMBER_CONTACT_DAYS_AFTER_DONE=12,
)
def test_changed_settings_change_the_notice(world, client):
    html = client.get(reverse("orders:privacy")).content.decode()
    assert "200" in _figure(html, "retention_days")
    assert "9" in _figure(html, "deletion_days")
    assert "21" in _figure(html, "review_days")
    assert "4" in _figure(html, "attempt_days")
    assert "12" in _figure(html, "contact_days")


def test_a_streets_own_retention_period_is_stated_from_its_intake(world, client):
    world.street.order_retention_days = 90
    world.street.save(update_fields=["order_retention_days"])
    intake = client.get(
        reverse("orders:new_in_community", args=["jianghai", "xinggangwan"])
    ).content.decode()
    assert "90天" in intake and "?street=jianghai" in intake
    html = client.get(reverse("orders:privacy") + "?street=jianghai").content.decode()
    assert "90" in _figure(html, "retention_days")


def test_the_notice_gives_its_date_as_people_read_dates(world, client):
    """It said "自2026-11-29起施行" (DESIGN.md §10: 2026年11月29日)."""
    html = client.get(reverse("orders:privacy")).content.decode()
    day = current_notice().effective
    assert f"自{day.year}年{day.month}月{day.day}日起施行" in html
    assert day.isoformat() not in html
