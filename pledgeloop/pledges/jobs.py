"""Scheduled jobs: idempotent plain functions (run twice, same result), each with a command.

generate_visits       daily: activates pledges whose start has come, extends every active
                      pledge's visits to 90 days ahead.
mark_missed_visits    daily: visits past their date plus the grace period become missed;
                      pledges past their end plus the grace period close.
remind_anniversaries  daily: a reminder 7 days before each party anniversary, and on the day.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledgeloop.notify.services import notify
from pledgeloop.people.models import Member

from .anniversaries import next_anniversary, party_years
from .models import Pledge, Visit, visit_grace_days
from .services import pledge_activate, pledge_close, visits_generate

REMIND_DAYS_BEFORE = 7


def generate_visits(*, today: dt.date | None = None) -> int:
    """Returns how many visits were created."""
    today = today or timezone.localdate()
    for pledge in Pledge.objects.filter(state=Pledge.State.APPROVED, starts_on__lte=today):
        pledge_activate(pledge=pledge, today=today)
    created = 0
    horizon = today - dt.timedelta(days=visit_grace_days())
    for pledge in Pledge.objects.filter(state=Pledge.State.ACTIVE, ends_on__gte=horizon):
        created += visits_generate(pledge=pledge, today=today)
    return created


def mark_missed_visits(*, today: dt.date | None = None) -> int:
    """Returns how many visits became missed."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=visit_grace_days())
    missed = Visit.objects.filter(state=Visit.State.DUE, due_on__lt=cutoff).update(
        state=Visit.State.MISSED
    )
    for pledge in Pledge.objects.filter(state=Pledge.State.ACTIVE, ends_on__lt=cutoff):
        pledge_close(pledge=pledge)
    return missed


def remind_anniversaries(*, today: dt.date | None = None) -> int:
    """Returns how many reminders were sent.

    The early reminder goes out on any of the seven days before (so a day the job did not
    run is caught up), the second on the day; the dedupe key sends each only once.
    """
    today = today or timezone.localdate()
    days = [today + dt.timedelta(days=n) for n in range(REMIND_DAYS_BEFORE + 1)]
    same_day = Q()
    for day in days:
        same_day |= Q(party_join_date__month=day.month, party_join_date__day=day.day)
        if (day.month, day.day) == (2, 28):
            same_day |= Q(party_join_date__month=2, party_join_date__day=29)
    members = Member.objects.filter(same_day, active=True, party_join_date__isnull=False)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for member in members.select_related("user"):
            anniversary = next_anniversary(member.party_join_date, today)
            ahead = (anniversary - today).days
            if ahead > REMIND_DAYS_BEFORE:
                continue
            years = party_years(member.party_join_date, anniversary)
            if ahead == 0:
                title = _("Today is your party anniversary: %(years)s years") % {"years": years}
            else:
                title = _("Your party anniversary is in %(days)s days: %(years)s years") % {
                    "days": ahead,
                    "years": years,
                }
            body = _(
                "On your party anniversary, look back on your pledges and renew them: "
                "what did you fulfil this year, and what will you pledge next?"
            )
            tag = "0d" if ahead == 0 else "7d"
            done = notify(
                user=member.user,
                kind="anniversary",
                title=title,
                body=body,
                url=reverse("pledges:mine"),
                dedupe_key=f"anniversary:{member.pk}:{anniversary.isoformat()}:{tag}",
                street_id=member.street_id,
            )
            sent += done is not None
    return sent
