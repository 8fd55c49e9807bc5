"""Chinese text takes full-width punctuation after Chinese characters (，：；), as the rest of
the catalogue does: 订单：星港湾, not 订单:星港湾."""

import re
from pathlib import Path

from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "pledgeloop/locale/zh_Hans/LC_MESSAGES/django.po"
HALF_WIDTH = re.compile(r"[\u4e00-\u9fff”][,:;](?!//)")


def _translations() -> list[str]:
    text = CATALOGUE.read_text(encoding="utf-8")
    entries = re.findall(r'^msgstr((?: ".*"\n)+(?:".*"\n)*)', text, re.M)
    return ["".join(re.findall(r'"(.*)"', entry)) for entry in entries]


def test_no_half_width_punctuation_follows_chinese_text():
    translations = _translations()
    assert len(translations) > 1000
    wrong = [t for t in translations if HALF_WIDTH.search(t)]
    assert wrong == []
