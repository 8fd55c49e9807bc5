"""A small street whose March 2026 figures are computed by hand in test_indicators.py.

Members (street 江海): 星港湾 张三, 钱二, 孙六 (active), 郑八 (joined the roster 2026-05-01);
腾飞 吴七 (left the roster 2026-04-10), 李四, 周五 (active), 冯九 (left 2025-07-01).
Active in March 2026 (on the roster or serving): street 6 (张三 钱二 孙六 吴七 李四 周五),
星港湾 3, 腾飞 3; in March 2025: street 7 (the same and 冯九).

Records (hours each member served × participants):
  R1 2026-03-05 星港湾 A 2h × (张三, 钱二) = 4, order O1 (dispatched)
  R2 2026-03-20 星港湾 B 1.5h × 张三 = 1.5
  R3 2026-03-31 23:30 (local) 腾飞 A 3h × (李四, 吴七) = 6, order O2 (claimed, no dispatch)
  R4 2026-04-01 00:10 (local) 星港湾 A 1h × 钱二 — April
  R5 2025-03-10 星港湾 A 1h × 张三 — a year earlier
  R6 2026-06-02 星港湾 A 1h × 郑八 — June
  R7 2025-02-03 腾飞 A 2h × 冯九 — February a year earlier
  RX 2026-03-10 in the other street — never counted here
Orders:
  O1 星港湾 A triaged 03-01, offered 03-01 10:00, accepted 03-01 12:00 (respond by 03-02),
     done 03-05
  O2 腾飞 A triaged 03-03, claimed 03-03, done 03-31 23:50 (local)
  O3 星港湾 B triaged 03-10, offered 03-10 (declined) and 03-12, accepted 03-12 (respond by 03-11)
  O4 星港湾 B triaged 02-25, offered 02-26, done 03-15
  O5 腾飞 A triaged 03-20, offered 03-20, not accepted
  O6 星港湾 A triaged 04-02, done 04-03
Reviews: V1 R1 5★ 03-06 · V2 R2 3★ 03-21 · V3 R3 4★ 04-01 · V4 R5 2★ 2025-03-11
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from pledgeloop.conftest import make_user, shared_fixture
from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member, Role
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceParticipant, ServiceRecord


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm))


@dataclass
class Figures:
    world: object
    a: Category
    b: Category
    members: dict
    records: dict
    orders: dict


def _member(world, phone, name, community, joined_on=None, left_on=None) -> Member:
    user = make_user(phone, name, Role.MEMBER, world.street, community)
    return Member.objects.create(
        user=user,
        street=world.street,
        community=community,
        kind=Member.Kind.VOLUNTEER,
        active=left_on is None,
        joined_on=joined_on,
        left_on=left_on,
    )


def _record(world, community, category, started, hours, members, order=None):
    record = ServiceRecord.objects.create(
        street=community.street,
        community=community,
        category=category,
        order=order,
        started_at=started,
        ended_at=started + dt.timedelta(hours=float(hours)),
        hours=Decimal(str(hours)),
    )
    for member in members:
        ServiceParticipant.objects.create(street=community.street, record=record, member=member)
    return record


def _order(world, community, category, **fields):
    return Order.objects.create(
        street=community.street,
        community=community,
        category=category,
        description="帮忙",
        phone="13812345678",
        **fields,
    )


def _offer(order, member, offered, state=Dispatch.State.ACCEPTED):
    return Dispatch.objects.create(
        street=order.street,
        order=order,
        member=member,
        offered_at=offered,
        respond_by=offered + dt.timedelta(hours=24),
        state=state,
    )


@shared_fixture
def figures(world) -> Figures:
    here, there = world.community, world.neighbour
    a = Category.objects.get(street=world.street, code="elderly-children")
    b = Category.objects.get(street=world.street, code="repairs")
    zhang = world.member.member
    qian = _member(world, "13900000201", "钱二", here)
    _member(world, "13900000202", "孙六", here)
    wu = _member(world, "13900000203", "吴七", there, left_on=dt.date(2026, 4, 10))
    li = _member(world, "13900000204", "李四", there)
    _member(world, "13900000205", "周五", there)
    zheng = _member(world, "13900000206", "郑八", here, joined_on=dt.date(2026, 5, 1))
    feng = _member(world, "13900000207", "冯九", there, left_on=dt.date(2025, 7, 1))

    o1 = _order(
        world, here, a, state=Order.State.DONE, assigned_member=zhang,
        triaged_at=at(2026, 3, 1, 9), respond_by=at(2026, 3, 2, 9),
        accepted_at=at(2026, 3, 1, 12), done_at=at(2026, 3, 5, 12),
    )  # fmt: skip
    _offer(o1, zhang, at(2026, 3, 1, 10))
    o2 = _order(
        world, there, a, state=Order.State.DONE, assigned_member=li,
        triaged_at=at(2026, 3, 3, 9), respond_by=at(2026, 3, 4, 9),
        accepted_at=at(2026, 3, 3, 11), done_at=at(2026, 3, 31, 23, 50),
    )  # fmt: skip
    o3 = _order(
        world, here, b, state=Order.State.ACCEPTED, assigned_member=qian,
        triaged_at=at(2026, 3, 10, 9), respond_by=at(2026, 3, 11, 9),
        accepted_at=at(2026, 3, 12, 15),
    )  # fmt: skip
    _offer(o3, zhang, at(2026, 3, 10, 10), state=Dispatch.State.DECLINED)
    _offer(o3, qian, at(2026, 3, 12, 10))
    o4 = _order(
        world, here, b, state=Order.State.DONE, assigned_member=qian,
        triaged_at=at(2026, 2, 25, 9), respond_by=at(2026, 2, 26, 9),
        accepted_at=at(2026, 2, 26, 12), done_at=at(2026, 3, 15, 12),
    )  # fmt: skip
    _offer(o4, qian, at(2026, 2, 26, 10))
    o5 = _order(
        world, there, a, state=Order.State.DISPATCHED,
        triaged_at=at(2026, 3, 20, 9), respond_by=at(2026, 3, 21, 9),
    )  # fmt: skip
    _offer(o5, li, at(2026, 3, 20, 10), state=Dispatch.State.OFFERED)
    _order(
        world, here, a, state=Order.State.DONE, assigned_member=zhang,
        triaged_at=at(2026, 4, 2, 9), accepted_at=at(2026, 4, 2, 10), done_at=at(2026, 4, 3, 9),
    )  # fmt: skip

    r1 = _record(world, here, a, at(2026, 3, 5, 10), 2, [zhang, qian], order=o1)
    r2 = _record(world, here, b, at(2026, 3, 20, 14), 1.5, [zhang])
    r3 = _record(world, there, a, at(2026, 3, 31, 23, 30), 3, [li, wu], order=o2)
    _record(world, here, a, at(2026, 4, 1, 0, 10), 1, [qian])
    r5 = _record(world, here, a, at(2025, 3, 10), 1, [zhang])
    _record(world, here, a, at(2026, 6, 2), 1, [zheng])
    _record(world, there, a, at(2025, 2, 3), 2, [feng])
    far_category = Category.objects.filter(street=world.other_street).first()
    far_user = make_user("13900000299", "远方", Role.MEMBER, world.other_street, world.faraway)
    far = Member.objects.create(
        user=far_user, street=world.other_street, community=world.faraway,
        kind=Member.Kind.VOLUNTEER,
    )  # fmt: skip
    _record(world, world.faraway, far_category, at(2026, 3, 10), 5, [far])

    for record, rating, when in [
        (r1, 5, at(2026, 3, 6)),
        (r2, 3, at(2026, 3, 21)),
        (r3, 4, at(2026, 4, 1, 8)),
        (r5, 2, at(2025, 3, 11)),
    ]:
        Review.objects.create(
            street=record.street,
            community=record.community,
            record=record,
            order=record.order,
            rating=rating,
            created_at=when,
        )
    return Figures(
        world,
        a,
        b,
        {"zhang": zhang, "qian": qian, "li": li, "wu": wu, "zheng": zheng, "feng": feng},
        {"r1": r1, "r2": r2, "r3": r3},
        {"o1": o1, "o3": o3},
    )
