"""Demo step: 江海街道 with six communities, grids and sites around Nantong."""

from decimal import Decimal

from pledgeloop.lib.inserts import insert
from pledgeloop.orgs.models import Category, Grid, Site
from pledgeloop.orgs.services import community_create, street_create

# (name, slug, centre latitude, centre longitude): around Nantong, about 31.95°N 120.95°E
COMMUNITIES = [
    ("星港湾", "xinggangwan", 31.9562, 120.9418),
    ("腾飞", "tengfei", 31.9671, 120.9587),
    ("金科", "jinke", 31.9448, 120.9623),
    ("濠河", "haohe", 31.9705, 120.9301),
    ("城中", "chengzhong", 31.9503, 120.9196),
    ("虹桥", "hongqiao", 31.9384, 120.9452),
]
COMPOUND_WORDS = ["花园", "新村", "公寓", "家园", "名苑", "小区", "雅苑", "华府"]
COMPOUND_STEMS = [
    "阳光",
    "和平",
    "幸福",
    "滨江",
    "紫琅",
    "文峰",
    "青年",
    "钟秀",
    "桃坞",
    "学田",
    "五福",
    "崇川",
]
ROADS = ["工农路", "青年路", "人民路", "崇川路", "城山路", "钟秀路", "濠西路", "世纪大道"]
GRID_NAMES = ["第一网格", "第二网格", "第三网格", "第四网格"]


def _point(rng, lat: float, lng: float, spread: float) -> tuple[Decimal, Decimal]:
    q = Decimal("0.000001")
    return (
        Decimal(str(lat + rng.gauss(0, spread))).quantize(q),
        Decimal(str(lng + rng.gauss(0, spread))).quantize(q),
    )


def build(ctx) -> None:
    rng = ctx.rng
    street = street_create(name="江海街道", slug="jianghai")
    ctx.street = street
    ctx.categories = {c.code: c for c in Category.objects.filter(street=street)}
    for index, (name, slug, lat, lng) in enumerate(COMMUNITIES, start=1):
        # Each office's number, made up and without the seed (0513: the demo's city)
        phone = f"0513-8350 {1000 + index}"
        community = community_create(street=street, name=name, slug=slug, phone=phone)
        ctx.communities[slug] = community
        grids = [
            Grid.objects.create(street=street, community=community, name=g)
            for g in GRID_NAMES[: rng.randint(3, 4)]
        ]
        centre_lat, centre_lng = _point(rng, lat, lng, 0.001)
        sites = [
            Site.objects.create(
                street=street,
                community=community,
                kind=Site.Kind.CENTRE,
                name=f"{name}社区党群服务中心",
                address=f"{rng.choice(ROADS)}{rng.randint(1, 300)}号",
                latitude=centre_lat,
                longitude=centre_lng,
            )
        ]
        stems = rng.sample(COMPOUND_STEMS, rng.randint(3, 5))
        for stem in stems:
            c_lat, c_lng = _point(rng, lat, lng, 0.004)
            compound = Site.objects.create(
                street=street,
                community=community,
                grid=rng.choice(grids),
                kind=Site.Kind.COMPOUND,
                name=f"{stem}{rng.choice(COMPOUND_WORDS)}",
                address=f"{rng.choice(ROADS)}{rng.randint(1, 500)}号",
                latitude=c_lat,
                longitude=c_lng,
            )
            sites.append(compound)
            buildings = [
                Site(
                    street=street,
                    community=community,
                    grid=compound.grid,
                    parent=compound,
                    kind=Site.Kind.BUILDING,
                    name=f"{n}幢",
                    address=compound.address,
                    latitude=_point(rng, float(c_lat), float(c_lng), 0.0006)[0],
                    longitude=_point(rng, float(c_lat), float(c_lng), 0.0006)[1],
                )
                for n in range(1, rng.randint(5, 9))
            ]
            sites.extend(insert(buildings))
        ctx.sites[slug] = sites
