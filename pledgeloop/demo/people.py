"""Demo step: 185 members and a few thousand residents with realistic Chinese names."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password

from pledgeloop.lib.inserts import insert
from pledgeloop.lib.pinyin import person_keys
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Consent, Member, Resident, Role, RoleGrant, User

MEMBER_COUNT = 185
RESIDENTS_PER_COMMUNITY = (340, 420)
# Members per community, roughly as the seed report spreads them.
MEMBER_SHARE = {
    "xinggangwan": 42,
    "tengfei": 35,
    "jinke": 33,
    "haohe": 27,
    "chengzhong": 25,
    "hongqiao": 23,
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹"
    "薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国"
    "建华志强文红玉兰凤英海燕小红晓东晓明春梅秋菊金凤德明德华永红"
    "永强玉梅丽华丽娟婷雪琳欣怡子涵浩然宇轩梓涵一诺思远家豪佳怡雨桐俊杰"
)
GIVEN_CHARS = list(dict.fromkeys(GIVEN))
# people/notices.py: the notice in force when the demo history began
CONSENT_VERSION = "1"


def _name(rng) -> str:
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _near(rng, site: Site, spread: float = 0.0004) -> tuple[Decimal, Decimal]:
    q = Decimal("0.000001")
    return (
        Decimal(str(float(site.latitude) + rng.gauss(0, spread))).quantize(q),
        Decimal(str(float(site.longitude) + rng.gauss(0, spread))).quantize(q),
    )


def _availability(rng, kind: str) -> dict:
    if kind == Member.Kind.RETIRED:
        days = rng.sample(range(7), rng.randint(3, 6))
        return {str(d): [[8, 11], [14, 17]] for d in sorted(days)}
    evenings = {str(d): [[18, 21]] for d in sorted(rng.sample(range(5), rng.randint(1, 3)))}
    weekend = {str(d): [[9, 12], [14, 18]] for d in rng.sample([5, 6], rng.randint(1, 2))}
    return evenings | weekend


def build(ctx) -> None:
    rng = ctx.rng
    street = ctx.street
    password = make_password(settings.DEMO_PASSWORD)  # one hash serves every demo account
    categories = list(ctx.categories.values())
    slugs = list(ctx.communities)
    first = ctx.communities[slugs[0]]

    def user(phone: str, name: str) -> User:
        full, initials, order = person_keys(name)
        return User(
            phone=phone,
            name=name,
            name_pinyin=full,
            name_initials=initials,
            name_sort=order,
            password=password,
        )

    # The demo logins: one per role, all in 星港湾.
    street_admin = user("13900000001", "江海街道管理员")
    community_admin = user("13900000002", "星港湾社区书记")
    insert([street_admin, community_admin])
    insert(
        [
            RoleGrant(user=street_admin, role=Role.STREET_ADMIN, street=street),
            RoleGrant(
                user=community_admin, role=Role.COMMUNITY_ADMIN, street=street, community=first
            ),
        ]
    )
    for slug in slugs[1:]:
        admin = user(ctx.phone(), f"{ctx.communities[slug].name}社区书记")
        admin.save()
        RoleGrant.objects.create(
            user=admin, role=Role.COMMUNITY_ADMIN, street=street, community=ctx.communities[slug]
        )

    kinds = (
        [Member.Kind.RETIRED] * 40
        + [Member.Kind.EMPLOYED] * 35
        + [Member.Kind.ENTERPRISE] * 10
        + [Member.Kind.VOLUNTEER] * 15
    )
    plan = [slug for slug in slugs for _ in range(MEMBER_SHARE[slug])]
    assert len(plan) == MEMBER_COUNT
    users, members, skills = [], [], []
    for index, slug in enumerate(plan):
        community = ctx.communities[slug]
        homes = [s for s in ctx.sites[slug] if s.kind == Site.Kind.BUILDING]
        phone = "13900000003" if index == 0 else ctx.phone()
        name = "陈建国" if index == 0 else _name(rng)
        kind = Member.Kind.RETIRED if index == 0 else rng.choice(kinds)
        if kind == Member.Kind.VOLUNTEER:
            joined = None
        else:
            first_year = 1968 if kind == Member.Kind.RETIRED else 1995
            last_year = 1995 if kind == Member.Kind.RETIRED else 2024
            joined = dt.date(
                rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28)
            )
        lat, lng = _near(rng, rng.choice(homes))
        users.append(user(phone, name))
        members.append(
            Member(
                street=street,
                community=community,
                kind=kind,
                party_join_date=joined,
                home_latitude=lat,
                home_longitude=lng,
                availability=_availability(rng, kind),
                capacity=rng.randint(2, 5),
                public_contact=rng.random() < 0.3,
                code=f"m{ctx.seed % 1000:03d}{index:04d}",
            )
        )
        skills.append(rng.sample(categories, rng.randint(1, 3)))
    insert(users)
    for u, m in zip(users, members, strict=True):
        m.user = u
    insert(members)
    insert(
        RoleGrant(user=m.user, role=Role.MEMBER, street=street, community=m.community)
        for m in members
    )
    through = Member.skills.through
    insert(
        through(member_id=m.pk, category_id=c.pk)
        for m, cs in zip(members, skills, strict=True)
        for c in cs
    )
    ctx.members = members

    residents = []
    for slug in slugs:
        community = ctx.communities[slug]
        buildings = [s for s in ctx.sites[slug] if s.kind == Site.Kind.BUILDING]
        for _ in range(rng.randint(*RESIDENTS_PER_COMMUNITY)):
            building = rng.choice(buildings)
            name = _name(rng)
            full, initials, order = person_keys(name)
            lat, lng = _near(rng, building, 0.0001)
            residents.append(
                Resident(
                    street=street,
                    community=community,
                    name=name,
                    name_pinyin=full,
                    name_initials=initials,
                    name_sort=order,
                    phone=ctx.phone(),
                    site=building,
                    address=(
                        f"{building.parent.name}{building.name}"
                        f"{rng.randint(1, 6)}{rng.randint(1, 2):02d}室"
                    ),
                    latitude=lat,
                    longitude=lng,
                    created_at=ctx.moment(ctx.today - dt.timedelta(days=rng.randint(30, 900))),
                )
            )
    # The resident demo login: a real person in 星港湾 with an account.
    resident_user = user("13900000004", "王秀兰")
    resident_user.save()
    RoleGrant.objects.create(user=resident_user, role=Role.RESIDENT, street=street, community=first)
    residents[0].user = resident_user
    residents[0].name, residents[0].phone = "王秀兰", "13900000004"
    first_resident = residents[0]
    first_resident.name_pinyin, first_resident.name_initials, first_resident.name_sort = (
        person_keys("王秀兰")
    )
    insert(residents)
    insert(
        Consent(
            street=street,
            resident=r,
            phone=r.phone,
            purpose=Consent.Purpose.DATA_USE,
            notice_version=CONSENT_VERSION,
            source="demo",
            given_at=r.created_at,
        )
        for r in residents
        if rng.random() < 0.92 or r.user_id
    )
    ctx.residents = residents
