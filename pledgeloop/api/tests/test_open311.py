"""Open311 GeoReport v2: discovery, services, a POST with an api_key that files an order the
console lists, reading it back by id and token in JSON and XML, its status after triage, and
nothing personal in public answers."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.urls import reverse

from pledgeloop.api.models import Scope
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orgs.models import Site

from .helpers import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(world):
    return Site.objects.create(
        street=world.street,
        community=world.community,
        kind=Site.Kind.COMPOUND,
        name="阳光花园",
        latitude=Decimal("31.956200"),
        longitude=Decimal("120.941800"),
    )


def _post(client, key, **fields):
    data = {
        "jurisdiction_id": "jianghai",
        "api_key": key,
        "service_code": "repairs",
        "lat": "31.9563",
        "long": "120.9419",
        "description": "3幢楼道灯坏了，王秀兰 13812345678 反映",
        "phone": "13812345678",
        "first_name": "秀兰",
        "last_name": "王",
        "media_url": "https://hotline.example/photos/1.jpg",
        "attribute[consent]": "true",
    } | fields
    return client.post("/open311/v2/requests.json", data)


def test_discovery_and_services_in_json_and_xml(world, client):
    discovery = client.get("/open311/v2/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    xml = ET.fromstring(client.get("/open311/v2/discovery.xml").content)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/formats/format") is not None
    services = client.get("/open311/v2/services.json?jurisdiction_id=jianghai").json()
    assert "repairs" in {s["service_code"] for s in services}
    root = ET.fromstring(client.get("/open311/v2/services.xml?jurisdiction_id=jianghai").content)
    assert root.tag == "services" and root.find("service/service_code").text
    definition = client.get("/open311/v2/services/repairs.json?jurisdiction_id=jianghai").json()
    consent = definition["attributes"][0]
    assert consent["code"] == "consent" and consent["required"] is True
    missing = client.get("/open311/v2/services/nothing.xml?jurisdiction_id=jianghai")
    assert missing.status_code == 404
    assert ET.fromstring(missing.content).find("error/code").text == "404"
    # Two streets: the jurisdiction must be named.
    assert client.get("/open311/v2/services.json").json()[0]["code"] == 400
    assert client.get("/open311/v2/services.yaml").status_code == 404


def test_round_trip_post_read_console_and_triage(world, client, client_for, site):
    key = token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    response = _post(client, key)
    assert response.status_code == 201, response.content
    [answer] = response.json()
    order = Order.objects.get(pk=answer["service_request_id"])
    assert order.site == site and order.community == world.community
    assert order.consent_at and OrderEvent.objects.get(order=order).source == "api"
    # Read back by id (public: nothing personal) and by token.
    path = f"/open311/v2/requests/{order.pk}.json?jurisdiction_id=jianghai"
    [public] = client.get(path).json()
    assert public["status"] == "open" and public["service_code"] == "repairs"
    assert public["agency_responsible"] == "星港湾"
    assert public["expected_datetime"] and public["updated_datetime"]
    text = str(public)
    assert "13812345678" not in text and "王秀兰" not in text and public["description"] == ""
    assert public["media_url"] == "" and public["lat"] == 31.956
    [own] = client.get(path + f"&api_key={key}").json()
    assert own["description"].startswith("3幢") and own["media_url"].endswith("1.jpg")
    token = answer["token"]
    found = client.get(f"/open311/v2/tokens/{token}.json?jurisdiction_id=jianghai").json()
    assert found == [{"service_request_id": str(order.pk), "token": token}]
    # The console's needs list shows it; an admin triages it there.
    admin = client_for(world.community_admin)
    assert (
        f"#{order.pk}" in admin.get(reverse("console:needs") + "?state=submitted").content.decode()
    )
    admin.post(reverse("console:order_action", args=[order.pk, "triage"]))
    admin.logout()
    xml = ET.fromstring(client.get(path.replace(".json", ".xml")).content)
    assert xml.find("request/status").text == "open"
    assert xml.find("request/status_notes").text == str(Order.State.TRIAGED.label)
    admin = client_for(world.community_admin)
    admin.post(reverse("console:order_action", args=[order.pk, "reject"]), {"reason": "重复"})
    admin.logout()
    [closed] = client.get(path).json()
    assert closed["status"] == "closed" and "重复" in closed["status_notes"]


def test_requests_list_filters(world, client, site):
    key = token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    first = _post(client, key).json()[0]["service_request_id"]
    second = _post(client, key, service_code="elderly-children").json()[0]["service_request_id"]
    base = "/open311/v2/requests.json?jurisdiction_id=jianghai"
    assert {r["service_request_id"] for r in client.get(base).json()} == {first, second}
    by_code = client.get(base + "&service_code=repairs").json()
    assert [r["service_request_id"] for r in by_code] == [first]
    assert client.get(base + "&status=closed").json() == []
    ids = client.get(base + f"&service_request_id={second},{first}").json()
    assert len(ids) == 2
    assert client.get(base + "&start_date=2099-01-01T00:00:00Z").json() == []
    bad = client.get(base + "&start_date=yesterday")
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    assert client.get("/open311/v2/requests.json?jurisdiction_id=heping").json() == []


def test_a_post_without_consent_key_or_place_files_nothing(world, client, site):
    key = token_for(world.community_admin, world.street, world.community, [Scope.FILE_ORDERS])
    reader = token_for(world.community_admin, world.street, world.community, [Scope.READ_PUBLIC])
    for response in [
        _post(client, key, **{"attribute[consent]": ""}),
        _post(client, ""),
        _post(client, "pl_not-a-key"),
        _post(client, reader),
        _post(client, key, lat="", long="", address_string=""),
        _post(client, key, phone="12345"),
        _post(client, key, service_code="nope"),
        _post(client, key, lat="91"),
        _post(client, key, jurisdiction_id="heping"),
    ]:
        assert response.status_code in {400, 401, 403, 404}, response.content
        assert response.json()[0]["description"]
    assert not Order.objects.exists()


def test_a_street_key_places_the_request_by_address(world, client, site):
    key = token_for(world.street_admin, world.street, None, [Scope.FILE_ORDERS])
    response = _post(client, key, lat="", long="", address_string="阳光花园3幢201室")
    assert response.status_code == 201
    order = Order.objects.get()
    assert order.community == world.community and order.site == site
    nowhere = _post(client, key, lat="", long="", address_string="不知道哪里")
    assert nowhere.status_code == 400 and Order.objects.count() == 1
    xml = client.post(
        "/open311/v2/requests.xml",
        {
            "jurisdiction_id": "jianghai",
            "api_key": key,
            "service_code": "repairs",
            "address_string": "x",
            "phone": "13812345678",
            "description": "灯坏了",
            "attribute[consent]": "true",
            "attribute[community]": "tengfei",
        },
    )
    assert xml.status_code == 201
    assert ET.fromstring(xml.content).find("request/service_request_id").text
