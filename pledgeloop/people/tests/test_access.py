"""Role scoping of people: every view tried from every role, and across communities."""

import pytest
from django.urls import reverse

from pledgeloop.people.models import PhoneView, Resident

pytestmark = pytest.mark.django_db


def rows(page) -> str:
    """The table body of a list page: search hints elsewhere on the page may name people."""
    return page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_community_admin_lists_only_their_communitys_residents(world, client_for):
    page = client_for(world.community_admin).get(reverse("people:residents"))
    assert page.status_code == 200
    assert "王秀兰" in page.text
    assert "李四" not in page.text
    assert "赵六" not in page.text


def test_community_admin_cannot_open_another_communitys_resident(world, client_for):
    url = reverse("people:resident_detail", args=[world.resident_there.pk])
    assert client_for(world.community_admin).get(url).status_code == 404


def test_community_admin_cannot_export_another_communitys_residents(world, client_for):
    url = reverse("people:export", args=[world.neighbour.pk, "residents"])
    assert client_for(world.community_admin).get(url).status_code == 404


def test_community_admin_cannot_import_into_another_community(world, client_for):
    url = reverse("people:import", args=[world.neighbour.pk, "residents"])
    assert client_for(world.community_admin).get(url).status_code == 404


def test_community_filter_cannot_widen_the_scope(world, client_for):
    url = reverse("people:residents") + f"?community={world.neighbour.pk}"
    page = client_for(world.community_admin).get(url)
    assert "李四" not in page.text


def test_street_admin_sees_every_community_of_their_street_only(world, client_for):
    page = client_for(world.street_admin).get(reverse("people:residents"))
    assert "王秀兰" in page.text
    assert "李四" in page.text
    assert "赵六" not in page.text


def test_members_have_no_resident_directory(world, client_for):
    # Need to know (issue 13): a member sees a resident only on the orders they hold or held.
    client = client_for(world.member)
    assert client.get(reverse("people:residents")).status_code == 404
    detail = client.get(reverse("people:resident_detail", args=[world.resident_here.pk]))
    assert detail.status_code == 404
    assert "13812345678" not in detail.text and "138****5678" not in detail.text


def test_member_cannot_reveal_a_full_phone(world, client_for):
    url = reverse("people:resident_reveal_phone", args=[world.resident_here.pk])
    assert client_for(world.member).post(url).status_code == 404
    assert not PhoneView.objects.exists()


def test_member_cannot_export_or_import(world, client_for):
    client = client_for(world.member)
    assert (
        client.get(reverse("people:export", args=[world.community.pk, "residents"])).status_code
        == 404
    )
    assert (
        client.get(reverse("people:import", args=[world.community.pk, "members"])).status_code
        == 404
    )


def test_admin_list_shows_masked_phones_until_revealed(world, client_for):
    client = client_for(world.community_admin)
    assert "13812345678" not in client.get(reverse("people:residents")).text
    url = reverse("people:resident_reveal_phone", args=[world.resident_here.pk])
    revealed = client.post(url)
    assert "13812345678" in revealed.text
    view = PhoneView.objects.get()
    assert view.viewer == world.community_admin
    assert view.resident == world.resident_here


def test_resident_and_anonymous_cannot_list_residents(world, client, client_for):
    assert client.get(reverse("people:residents")).status_code == 302  # to sign-in
    page = client_for(world.resident).get(reverse("people:residents"))
    assert page.status_code == 404
    # Below the top bar (which names whoever is signed in: 王秀兰 herself), no resident.
    below = page.text.split("</header>", 1)[1]
    assert "李四" not in below
    assert "王秀兰" not in below


def test_outsider_admin_cannot_see_our_members(world, client_for):
    page = client_for(world.outsider).get(reverse("people:members"))
    assert "张三" not in rows(page)
    member_pk = world.member.member.pk
    assert (
        client_for(world.outsider)
        .get(reverse("people:member_detail", args=[member_pk]))
        .status_code
        == 404
    )


def test_pinyin_search_finds_by_initials_and_full_pinyin(world, client_for):
    client = client_for(world.community_admin)
    for query in ["zs", "zhangsan", "张"]:
        page = client.get(reverse("people:members") + f"?q={query}")
        assert "张三" in rows(page), query
    assert "张三" not in rows(client.get(reverse("people:members") + "?q=ww"))


def test_a_resident_has_no_members_directory(world, client_for):
    """It answered with an empty list (a resident belongs to no community's members)."""
    assert client_for(world.resident).get(reverse("people:members")).status_code == 404
    assert client_for(world.member).get(reverse("people:members")).status_code == 200


def test_the_residents_list_sorts_by_pinyin_syllable_by_syllable(world, client_for):
    """The list read …曹, 曾, 程…, then 陈: 曾 (a surname, zeng) filed under C, and 程丽
    (chengli) before 陈建国 (chenjianguo) (session 26's walk). And 曾 is found as zeng."""
    for index, name in enumerate(["林峰", "曾国藩", "程丽", "陈建国", "李志"]):
        Resident.objects.create(
            street=world.street,
            community=world.community,
            name=name,
            phone=f"1370000000{index}",
            address="阳光花园1幢101室",
        )
    client = client_for(world.community_admin)
    body = rows(client.get(reverse("people:residents")))
    names = ["陈建国", "程丽", "李志", "林峰", "王秀兰", "曾国藩"]
    assert sorted(names, key=lambda name: body.find(name)) == names
    assert all(name in body for name in names)
    assert "曾国藩" in rows(client.get(reverse("people:residents") + "?q=zgf"))
