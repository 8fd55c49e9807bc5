"""A new deployment's first street, set up as README says: the operator account from
`createsuperuser` adds the street, a community, the street's admin and their role in Django's
admin (/admin/); the street's admin then signs in to their console, and a resident files an
order from the community's form.

Before, a street added in /admin/ had no categories (only orgs.services.street_create made
the six defaults), so its residents' form offered nothing to choose and no order could be
filed."""

import re

import pytest
from django.contrib.auth import get_user_model

from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category, Community, Street
from pledgeloop.people.models import Role, RoleGrant

pytestmark = pytest.mark.django_db

PASSWORD = "Jianghai-2026-admin"


def _added(response):
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^"]*">(.*?)</ul>', response.text
    )


def test_an_operator_sets_up_a_street_in_the_admin_and_it_works(client):
    operator = get_user_model().objects.create_superuser(phone="13700000000", password=PASSWORD)
    client.force_login(operator)
    _added(client.post("/admin/orgs/street/add/", {"name": "江海街道", "slug": "jianghai"}))
    street = Street.objects.get(slug="jianghai")
    assert Category.objects.filter(street=street, active=True).count() == 6
    _added(
        client.post(
            "/admin/orgs/community/add/",
            {"street": street.pk, "name": "星港湾社区", "slug": "xinggangwan", "phone": ""},
        )
    )
    community = Community.objects.get(slug="xinggangwan")
    _added(
        client.post(
            "/admin/people/user/add/",
            {
                "phone": "13900000001",
                "name": "江海街道书记",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "role_grants-TOTAL_FORMS": "0",
                "role_grants-INITIAL_FORMS": "0",
            },
        )
    )
    secretary = get_user_model().objects.get(phone="13900000001")
    _added(
        client.post(
            "/admin/people/rolegrant/add/",
            {
                "user": secretary.pk,
                "role": Role.STREET_ADMIN,
                "street": street.pk,
                "granted_at_0": "2026-12-01",
                "granted_at_1": "09:00:00",
            },
        )
    )
    assert RoleGrant.objects.filter(user=secretary, role=Role.STREET_ADMIN).exists()

    client.logout()
    signed_in = client.post("/login/", {"phone": "13900000001", "password": PASSWORD}, follow=True)
    assert signed_in.status_code == 200 and "星港湾社区" in signed_in.text
    client.logout()

    form = client.get(f"/order/new/{street.slug}/{community.slug}/")
    assert form.status_code == 200
    categories = re.findall(r'name="category" value="(\d+)"', form.text)
    assert len(categories) == 6
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    submission = re.search(r'name="submission" value="([^"]+)"', form.text).group(1)
    filed = client.post(
        f"/order/new/{street.slug}/{community.slug}/",
        {
            "csrfmiddlewaretoken": token,
            "submission": submission,
            "category": categories[0],
            "description": "楼道灯不亮了",
            "address": "阳光花园3幢201室",
            "when": "asap",
            "phone": "13812345678",
            "consent": "1",
        },
    )
    assert filed.status_code == 302 and filed["Location"].startswith("/order/sent/")
    assert Order.objects.filter(community=community).count() == 1
