"""Reminder jobs (DESIGN.md C10): idempotent plain functions, each returning how many it sent.

Every notification carries a dedupe_key, so a job that runs twice (or every hour) notifies
each person once per event. Run one by hand with `manage.py run_reminders NAME`.

visits_due_tomorrow     the member, the day before a pledge visit
dispatch_deadlines      the member, when an offered order's answer is due within a few hours
orders_overdue          the community's admins, when an order passes a deadline
visits_missed           the member and the admins, when a visit became missed
showcase_due            every admin, in the last week of a quarter (the quarterly showcase)
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pledgeloop.notify.services import notify
from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.orders.services import community_admins
from pledgeloop.people.models import Role, RoleGrant
from pledgeloop.pledges.models import Visit

# Remind a member this many hours before their answer to an offered order is due.
DISPATCH_REMIND_HOURS = 3
# A missed visit older than this is not reported any more (the job may have been off).
MISSED_LOOKBACK_DAYS = 14
# The showcase reminder goes out in this many last days of a quarter.
SHOWCASE_DAYS_BEFORE_QUARTER_END = 7


def visits_due_tomorrow(*, now: dt.datetime | None = None) -> int:
    tomorrow = timezone.localdate(now or timezone.now()) + dt.timedelta(days=1)
    sent = 0
    visits = Visit.objects.filter(state=Visit.State.DUE, due_on=tomorrow).select_related(
        "pledge", "member__user"
    )
    with translation.override(settings.LANGUAGE_CODE):
        for visit in visits:
            at = timezone.localtime(visit.scheduled_at)
            sent += bool(
                notify(
                    user=visit.member.user,
                    kind="visit_due",
                    street_id=visit.street_id,
                    title=_("Tomorrow at %(time)s: %(pledge)s")
                    % {"time": at.strftime("%H:%M"), "pledge": visit.pledge.title},
                    body=_("Your pledge visit is due tomorrow. Log the service when it is done."),
                    url=reverse("pledges:visit_log", args=[visit.pk]),
                    dedupe_key=f"visit:{visit.pk}:due",
                )
            )
    return sent


def dispatch_deadlines(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    soon = now + dt.timedelta(hours=DISPATCH_REMIND_HOURS)
    offers = Dispatch.objects.filter(
        state=Dispatch.State.OFFERED, respond_by__gt=now, respond_by__lte=soon
    ).select_related("order", "member__user")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for offer in offers:
            at = timezone.localtime(offer.respond_by)
            sent += bool(
                notify(
                    user=offer.member.user,
                    kind="dispatch_deadline",
                    street_id=offer.street_id,
                    title=_("Please answer order #%(n)s by %(time)s")
                    % {"n": offer.order_id, "time": at.strftime("%H:%M")},
                    body=_("If you do not answer, the order goes back to the needs list."),
                    url=reverse("orders:member_order", args=[offer.order_id]),
                    dedupe_key=f"dispatch:{offer.pk}:deadline",
                )
            )
    return sent


def orders_overdue(*, now: dt.datetime | None = None) -> int:
    """Tells the admins once per deadline passed (the response one, then the finish one)."""
    now = now or timezone.now()
    orders = Order.objects.filter(Order.overdue_q(now)).select_related("community", "category")
    admins_by_community: dict[int, list] = {}
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for order in orders:
            which = order.overdue_deadlines(now)[0]  # "respond", then "finish"
            if order.community_id not in admins_by_community:
                admins_by_community[order.community_id] = community_admins(order.community)
            for admin in admins_by_community[order.community_id]:
                sent += bool(
                    notify(
                        user=admin,
                        kind="order_overdue",
                        street_id=order.street_id,
                        title=_("Order #%(n)s is overdue (%(category)s)")
                        % {"n": order.pk, "category": order.category.name},
                        body=order.description[:200],
                        url=reverse("console:order_detail", args=[order.pk]),
                        dedupe_key=f"order:{order.pk}:overdue:{which}",
                    )
                )
    return sent


def visits_missed(*, now: dt.datetime | None = None) -> int:
    today = timezone.localdate(now or timezone.now())
    visits = Visit.objects.filter(
        state=Visit.State.MISSED, due_on__gte=today - dt.timedelta(days=MISSED_LOOKBACK_DAYS)
    ).select_related("pledge__community", "member__user")
    admins_by_community: dict[int, list] = {}
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for visit in visits:
            community = visit.pledge.community
            if community.pk not in admins_by_community:
                admins_by_community[community.pk] = community_admins(community)
            title = _("Missed visit on %(day)s: %(pledge)s") % {
                "day": date_format(visit.due_on, "MONTH_DAY_FORMAT"),
                "pledge": visit.pledge.title,
            }
            people = [visit.member.user, *admins_by_community[community.pk]]
            for user in people:
                sent += bool(
                    notify(
                        user=user,
                        kind="visit_missed",
                        street_id=visit.street_id,
                        title=title,
                        body=_("%(name)s did not log this pledge visit.")
                        % {"name": visit.member.user.name},
                        url=reverse("pledges:detail", args=[visit.pledge_id]),
                        dedupe_key=f"visit:{visit.pk}:missed",
                    )
                )
    return sent


def quarter_end(day: dt.date) -> dt.date:
    first_of_next = dt.date(
        day.year + (day.month > 9), (((day.month - 1) // 3 + 1) * 3) % 12 + 1, 1
    )
    return first_of_next - dt.timedelta(days=1)


def showcase_due(*, now: dt.datetime | None = None) -> int:
    today = timezone.localdate(now or timezone.now())
    end = quarter_end(today)
    if (end - today).days >= SHOWCASE_DAYS_BEFORE_QUARTER_END:
        return 0
    quarter = (today.month - 1) // 3 + 1
    grants = RoleGrant.objects.filter(
        role__in=[Role.STREET_ADMIN, Role.COMMUNITY_ADMIN]
    ).select_related("user")
    sent, seen = 0, set()
    with translation.override(settings.LANGUAGE_CODE):
        for grant in grants:
            if grant.user_id in seen:
                continue
            seen.add(grant.user_id)
            sent += bool(
                notify(
                    user=grant.user,
                    kind="showcase_due",
                    street_id=grant.street_id,
                    title=_("The %(year)s Q%(q)s showcase is due by %(day)s")
                    % {
                        "year": today.year,
                        "q": quarter,
                        "day": date_format(end, "MONTH_DAY_FORMAT"),
                    },
                    body=_("Check the quarter's records and reviews before the showcase."),
                    # The console's home links each community's showcase and assessments.
                    url=reverse("console:home"),
                    dedupe_key=f"showcase:{today.year}Q{quarter}",
                )
            )
    return sent
