"""Events of the demo street (issue 15, DESIGN.md C7): the most recent March's 红色便民集市 at
星港湾 (March 5, 学雷锋日) with eight booths, their queues and the services given there;
three on-order sessions (订单式服务) at the foreign-language school, an enterprise and the
outlet mall; and a three-day employment-skills course for 30+ disabled residents with a
partner organisation.

Written as the records the event services would have left (teams.events), at the moments
they happened: booth shifts, sign-ups, attendance by the session's code with the members'
verified service records, the numbers served as records without participants (their hours
are the shifts'), residents' registrations with consent, and each on-order session's order
(filed by the place, dispatched to a team, finished by the assigned member's attendance:
one on-order service each). The orders step leaves room for the sessions in the March
figure of on-order services (demo/orders.py, LATEST_MARCH_DONE).

And one event still to come: next month's market, on the first Saturday at least ten days
ahead, with its booths' shifts open for members to sign up to (a few have already): what a
member finds under "My events", and the street's events page under "coming". And one called
off: a square-dance show next week that 星港湾 cancelled yesterday for the rain forecast,
its registered residents texted why (teams.event_changes' wording), its pages saying 已取消.

Runs after the orders step and before the service step, which tops up to the report's
figures counting what this step wrote. Teams are looked up by name or web address first
(demo/teams.py may have made them) and made here only when missing.

The events, their sessions and orders are made as they go; the rows of what happened at them
(booths, shifts, sign-ups, records with their participants, attendance, queue tickets and
reviews) are collected in the order they happened and written at the end of the step with
one insert per table (Rows, lib/inserts.py), so each table gets them in that order.
"""

import datetime as dt
import secrets
from collections import defaultdict
from decimal import Decimal

import pyotp
from django.db.models import Q

from pledgeloop.lib.inserts import insert
from pledgeloop.orders.models import Dispatch, Order, OrderEvent
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Consent, Member, RoleGrant
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceParticipant, ServiceRecord
from pledgeloop.teams import event_changes
from pledgeloop.teams.models import (
    Attendance,
    Booth,
    Event,
    EventSession,
    Position,
    QueueTicket,
    Registration,
    Shift,
    SignUp,
    Team,
    TeamMembership,
    Volunteer,
)

from .people import CONSENT_VERSION
from .service import march_of

S = Order.State
SRC = OrderEvent.Source
H = dt.timedelta(hours=1)

BOOTHS = [
    ("法律咨询", "legal"),
    ("家电维修", "repairs"),
    ("健康义诊", "health"),
    ("理发义剪", "elderly-children"),
    ("反诈宣传", "legal"),
    ("垃圾分类", "environment"),
    ("就业咨询", "skills"),
    ("手机课堂", "skills"),
]
MARKET_TEAM = ("星港湾红色便民集市服务队", "xinggangwan-market")
SESSIONS = [
    # (place, kind of site, community slug, category, team (name, slug), title, description)
    (
        "南通外国语学校",
        Site.Kind.SCHOOL,
        "tengfei",
        "environment",
        ("外国语学校青少年志愿者", "young-volunteers"),
        "垃圾分类进校园",
        "请社区派志愿者给三年级学生上一堂垃圾分类实践课",
    ),
    (
        "江海科技园",
        Site.Kind.ENTERPRISE,
        "jinke",
        "legal",
        ("红色管家", "hongse-guanjia"),
        "企业员工法律讲座",
        "员工想了解劳动合同和租房纠纷的法律知识，请安排一次讲座",
    ),
    (
        "星港湾奥特莱斯",
        Site.Kind.MALL,
        "xinggangwan",
        "legal",
        ("红骑士", "hongqishi"),
        "商场反诈宣传",
        "商场想请志愿者在周末给顾客和商户做反诈宣传",
    ),
]
RESIDENT_NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "桂兰", "志强", "海燕", "春梅", "国华", "丽娟", "建军", "玉兰", "明", "芳"]


class Busy:
    """Whose time is taken: one member's service never overlaps (service_record_create).

    The members' records from earlier steps are read once; the records this step adds are
    added as they are made (they are written at the end of the step)."""

    def __init__(self, street):
        self.street = street
        self.spans: dict[int, list] = defaultdict(list)
        for member_id, started, ended in ServiceParticipant.objects.filter(
            member__street=street
        ).values_list("member_id", "record__started_at", "record__ended_at"):
            self.spans[member_id].append((started, ended))

    def free(self, member_id: int, start: dt.datetime, end: dt.datetime) -> bool:
        return not any(s < end and e > start for s, e in self.spans[member_id])

    def take(self, member_id: int, start: dt.datetime, end: dt.datetime) -> None:
        self.spans[member_id].append((start, end))


class Rows:
    """What happened at the events, in the order it happened, written by write()."""

    MODELS = [
        Booth,
        Shift,
        SignUp,
        ServiceRecord,
        ServiceParticipant,
        Attendance,
        QueueTicket,
        Review,
    ]  # in an order where each row's foreign keys are written before it

    def __init__(self):
        self.rows: dict[type, list] = {model: [] for model in self.MODELS}

    def add(self, row):
        self.rows[type(row)].append(row)
        return row

    def write(self) -> None:
        for model in self.MODELS:
            insert(self.rows[model], batch_size=500)


def _team(ctx, name: str, slug: str, community) -> Team:
    """The team of that slug or name (demo/teams.py, which runs first, makes the report's
    teams); made here only when a street has none of them."""
    team = (
        Team.objects.filter(street=ctx.street)
        .filter(Q(name=name) | Q(slug=slug))
        .order_by("pk")
        .first()
    )
    if team is None:
        team = Team.objects.create(
            street=ctx.street,
            community=community,
            scope=Team.Scope.COMMUNITY if community else Team.Scope.STREET,
            name=name,
            slug=slug,
        )
    return team


def _crew(ctx, busy: "Busy", team: Team, pool, start, end, count: int, least: int):
    """Up to `count` of the team's members free at that time; when fewer than `least` are,
    free members of `pool` join the roster until there are (a team's first leader is the
    first to join). Returns (leader, crew)."""
    roster = list(Member.objects.filter(team_memberships__team=team).order_by("code").distinct())
    crew = _free_members(ctx, busy, roster, start, end, count)
    if len(crew) < least:
        outside = [m for m in pool if m not in roster]
        for member in _free_members(ctx, busy, outside, start, end, least - len(crew)):
            TeamMembership.objects.get_or_create(
                team=team,
                member=member,
                defaults={"street": ctx.street, "is_leader": not team.roster.exists()},
            )
            crew.append(member)
    lead = team.roster.filter(is_leader=True, member__isnull=False).select_related("member")
    leader = lead.first().member if lead.exists() else crew[0]
    return leader, crew


def _position(ctx, community, name: str, kind: str) -> Position:
    site = Site.objects.filter(street=ctx.street, name=name).first()
    if site is None:
        centre = Site.objects.filter(community=community, kind=Site.Kind.CENTRE).first()
        site = Site.objects.create(
            street=ctx.street,
            community=community,
            kind=kind,
            name=name,
            address=f"{community.name}{name}",
            latitude=centre.latitude + Decimal("0.0021"),
            longitude=centre.longitude - Decimal("0.0013"),
        )
    position, _created = Position.objects.get_or_create(
        site=site, defaults={"street": ctx.street, "opening_hours": "周一至周五 9:00–17:00"}
    )
    return position


def _session(event: Event, start: dt.datetime, end: dt.datetime, **fields) -> EventSession:
    return EventSession.objects.create(
        street=event.street,
        event=event,
        starts_at=start,
        ends_at=end,
        secret=pyotp.random_base32(),
        **fields,
    )


def _booth_and_shift(ctx, rows: Rows, session: EventSession, name: str, category, team) -> tuple:
    """A booth of the session's event and its one shift, the session long, for two people."""
    booth = rows.add(
        Booth(street=ctx.street, event=session.event, name=name, category=category, team=team)
    )
    shift = rows.add(
        Shift(
            street=ctx.street,
            session=session,
            booth=booth,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            places=2,
        )
    )
    return booth, shift


def _attend(
    ctx, rows: Rows, busy: Busy, session, shift, member, start, end, category, *, order=None
) -> ServiceRecord:
    """A member's scans in and out (a few minutes around the shift) and their record."""
    rng = ctx.rng
    hours = Decimal((end - start).total_seconds() / 3600).quantize(Decimal("0.25"))
    record = ServiceRecord(
        street=ctx.street,
        community_id=order.community_id if order else member.community_id,
        category=category,
        order=order,
        beneficiary=order.resident if order else None,
        started_at=start,
        ended_at=end,
        hours=hours,
        note=f"参加“{session.event.title}”服务"
        if order is None
        else f"场次“{session.event.title}”",
        # The order's record is finished by the member (self-reported, confirmed by the
        # place's review); the others are verified by the session's changing code.
        verification=(
            ServiceRecord.Verification.SELF if order else ServiceRecord.Verification.VERIFIED
        ),
        evidence="" if order else ServiceRecord.Evidence.SITE_SCREEN,
        created_by_id=member.user_id,
        created_at=end,
    )
    rows.add(record)
    rows.add(ServiceParticipant(street=ctx.street, record=record, member=member))
    busy.take(member.pk, start, end)
    rows.add(
        Attendance(
            street=ctx.street,
            session=session,
            shift=shift,
            member=member,
            checked_in_at=start - dt.timedelta(minutes=rng.randint(3, 20)),
            checked_out_at=end + dt.timedelta(minutes=rng.randint(1, 15)),
            proof=Attendance.Proof.CODE,
            hours=hours,
            record=record,
        )
    )
    return record


def _free_members(ctx, busy: Busy, pool, start, end, count: int) -> list[Member]:
    chosen = []
    for member in ctx.rng.sample(pool, len(pool)):
        if busy.free(member.pk, start, end):
            chosen.append(member)
            if len(chosen) == count:
                break
    return chosen


# --- the fair -------------------------------------------------------------------------------


def fair(ctx, busy: Busy, rows: Rows, year: int) -> Event:
    home = ctx.communities["xinggangwan"]
    day = dt.date(year, 3, 5)
    start, end = ctx.moment(day, 8, 30), ctx.moment(day, 11, 30)
    members = list(Member.objects.filter(community=home, active=True).order_by("code"))
    team = _team(ctx, *MARKET_TEAM, home)
    _leader, workers = _crew(ctx, busy, team, members, start, end, 12, least=8)
    centre = Site.objects.filter(community=home, kind=Site.Kind.CENTRE).first()
    place, _created = Position.objects.get_or_create(
        site=centre, defaults={"street": ctx.street, "opening_hours": "每天 8:30–17:30"}
    )
    event = Event.objects.create(
        street=ctx.street,
        community=home,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        slug=f"hongse-bianmin-jishi-{year}",
        team=team,
        place=place,
        starts_at=start,
        ends_at=end,
        audience="星港湾居民",
        description="学雷锋日，星港湾社区党员服务队在党群服务中心广场摆开八个便民摊位。",
        write_up=(
            "3月5日上午，星港湾社区“红色便民集市”在党群服务中心广场开市。法律咨询、家电维修、"
            "健康义诊等八个摊位前排起长队，一位入党三十年的老电工第四次坐镇维修摊。"
        ),
        created_at=start - 10 * 24 * H,
    )
    session = _session(event, start, end, label="上午场")
    # The team's volunteers staff the first booths with its members (two, if it has none).
    volunteers = list(
        Volunteer.objects.filter(team_memberships__team=team).order_by("pk").distinct()
    )
    if not volunteers:
        volunteers = [
            Volunteer.objects.get_or_create(
                street=ctx.street,
                phone=ctx.phone(),
                defaults={
                    "community": home,
                    "name": name,
                    "consent_at": start - 5 * 24 * H,
                    "consent_source": "console",
                },
            )[0]
            for name in ("刘晓雯", "陈浩")
        ]
        for volunteer in volunteers:
            TeamMembership.objects.get_or_create(
                team=team, volunteer=volunteer, defaults={"street": ctx.street}
            )
    for index, (name, code) in enumerate(BOOTHS):
        category = ctx.categories[code]
        booth, shift = _booth_and_shift(ctx, rows, session, name, category, team)
        crew = workers[index::8][:2] or workers[:1]
        for member in crew:
            rows.add(
                SignUp(street=ctx.street, shift=shift, member=member, created_at=start - 3 * 24 * H)
            )
            _attend(ctx, rows, busy, session, shift, member, start, end, category)
        if index < len(volunteers):
            volunteer = volunteers[index]
            rows.add(
                SignUp(
                    street=ctx.street,
                    shift=shift,
                    volunteer=volunteer,
                    created_at=start - 3 * 24 * H,
                )
            )
            rows.add(
                Attendance(
                    street=ctx.street,
                    session=session,
                    shift=shift,
                    volunteer=volunteer,
                    checked_in_at=start,
                    checked_out_at=end,
                    proof=Attendance.Proof.STAFF,
                    hours=Decimal("3"),
                )
            )
        _queue(ctx, rows, booth, crew, start, end)
    return event


def _queue(ctx, rows: Rows, booth: Booth, crew: list[Member], start, end) -> None:
    """Residents took numbers through the morning; most were served, a few gave up."""
    rng = ctx.rng
    count = rng.randint(8, 18)
    taken = sorted(start + dt.timedelta(minutes=rng.randint(0, 150)) for _n in range(count))
    free_at = start
    for number, at in enumerate(taken, start=1):
        ticket = QueueTicket(
            street=ctx.street,
            booth=booth,
            number=number,
            client_key=secrets.token_urlsafe(32),
            taken_at=at,
        )
        if rng.random() < 0.08 or not crew:
            ticket.state = QueueTicket.State.LEFT
            rows.add(ticket)
            continue
        begun = max(at, free_at)
        served = min(begun + dt.timedelta(minutes=rng.randint(5, 15)), end)
        free_at = served
        worker = rng.choice(crew)
        record = ServiceRecord(
            street=ctx.street,
            community_id=booth.event.community_id,
            category=booth.category,
            started_at=min(at, served - dt.timedelta(minutes=15)),
            ended_at=served,
            hours=Decimal("0.25"),
            note=f"“{booth.event.title}”{booth.name}摊位，{number}号",
            verification=ServiceRecord.Verification.RECORDED,
            created_by_id=worker.user_id,
            created_at=served,
        )
        rows.add(record)
        ticket.state, ticket.served_at, ticket.served_by, ticket.record = (
            QueueTicket.State.SERVED,
            served,
            worker,
            record,
        )
        rows.add(ticket)
        if rng.random() < 0.45:  # rated through the ticket page's review link
            rows.add(
                Review(
                    street=ctx.street,
                    community_id=booth.event.community_id,
                    record=record,
                    rating=rng.choice([5, 5, 5, 5, 4]),
                    comment=rng.choice(["很方便", "服务热情", "排队不久就轮到了", ""]),
                    solved=True,
                    created_at=served + dt.timedelta(minutes=rng.randint(5, 240)),
                )
            )
    booth.last_number = count


# --- on-order sessions ----------------------------------------------------------------------


def _admin_of(ctx, community):
    grant = RoleGrant.objects.filter(community=community).select_related("user").first()
    return grant.user


def on_order_session(ctx, busy: Busy, rows: Rows, spec, day: dt.date) -> Event:
    rng = ctx.rng
    place_name, kind, slug, code, (team_name, team_slug), title, description = spec
    community = ctx.communities[slug]
    position = _position(ctx, community, place_name, kind)
    start, end = ctx.moment(day, 14, 30), ctx.moment(day, 16, 30)
    pool = list(Member.objects.filter(community=community, active=True).order_by("code"))
    team = _team(ctx, team_name, team_slug, community)
    leader, crew = _crew(ctx, busy, team, pool, start, end, 3, least=2)
    assignee = crew[0]
    admin = _admin_of(ctx, community)
    filed = ctx.moment(day - dt.timedelta(days=rng.randint(5, 9)), 10, rng.randint(0, 59))
    steps = [
        (filed, "", S.SUBMITTED, "submit", None, "阵地联系人"),
        (filed + 1 * H, S.SUBMITTED, S.TRIAGED, "triage", admin, admin.name),
        (filed + 2 * H, S.TRIAGED, S.DISPATCHED, "dispatch", admin, admin.name),
        (filed + 5 * H, S.DISPATCHED, S.ACCEPTED, "accept", leader.user, leader.name),
        (start, S.ACCEPTED, S.IN_SERVICE, "start", assignee.user, assignee.name),
        (end, S.IN_SERVICE, S.DONE, "finish", assignee.user, assignee.name),
    ]
    phone = ctx.phone()
    consent = Consent.objects.create(
        street=ctx.street,
        phone=phone,
        purpose=Consent.Purpose.DATA_USE,
        notice_version=CONSENT_VERSION,
        source="order:qr",
        given_at=filed,
    )
    category = ctx.categories[code]
    order = Order.objects.create(
        street=ctx.street,
        community=community,
        category=category,
        description=description,
        site=position.site,
        address=position.site.address,
        latitude=position.site.latitude,
        longitude=position.site.longitude,
        contact_name="阵地联系人",
        phone=phone,
        channel=Order.Channel.QR,
        tracking_token=secrets.token_urlsafe(24),
        consent=consent,
        consent_at=filed,
        state=S.DONE,
        assigned_member=assignee,
        created_at=filed,
        triaged_at=filed + 1 * H,
        respond_by=filed + dt.timedelta(hours=category.respond_hours),
        finish_by=filed + dt.timedelta(days=category.finish_days),
        accepted_at=filed + 5 * H,
        done_at=end,
    )
    insert(
        OrderEvent(
            street=ctx.street,
            order=order,
            from_state=before,
            to_state=to,
            action=action,
            by=by,
            by_label=label,
            reason=f"派给服务队{team.name}" if action == "dispatch" else "",
            source=SRC.CONSOLE if action in ("triage", "dispatch") else SRC.WEB,
            at=at,
        )
        for at, before, to, action, by, label in steps
    )
    Dispatch.objects.create(
        street=ctx.street,
        order=order,
        team=team,
        member=assignee,
        accepted_by=leader.user,
        offered_by=admin,
        offered_at=filed + 2 * H,
        respond_by=filed + 6 * H,
        state=Dispatch.State.ACCEPTED,
        responded_at=filed + 5 * H,
    )
    event = Event.objects.create(
        street=ctx.street,
        community=community,
        kind=Event.Kind.SESSION,
        title=title,
        slug=f"{team.slug}-{day:%Y%m%d}",
        team=team,
        place=position,
        starts_at=start,
        ends_at=end,
        description=description,
        order=order,
        created_at=filed + 6 * H,
    )
    session = _session(event, start, end)
    shift = rows.add(
        Shift(
            street=ctx.street,
            session=session,
            role="订单服务队",
            starts_at=start,
            ends_at=end,
            places=len(crew),
        )
    )
    for member in crew:
        rows.add(SignUp(street=ctx.street, shift=shift, member=member, created_at=filed + 6 * H))
        _attend(
            ctx,
            rows,
            busy,
            session,
            shift,
            member,
            start,
            end,
            category,
            order=order if member is assignee else None,
        )
    return event


# --- the course ------------------------------------------------------------------------------


def _consents(ctx, given: list[tuple[str, dt.datetime]]) -> None:
    """The consent each resident gave as they registered (number, moment), as
    events.registration_submit records it."""
    insert(
        Consent(
            street=ctx.street,
            phone=phone,
            purpose=Consent.Purpose.DATA_USE,
            notice_version=CONSENT_VERSION,
            source="event_registration",
            given_at=at,
        )
        for phone, at in given
    )


def course(ctx, busy: Busy, rows: Rows, year: int) -> Event:
    rng = ctx.rng
    home = ctx.communities["tengfei"]
    days = [dt.date(year, 3, 17) + dt.timedelta(days=d) for d in range(3)]
    centre = Site.objects.filter(community=home, kind=Site.Kind.CENTRE).first()
    place, _created = Position.objects.get_or_create(
        site=centre, defaults={"street": ctx.street, "opening_hours": "每天 8:30–17:30"}
    )
    first, last = ctx.moment(days[0], 9), ctx.moment(days[-1], 12)
    event = Event.objects.create(
        street=ctx.street,
        community=home,
        kind=Event.Kind.COURSE,
        title="残疾人就业技能培训班",
        slug=f"canjiren-jiuye-jineng-{year}",
        partner="市残疾人就业服务中心",
        place=place,
        starts_at=first,
        ends_at=last,
        capacity=35,
        audience="有就业意愿的残疾人",
        description="三天课程：电商客服、手工编织和求职面试，结业颁发证书。",
        registration=True,
        write_up="为期三天的培训结业，32名学员全部出勤，其中6人当场与爱心企业达成就业意向。",
        created_at=first - 20 * 24 * H,
    )
    pool = list(Member.objects.filter(community=home, active=True).order_by("code"))
    registrants = [
        (rng.choice(RESIDENT_NAMES) + rng.choice(GIVEN), ctx.phone()) for _n in range(32)
    ]
    _consents(ctx, [(phone, first - 7 * 24 * H) for _name, phone in registrants])
    for number, day in enumerate(days, start=1):
        start, end = ctx.moment(day, 9), ctx.moment(day, 12)
        session = _session(event, start, end, label=f"第{number}天", capacity=35)
        insert(
            Registration(
                street=ctx.street,
                session=session,
                name=name,
                phone=phone,
                created_at=first - 7 * 24 * H,
            )
            for name, phone in registrants
        )
        shift = rows.add(
            Shift(
                street=ctx.street,
                session=session,
                role="助教",
                starts_at=start,
                ends_at=end,
                places=2,
            )
        )
        for member in _free_members(ctx, busy, pool, start, end, 2):
            rows.add(
                SignUp(street=ctx.street, shift=shift, member=member, created_at=first - 5 * 24 * H)
            )
            _attend(ctx, rows, busy, session, shift, member, start, end, ctx.categories["skills"])
    return event


def coming_fair(ctx, rows: Rows, past: Event) -> Event:
    """Next month's market at the same place by the same team: shifts open, nothing done yet."""
    day = ctx.today + dt.timedelta(days=10)
    day += dt.timedelta(days=(5 - day.weekday()) % 7)  # a Saturday
    start, end = ctx.moment(day, 8, 30), ctx.moment(day, 11, 30)
    announced = ctx.moment(ctx.today - dt.timedelta(days=2), 10)
    event = Event.objects.create(
        street=ctx.street,
        community=past.community,
        kind=Event.Kind.FAIR,
        title="红色便民集市",
        slug=f"hongse-bianmin-jishi-{day:%Y-%m}",
        team=past.team,
        place=past.place,
        starts_at=start,
        ends_at=end,
        audience="星港湾居民",
        description="每月一次的红色便民集市：法律咨询、家电维修、健康义诊、理发义剪，欢迎居民前来。",
        created_at=announced,
    )
    session = _session(event, start, end, label="上午场")
    members = list(Member.objects.filter(community=past.community, active=True).order_by("code"))
    for index, (name, code) in enumerate(BOOTHS[:4]):
        _booth, shift = _booth_and_shift(ctx, rows, session, name, ctx.categories[code], past.team)
        if index % 2 == 0:  # every other booth has one of its two places taken
            rows.add(
                SignUp(
                    street=ctx.street,
                    shift=shift,
                    member=members[-1 - index],
                    created_at=announced + 3 * H,
                )
            )
    return event


def cancelled_show(ctx) -> Event:
    """Next week's square-dance show, announced a week ago, twelve residents registered,
    called off yesterday afternoon: the records event_changes.event_cancel leaves."""
    rng = ctx.rng
    day = ctx.today + dt.timedelta(days=4)
    start, end = ctx.moment(day, 19), ctx.moment(day, 20, 30)
    announced = ctx.moment(ctx.today - dt.timedelta(days=8), 10)
    event = Event.objects.create(
        street=ctx.street,
        community=ctx.communities["xinggangwan"],
        kind=Event.Kind.ACTIVITY,
        title="社区广场舞展演",
        slug=f"guangchangwu-zhanyan-{day:%Y-%m}",
        starts_at=start,
        ends_at=end,
        capacity=40,
        audience="星港湾居民",
        description="各楼栋舞蹈队在社区广场展演，欢迎居民报名一起跳。",
        registration=True,
        created_at=announced,
        cancelled_at=ctx.moment(ctx.today - dt.timedelta(days=1), 16, 30),
        cancel_reason="天气预报当晚有大雨，展演取消，改期另行通知。",
    )
    session = _session(event, start, end)
    registered = [
        (rng.choice(RESIDENT_NAMES) + rng.choice(GIVEN), ctx.phone(), announced + (n + 2) * H)
        for n in range(12)
    ]
    _consents(ctx, [(phone, at) for _name, phone, at in registered])
    insert(
        Registration(street=ctx.street, session=session, name=name, phone=phone, created_at=at)
        for name, phone, at in registered
    )
    told = event_changes.cancel_notifications(event, event_changes.event_people(event))
    for notification in told:
        notification.created_at = event.cancelled_at
    insert(told)
    return event


def build(ctx) -> None:
    busy, rows = Busy(ctx.street), Rows()
    year, _earlier = march_of(ctx.today)
    market = fair(ctx, busy, rows, year)
    for spec, day in zip(SESSIONS, (12, 20, 26), strict=True):
        on_order_session(ctx, busy, rows, spec, dt.date(year, 3, day))
    course(ctx, busy, rows, year)
    coming_fair(ctx, rows, market)  # last: its rows come after March's in each table
    rows.write()
    cancelled_show(ctx)
