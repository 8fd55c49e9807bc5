"""The check-in code sheet is in name order (Chinese by pinyin, numbers as numbers)."""

import pytest
from django.urls import reverse

from pledgeloop.orgs.models import Site

pytestmark = pytest.mark.django_db


def site(world, name, *, parent=None, kind="building"):
    return Site.objects.create(
        street=world.street,
        community=world.community,
        kind=kind,
        name=name,
        parent=parent,
        latitude="31.95",
        longitude="120.9",
    )


def test_the_sheet_lists_places_by_name_in_pinyin_order(world, client_for):
    garden = site(world, "阳光花园", kind="compound")
    site(world, "10幢", parent=garden)
    site(world, "2幢", parent=garden)
    site(world, "党群服务站", kind="centre")
    site(world, "白云小区", kind="compound")
    page = client_for(world.community_admin).get(reverse("service:checkin_codes"))
    names = [part.split("</strong>", 1)[0] for part in page.text.split("<figcaption><strong>")[1:]]
    # 白 bai, 党 dang, 阳 yang; 2幢 before 10幢.
    assert names == ["白云小区", "党群服务站", "阳光花园", "阳光花园 2幢", "阳光花园 10幢"]
