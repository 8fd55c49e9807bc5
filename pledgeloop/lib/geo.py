"""Distances on the ground: haversine, and walking minutes as DESIGN.md §6 defines them."""

import math
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import ExpressionWrapper, FloatField, Value
from django.db.models.functions import Cast

EARTH_RADIUS_KM = 6371.0088
DETOUR_FACTOR = 1.3
WALKING_KMH = 5.0


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def walking_minutes(
    lat1: float,
    lng1: float,
    lat2: float,
    lng2: float,
    detour: float = DETOUR_FACTOR,
    speed_kmh: float = WALKING_KMH,
) -> float:
    return haversine_km(lat1, lng1, lat2, lng2) * detour / speed_kmh * 60


# --- nearest first, in the database ---------------------------------------------------------
# A street spans a few kilometres: there the distance on a plane (longitude scaled by the
# cosine of the latitude) orders points as haversine_km does, and a box of latitude and
# longitude around a point holds everything within a radius of it (an index on the point's
# columns finds the box's rows without reading the street).

KM_PER_DEGREE = 111.0  # of latitude (111.2 on average: the box errs on the wide side)


def squared_degrees(lat_field: str, lng_field: str, lat: float, lng: float):
    """An expression: the squared distance of (lat_field, lng_field) from (lat, lng), in
    degrees of latitude; NULL where the point is. Ordered as walking_minutes."""
    scale = math.cos(math.radians(lat))
    dlat = Cast(lat_field, FloatField()) - Value(lat)
    dlng = (Cast(lng_field, FloatField()) - Value(lng)) * Value(scale)
    return ExpressionWrapper(dlat * dlat + dlng * dlng, output_field=FloatField())


def degrees_for_km(km: float) -> float:
    """A radius in km as squared_degrees measures it (squared), a little over."""
    return (km / KM_PER_DEGREE) ** 2


def box_around(lat: float, lng: float, km: float) -> tuple[tuple[Decimal, Decimal], ...]:
    """((south, north), (west, east)): the box holding every point within ``km`` of
    (lat, lng), at the six decimals the models store."""
    dlat = km / KM_PER_DEGREE
    dlng = km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return (_six(lat - dlat), _six(lat + dlat)), (_six(lng - dlng), _six(lng + dlng))


def _six(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
