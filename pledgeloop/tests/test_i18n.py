"""Chinese by default, every message translated into Chinese, English one click away."""

import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from pledgeloop.diary.forms import DraftForm
from pledgeloop.teams.event_forms import EventEditForm, EventForm
from pledgeloop.teams.forms import TeamForm

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


def test_labels_that_shared_a_word_with_another_meaning_read_right_in_chinese():
    """One English word, two meanings, one Chinese text: a team's "Active" box read 践诺中
    (a pledge's state), an event's "Description" 项目说明 (a project's), the diary's "For"
    服务对象 (an event's audience). A position's "Open" hours read 未办结 (open orders):
    teams/tests/test_browser.py checks the circle's page."""
    labels = [
        TeamForm.base_fields["active"].label,
        EventForm.base_fields["description"].label,
        EventEditForm.base_fields["description"].label,
        DraftForm.base_fields["community"].label,
    ]
    with translation.override("zh-hans"):
        assert [str(label) for label in labels] == ["启用", "活动介绍", "活动介绍", "街道或社区"]


def test_an_order_has_one_chinese_word():
    """A resident's order is 订单 everywhere: the order page, its reminders and the log of
    phone numbers viewed said 工单, a hotline's word, beside 订单 on every other page."""
    catalogue = polib.pofile(str(CATALOGUE))
    other_word = [e.msgid for e in catalogue if "工单" in e.msgstr]
    assert other_word == []
    assert catalogue.find("Order #%(n)s").msgstr == "订单 #%(n)s"


def test_everyone_is_addressed_as_nin():
    """Residents, members and admins are 您 on every page; a few member pages said 你 beside
    您 on the same screen (陈建国，您好 over 现在需要你处理; session 26's walk)."""
    catalogue = polib.pofile(str(CATALOGUE))
    familiar = [e.msgid for e in catalogue if "你" in e.msgstr]
    assert familiar == []
    assert "您" in catalogue.find("Needs your answer now").msgstr


def test_lists_are_joined_in_the_readers_language():
    """Names and services were joined with 、 in English too ("Alice、Bob"). A list is joined
    with the translated ", " (、 in Chinese): no template writes 、, and only the spreadsheets,
    whose columns are Chinese whatever the language (the national system's), join with it."""
    root = Path(settings.BASE_DIR) / "pledgeloop"
    templates = [p for p in root.rglob("*.html") if "、" in p.read_text()]
    assert templates == []
    joined = [
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if "tests" not in p.parts and '"、".join' in p.read_text()
    ]
    assert joined == ["people/spreadsheets.py"]
    with translation.override("en"):
        assert _(", ") == ", "
    with translation.override("zh-hans"):
        assert _(", ") == "、"


def test_no_template_puts_an_ascii_colon_after_a_value_outside_a_message():
    """A label and its value, or a value and the next, joined by ": " in the template itself
    read 群体: 独居老人 and 11:30: 郝磊磊 in Chinese. Such a pair is one message
    ({% blocktranslate %}{{ kind }}: {{ who }}{% endblocktranslate %}), which Chinese writes
    with a full-width colon and English with its own."""
    message = re.compile(r"{% blocktranslate.*?{% endblocktranslate %}", re.S)
    comment = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)
    found = []
    for path in sorted((Path(settings.BASE_DIR) / "pledgeloop" / "templates").rglob("*.html")):
        text = comment.sub("", message.sub("", path.read_text()))
        found += [f"{path.name}: {m[0]}" for m in re.finditer(r".{0,40}(?:}}|%}):(?:\s|<)", text)]
        # a translated word in ASCII brackets: (已关闭) where Chinese writes （已关闭）
        found += [f"{path.name}: {m[0]}" for m in re.finditer(r".{0,40}\({% translate ", text)]
    assert found == []


def test_the_fill_script_keeps_a_context_apart(tmp_path):
    """scripts/fill-translations.py: "context\\x04msgid" fills only that context's message;
    a plain msgid fills the rest, and msgmerge's guesses go ("#| msgid")."""
    catalogue = polib.POFile()
    catalogue.append(polib.POEntry(msgid="Orders", msgstr="需求"))
    catalogue.append(polib.POEntry(msgctxt="member tab", msgid="Orders", msgstr=""))
    guessed = polib.POEntry(msgid="Pledges", msgstr="我的承诺", flags=["fuzzy"])
    guessed.previous_msgid = "My pledges"
    catalogue.append(guessed)
    po = tmp_path / "django.po"
    catalogue.save(str(po))
    table = tmp_path / "table.json"
    table.write_text('{"member tab\\u0004Orders": "我的订单", "Pledges": "承诺"}', encoding="utf-8")
    script = Path(settings.BASE_DIR) / "scripts" / "fill-translations.py"
    done = subprocess.run(
        [sys.executable, str(script), str(po), str(table)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    filled = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(po))}
    assert filled[(None, "Orders")].msgstr == "需求"
    assert filled[("member tab", "Orders")].msgstr == "我的订单"
    assert filled[(None, "Pledges")].msgstr == "承诺"
    assert filled[(None, "Pledges")].previous_msgid is None
    assert "#|" not in po.read_text(encoding="utf-8")
