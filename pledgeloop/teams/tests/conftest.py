"""Shared fixtures of the teams tests: the 15-minute circle's small world (test_circle.py
checks its walking minutes by hand; the browser test draws its map)."""

from decimal import Decimal

import pytest

from pledgeloop.orgs.models import Site
from pledgeloop.orgs.services import site_create
from pledgeloop.teams import services


def place(world, kind, name, lat, lng):
    return site_create(
        community=world.community,
        kind=kind,
        name=name,
        latitude=Decimal(lat),
        longitude=Decimal(lng),
    )


@pytest.fixture
def circle_world(world):
    centre = place(world, Site.Kind.CENTRE, "星港湾党群服务中心", "31.950000", "120.940000")
    school = place(world, Site.Kind.SCHOOL, "外国语学校", "31.965000", "120.940000")
    for name, lat, lng in [
        ("阳光花园", "31.955000", "120.940000"),
        ("江景苑", "31.950000", "120.950000"),
        ("幸福新村", "31.940000", "120.940000"),
        ("北岸小区", "31.960000", "120.940000"),
    ]:
        place(world, Site.Kind.COMPOUND, name, lat, lng)
    services.position_create(site=centre, opening_hours="周一至周五 9:00–17:00")
    services.position_create(site=school, opening_hours="周六 9:00–11:00")
    return world
