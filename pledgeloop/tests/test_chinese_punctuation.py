"""Chinese text takes full-width punctuation after Chinese characters (，：；), as the rest of
the catalogue does: 订单：星港湾, not 订单:星港湾."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

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


@pytest.mark.django_db
def test_a_form_drawn_whole_puts_a_full_width_colon_after_chinese_labels(client_for, world):
    """{{ form.as_div }} adds Django's label suffix, which its catalogue leaves ":" in
    Chinese: the API token forms read 用途: and 有效期（天）: (lib/django_texts.py)."""
    html = client_for(world.member).get(reverse("api_personal_tokens")).content.decode()
    assert '<label for="id_application">用途：</label>' in html
    client_for(world.member).cookies["django_language"] = "en"
    html = client_for(world.member).get(reverse("api_personal_tokens")).content.decode()
    assert '<label for="id_application">What it is for:</label>' in html
