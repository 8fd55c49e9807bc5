"""Chinese by default, every message translated into Chinese, English one click away."""

from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUE = (
    Path(settings.BASE_DIR) / "pledgeloop" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
)


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(CATALOGUE))
    missing = [e.msgid for e in catalogue if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert len(catalogue) > 500
    assert missing == []
    assert fuzzy == []


@pytest.mark.django_db
def test_pages_speak_chinese_by_default_and_english_on_request(client):
    page = client.get("/login/")
    assert page.status_code == 200
    assert "登录" in page.text and 'lang="zh-hans"' in page.text
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    english = client.get("/login/")
    assert "Sign in" in english.text and 'lang="en"' in english.text
