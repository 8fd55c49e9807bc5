"""Demo step: the service matrix of the seed report (issue 15): the street's teams, the
positions of its 15-minute service circle, and ten people's-livelihood projects.

- Teams (slugs, for other demo steps to find them with `Team.objects.get(slug=...)`):
  `hongqishi` 红骑士 (street team: food-delivery riders as mobile sentinels, volunteers led
  by two members), `yinfa-danxin` 银发丹心 (腾飞: retired members who joined the party
  longest ago), `hongse-guanjia` 红色管家 (金科: three members of the property company),
  `xinggangwan-market` 星港湾红色便民集市服务队 (12 on the roster: members and volunteers),
  `young-volunteers` 外国语学校青少年志愿者 (腾飞: pupils with their parents' consent, led by
  a member teacher). Each is made through the teams services, and found again by slug.
- Team dispatch: some of the done orders a community admin dispatched to a member of a
  team's roster are the team's: the offer went to the team and its leader gave it to that
  member (the Dispatch names the team and the leader who accepted). No record is added or
  moved, so every figure the earlier steps measured (March's report) stays as it was, and
  the teams' figures are computed from those records.
- Positions (阵地): each community's party-service centre, a school, an outlet mall and two
  enterprises, with opening hours and services; a newly built compound at the street's
  south-east edge (江海新苑, no residents yet) is beyond a 15-minute walk of every position,
  a gap the circle page shows (with the seed's few outlying compounds).
- Projects: ten, each led by a member, with milestones done (with a note and a photo of the
  works, which shows no one) or not yet, some past their date: on track, late and done.
"""

import datetime as dt
import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db.models import Count, Q
from django.utils import timezone
from PIL import Image, ImageDraw

from pledgeloop.lib.photos import photo_clean
from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Member, Role, RoleGrant
from pledgeloop.teams import projects, services
from pledgeloop.teams.models import Position, Project, Team, TeamMembership

# --- positions of the 15-minute circle -------------------------------------------------------

# (community slug, kind, name, latitude, longitude, opening hours, services, other services)
PLACES = [
    ("xinggangwan", Site.Kind.MALL, "星港湾奥特莱斯", "31.959000", "120.945000",
     "每天 10:00–21:00", ["repairs", "health"], "红色便民集市（每月5日）"),
    ("tengfei", Site.Kind.SCHOOL, "南通外国语学校", "31.965000", "120.956000",
     "周一至周五 16:30–18:00", ["elderly-children", "environment"], "四点半课堂"),
    ("jinke", Site.Kind.ENTERPRISE, "江海科技园", "31.947000", "120.965000",
     "周一至周五 9:00–17:30", ["legal", "skills"], "职工法律咨询"),
    ("haohe", Site.Kind.ENTERPRISE, "濠河商务大厦", "31.972000", "120.933000",
     "周一至周五 9:00–17:00", ["skills", "legal"], "新就业群体驿站"),
]  # fmt: skip
CENTRE_HOURS = "周一至周六 8:30–17:30"
CENTRE_SERVICES = ["elderly-children", "legal", "health", "repairs"]
# Built last year at the street's south-east edge: no position within 15 minutes' walk yet.
NEW_COMPOUND = ("jinke", "江海新苑", "31.926000", "120.976000")


def _site(ctx, slug, kind, name, lat, lng) -> Site:
    site, _created = Site.objects.get_or_create(
        street=ctx.street,
        name=name,
        defaults={
            "community": ctx.communities[slug],
            "kind": kind,
            "latitude": Decimal(lat),
            "longitude": Decimal(lng),
        },
    )
    return site


def _position(ctx, site, hours, codes, note) -> Position:
    existing = Position.objects.filter(site=site).first()
    if existing is not None:
        return existing
    return services.position_create(
        site=site,
        opening_hours=hours,
        services=[ctx.categories[c] for c in codes],
        services_note=note,
    )


def build_positions(ctx) -> None:
    for community in ctx.communities.values():
        centre = Site.objects.get(community=community, kind=Site.Kind.CENTRE)
        _position(ctx, centre, CENTRE_HOURS, CENTRE_SERVICES, "党员先锋岗、议事协商")
    for slug, kind, name, lat, lng, hours, codes, note in PLACES:
        _position(ctx, _site(ctx, slug, kind, name, lat, lng), hours, codes, note)
    slug, name, lat, lng = NEW_COMPOUND
    _site(ctx, slug, Site.Kind.COMPOUND, name, lat, lng)


# --- teams -----------------------------------------------------------------------------------

RIDERS = ["周强", "吴磊", "郑浩", "王涛", "冯杰", "陈亮", "褚斌", "卫东", "蒋鹏", "沈飞"]
PUPILS = ["林小雨", "何欣怡", "吕子涵", "施雨桐", "张一诺", "孔梓萱", "曹宇轩", "严可馨"]
MARKET_VOLUNTEERS = ["华建国", "金秀英", "魏春梅"]

# slug -> (name, community slug or None, description, service area, skills)
TEAMS = {
    "hongqishi": (
        "红骑士",
        None,
        "外卖骑手组成的移动哨兵，在商场、写字楼和背街小巷发现问题、随手上报。",
        "全街道的商圈、写字楼和背街小巷",
        ["environment", "elderly-children"],
    ),
    "yinfa-danxin": (
        "银发丹心",
        "tengfei",
        "平均年龄65岁以上的老党员服务队，助老助学、调解邻里。",
        "腾飞社区各小区",
        ["elderly-children", "legal"],
    ),
    "hongse-guanjia": (
        "红色管家",
        "jinke",
        "物业公司的三名党员，把党员责任区延伸到楼道和车棚。",
        "金科社区各小区",
        ["repairs", "environment"],
    ),
    "xinggangwan-market": (
        "星港湾红色便民集市服务队",
        "xinggangwan",
        "每月5日在星港湾奥特莱斯办红色便民集市：维修、义诊、法律咨询。",
        "星港湾社区、星港湾奥特莱斯",
        ["repairs", "health", "legal", "skills"],
    ),
    "young-volunteers": (
        "外国语学校青少年志愿者",
        "tengfei",
        "南通外国语学校的学生志愿者（经家长同意），在濠河边做环保志愿服务。",
        "濠河沿岸",
        ["environment"],
    ),
}


def _team(ctx, slug) -> Team:
    existing = Team.objects.filter(street=ctx.street, slug=slug).first()
    if existing is not None:
        return existing
    name, community, description, area, skills = TEAMS[slug]
    return services.team_create(
        street=ctx.street,
        community=ctx.communities[community] if community else None,
        name=name,
        slug=slug,
        description=description,
        service_area=area,
        skills=[ctx.categories[c] for c in skills],
    )


def _servers(ctx, community=None, kinds=None, exclude=()) -> list[Member]:
    """Active members, those who served the most dispatched orders first (code on ties)."""
    members = Member.objects.filter(street=ctx.street, active=True).exclude(pk__in=exclude)
    if community is not None:
        members = members.filter(community=ctx.communities[community])
    if kinds:
        members = members.filter(kind__in=kinds)
    served = Q(
        dispatches__state=Dispatch.State.ACCEPTED,
        dispatches__team__isnull=True,
        dispatches__order__state=Order.State.DONE,
    )
    return list(
        members.annotate(served=Count("dispatches", filter=served, distinct=True))
        .select_related("user")
        .order_by("-served", "code")
    )


def _volunteer(ctx, team, name, community, source):
    volunteer = services.volunteer_register(
        street=ctx.street,
        community=ctx.communities[community] if community else None,
        name=name,
        phone=ctx.phone(),
        consent=True,
        source=source,
    )
    if not TeamMembership.objects.filter(team=team, volunteer=volunteer).exists():
        services.team_volunteer_add(team=team, volunteer=volunteer, by=None)


def _roster(team, members, leaders: int) -> None:
    for n, member in enumerate(members):
        if not TeamMembership.objects.filter(team=team, member=member).exists():
            services.team_member_add(team=team, member=member, by=None, leader=n < leaders)


def build_teams(ctx) -> dict[str, Team]:
    teams = {slug: _team(ctx, slug) for slug in TEAMS}
    taken: set[int] = set()

    def pick(n, community=None, kinds=None) -> list[Member]:
        chosen = _servers(ctx, community, kinds, exclude=taken)[:n]
        taken.update(m.pk for m in chosen)
        return chosen

    # 红骑士: two members lead ten riders (volunteers, no account).
    riders = teams["hongqishi"]
    _roster(riders, pick(2, kinds=[Member.Kind.EMPLOYED]), leaders=2)
    for name in RIDERS:
        _volunteer(ctx, riders, name, None, "demo:riders")
    # 银发丹心: the retired members of 腾飞 who joined the party longest ago.
    elders = list(
        Member.objects.filter(
            community=ctx.communities["tengfei"], active=True, kind=Member.Kind.RETIRED
        )
        .exclude(pk__in=taken)
        .order_by("party_join_date", "code")[:8]
    )
    taken.update(m.pk for m in elders)
    _roster(teams["yinfa-danxin"], elders, leaders=1)
    # 红色管家: three members of 金科 (the property company's).
    _roster(teams["hongse-guanjia"], pick(3, "jinke"), leaders=1)
    # The market team of 12: nine members of 星港湾 and three volunteers.
    market = teams["xinggangwan-market"]
    _roster(market, pick(9, "xinggangwan"), leaders=2)
    for name in MARKET_VOLUNTEERS:
        _volunteer(ctx, market, name, "xinggangwan", "demo:market")
    # The school's young volunteers: a member teacher leads pupils (their parents agreed).
    young = teams["young-volunteers"]
    _roster(young, pick(1, "tengfei", kinds=[Member.Kind.EMPLOYED]), leaders=1)
    for name in PUPILS:
        _volunteer(ctx, young, name, "tengfei", "demo:parents-consent")
    # The teams were formed before the year of orders they served.
    formed = ctx.moment(ctx.today - dt.timedelta(days=730), 9)
    Team.objects.filter(pk__in=[t.pk for t in teams.values()]).update(created_at=formed)
    TeamMembership.objects.filter(team__in=teams.values()).update(joined_at=formed)
    return teams


def dispatch_to_teams(ctx, teams: dict[str, Team], per_team: int = 6) -> None:
    """Some done orders dispatched to a member of a team's roster become the team's: the
    offer went to the team, its leader accepted and gave it to that member."""
    for team in teams.values():
        roster = {e.member_id: e for e in team.roster.filter(member__isnull=False)}
        leader = next((e for e in roster.values() if e.is_leader), None)
        if leader is None:
            continue
        dispatches = Dispatch.objects.filter(
            street=ctx.street,
            state=Dispatch.State.ACCEPTED,
            team__isnull=True,
            member_id__in=list(roster),
            order__state=Order.State.DONE,
        )
        if team.community_id:
            dispatches = dispatches.filter(order__community_id=team.community_id)
        for dispatch in dispatches.order_by("-offered_at", "pk")[:per_team]:
            dispatch.team, dispatch.accepted_by_id = team, leader.member.user_id
            dispatch.save(update_fields=["team", "accepted_by"])


# --- projects ----------------------------------------------------------------------------------

# (title, community slug, team slug or None, budget, description,
#  milestones: (title, due days from today, done days from today or None, evidence))
PROJECTS = [
    ("老街立面改造", "chengzhong", None, 1_800_000, "城中老街沿街立面、店招和管线入地改造。", [
        ("方案征求居民意见", -150, -155, "收到意见213条，采纳31条"),
        ("一期施工（东段）", -60, -66, "东段立面完成，管线入地"),
        ("二期施工（西段）", -10, None, ""),
        ("竣工验收", 45, None, ""),
    ]),
    ("电动车充电雨棚", "xinggangwan", "xinggangwan-market", 260_000,
     "在阳光花园等四个小区建有顶棚的电动车集中充电点，减少飞线充电。", [
        ("选址与消防论证", -120, -124, "确定4处选址，消防部门出具意见"),
        ("首批两处建成", -40, -43, "两处雨棚投用，可停120辆"),
        ("后两处建成", 20, None, ""),
    ]),
    ("楼道照明改造", "jinke", "hongse-guanjia", 48_000, "老旧楼道换装声控节能灯。", [
        ("摸排楼道", -200, -205, "摸排86个楼道"),
        ("采购安装", -150, -149, "换装灯具412盏"),
        ("回访验收", -120, -118, "回访住户，满意率98%"),
    ]),
    ("濠河岸线环境整治", "haohe", "young-volunteers", None, "河岸垃圾清理与护绿。", [
        ("岸线分段认领", -90, -92, "学生志愿者分段认领8段岸线"),
        ("每月清理", -30, -33, "清理垃圾约300公斤"),
        ("护绿标识设置", 30, None, ""),
    ]),
    ("老年助餐点", "tengfei", "yinfa-danxin", 150_000, "为高龄独居老人提供午餐和送餐。", [
        ("场地改造", -100, -97, "助餐点厨房改造完成"),
        ("试运营", -70, -71, "日均就餐45人"),
        ("送餐上门", -5, None, ""),
    ]),
    ("口袋公园", "hongqiao", None, 320_000, "利用闲置地块建设口袋公园。", [
        ("地块清理", -45, -50, "清理建筑垃圾12车"),
        ("设计公示", -20, None, ""),
        ("施工", 60, None, ""),
    ]),
    ("加装电梯协调", "chengzhong", None, None, "协调老旧住宅加装电梯的意见和资金。", [
        ("意愿征集", -80, -85, "3幢楼达成加装意愿"),
        ("首部电梯开工", 25, None, ""),
    ]),
    ("背街小巷平安巡查", None, "hongqishi", None, "红骑士在背街小巷巡查，随手上报隐患。", [
        ("巡查路线划定", -60, -62, "划定12条巡查路线"),
        ("隐患上报机制", -15, -18, "上报隐患57条，办结52条"),
        ("季度复盘", 40, None, ""),
    ]),
    ("非机动车停放整治", "xinggangwan", None, 30_000, "星港湾奥特莱斯周边非机动车规范停放。", [
        ("划线设桩", -75, -80, "施划停车线1.2公里"),
        ("文明劝导", -50, -52, "劝导2000余人次"),
        ("长效管理", -25, -26, "纳入物业日常管理"),
    ]),
    ("社区健康小屋", "haohe", None, 90_000, "配置自助体检设备，每周义诊。", [
        ("设备采购", -30, None, ""),
        ("开放运营", 50, None, ""),
    ]),
]  # fmt: skip


def works_photo(rng, n: int) -> bytes:
    """A drawn picture of the works (a roof, a wall, a path): no one is in it."""
    sky = (170 + n * 7 % 60, 200, 230)
    image = Image.new("RGB", (480, 360), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 250, 480, 360], fill=(150, 150, 140))
    left = 60 + rng.randrange(0, 40)
    draw.polygon([(left, 150), (420, 130), (420, 150), (left, 170)], fill=(200, 60, 50))
    for x in range(left + 20, 420, 70):
        draw.rectangle([x, 165, x + 8, 250], fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def build_projects(ctx, teams: dict[str, Team]) -> None:
    rng = ctx.rng
    admins = {
        g.community_id: g.user
        for g in RoleGrant.objects.filter(role=Role.COMMUNITY_ADMIN, street=ctx.street)
    }
    street_admin = RoleGrant.objects.filter(role=Role.STREET_ADMIN, street=ctx.street).first()
    leads_taken: set[int] = set()
    for n, (title, slug, team_slug, budget, description, steps) in enumerate(PROJECTS):
        if Project.objects.filter(street=ctx.street, title=title).exists():
            continue
        community = ctx.communities[slug] if slug else None
        team = teams[team_slug] if team_slug else None
        if team is not None:
            lead = team.roster.filter(is_leader=True).select_related("member").first().member
        else:
            lead = _servers(ctx, slug, exclude=leads_taken)[0]
        leads_taken.add(lead.pk)
        project = projects.project_create(
            street=ctx.street,
            community=community,
            title=title,
            lead=lead,
            team=team,
            budget=Decimal(budget) if budget else None,
            description=description,
        )
        started = ctx.today + dt.timedelta(days=min(s[1] for s in steps) - 60)
        Project.objects.filter(pk=project.pk).update(created_at=ctx.moment(started, 9))
        by = admins.get(community.pk) if community else street_admin.user
        for k, (name, due, done, evidence) in enumerate(steps):
            milestone = projects.milestone_add(
                project=project, title=name, due_on=ctx.today + dt.timedelta(days=due)
            )
            if done is None:
                continue
            photo = None
            if k % 2 == 0:
                raw = ContentFile(works_photo(rng, n + k), name="works.jpg")
                photo = photo_clean(raw)
            projects.milestone_complete(
                milestone=milestone,
                done_on=ctx.today + dt.timedelta(days=done),
                evidence=evidence,
                photo=photo,
                photo_public=photo is not None,
                by=by,
            )
        if community is not None:
            # The project's own orders: a few done orders of its community and category mix.
            orders = Order.objects.filter(
                community=community,
                state=Order.State.DONE,
                done_at__gte=timezone.make_aware(
                    dt.datetime.combine(ctx.today - dt.timedelta(days=120), dt.time())
                ),
            ).order_by("done_at", "pk")
            for order in orders[n % 3 : n % 3 + 2]:
                projects.project_order_link(project=project, order=order)


def build(ctx) -> None:
    build_positions(ctx)
    teams = build_teams(ctx)
    dispatch_to_teams(ctx, teams)
    build_projects(ctx, teams)
