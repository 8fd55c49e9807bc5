import datetime as dt

from django.utils import timezone, translation

from pledgeloop.diary.forms import DraftForm
from pledgeloop.lib.widgets import DayInput


def test_a_day_input_holds_iso_8601_in_every_language():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = DayInput().render("day", dt.date(2026, 9, 5))
        assert 'type="date"' in html and 'value="2026-09-05"' in html, (language, html)


def test_the_diary_draft_form_shows_today_in_its_date_picker():
    """Its day came as 2026/11/30, which the browser rejected: the field looked empty."""
    form = DraftForm(communities=[], whole_streets=[])
    with translation.override("zh-hans"):
        html = str(form["day"])
    assert f'value="{timezone.localdate().isoformat()}"' in html
