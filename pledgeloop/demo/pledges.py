"""Demo step: 1–3 pledges per member with realistic wording, their review and visit history.

Most pledges are approved and active; some wait for approval, some were returned with a
comment, and last year's pledges closed as fulfilled or lapsed according to the visits the
member actually made. Rows are written in bulk: the step stays well under a few seconds.
"""

import datetime as dt
import math

from django.utils import timezone

from pledgeloop.lib.inserts import insert
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Role, RoleGrant
from pledgeloop.pledges import recurrence
from pledgeloop.pledges.models import Pledge, PledgeEvent, Visit, visit_grace_days

# (category code, wording, rule, beneficiary kind, group name)
IDEAS = [
    ("elderly-children", "每月为老年党员送学上门", "FREQ=MONTHLY;BYDAY=2SA", "group", "老年党员"),
    ("elderly-children", "每周为独居老人代购生活用品", "FREQ=WEEKLY;BYDAY=WE", "resident", ""),
    ("elderly-children", "每周六陪伴留守儿童写作业", "FREQ=WEEKLY;BYDAY=SA", "group", "留守儿童"),
    ("elderly-children", "每月上门看望一位高龄老人", "FREQ=MONTHLY;BYDAY=3SU", "resident", ""),
    ("health", "每周为独居老人测血压", "FREQ=WEEKLY;BYDAY=TU", "group", "独居老人"),
    ("health", "每月在党群服务中心开展一次健康义诊", "FREQ=MONTHLY;BYDAY=1SA", "centre", ""),
    (
        "health",
        "每两周为慢病老人讲解安全用药",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",
        "group",
        "慢病老人",
    ),
    ("repairs", "每月第一个周六义务维修小家电", "FREQ=MONTHLY;BYDAY=1SA", "centre", ""),
    ("repairs", "每季度检查一次楼道照明和消防设施", "FREQ=MONTHLY;INTERVAL=3", "place", ""),
    ("environment", "每周清理一次小区楼道杂物", "FREQ=WEEKLY;BYDAY=SU", "place", ""),
    ("environment", "每月开展一次垃圾分类宣传", "FREQ=MONTHLY;BYDAY=-1SU", "place", ""),
    ("legal", "每月为居民提供一次法律咨询", "FREQ=MONTHLY;BYDAY=3SA", "centre", ""),
    (
        "legal",
        "每季度为老年人讲解反诈知识",
        "FREQ=MONTHLY;INTERVAL=3;BYDAY=2SA",
        "group",
        "老年居民",
    ),
    ("skills", "每周教老年人使用智能手机", "FREQ=WEEKLY;BYDAY=TH", "group", "老年居民"),
    ("skills", "每月开展一次就业技能辅导", "FREQ=MONTHLY;BYDAY=2SU", "group", "待业青年"),
]
RETURN_COMMENTS = [
    "请写明服务对象和每次服务的具体内容。",
    "目标偏低，请量化全年服务次数。",
    "频次与本人工作时间冲突，请调整后再提交。",
]
VISIT_TIMES = [dt.time(9, 0), dt.time(9, 30), dt.time(14, 30), dt.time(19, 0)]


def _beneficiary(rng, kind, group, residents, sites) -> dict:
    if kind == "resident" and residents:
        return {"beneficiary_kind": "resident", "beneficiary_resident": rng.choice(residents)}
    if kind == "centre":
        centre = next(s for s in sites if s.kind == Site.Kind.CENTRE)
        return {"beneficiary_kind": "place", "beneficiary_site": centre}
    if kind == "place":
        compounds = [s for s in sites if s.kind == Site.Kind.COMPOUND]
        return {"beneficiary_kind": "place", "beneficiary_site": rng.choice(compounds)}
    return {"beneficiary_kind": "group", "beneficiary_name": group or "社区居民"}


class _History:
    """Pledges, their recorded state changes and their visits, written in three bulk inserts."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.pledges: list[Pledge] = []
        self.events: list[list[tuple]] = []  # per pledge: (from, to, at, by, comment)
        self.visits: list[list[Visit]] = []

    def add(self, pledge: Pledge, events: list[tuple], visits: list[Visit]) -> None:
        self.pledges.append(pledge)
        self.events.append(events)
        self.visits.append(visits)

    def save(self) -> None:
        insert(self.pledges)
        events, visits = [], []
        for pledge, changes, planned in zip(self.pledges, self.events, self.visits, strict=True):
            for from_state, to_state, at, by, comment in changes:
                events.append(
                    PledgeEvent(
                        street_id=pledge.street_id,
                        pledge=pledge,
                        from_state=from_state,
                        to_state=to_state,
                        at=at,
                        by=by,
                        comment=comment,
                    )
                )
            for visit in planned:
                visit.pledge = pledge
                visits.append(visit)
        insert(events, batch_size=2000)
        insert(visits, batch_size=2000)


SERVING_NOW = 0.30
SERVED_BEFORE = 0.10


def build(ctx) -> None:
    rng = ctx.rng
    today = ctx.today
    grace = dt.timedelta(days=visit_grace_days())
    zone = timezone.get_default_timezone()
    admins = _admins_by_community(ctx)
    residents_by_community: dict[int, list] = {}
    for resident in ctx.residents:
        residents_by_community.setdefault(resident.community_id, []).append(resident)
    slug_of = {c.pk: slug for slug, c in ctx.communities.items()}
    history = _History(ctx)

    # Who keeps pledges in which year. Participation (DESIGN.md §5) runs from about 40 % to
    # about 60 %, and many members already serve on orders (the orders step), so pledge
    # visits come from a smaller share: SERVED_BEFORE the year before last, SERVING_NOW this
    # year. The rest of this year's pledges are new (renewed on a party anniversary, waiting
    # to start, or still being written and approved), so they have no visits yet and the
    # fulfilment of the visits that were due stays what the members actually did.
    others = [m.pk for m in ctx.members[1:]]
    rng.shuffle(others)
    serving_now = {ctx.members[0].pk, *others[: round(SERVING_NOW * len(ctx.members)) - 1]}
    served_before = set(rng.sample(others, round(SERVED_BEFORE * len(ctx.members))))

    for index, member in enumerate(ctx.members):
        reliability = rng.choice([0.98, 0.95, 0.92, 0.9, 0.85, 0.8])
        earlier = member.pk in served_before
        ideas = rng.sample(IDEAS, rng.randint(2, 3) if earlier else rng.randint(1, 3))
        plans = ["current"] * len(ideas)
        if earlier:
            plans[-1] = "last_year"
        if member.pk not in serving_now:
            plans = ["upcoming" if plan == "current" else plan for plan in plans]
        if index == 0:  # the member demo login: two active pledges and last year's, kept
            ideas, plans, reliability = [IDEAS[0], IDEAS[4], IDEAS[9]], ["current"] * 2, 0.95
            plans.append("last_year")
        for (code, title, rule, kind, group), plan in zip(ideas, plans, strict=True):
            state = _pick_state(rng, plan, index)
            if plan == "last_year":  # ran within the year before last, ended before this one
                starts_on = today - dt.timedelta(days=rng.randint(729, 745))
            elif state in {"draft", "submitted", "returned", "approved"}:  # not started yet
                starts_on = today + dt.timedelta(days=rng.randint(10, 25))
            else:
                starts_on = today - dt.timedelta(days=rng.randint(20, 330))
            ends_on = starts_on + dt.timedelta(days=364)
            at = rng.choice(VISIT_TIMES)
            moments = recurrence.occurrences(rule, starts_on=starts_on, ends_on=ends_on, at=at)
            target = max(1, math.floor(len(moments) * rng.uniform(0.75, 0.9)))
            community_id = member.community_id
            pledge = Pledge(
                street_id=member.street_id,
                community_id=community_id,
                member=member,
                category=ctx.categories[code],
                title=title,
                rrule=rule,
                visit_time=at,
                duration_minutes=rng.choice([60, 60, 90, 120]),
                starts_on=starts_on,
                ends_on=ends_on,
                target_visits=target,
                public=rng.random() < 0.95 or index == 0,
                **_beneficiary(
                    rng,
                    kind,
                    group,
                    residents_by_community.get(community_id, []),
                    ctx.sites[slug_of[community_id]],
                ),
            )
            admin = admins.get(community_id)
            written = min(
                starts_on - dt.timedelta(days=rng.randint(8, 15)),
                today - dt.timedelta(days=rng.randint(2, 6)),
            )
            created = ctx.moment(written, 20)
            submitted = created + dt.timedelta(hours=rng.randint(1, 30))
            reviewed = min(
                submitted + dt.timedelta(hours=rng.randint(4, 72)),
                ctx.moment(today - dt.timedelta(days=1), 17),
            )
            pledge.created_at = created
            events = [("", "draft", created, member.user, "")]
            visits: list[Visit] = []
            if state != "draft":
                events.append(("draft", "submitted", submitted, member.user, ""))
            if state == "returned":
                comment = rng.choice(RETURN_COMMENTS)
                pledge.review_comment, pledge.reviewed_at, pledge.reviewed_by = (
                    comment,
                    reviewed,
                    admin,
                )
                events.append(("submitted", "returned", reviewed, admin, comment))
            if state == "approved":
                pledge.reviewed_by, pledge.reviewed_at, pledge.approved_at = (
                    admin,
                    reviewed,
                    reviewed,
                )
                events.append(("submitted", "approved", reviewed, admin, ""))
            if state in {"active", "closed", "withdrawn"}:
                pledge.reviewed_by, pledge.reviewed_at, pledge.approved_at = (
                    admin,
                    reviewed,
                    reviewed,
                )
                events.append(("submitted", "approved", reviewed, admin, ""))
                began = max(ctx.moment(starts_on, 7), reviewed)
                events.append(("approved", "active", began, admin, ""))
                horizon = today + dt.timedelta(days=90)
                if state == "withdrawn":
                    horizon = today - dt.timedelta(days=rng.randint(10, 60))
                fulfilled = 0
                for moment in moments:
                    if moment.date() > horizon:
                        break
                    visit = _visit(rng, member, moment, zone, today, grace, reliability)
                    visit.created_at = began
                    fulfilled += visit.state == Visit.State.FULFILLED
                    visits.append(visit)
                if state == "withdrawn":
                    events.append(
                        ("active", "withdrawn", ctx.moment(horizon, 21), member.user, "工作调动")
                    )
                if state == "closed":
                    state = "fulfilled" if fulfilled >= target else "lapsed"
                    note = f"已完成{fulfilled}次，目标{target}次。"
                    ended = ctx.moment(ends_on + grace + dt.timedelta(days=1), 2)
                    events.append(("active", state, ended, None, note))
            pledge.state = state
            history.add(pledge, events, visits)
    history.save()
    ctx.pledges = history.pledges


def _pick_state(rng, plan: str, index: int) -> str:
    if plan == "last_year":
        return "closed"  # fulfilled or lapsed, by the visits made
    if plan == "upcoming":
        return rng.choice(["approved", "approved", "approved", "submitted", "returned", "draft"])
    if index == 0:
        return "active"
    roll = rng.random()
    if roll < 0.09:
        return "submitted"
    if roll < 0.13:
        return "returned"
    if roll < 0.15:
        return "draft"
    if roll < 0.17:
        return "withdrawn"
    return "active"


def _visit(rng, member, moment, zone, today, grace, reliability) -> Visit:
    at = timezone.make_aware(moment, zone)
    visit = Visit(
        street_id=member.street_id,
        member=member,
        scheduled_at=at,
        due_on=moment.date(),
    )
    if moment.date() < today and rng.random() < reliability:
        visit.state = Visit.State.FULFILLED
        visit.fulfilled_at = at + dt.timedelta(minutes=rng.choice([60, 75, 90]))
    elif moment.date() < today - grace:
        visit.state = Visit.State.MISSED
    return visit


def _admins_by_community(ctx) -> dict[int, object]:

    grants = RoleGrant.objects.filter(street=ctx.street, role=Role.COMMUNITY_ADMIN).select_related(
        "user"
    )
    return {g.community_id: g.user for g in grants}
