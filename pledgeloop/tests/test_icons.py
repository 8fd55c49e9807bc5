"""Icons are inline SVG, never emoji (issue 14): a machine without an emoji font (Debian's
Chromium) drew every emoji as an empty box, on the resident's category tiles, the member's
menu and the console's tools."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from pledgeloop.lib.icons import EMOJI, ICONS, icon_for_emoji, icon_svg
from pledgeloop.orgs.models import DEFAULT_CATEGORIES
from pledgeloop.people.context_processors import TABS

ROOT = Path(__file__).resolve().parent.parent
# Pictographs (U+1F000 on), the emoji variation selector, and the emoji-only characters of the
# Basic Multilingual Plane; text symbols such as ✓ ★ → are in ordinary fonts and stay.
EMOJI_CHARACTER = re.compile(
    "[\U0001f000-\U0001faff\ufe0f\u231a\u231b\u23e9-\u23fa\u2614\u2615\u26a1\u2705\u274c"
    "\u2753-\u2757\u2b50]"
)
SVG_ICON = re.compile(r'<svg class="icon" aria-hidden="true" focusable="false"[^>]*>(.*?)</svg>')


def test_no_template_draws_an_emoji():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if EMOJI_CHARACTER.search(line)
    ]
    assert found == []
    assert not any(EMOJI_CHARACTER.search(icon) for _, _, icon in TABS)


def test_every_emoji_of_a_category_has_an_icon():
    for _code, _name, emoji, _respond, _finish in DEFAULT_CATEGORIES:
        assert emoji.replace("\ufe0f", "") in EMOJI, emoji
    assert set(EMOJI.values()) <= set(ICONS)
    assert icon_for_emoji("⚖️") == icon_for_emoji("⚖") == "scale"
    assert icon_for_emoji("🦄") == icon_for_emoji("") == "heart-handshake"
    assert SVG_ICON.fullmatch(icon_svg("home"))


@pytest.mark.django_db
def test_the_intake_tiles_show_an_svg_icon_beside_each_name(world, client):
    page = client.get(
        reverse("orders:new_in_community", args=[world.street.slug, world.community.slug])
    ).text
    tiles = re.findall(
        r'<span class="tile-icon" aria-hidden="true">(.*?)</span><span class="tile-name">(.*?)<',
        page,
    )
    assert [name for _, name in tiles] == [name for _, name, *_ in DEFAULT_CATEGORIES]
    drawn = {name: SVG_ICON.fullmatch(icon).group(1) for icon, name in tiles}
    assert drawn["健康义诊"] == ICONS["stethoscope"] and drawn["便民维修"] == ICONS["tool"]
    assert not EMOJI_CHARACTER.search(page)


@pytest.mark.django_db
def test_the_member_menu_and_home_tools_are_drawn_not_emoji(world, client_for):
    page = client_for(world.member).get(reverse("people:member_home")).text
    menu = page.split('class="member-tabs"')[1].split("</nav>")[0]
    assert len(SVG_ICON.findall(menu)) == len(TABS)
    assert "我的订单" in menu  # the text label stays beside the icon
    tools = page.split('class="tools-grid')[1]
    assert SVG_ICON.search(tools) and "登记服务" in tools
    assert not EMOJI_CHARACTER.search(page)


@pytest.mark.django_db
def test_the_console_tools_are_drawn_not_emoji(world, client_for):
    page = client_for(world.community_admin).get(reverse("console:home")).text
    tools = page.split('class="tool"')[1:]
    assert tools and all(SVG_ICON.search(tool) for tool in tools)
    assert not EMOJI_CHARACTER.search(page)
