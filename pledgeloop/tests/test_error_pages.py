"""A page that is not there, or a crash, answers in the visitor's language with a way on: not
Django's bare English "Not Found" / "Server Error (500)", laid out for a desk at 980 px."""

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db

GONE = ["/m/nosuch/", "/wall/nosuch/", "/stats/nosuch/", "/diary/nosuch/", "/no/such/page/"]


@pytest.mark.parametrize("path", GONE)
def test_a_missing_public_page_says_so_in_chinese_with_a_way_on(client, path):
    response = client.get(path)
    assert response.status_code == 404
    text = response.content.decode()
    assert "找不到这个页面" in text and "Not Found" not in text
    assert 'name="viewport"' in text  # laid out for the phone it is read on
    assert 'href="/order/new/"' in text


def test_the_missing_page_follows_the_chosen_language(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    text = client.get("/m/nosuch/").content.decode()
    assert "We cannot find this page" in text


def test_a_signed_in_person_is_offered_their_home_page(client_for, world):
    text = client_for(world.member).get("/wall/nosuch/").content.decode()
    assert "返回我的首页" in text


def test_the_crash_page_renders_without_a_request_context_in_the_visitors_language():
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        response = server_error(request)
    text = response.content.decode()
    assert response.status_code == 500
    assert "我们这边出了问题" in text and "Server Error" not in text
    assert 'href="/order/new/"' in text and 'name="viewport"' in text
    with translation.override("en"):
        assert "Something went wrong on our side" in server_error(request).content.decode()


def test_a_page_of_another_role_says_so_in_chinese_with_the_way_home(world, client_for):
    response = client_for(world.member).get("/console/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "您没有权限打开这个页面" in text and "Forbidden" not in text
    assert "返回我的首页" in text and 'name="viewport"' in text
