"""The 15-minute service circle (15分钟党群服务圈): the street's positions (阵地) and the
compounds beyond a walk of the circle's minutes from every one of them (the gaps).

Walking time is dispatch's model (DESIGN.md §6: haversine distance × detour factor ÷ walking
speed, `dispatch.suggestions.CONFIG`), the circle its `max_walk_minutes` (15 by default).
"""

from dataclasses import dataclass

from pledgeloop.dispatch.engine import DispatchConfig
from pledgeloop.dispatch.suggestions import CONFIG
from pledgeloop.lib.geo import walking_minutes
from pledgeloop.orgs.models import Site, Street

from .models import Position


@dataclass
class Reach:
    compound: Site
    nearest: Position | None
    minutes: float | None
    limit: float

    @property
    def is_gap(self) -> bool:
        return self.minutes is None or self.minutes > self.limit


@dataclass
class Coverage:
    street: Street
    positions: list[Position]
    reaches: list[Reach]
    limit: float

    @property
    def gaps(self) -> list[Reach]:
        return [r for r in self.reaches if r.is_gap]

    @property
    def covered(self) -> list[Reach]:
        return [r for r in self.reaches if not r.is_gap]


def _walk(a: Site, b: Site, config: DispatchConfig) -> float:
    return walking_minutes(
        float(a.latitude),
        float(a.longitude),
        float(b.latitude),
        float(b.longitude),
        detour=config.detour_factor,
        speed_kmh=config.walking_kmh,
    )


def street_positions(street: Street) -> list[Position]:
    return list(
        Position.objects.filter(street=street, active=True)
        .select_related("site__community", "site__parent")
        .prefetch_related("services")
        .order_by("site__community__slug", "site__kind", "site__name")
    )


def circle_coverage(street: Street, config: DispatchConfig = CONFIG) -> Coverage:
    """Each compound of the street with its nearest position and the walk to it, in minutes
    (rounded to tenths before the comparison, as the page shows them)."""
    positions = street_positions(street)
    compounds = Site.objects.filter(street=street, kind=Site.Kind.COMPOUND).select_related(
        "community"
    )
    reaches = []
    for compound in compounds.order_by("community__slug", "name"):
        best, best_minutes = None, None
        for position in positions:
            minutes = round(_walk(compound, position.site, config), 1)
            if best_minutes is None or minutes < best_minutes:
                best, best_minutes = position, minutes
        reaches.append(Reach(compound, best, best_minutes, config.max_walk_minutes))
    return Coverage(street, positions, reaches, config.max_walk_minutes)


def coverage_chart(coverage: Coverage) -> dict:
    """The scatter's data (ECharts, plain coordinates: no map tiles): positions, covered
    compounds and gaps as [longitude, latitude, name, minutes]."""

    def point(site: Site, minutes=None) -> list:
        return [float(site.longitude), float(site.latitude), str(site), minutes]

    return {
        "positions": [point(p.site) for p in coverage.positions],
        "covered": [point(r.compound, r.minutes) for r in coverage.covered],
        "gaps": [point(r.compound, r.minutes) for r in coverage.gaps],
        "limit": coverage.limit,
    }
