"""Two years of service records for the demo street (DESIGN.md §5, §8).

Runs after the orders step (which writes a record for every done order) and the pledges step
(whose fulfilled visits get their records here). It measures what those steps left and tops
up with ad-hoc records so that the indicators come out as the seed report tells:

- participation (members with a record in the period ÷ active members): about 40 % in the
  12 months before last, about 60 % in the 12 months ending today;
- service hours in the latest March about 65 % above the March a year earlier, and the whole
  year about 65 % above the year before.

The records keep the rules service_record_create enforces: one member's records never overlap
(a record whose drawn time is taken moves to the next free quarter hour of the day), hours fit
between start and end, and verified hours name their evidence: a check-in and check-out with
the beneficiary's own code (when the record names one) or with the code on the screen of the
member's community centre, written as the CheckIn rows that check-out would have left.

Only ctx.rng is used, so a seed gives the same street every time.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from pledgeloop.lib.inserts import insert
from pledgeloop.orgs.models import Site
from pledgeloop.people.models import Member, Resident
from pledgeloop.pledges.models import Pledge, PledgeEvent, Visit, visit_grace_days
from pledgeloop.service.models import CheckIn, ServiceParticipant, ServiceRecord, SiteScreen

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

PARTICIPATION = {"earlier": 0.40, "latest": 0.60}
GROWTH = 1.65  # latest ÷ earlier, for the year and for March
HOURS = [Decimal("0.5"), Decimal("1"), Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("3")]
NOTES = [
    "上门测血压",
    "陪同就医",
    "代购生活用品",
    "清理楼道杂物",
    "维修水龙头",
    "政策宣讲",
    "陪伴独居老人聊天",
    "辅导作业",
    "垃圾分类督导",
    "助餐送餐",
    "更换灯泡",
    "反诈宣传",
    "理发义剪",
    "代缴水电费",
]


def periods(today: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """The 12 months ending today, and the 12 months before (both ends included)."""
    latest_start = today - dt.timedelta(days=364)
    return {
        "latest": (latest_start, today),
        "earlier": (latest_start - dt.timedelta(days=365), latest_start - dt.timedelta(days=1)),
    }


def march_of(today: dt.date) -> tuple[int, int]:
    """(year of the most recent March that has ended or is under way, the year before)."""
    year = today.year if today.month >= 3 else today.year - 1
    return year, year - 1


class Tally:
    """Who served when, and March hours: what the indicators are computed from."""

    def __init__(self, today: dt.date):
        self.today = today
        self.periods = periods(today)
        self.march_years = march_of(today)
        self.members = {"latest": set(), "earlier": set()}
        self.hours = {"latest": Decimal(0), "earlier": Decimal(0)}
        self.march = defaultdict(Decimal)

    def period_of(self, day: dt.date) -> str | None:
        for name, (start, end) in self.periods.items():
            if start <= day <= end:
                return name
        return None

    def add(self, day: dt.date, hours: Decimal, member_ids) -> None:
        name = self.period_of(day)
        if name:
            self.members[name].update(member_ids)
            self.hours[name] += hours
        if day.month == 3:
            self.march[day.year] += hours


def _existing(ctx, tally: Tally) -> dict[int, list]:
    """Tally what earlier steps wrote; returns each member's busy spans."""
    by_record = defaultdict(list)
    for record_id, member_id in ServiceParticipant.objects.filter(street=ctx.street).values_list(
        "record_id", "member_id"
    ):
        by_record[record_id].append(member_id)
    busy = defaultdict(list)
    for pk, started, ended, hours in ServiceRecord.objects.filter(street=ctx.street).values_list(
        "pk", "started_at", "ended_at", "hours"
    ):
        tally.add(timezone.localtime(started).date(), hours, by_record[pk])
        for member_id in by_record[pk]:
            busy[member_id].append((started, ended))
    return busy


class Writer:
    """Collects records and participants, then writes them in bulk (lib/inserts.py)."""

    def __init__(self, ctx, tally: Tally, busy: dict[int, list]):
        self.ctx, self.tally, self.busy = ctx, tally, busy
        self.records, self.members, self.checkins = [], [], []
        self.centres = {
            site.community_id: site
            for site in Site.objects.filter(street=ctx.street, kind=Site.Kind.CENTRE).order_by(
                "-pk"
            )
        }
        self.residents = defaultdict(list)
        for resident in Resident.objects.filter(street=ctx.street).only("pk", "community_id"):
            self.residents[resident.community_id].append(resident.pk)
        self.categories = sorted(ctx.categories.values(), key=lambda c: c.pk) or [None]
        self.created_by = {}

    def slot(self, member: Member, day: dt.date, length: dt.timedelta):
        """A start on `day` (drawn, or the next free quarter hour of the day, or of a day
        near it) when the member has no other service: one member's hours never overlap."""
        rng, ctx = self.ctx.rng, self.ctx
        drawn = (rng.randint(8, 17), rng.choice([0, 15, 30, 45]))
        spans = self.busy[member.pk]
        quarters = [drawn] + [(h, m) for h in range(7, 20) for m in (0, 15, 30, 45)]
        for days in (0, -1, 1, -2, 2, -3, 3):
            when = day + dt.timedelta(days=days)
            if when >= ctx.today:
                continue
            for hour, minute in quarters:
                start = ctx.moment(when, hour, minute)
                end = start + length
                if not any(s < end and e > start for s, e in spans):
                    spans.append((start, end))
                    return when, start
        raise AssertionError(f"no free time for a demo service of {member}")

    def add(self, *, member: Member, day: dt.date, hours: Decimal, verification: str, **extra):
        rng = self.ctx.rng
        day, start = self.slot(member, day, dt.timedelta(minutes=int(hours * 60)))
        end = start + dt.timedelta(minutes=int(hours * 60))
        if "beneficiary_id" not in extra and rng.random() < 0.6:
            pool = self.residents.get(member.community_id)
            extra["beneficiary_id"] = rng.choice(pool) if pool else None
        extra.setdefault("category", rng.choice(self.categories))
        extra.setdefault("note", rng.choice(NOTES))
        checkin = None
        if verification == ServiceRecord.Verification.VERIFIED:
            checkin = self.checkin(member, start, end, extra.get("beneficiary_id"))
            if checkin is None:
                verification = ServiceRecord.Verification.SELF
        evidence = ""
        if checkin is not None:
            evidence = (
                ServiceRecord.Evidence.BENEFICIARY_CODE
                if checkin.resident_id
                else ServiceRecord.Evidence.SITE_SCREEN
            )
        record = ServiceRecord(
            street_id=member.street_id,
            community_id=member.community_id,
            started_at=start,
            ended_at=end,
            hours=hours,
            verification=verification,
            evidence=evidence,
            created_by_id=member.user_id,
            created_at=min(end + dt.timedelta(minutes=rng.randint(5, 600)), timezone.now()),
            **extra,
        )
        self.records.append(record)
        self.members.append(member)
        self.checkins.append(checkin)
        self.tally.add(day, hours, [member.pk])

    def checkin(self, member: Member, start, end, resident_id) -> CheckIn | None:
        """The check-in and check-out that verified a record: at the beneficiary's own code,
        or with the code on the screen of the member's community centre."""
        proof = CheckIn.Proof.BENEFICIARY if resident_id else CheckIn.Proof.SCREEN
        site = None if resident_id else self.centres.get(member.community_id)
        if site is None and not resident_id:
            return None
        return CheckIn(
            street_id=member.street_id,
            member=member,
            site=site,
            resident_id=resident_id,
            checked_in_at=start,
            checked_out_at=end,
            in_proof=proof,
            out_proof=proof,
        )

    def save(self) -> None:
        insert(self.records, batch_size=500)
        insert(
            (
                ServiceParticipant(street_id=r.street_id, record_id=r.pk, member_id=m.pk)
                for r, m in zip(self.records, self.members, strict=True)
            ),
            batch_size=1000,
        )
        checkins = []
        for record, checkin in zip(self.records, self.checkins, strict=True):
            if checkin is not None:
                checkin.record_id = record.pk
                checkins.append(checkin)
        insert(checkins, batch_size=1000)
        self.screens()

    def screens(self) -> None:
        """Each community centre has its check-in screen (drawn secrets: deterministic)."""
        rng = self.ctx.rng
        insert(
            SiteScreen(
                street_id=site.street_id,
                site=site,
                secret="".join(rng.choice(BASE32) for _ in range(32)),
                key="".join(rng.choice(BASE32) for _ in range(32)).lower(),
            )
            for site in sorted(self.centres.values(), key=lambda s: s.pk)
        )


def _visit_records(ctx, writer: Writer, members: dict[int, Member]) -> None:
    """Fulfilled pledge visits (from the pledges step) that have no record yet get one."""
    visits = (
        Visit.objects.filter(street=ctx.street, state=Visit.State.FULFILLED)
        .exclude(service_records__isnull=False)
        .select_related("pledge")
        .order_by("pk")
    )
    for visit in visits:
        member = members.get(visit.member_id)
        if member is None:
            continue
        day = timezone.localtime(visit.scheduled_at).date()
        minutes = visit.pledge.duration_minutes
        hours = max(Decimal(round(minutes / 15)) * Decimal("0.25"), Decimal("0.25"))
        writer.add(
            member=member,
            day=day,
            hours=min(hours, Decimal("8")),
            verification=ctx.rng.choice(["self", "self", "verified"]),
            visit_id=visit.pk,
            category_id=visit.pledge.category_id,
            beneficiary_id=visit.pledge.beneficiary_resident_id,
            note=visit.pledge.title[:500],
        )


def _trim_visits(ctx, tally: Tally, active: list[Member]) -> None:
    """Keep each period's serving members near the participation target.

    The pledges step gives most members visits they made; if more members made visits in a
    period than the seed report's participation allows, the visits of the members beyond the
    target (drawn with ctx.rng; members who already served on orders, and the demo member
    login, stay) did not happen after all: they become missed (or stay due while still within
    the grace period). Nothing is changed when the pledges step already fits.
    """

    grace_start = ctx.today - dt.timedelta(days=visit_grace_days())
    fulfilled = Visit.objects.filter(street=ctx.street, state=Visit.State.FULFILLED)
    login = ctx.members[0].pk if ctx.members else None
    for name in ("earlier", "latest"):
        start, end = tally.periods[name]
        in_period = fulfilled.filter(due_on__gte=start, due_on__lte=end)
        visiting = set(in_period.values_list("member_id", flat=True))
        target = round(PARTICIPATION[name] * len(active))
        keep = set(tally.members[name]) | ({login} & visiting)
        candidates = sorted(visiting - keep)
        ctx.rng.shuffle(candidates)
        keep |= set(candidates[: max(target - len(keep), 0)])
        dropped = in_period.exclude(member_id__in=keep)
        dropped.filter(due_on__lt=grace_start).update(state=Visit.State.MISSED, fulfilled_at=None)
        dropped.filter(due_on__gte=grace_start).update(state=Visit.State.DUE, fulfilled_at=None)
    _reclose_pledges(ctx)


CLOSED = (Pledge.State.FULFILLED, Pledge.State.LAPSED)


def _reclose_pledges(ctx) -> None:
    """Last year's closed pledges keep saying what their visits say after the trim: 已兑现
    (fulfilled) only when the visits made reached the target, else 未兑现 (lapsed), with the
    closing event's state and remark to match, as pledge_close would have written them."""
    closed = (
        Pledge.objects.filter(street=ctx.street, state__in=CLOSED)
        .annotate(made=Count("visits", filter=Q(visits__state=Visit.State.FULFILLED)))
        .order_by("pk")
    )
    for pledge in closed:
        state = (
            Pledge.State.FULFILLED if pledge.made >= pledge.target_visits else Pledge.State.LAPSED
        )
        if state == pledge.state:
            continue
        Pledge.objects.filter(pk=pledge.pk).update(state=state)
        PledgeEvent.objects.filter(pledge=pledge, to_state__in=CLOSED).update(
            to_state=state, comment=f"已完成{pledge.made}次，目标{pledge.target_visits}次。"
        )


def _random_day(rng, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _verification(rng, period: str) -> str:
    # Check-in codes caught on: more verified hours in the latest year.
    verified = 0.45 if period == "latest" else 0.2
    roll = rng.random()
    if roll < verified:
        return "verified"
    return "recorded" if roll < verified + 0.2 else "self"


def build(ctx) -> None:
    today = ctx.today
    tally = Tally(today)
    busy = _existing(ctx, tally)
    active = list(
        Member.objects.filter(street=ctx.street, active=True).order_by("pk").select_related("user")
    )
    by_pk = {m.pk: m for m in active}
    writer = Writer(ctx, tally, busy)
    rng = ctx.rng
    _trim_visits(ctx, tally, active)
    _visit_records(ctx, writer, by_pk)
    yesterday = today - dt.timedelta(days=1)

    # 1. Participation: bring each period's set of serving members up to its target.
    chosen = {}
    for name in ("earlier", "latest"):
        target = round(PARTICIPATION[name] * len(active))
        serving = [m for m in active if m.pk in tally.members[name]]
        others = [m for m in active if m.pk not in tally.members[name]]
        if name == "latest":
            # Most who served the year before serve again: continuity, as in the report.
            others.sort(key=lambda m: (m.pk not in tally.members["earlier"], rng.random()))
        else:
            rng.shuffle(others)
        chosen[name] = serving + others[: max(target - len(serving), 0)]

    # 2. Each chosen member serves a few times in the period; the latest year somewhat more.
    per_member = {"earlier": (1, 6), "latest": (1, 5)}
    for name, members in chosen.items():
        start, end = tally.periods[name]
        end = min(end, yesterday)
        for member in members:
            low, high = per_member[name]
            for _ in range(rng.randint(low, high)):
                writer.add(
                    member=member,
                    day=_random_day(rng, start, end),
                    hours=rng.choice(HOURS),
                    verification=_verification(rng, name),
                )

    # 3. The whole year, then March: top up whichever side is short of latest ≈ GROWTH × earlier.
    whole = {name: tally.periods[name] for name in ("latest", "earlier")}
    _balance(writer, chosen, lambda: (tally.hours["latest"], tally.hours["earlier"]), whole)
    latest_year, earlier_year = tally.march_years
    march = {
        "latest": (dt.date(latest_year, 3, 1), dt.date(latest_year, 3, 31)),
        "earlier": (dt.date(earlier_year, 3, 1), dt.date(earlier_year, 3, 31)),
    }
    _balance(
        writer,
        chosen,
        lambda: (tally.march[latest_year], tally.march[earlier_year]),
        march,
        hours=HOURS[:3],
    )
    writer.save()
    _mark_visits_fulfilled(writer)


def _balance(writer: Writer, chosen, measure, spans, hours=HOURS) -> None:
    """Add records on the short side until latest ÷ earlier is within 2 % of GROWTH."""
    rng, yesterday = writer.ctx.rng, writer.ctx.today - dt.timedelta(days=1)
    growth = Decimal(str(GROWTH))
    for _ in range(5000):
        latest, earlier = measure()
        ratio = latest / max(earlier, Decimal(1))
        if abs(ratio - growth) < Decimal("0.02") * growth:
            return
        name = "latest" if ratio < growth else "earlier"
        start, end = spans[name]
        end = min(end, yesterday)
        if end < start:
            return
        writer.add(
            member=rng.choice(chosen[name]),
            day=_random_day(rng, start, end),
            hours=rng.choice(hours),
            verification=_verification(rng, name),
        )


def _mark_visits_fulfilled(writer: Writer) -> None:
    """Visits that got a record here are fulfilled (they already were; keep fulfilled_at)."""
    ids = [r.visit_id for r in writer.records if r.visit_id]
    if ids:
        Visit.objects.filter(pk__in=ids, fulfilled_at__isnull=True).update(
            fulfilled_at=timezone.now()
        )
