"""Distances on the ground: haversine, and walking minutes as DESIGN.md §6 defines them."""

import math

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
