"""A server error reaches the operator: with ADMINS set, Django's report of a 500 is emailed
to them from SERVER_EMAIL, naming the page and the fields a form sent but none of their
values (a resident's number, address and need stay out of the operator's mailbox).

The failing page is a view of this module's own, mounted beside the project's URLs (the 500
page links to them)."""

import pytest
from django.core import mail
from django.urls import path

from pledgeloop import urls as project_urls


def broken(request):
    raise RuntimeError("the disk is full")


urlpatterns = [path("broken/", broken), *project_urls.urlpatterns]

pytestmark = pytest.mark.django_db


def test_a_500_is_mailed_to_the_admins_without_what_the_form_held(client, settings):
    settings.ADMINS = ["ops@jianghai.example.cn"]
    settings.SERVER_EMAIL = "pledgeloop@jianghai.example.cn"
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    answer = client.post(
        "/broken/",
        {"phone": "13812345678", "address": "阳光花园3幢201室", "description": "腿脚不便"},
    )
    assert answer.status_code == 500
    [report] = mail.outbox
    assert report.to == ["ops@jianghai.example.cn"]
    assert report.from_email == "pledgeloop@jianghai.example.cn"
    assert "/broken/" in report.subject and "the disk is full" in report.body
    assert "phone" in report.body and "address" in report.body  # which fields it sent
    for value in ("13812345678", "阳光花园3幢201室", "腿脚不便"):
        assert value not in report.body


def test_without_admins_nothing_is_mailed(client, settings):
    settings.ADMINS = []
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    assert client.post("/broken/", {"phone": "13812345678"}).status_code == 500
    assert mail.outbox == []
