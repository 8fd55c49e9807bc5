"""Every link on a member's home page (/me/) opens for that member: its "居民" tile led a
member who is not an admin to /people/residents/, a 404."""

import re

import pytest

from pledgeloop.people.models import Role, RoleGrant

pytestmark = pytest.mark.django_db


def _links(html: str) -> list[str]:
    return sorted(
        {h for h in re.findall(r'href="(/[^"#]*)"', html) if not h.startswith("/static/")}
    )


def test_every_link_on_a_members_home_opens_for_them(world, client_for):
    client = client_for(world.member)
    home = client.get("/me/")
    assert home.status_code == 200
    links = _links(home.content.decode())
    assert len(links) > 8
    assert "/people/residents/" not in links
    broken = [(link, client.get(link).status_code) for link in links]
    assert [(link, status) for link, status in broken if status >= 400] == []


def test_an_admin_who_serves_as_a_member_keeps_the_resident_directory(world, client_for):
    RoleGrant.objects.create(
        user=world.member, role=Role.COMMUNITY_ADMIN, street=world.street, community=world.community
    )
    home = client_for(world.member).get("/me/").content.decode()
    assert 'href="/people/residents/"' in home
