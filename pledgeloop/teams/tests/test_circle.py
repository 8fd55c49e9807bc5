"""The 15-minute service circle: positions, each compound's walk to the nearest one, gaps.

The fixture is checked by hand. Walking minutes = haversine km × 1.3 ÷ 5 km/h × 60 = km × 15.6.
One degree of latitude is π/180 × 6371.0088 km = 111.1951 km; at 31.95° N one degree of
longitude is that × cos 31.95° = 111.1951 × 0.848510 = 94.3501 km. From the centre at
(31.950, 120.940):
  阳光花园 (31.955, 120.940): 0.005° north = 0.55598 km → 8.67 min, covered;
  江景苑   (31.950, 120.950): 0.010° east  = 0.94350 km → 14.72 min, covered (just);
  幸福新村 (31.940, 120.940): 0.010° south = 1.11195 km → 17.35 min, a gap;
  北岸小区 (31.960, 120.940): 0.010° north = 17.35 min from the centre, but the school at
           (31.965, 120.940) is 0.005° away → 8.67 min, covered by the school.
"""

import pytest
from django.urls import reverse

from pledgeloop.orgs.models import Site
from pledgeloop.teams import circle, services
from pledgeloop.teams.models import Position

from .conftest import place

pytestmark = pytest.mark.django_db


def test_each_compound_walks_to_its_nearest_position(circle_world):
    coverage = circle.circle_coverage(circle_world.street)
    reach = {r.compound.name: (r.nearest.site.name, r.minutes) for r in coverage.reaches}
    assert reach == {
        "阳光花园": ("星港湾党群服务中心", 8.7),
        "江景苑": ("星港湾党群服务中心", 14.7),
        "幸福新村": ("星港湾党群服务中心", 17.3),
        "北岸小区": ("外国语学校", 8.7),
    }
    assert [r.compound.name for r in coverage.gaps] == ["幸福新村"]


def test_without_the_school_the_northern_compound_is_a_gap_too(circle_world):
    Position.objects.filter(site__kind=Site.Kind.SCHOOL).update(active=False)
    gaps = {r.compound.name for r in circle.circle_coverage(circle_world.street).gaps}
    assert gaps == {"幸福新村", "北岸小区"}


def test_without_any_position_every_compound_is_a_gap(world):
    place(world, Site.Kind.COMPOUND, "阳光花园", "31.955000", "120.940000")
    coverage = circle.circle_coverage(world.street)
    assert [(r.compound.name, r.minutes) for r in coverage.gaps] == [("阳光花园", None)]


def test_a_site_is_a_position_once(circle_world):
    centre = Site.objects.get(name="星港湾党群服务中心")
    with pytest.raises(services.TeamError):
        services.position_create(site=centre)


def test_the_circle_page_lists_positions_and_gaps(circle_world, client):
    response = client.get(reverse("teams:circle", args=[circle_world.street.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "外国语学校" in body and "周六 9:00–11:00" in body
    gaps = body.split('id="circle-gaps"')[1].split("</section>")[0]
    assert "幸福新村" in gaps and "17.3" in gaps
    assert "阳光花园" not in gaps
    assert 'id="circle-data"' in body


def test_admin_adds_a_position_at_a_new_place(world, client_for):
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:position_new"),
        {
            "community": world.community.pk,
            "kind": Site.Kind.MALL,
            "name": "奥特莱斯",
            "latitude": "31.960000",
            "longitude": "120.950000",
            "opening_hours": "每天 10:00–21:00",
        },
    )
    assert response.status_code == 302
    position = Position.objects.get()
    assert position.site.kind == Site.Kind.MALL and position.site.community == world.community


def test_position_with_a_point_outside_the_map_is_refused(world, client_for):
    client = client_for(world.community_admin)
    response = client.post(
        reverse("console:teams:position_new"),
        {
            "community": world.community.pk,
            "kind": Site.Kind.MALL,
            "name": "奥特莱斯",
            "latitude": "131",
            "longitude": "120.95",
        },
    )
    assert response.status_code == 400
    assert not Position.objects.exists() and not Site.objects.filter(name="奥特莱斯").exists()


def test_positions_are_managed_by_admins_only(world, client_for):
    response = client_for(world.member).get(reverse("console:teams:positions"))
    assert response.status_code == 403
