"""`make run` prints a demo API key (demo/api.py) that an Open311 client can file with."""

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from pledgeloop.conftest import make_user
from pledgeloop.demo import api as demo_api
from pledgeloop.orders.models import Order
from pledgeloop.people.models import Role

pytestmark = pytest.mark.django_db


def test_the_demo_key_is_printed_and_files_an_open311_request(world, client):
    make_user(demo_api.DEMO_ADMIN_PHONE, "江海街道管理员", Role.STREET_ADMIN, world.street, None)
    demo_api.build(SimpleNamespace(street=world.street))
    demo_api.build(SimpleNamespace(street=world.street))  # twice: still one token
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    key = demo_api.demo_api_key()
    assert f"key (whole street): {key}" in out.getvalue()
    response = client.post(
        "/open311/v2/requests.json",
        {
            "jurisdiction_id": "jianghai",
            "api_key": key,
            "service_code": "repairs",
            "address_string": "阳光花园3幢",
            "phone": "13812345678",
            "description": "楼道灯坏了",
            "attribute[consent]": "true",
            "attribute[community]": "xinggangwan",
        },
    )
    assert response.status_code == 201
    assert Order.objects.get().community == world.community
