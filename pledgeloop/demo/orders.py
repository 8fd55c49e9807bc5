"""Demo step: two years of orders in the demo street, as if the services had made them.

Each order gets the OrderEvents of its road through the state machine (DESIGN.md §3) with
plausible times, Dispatch rows where it was dispatched, and a ServiceRecord with its
participant when it was done. Volume grows over the two years (more done orders and more
hours in the latest twelve months than in the twelve before), March (学雷锋月) is busy, and
about thirty orders are open now, some overdue, with offers waiting for the demo member.

Finished orders stay `done`: the reviews step decides which were reviewed. Everything is
written in bulk (lib/inserts.py); randomness comes from ctx.rng only.
"""

import datetime as dt
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.inserts import insert
from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import Dispatch, Order, OrderEvent
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Consent, Member, Role, RoleGrant
from pledgeloop.service.models import ServiceParticipant, ServiceRecord

from .people import CONSENT_VERSION

S = Order.State
SRC = OrderEvent.Source
H = dt.timedelta(hours=1)

# Done orders per month at the start of the two years, before the trend and the season.
MONTHLY_DONE = 33
# The trend: the first month runs at TREND_START of MONTHLY_DONE, the last at 1.0.
TREND_START = 0.5
SEASON = {
    1: 0.9,
    2: 0.65,
    3: 1.3,
    4: 1.0,
    5: 1.05,
    6: 1.0,
    7: 0.95,
    8: 0.9,
    9: 1.05,
    10: 0.95,
    11: 1.0,
    12: 1.05,
}
# The most recent March, the month of learning from Lei Feng: this many done orders, every one
# dispatched by the community (on-order services, DESIGN.md §5: "42 in March"), and three
# on-order sessions that demo/events.py adds (each one on-order service, stats.definitions).
LATEST_MARCH_DONE = (38, 38)
# Share of done orders that the community dispatched; the others were claimed by members.
DISPATCH_SHARE = 0.72
# Share of the members serving orders: grows from the first share to the second.
SERVING_SHARE = (0.32, 0.5)
CHANNELS = [
    (Order.Channel.QR, 34),
    (Order.Channel.WEB, 18),
    (Order.Channel.PHONE, 22),
    (Order.Channel.VISIT, 12),
    (Order.Channel.PATROL, 8),
    (Order.Channel.HOTLINE, 6),
]
# Hours of service per category: (low, high).
HOURS = {
    "elderly-children": (1.0, 3.0),
    "environment": (1.0, 3.5),
    "skills": (1.0, 2.5),
    "legal": (0.5, 2.0),
    "health": (1.0, 3.0),
    "repairs": (0.5, 2.5),
}
DESCRIPTIONS = {
    "elderly-children": [
        "独居老人行动不便，希望有人帮忙买菜送上门",
        "老人需要陪同去医院复查，子女在外地",
        "家里老人想学用智能手机视频通话",
        "孩子放学后无人照看，希望周末有人辅导作业",
        "老人家里卫生打扫不过来，想请志愿者帮忙",
        "帮忙代办老年证和高龄补贴申请",
        "空巢老人想有人定期上门聊聊天",
        "老人腿脚不便，需要帮忙取药",
    ],
    "environment": [
        "楼道里堆满杂物，存在消防隐患",
        "小区绿化带里有大量垃圾无人清理",
        "单元门口路灯坏了，晚上很黑",
        "楼下有废弃自行车占用通道",
        "垃圾分类点气味很大，希望清洗一下",
        "小区内有人乱贴小广告，需要清理",
        "雨后路面积水严重，排水口被堵",
        "电动车在楼道里充电，担心着火",
    ],
    "skills": [
        "想学习简单的电脑操作，方便网上办事",
        "孩子想找人辅导数学",
        "下岗后想了解就业培训信息",
        "希望有人教一下手机缴水电费",
        "想学做简历，准备找工作",
        "老人想学用医保电子凭证",
    ],
    "legal": [
        "和物业有纠纷，想咨询一下法律意见",
        "房屋租赁合同有问题，需要法律咨询",
        "家里老人想立遗嘱，不知道怎么办",
        "邻里漏水纠纷，想请人调解",
        "工资被拖欠，想了解怎么维权",
        "想咨询一下赡养费的相关规定",
    ],
    "health": [
        "老人血压一直偏高，希望有医生上门测量",
        "想请医生讲解一下糖尿病饮食",
        "行动不便的老人需要上门量血糖",
        "家中老人术后需要康复指导",
        "想咨询一下老年人接种疫苗的事",
        "老人最近睡眠不好，想找医生聊聊",
    ],
    "repairs": [
        "厨房水龙头漏水，请帮忙修一下",
        "家里电灯不亮了，可能是开关坏了",
        "老人家门锁坏了，打不开",
        "下水道堵了，自己疏通不了",
        "电视机没有信号，不会调",
        "窗户玻璃松动，担心掉下去",
        "电饭煲插上电不工作，想请人看看",
        "燃气灶打不着火",
    ],
}
NOTES = [
    "已上门处理，老人很满意",
    "问题已解决，留了联系方式",
    "处理完毕，约好下次回访",
    "已经办好，和家属也说明了情况",
    "现场处理完成，拍照留档",
    "顺便检查了其他安全隐患",
]
REJECT_REASONS = [
    "不属于社区服务范围，已建议拨打12345",
    "重复提交，已合并到之前的需求",
    "属于物业维修范围，已转物业处理",
    "信息不全，多次电话无法联系",
]
CANCEL_REASONS = ["家人已经帮忙解决了", "不需要了", "时间有变，以后再说"]
DECLINE_REASONS = ["这几天在外地", "时间冲突", "身体不舒服", "不太擅长这类事情"]
HAND_BACK_REASONS = ["临时有事，去不了", "需要专业工具，建议转给专业人员"]
REOPEN_REASONS = ["问题没有彻底解决，又坏了", "还是不行，麻烦再来看看"]


@dataclass
class Story:
    """One order's road, as offsets from the moment it was filed."""

    order: Order
    steps: list = field(default_factory=list)  # (offset, to, action, by, label, reason, source)
    dispatches: list = field(default_factory=list)  # (offset, member, admin, state, answered)
    records: list = field(default_factory=list)  # (start, end, member, hours, note)
    state: str = ""
    hour: float = 9.0  # the time of day it was filed, in hours after midnight

    def move(self, at, to, action, *, by=None, label="", reason="", source=SRC.WEB):
        self.steps.append((at, to, action, by, label, reason, source))
        self.state = to

    @property
    def end(self) -> dt.timedelta:
        return self.steps[-1][0]


class DemoOrders:
    def __init__(self, ctx):
        self.ctx, self.rng = ctx, ctx.rng
        self.resident_label = _("Resident")
        self.system_label = _("System")
        self.hotline_label = str(Order.Channel.HOTLINE.label)
        grants = RoleGrant.objects.filter(
            role=Role.COMMUNITY_ADMIN, street=ctx.street
        ).select_related("user")
        self.admins = {g.community_id: g.user for g in grants}
        members = list(
            Member.objects.filter(street=ctx.street, active=True)
            .select_related("user")
            .order_by("code")
        )
        self.by_pk = {m.pk: m for m in members}
        skills = Member.skills.through.objects.filter(member__in=members).values_list(
            "member_id", "category_id"
        )
        self.skills: dict[int, set[int]] = {}
        for member_id, category_id in skills:
            self.skills.setdefault(member_id, set()).add(category_id)
        # The order in which members start serving orders: the demo member from the start.
        self.demo_member = self.by_pk[ctx.members[0].pk]
        rest = [m for m in members if m.pk != self.demo_member.pk]
        self.rng.shuffle(rest)
        self.serving_order = [self.demo_member, *rest]
        self.residents: dict[int, list] = {}
        for resident in ctx.residents:
            self.residents.setdefault(resident.community_id, []).append(resident)
        self.compounds = {
            slug: [s for s in sites if s.kind == Site.Kind.COMPOUND]
            for slug, sites in ctx.sites.items()
        }
        self.categories = list(ctx.categories.values())
        self.stories: list[Story] = []

    # --- people -------------------------------------------------------------------------

    def member_for(self, order: Order, share: float, *, exclude=()) -> Member:
        """A serving member, of the order's community when possible, skilled when possible."""
        serving = self.serving_order[: max(12, int(len(self.serving_order) * share))]
        pool = [m for m in serving if m.community_id == order.community_id and m not in exclude]
        pool = pool or [m for m in serving if m not in exclude]
        weights = [
            (3 if order.category_id in self.skills.get(m.pk, ()) else 1)
            * (4 if m is self.demo_member else 1)
            for m in pool
        ]
        return self.rng.choices(pool, weights=weights)[0]

    def new_order(self, community, category, channel, resident=None) -> Order:
        rng = self.rng
        slug = community.slug
        if channel == Order.Channel.PATROL or not self.residents.get(community.pk):
            compound = rng.choice(self.compounds[slug])
            resident, site = None, compound
            lat = compound.latitude + Decimal(str(round(rng.gauss(0, 0.0003), 6)))
            lng = compound.longitude + Decimal(str(round(rng.gauss(0, 0.0003), 6)))
            address = f"{compound.name}附近"
        else:
            resident = resident or rng.choice(self.residents[community.pk])
            site, lat, lng = resident.site, resident.latitude, resident.longitude
            address = resident.address
        return Order(
            street=self.ctx.street,
            community=community,
            category=category,
            description=rng.choice(DESCRIPTIONS.get(category.code, DESCRIPTIONS["repairs"])),
            site=site,
            address=address,
            latitude=lat,
            longitude=lng,
            contact_name=resident.name if resident else "",
            phone=resident.phone if resident else "",
            resident=resident,
            channel=channel,
            tracking_token=secrets.token_urlsafe(24),
        )

    def submit(self, story: Story, share: float) -> None:
        order = story.order
        channel = order.channel
        admin = self.admins[order.community_id]
        if channel in (Order.Channel.PHONE, Order.Channel.VISIT):
            story.move(dt.timedelta(0), S.SUBMITTED, "submit", by=admin, source=SRC.CONSOLE)
            order.created_by = admin
        elif channel == Order.Channel.PATROL:
            rider = self.member_for(order, share)
            order.phone, order.contact_name, order.created_by = (
                rider.user.phone,
                rider.name,
                rider.user,
            )
            story.move(dt.timedelta(0), S.SUBMITTED, "submit", by=rider.user)
        elif channel == Order.Channel.HOTLINE:
            story.move(
                dt.timedelta(0), S.SUBMITTED, "submit", label=self.hotline_label, source=SRC.API
            )
        else:
            story.move(dt.timedelta(0), S.SUBMITTED, "submit", label=self.resident_label)

    def triage(self, story: Story) -> None:
        admin = self.admins[story.order.community_id]
        # Staff who took the order on the phone put it on the list at once.
        quick = story.order.channel in (Order.Channel.PHONE, Order.Channel.VISIT)
        delay = (
            self.rng.uniform(0.02, 0.1)
            if quick
            else self.rng.uniform(0.2, 1) * self.rng.choice([1, 2, 4, 8])
        )
        at = self.daytime(story, story.end + delay * H)
        story.move(at, S.TRIAGED, "triage", by=admin, source=SRC.CONSOLE)

    def take(self, story: Story, share: float, *, late: bool, dispatch_share=DISPATCH_SHARE):
        """Dispatch (perhaps after a declined or unanswered offer) or claim; returns the
        member who took it."""
        rng, order = self.rng, story.order
        admin = self.admins[order.community_id]
        respond = dt.timedelta(hours=order.category.respond_hours)
        if rng.random() < dispatch_share:
            tried = []
            if rng.random() < 0.12:  # a first offer that came to nothing
                first = self.member_for(order, share)
                tried.append(first)
                at = self.daytime(story, story.end + rng.uniform(0.2, 3) * H)
                story.move(
                    at,
                    S.DISPATCHED,
                    "dispatch",
                    by=admin,
                    source=SRC.CONSOLE,
                    reason=_("to %(name)s") % {"name": first.name},
                )
                if rng.random() < 0.6:
                    answered = self.daytime(story, at + rng.uniform(0.3, 3) * H, 7, 22)
                    reason = rng.choice(DECLINE_REASONS)
                    story.dispatches.append(
                        (at, first, admin, Dispatch.State.DECLINED, answered, reason)
                    )
                    story.move(answered, S.TRIAGED, "decline", by=first.user, reason=reason)
                else:
                    answered = at + 4 * H
                    story.dispatches.append(
                        (at, first, admin, Dispatch.State.TIMED_OUT, answered, "")
                    )
                    story.move(
                        answered,
                        S.TRIAGED,
                        "time_out",
                        label=self.system_label,
                        source=SRC.SYSTEM,
                        reason=_("%(name)s did not answer in time") % {"name": first.name},
                    )
            member = self.member_for(order, share, exclude=tried)
            at = story.end + rng.uniform(0.1, 2.5) * H
            if late:
                at = max(at, respond + rng.uniform(1, 20) * H)
            at = self.daytime(story, at)
            story.move(
                at,
                S.DISPATCHED,
                "dispatch",
                by=admin,
                source=SRC.CONSOLE,
                reason=_("to %(name)s") % {"name": member.name},
            )
            answered = self.daytime(story, at + rng.uniform(0.1, 3.5) * H, 7, 22)
            story.dispatches.append((at, member, admin, Dispatch.State.ACCEPTED, answered, ""))
            story.move(answered, S.ACCEPTED, "accept", by=member.user)
        else:
            member = self.member_for(order, share)
            at = story.end + rng.uniform(0.3, 0.8 * order.category.respond_hours) * H
            if late:
                at = max(at, respond + rng.uniform(1, 30) * H)
            at = self.daytime(story, at, 7, 22)
            story.move(at, S.ACCEPTED, "claim", by=member.user)
        return member

    def serve(self, story: Story, member: Member, hours: float, *, late: bool) -> None:
        rng, order = self.rng, story.order
        finish = dt.timedelta(days=order.category.finish_days)
        wait = rng.uniform(1, 40) * H
        start = story.end + wait
        if late:
            start = max(start, finish + rng.uniform(2, 48) * H)
        elif start + hours * H > finish:
            start = story.end + rng.uniform(0.5, 3) * H
        start = self.daytime(story, start, 8, 18)
        story.move(start, S.IN_SERVICE, "start", by=member.user)
        end = start + dt.timedelta(hours=hours) + rng.uniform(0, 0.5) * H
        note = rng.choice(NOTES)
        story.records.append((start, end, member, hours, note))
        story.move(end, S.DONE, "finish", by=member.user, reason=note)

    # --- whole stories ----------------------------------------------------------------------

    def done_story(
        self, community, category, share: float, year_weight: float, dispatch_share: float
    ) -> Story:
        rng = self.rng
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        order = self.new_order(community, category, channel)
        story = self.story(order)
        self.submit(story, share)
        self.triage(story)
        member = self.take(story, share, late=rng.random() < 0.1, dispatch_share=dispatch_share)
        low, high = HOURS.get(category.code, (1.0, 2.5))
        hours = self.quarter(rng.uniform(low, high) * year_weight)
        self.serve(story, member, hours, late=rng.random() < 0.05)
        if rng.random() < 0.03:  # "not solved": reopened, taken again, done again
            reopened = self.daytime(story, story.end + rng.uniform(6, 72) * H, 8, 21)
            story.move(
                reopened,
                S.TRIAGED,
                "reopen",
                label=self.resident_label,
                reason=rng.choice(REOPEN_REASONS),
            )
            member = self.take(story, share, late=False, dispatch_share=1.0)
            self.serve(story, member, self.quarter(rng.uniform(low, high)), late=False)
        order.assigned_member = member
        return story

    def closed_story(self, community, category, share: float) -> Story:
        """An order that ended without service: returned, cancelled or timed out."""
        rng = self.rng
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        story = self.story(self.new_order(community, category, channel))
        self.submit(story, share)
        admin = self.admins[community.pk]
        kind = rng.choices(["reject", "cancel", "expire"], weights=[4, 4, 2])[0]
        if kind == "reject":
            reason = rng.choice(REJECT_REASONS)
            at = self.daytime(story, story.end + rng.uniform(0.5, 20) * H)
            story.move(at, S.REJECTED, "reject", by=admin, source=SRC.CONSOLE, reason=reason)
            story.order.reject_reason = reason
            return story
        self.triage(story)
        if kind == "cancel":
            if rng.random() < 0.4:
                member = self.member_for(story.order, share)
                at = self.daytime(story, story.end + rng.uniform(0.2, 2) * H)
                story.move(
                    at,
                    S.DISPATCHED,
                    "dispatch",
                    by=admin,
                    source=SRC.CONSOLE,
                    reason=_("to %(name)s") % {"name": member.name},
                )
                cancelled = self.daytime(story, at + rng.uniform(0.2, 2) * H, 7, 22)
                story.dispatches.append(
                    (at, member, admin, Dispatch.State.WITHDRAWN, cancelled, "cancelled")
                )
            else:
                cancelled = self.daytime(story, story.end + rng.uniform(1, 30) * H, 7, 22)
            story.move(
                cancelled,
                S.CANCELLED,
                "cancel",
                label=self.resident_label,
                reason=rng.choice(CANCEL_REASONS),
            )
            return story
        finish = dt.timedelta(days=story.order.category.finish_days)
        story.move(
            finish + dt.timedelta(days=30, hours=rng.uniform(1, 20)),
            S.EXPIRED,
            "expire",
            label=self.system_label,
            source=SRC.SYSTEM,
            reason=_("Nobody took the order within %(days)s days of its deadline.") % {"days": 30},
        )
        return story

    @staticmethod
    def quarter(hours: float) -> float:
        return max(0.5, round(hours * 4) / 4)

    def story(self, order: Order, hours=(7, 20)) -> Story:
        low, high = hours
        return Story(order, hour=self.rng.randint(low, high) + self.rng.randint(0, 59) / 60)

    def daytime(self, story: Story, at: dt.timedelta, low=8, high=21) -> dt.timedelta:
        """`at`, moved forward into the hours people do such things (low to high o'clock)."""
        clock = (story.hour + at / H) % 24
        spread = self.rng.uniform(0, min(4, high - low - 1))
        if clock < low:
            return at + (low - clock + spread) * H
        if clock >= high:
            return at + (24 - clock + low + spread) * H
        return at

    def place(self, story: Story, day: dt.date, *, anchor: str = "end") -> None:
        """Fix the story in time: filed at its hour, so that its last step (or its filing)
        falls on `day`."""
        offset = story.end if anchor == "end" else dt.timedelta(0)
        days_before = int((story.hour + offset / H) // 24)
        filed_on = day - dt.timedelta(days=days_before)
        story.order.created_at = self.ctx.moment(filed_on, 0) + story.hour * H

    # --- the two years ------------------------------------------------------------------------

    def history(self) -> None:
        ctx, rng = self.ctx, self.rng
        first_day = ctx.today - dt.timedelta(days=730)
        last_day = ctx.today - dt.timedelta(days=1)
        months = []
        year, month = first_day.year, first_day.month
        while (year, month) <= (last_day.year, last_day.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        latest_march = ctx.today.year if ctx.today.month >= 4 else ctx.today.year - 1
        communities = list(ctx.communities.values())
        community_weights = [len(self.residents.get(c.pk, [])) + 60 for c in communities]
        category_weights = {
            "elderly-children": 30,
            "repairs": 24,
            "environment": 16,
            "health": 14,
            "skills": 9,
            "legal": 7,
        }
        for index, (year, month) in enumerate(months):
            start = max(first_day, dt.date(year, month, 1))
            next_month = dt.date(year + month // 12, month % 12 + 1, 1)
            end = min(last_day, next_month - dt.timedelta(days=1))
            days = [start + dt.timedelta(days=d) for d in range((end - start).days + 1)]
            share_of_month = len(days) / (next_month - dt.date(year, month, 1)).days
            progress = index / max(1, len(months) - 1)
            trend = TREND_START + (1 - TREND_START) * progress
            serving = SERVING_SHARE[0] + (SERVING_SHARE[1] - SERVING_SHARE[0]) * progress
            # Hours per service grow a little too: members take on longer tasks over time.
            year_weight = 0.9 + 0.2 * progress
            dispatch_share = DISPATCH_SHARE
            if (year, month) == (latest_march, 3):
                done, dispatch_share = rng.randint(*LATEST_MARCH_DONE), 1.0
            else:
                expected = MONTHLY_DONE * trend * SEASON[month] * share_of_month
                done = max(0, round(rng.gauss(expected, expected**0.5 / 2)))
            for _number in range(done):
                community = rng.choices(communities, weights=community_weights)[0]
                category = self.pick_category(category_weights)
                story = self.done_story(community, category, serving, year_weight, dispatch_share)
                self.place(story, rng.choice(days))
                self.stories.append(story)
            closed = round(done * rng.uniform(0.1, 0.15))
            old_enough = [d for d in days if d < ctx.today - dt.timedelta(days=60)]
            for _number in range(closed):
                community = rng.choices(communities, weights=community_weights)[0]
                story = self.closed_story(community, self.pick_category(category_weights), serving)
                if story.state == S.EXPIRED and not old_enough:
                    continue
                if story.state == S.EXPIRED:  # filed long enough ago to have timed out
                    self.place(story, rng.choice(old_enough), anchor="start")
                else:
                    self.place(story, rng.choice(days))
                self.stories.append(story)

    def pick_category(self, weights: dict):
        cats = self.categories
        return self.rng.choices(cats, weights=[weights.get(c.code, 10) for c in cats])[0]

    # --- open now ------------------------------------------------------------------------------

    def open_now(self) -> None:
        """About thirty open orders: waiting, offered, taken, in service; some overdue."""
        ctx, rng = self.ctx, self.rng
        home = self.demo_member.community
        others = [c for c in ctx.communities.values() if c.pk != home.pk]
        plan = (
            [S.SUBMITTED] * 6
            + [S.TRIAGED] * 11
            + [S.DISPATCHED] * 5
            + [S.ACCEPTED] * 4
            + [S.IN_SERVICE] * 4
        )
        offers_for_demo = 2
        taken_by_demo = 1
        for index, state in enumerate(plan):
            community = home if index % 2 == 0 else rng.choice(others)
            category = rng.choice(self.categories)
            channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
            resident = None
            if index == 0:  # the demo resident's own open order, held by the demo member
                community, state, resident = home, S.ACCEPTED, ctx.residents[0]
                channel = Order.Channel.QR
            order = self.new_order(community, category, channel, resident=resident)
            # Most waiting orders came in yesterday evening and are still within their response
            # time today; about one in four has waited for days and shows as overdue. Orders in
            # service were taken some days ago.
            if state == S.IN_SERVICE:
                days_ago = rng.choice([2, 3, 5, 9])
            elif state == S.DISPATCHED:
                days_ago = 1
            else:
                # every third waiting order (not left to chance, so the demo always has some)
                days_ago = rng.choice([3, 4, 6]) if index % 3 == 1 else 1
            # Yesterday evening's orders still wait; one of yesterday's that has been handled
            # since came in the afternoon, so that the desk and the member acted in the day.
            hours = (7, 20)
            if days_ago == 1:
                hours = (19, 21) if state == S.SUBMITTED else (13, 16)
            story = self.story(order, hours)
            self.submit(story, SERVING_SHARE[1])
            if state != S.SUBMITTED:
                self.triage(story)
            if state == S.DISPATCHED:
                demo = offers_for_demo > 0 and community.pk == home.pk
                member = self.demo_member if demo else self.member_for(order, SERVING_SHARE[1])
                offers_for_demo -= demo
                at = self.daytime(story, story.end + rng.uniform(0.2, 2) * H)
                story.move(
                    at,
                    S.DISPATCHED,
                    "dispatch",
                    by=self.admins[community.pk],
                    source=SRC.CONSOLE,
                    reason=_("to %(name)s") % {"name": member.name},
                )
                # The answer is due tomorrow evening, so the offer is still open when shown.
                story.dispatches.append(
                    (at, member, self.admins[community.pk], Dispatch.State.OFFERED, None, "")
                )
            elif state in (S.ACCEPTED, S.IN_SERVICE):
                demo = taken_by_demo > 0 and community.pk == home.pk
                taken_by_demo -= demo
                if demo:
                    member = self.demo_member
                    at = self.daytime(story, story.end + rng.uniform(0.5, 4) * H, 7, 22)
                    story.move(at, S.ACCEPTED, "claim", by=member.user)
                else:
                    member = self.take(story, SERVING_SHARE[1], late=rng.random() < 0.2)
                order.assigned_member = member
                if state == S.IN_SERVICE:
                    at = self.daytime(story, story.end + rng.uniform(1, 20) * H, 8, 18)
                    story.move(at, S.IN_SERVICE, "start", by=member.user)
            # Nothing may happen after now, nor at night: the road ends by yesterday evening.
            # Yesterday afternoon's is squeezed into the rest of that day; a longer one began
            # a day earlier. (Squeezed from a filing at 21:00 into the time left before
            # midnight, it showed a desk accepting an order at 23:21, an offer made at 05:57.)
            evening = ctx.moment(ctx.today - dt.timedelta(days=1), 21)
            while True:
                self.place(story, ctx.today - dt.timedelta(days=days_ago), anchor="start")
                room = evening - order.created_at
                if not story.end or story.end <= room:
                    break
                if days_ago == 1:
                    ratio = room / story.end * 0.9
                    story.steps = [(at * ratio, *rest) for at, *rest in story.steps]
                    story.dispatches = [
                        (at * ratio, m, a, st, (ans * ratio if ans else None), r)
                        for at, m, a, st, ans, r in story.dispatches
                    ]
                    break
                days_ago += 1
            self.stories.append(story)

    # --- writing -------------------------------------------------------------------------------

    def untangle(self) -> None:
        """One member's services never overlap (DESIGN.md C5, as service_record_create
        checks): a service that would overlap an earlier one of the same member moves, with
        its start and finish events, to just after it, or else to just before it, staying
        between the order's taking and its next step and before now."""
        gap, now = dt.timedelta(minutes=15), timezone.now()
        items = []
        for number, story in enumerate(self.stories):
            filed = story.order.created_at
            for index, (start, *_rest) in enumerate(story.records):
                items.append((filed + start, number, index))
        items.sort()
        busy: dict[int, list] = {}
        for _at, number, index in items:
            story = self.stories[number]
            filed = story.order.created_at
            start, end, member, hours, note = story.records[index]
            spans = busy.setdefault(member.pk, [])
            first = next(
                i for i, step in enumerate(story.steps) if step[0] == start and step[2] == "start"
            )
            last = next(
                i for i, step in enumerate(story.steps) if step[0] == end and step[2] == "finish"
            )
            earliest = story.steps[first - 1][0]  # taken
            latest = story.steps[last + 1][0] if last + 1 < len(story.steps) else now - filed
            shift = self.free_shift(spans, filed + start, filed + end, gap)
            if shift and not (earliest <= start + shift and end + shift < latest):
                shift = self.free_shift(spans, filed + start, filed + end, -gap)
                if not (earliest <= start + shift and end + shift < latest):
                    raise AssertionError(f"no room for a demo service of {member}")
            if shift:
                start, end = start + shift, end + shift
                story.steps[first] = (start, *story.steps[first][1:])
                story.steps[last] = (end, *story.steps[last][1:])
                story.records[index] = (start, end, member, hours, note)
            spans.append((filed + start, filed + end))

    @staticmethod
    def free_shift(spans, start, end, gap) -> dt.timedelta:
        """How far to move [start, end) (later for a positive gap, earlier for a negative one)
        so that it overlaps none of `spans`; zero when it is free already."""
        moved = dt.timedelta(0)
        while True:
            clash = [(s, e) for s, e in spans if s < end + moved and e > start + moved]
            if not clash:
                return moved
            if gap > dt.timedelta(0):
                moved = max(e for _s, e in clash) + gap - start
            else:
                moved = min(s for s, _e in clash) + gap - end

    def save(self) -> dict:
        ctx = self.ctx
        self.untangle()
        orders, events, dispatches, records, participants = [], [], [], [], []
        tomorrow_evening = ctx.moment(ctx.today + dt.timedelta(days=1), 20)
        for story in self.stories:
            order, filed = story.order, story.order.created_at
            category = order.category
            order.state = story.state
            order.respond_by = filed + dt.timedelta(hours=category.respond_hours)
            order.finish_by = filed + dt.timedelta(days=category.finish_days)
            order.consent_at = filed
            for at, to, action, *_rest in story.steps:
                if action == "triage":
                    order.triaged_at = filed + at
                elif to == S.ACCEPTED:
                    order.accepted_at = filed + at
                elif to == S.DONE:
                    order.done_at = filed + at
                elif to == S.TRIAGED and action == "reopen":
                    order.done_at = None
            if order.state not in (S.ACCEPTED, S.IN_SERVICE, S.DONE, S.REVIEWED):
                order.assigned_member = None
            orders.append(order)
        # Each order's consent, under the notice in force when the demo history began.
        consents = insert(
            [
                Consent(
                    street=ctx.street,
                    resident_id=o.resident_id,
                    phone=o.phone,
                    purpose=Consent.Purpose.DATA_USE,
                    notice_version=CONSENT_VERSION,
                    source=f"order:{o.channel}",
                    given_at=o.consent_at,
                )
                for o in orders
            ],
            batch_size=500,
        )
        for order, consent in zip(orders, consents, strict=True):
            order.consent = consent
        insert(orders, batch_size=500)
        for story in self.stories:
            order, filed = story.order, story.order.created_at
            previous = ""
            for at, to, action, by, label, reason, source in story.steps:
                events.append(
                    OrderEvent(
                        street=ctx.street,
                        order=order,
                        from_state=previous,
                        to_state=to,
                        action=action,
                        by=by,
                        by_label=label or (by.name if by else ""),
                        reason=reason[:300],
                        source=source,
                        at=filed + at,
                    )
                )
                previous = to
            for at, member, admin, state, answered, reason in story.dispatches:
                offered = filed + at
                if state == Dispatch.State.OFFERED:
                    respond_by = tomorrow_evening
                elif state == Dispatch.State.TIMED_OUT:
                    respond_by = filed + answered
                else:
                    respond_by = offered + dt.timedelta(hours=4)
                dispatches.append(
                    Dispatch(
                        street=ctx.street,
                        order=order,
                        member=member,
                        offered_by=admin,
                        offered_at=offered,
                        respond_by=max(respond_by, filed + (answered or at)),
                        state=state,
                        responded_at=filed + answered if answered is not None else None,
                        reason=reason,
                    )
                )
            for start, end, member, hours, note in story.records:
                records.append(
                    ServiceRecord(
                        street=ctx.street,
                        community=order.community,
                        category=order.category,
                        order=order,
                        beneficiary=order.resident,
                        started_at=filed + start,
                        ended_at=filed + end,
                        hours=Decimal(str(hours)),
                        note=note,
                        verification=ServiceRecord.Verification.SELF,
                        created_by=member.user,
                        created_at=filed + end,
                    )
                )
                participants.append(member)
        insert(events, batch_size=1000)
        insert(dispatches, batch_size=1000)
        insert(records, batch_size=500)
        insert(
            (
                ServiceParticipant(street=ctx.street, record=record, member=member)
                for record, member in zip(records, participants, strict=True)
            ),
            batch_size=1000,
        )
        self.notifications()
        return {"orders": len(orders), "events": len(events), "records": len(records)}

    def notifications(self) -> None:
        """What the demo logins find in their inbox: offers waiting, new orders to triage."""
        notes = []
        for story in self.stories:
            order = story.order
            if order.state == S.DISPATCHED:
                for at, member, _admin, state, _answered, _reason in story.dispatches:
                    if state == Dispatch.State.OFFERED:
                        notes.append(
                            Notification(
                                street=self.ctx.street,
                                user=member.user,
                                kind="dispatch",
                                title=_("New order for you: %(cat)s") % {"cat": order.category},
                                body=order.description[:120],
                                url="/me/orders/",
                                created_at=order.created_at + at,
                            )
                        )
            elif order.state == S.SUBMITTED:
                admin = self.admins[order.community_id]
                notes.append(
                    Notification(
                        street=self.ctx.street,
                        user=admin,
                        kind="order_new",
                        title=_("New order in %(c)s: %(cat)s")
                        % {"c": order.community.name, "cat": order.category.name},
                        body=order.description[:120],
                        url=f"/console/orders/{order.pk}/",
                        created_at=order.created_at,
                    )
                )
        insert(notes)


def build(ctx) -> None:
    # The demo member answers the offers waiting for them: room for a few open orders.
    demo_member = ctx.members[0]
    if demo_member.capacity < 5:
        Member.objects.filter(pk=demo_member.pk).update(capacity=5)
        demo_member.capacity = 5
    demo = DemoOrders(ctx)
    demo.history()
    demo.open_now()
    demo.save()
