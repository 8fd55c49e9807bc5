import datetime as dt

import pytest
from django.db import transaction

from pledgeloop.demo.builder import demo_load
from pledgeloop.orgs.models import Category, Community, Site
from pledgeloop.people.models import Member, Resident, Role, RoleGrant

pytestmark = pytest.mark.django_db(transaction=False)
TODAY = dt.date(2026, 11, 28)


def fingerprint() -> list:
    members = list(
        Member.objects.order_by("code").values_list(
            "code",
            "user__name",
            "user__phone",
            "kind",
            "party_join_date",
            "home_latitude",
            "capacity",
        )
    )
    residents = list(
        Resident.objects.order_by("phone").values_list("name", "phone", "address", "latitude")
    )
    sites = list(
        Site.objects.order_by("name", "latitude").values_list("name", "latitude", "longitude")
    )
    return [members, residents, sites]


def load_and_fingerprint(seed: int) -> list:
    with transaction.atomic():
        demo_load(seed=seed, today=TODAY)
        result = fingerprint()
        transaction.set_rollback(True)
    return result


def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    first = load_and_fingerprint(7)
    second = load_and_fingerprint(7)
    other = load_and_fingerprint(8)
    assert first == second
    assert first != other


def test_demo_street_has_the_shape_design_asks_for():
    demo_load(seed=2026, today=TODAY)
    slugs = set(Community.objects.values_list("slug", flat=True))
    assert {"xinggangwan", "tengfei", "jinke"} <= slugs and len(slugs) >= 6
    assert Member.objects.count() == 185
    assert Resident.objects.count() >= 2000
    assert Category.objects.count() == 6
    lat = [float(x) for x in Site.objects.values_list("latitude", flat=True)]
    lng = [float(x) for x in Site.objects.values_list("longitude", flat=True)]
    assert min(lat) > 31.85 and max(lat) < 32.05 and min(lng) > 120.85 and max(lng) < 121.05
    for role in Role:
        assert RoleGrant.objects.filter(role=role).exists()
    # Every tenant row carries the street key.
    assert not Member.objects.exclude(street__slug="jianghai").exists()
    assert not Resident.objects.exclude(street=models_street()).exists()


def models_street():
    from pledgeloop.orgs.models import Street

    return Street.objects.get(slug="jianghai")
