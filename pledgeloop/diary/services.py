"""Writes to the service diary: draft from records, edit, publish, withdraw."""

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pledgeloop.lib.numbers import format_hours
from pledgeloop.orgs.models import Community, Street
from pledgeloop.stats.periods import Period
from pledgeloop.teams.selectors import event_summary

from .models import Article
from .selectors import period_summary


class DiaryError(Exception):
    """A refused action, with a message for the person who tried it."""


def week_of(day: dt.date) -> Period:
    monday = day - dt.timedelta(days=day.weekday())
    return Period(monday, monday + dt.timedelta(days=7))


def _unique_slug(base: str) -> str:
    slug, n = base, 2
    while Article.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _draft_text(*, place: str, period: Period, summary: dict) -> str:
    f = summary["figures"]
    said = {
        "start": f"{period.start.year}年{period.start.month}月{period.start.day}日",
        "end": f"{period.last_day.year}年{period.last_day.month}月{period.last_day.day}日",
        "place": place,
        "records": f["service_records"],
        "without": summary["without_members"],
    }
    if said["without"]:
        opening = (
            _(
                "From %(start)s to %(end)s, the volunteers of %(place)s served %(records)s "
                "times, %(without)s of them (such as queue numbers served at a booth) with no "
                "member or hours recorded."
            )
            % said
        )
    else:
        opening = (
            _("From %(start)s to %(end)s, the volunteers of %(place)s served %(records)s times.")
            % said
        )
    lines = [
        opening,
        "",
        "## " + _("In figures"),
        "",
        "- " + _("Members who served: %(n)s") % {"n": summary["served"]},
        "- " + _("Service hours: %(n)s") % {"n": format_hours(f["service_hours"])},
        "- " + _("Problems solved: %(n)s") % {"n": f["problems_solved"]},
        "- " + _("On-order services: %(n)s") % {"n": f["on_order_services"]},
    ]
    if f["satisfaction_rate"] is not None:
        lines.append(
            "- " + _("Satisfaction rate: %(n)s%%") % {"n": f"{f['satisfaction_rate'] * 100:.1f}"}
        )
    if summary["categories"]:
        lines += ["", "## " + _("By category"), ""]
        lines += [
            "- " + _("%(name)s: %(n)s services") % {"name": row[0], "n": row[1]}
            for row in summary["categories"]
        ]
    if summary["highlights"]:
        lines += ["", "## " + _("Highlights"), ""]
        for record in summary["highlights"]:
            day = timezone.localtime(record.started_at).date()
            what = record.category.name if record.category else _("Service")
            lines.append(
                "- "
                + _("**%(date)s · %(community)s · %(what)s**: %(note)s")
                % {
                    "date": f"{day.month}月{day.day}日",
                    "community": record.community.name,
                    "what": what,
                    "note": record.note,
                }
            )
    if summary["milestones"]:
        lines += ["", "## " + _("Community projects"), ""]
        for m in summary["milestones"]:
            note = _(": %(evidence)s") % {"evidence": m.evidence} if m.evidence else ""
            lines.append(
                "- "
                + _("**%(date)s · %(project)s**: “%(milestone)s” done")
                % {
                    "date": f"{m.done_on.month}月{m.done_on.day}日",
                    "project": "[{}]({})".format(
                        m.project.title,
                        reverse("teams:project", args=[m.project.street.slug, m.project.slug]),
                    ),
                    "milestone": m.title,
                }
                + note
            )
    if summary["photos"]:
        lines += ["", "## " + _("Photos"), ""]
        # Through the photo view, which shows them to anyone while the consent stands (C12).
        # (The alt text outside the f-string, where makemessages finds it.)
        alt = _("Service photo")
        lines += [
            f"![{alt}]({reverse('orders:photo', args=['service', photo.pk])})"
            for photo in summary["photos"]
        ]
    lines += ["", _("Thanks to every member and volunteer who served.")]
    return "\n".join(lines) + "\n"


@transaction.atomic
def article_draft(
    *, street: Street, community: Community | None, period: Period, kind: str, by
) -> Article:
    """A draft article for a week or a month, written from that period's records."""
    if community is not None and community.street_id != street.pk:
        raise DiaryError(_("That community belongs to another street."))
    place = community.name if community else street.name
    summary = period_summary(
        street_id=street.pk, community_id=community.pk if community else None, period=period
    )
    if kind == "week":
        title = _("%(place)s service diary: week of %(date)s") % {
            "place": place,
            "date": f"{period.start.year}年{period.start.month}月{period.start.day}日",
        }
    else:
        title = _("%(place)s service diary: %(month)s") % {
            "place": place,
            "month": f"{period.start.year}年{period.start.month}月",
        }
    base = slugify(f"{street.slug}-{community.slug if community else 'all'}-{kind}")
    return Article.objects.create(
        street=street,
        community=community,
        title=title,
        slug=_unique_slug(f"{base}-{period.start:%Y%m%d}"),
        period_start=period.start,
        period_end=period.end,
        body=_draft_text(place=place, period=period, summary=summary),
        created_by=by,
    )


@transaction.atomic
def article_update(*, article: Article, title: str, body: str) -> Article:
    article.title, article.body = title, body
    article.save(update_fields=["title", "body", "updated_at"])
    return article


@transaction.atomic
def article_publish(*, article: Article) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.is_published:
        raise DiaryError(_("This article is already published."))
    article.state, article.published_at = Article.State.PUBLISHED, timezone.now()
    article.save(update_fields=["state", "published_at", "updated_at"])
    return article


@transaction.atomic
def article_withdraw(*, article: Article) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    article.state = Article.State.DRAFT
    article.save(update_fields=["state", "updated_at"])
    return article


@transaction.atomic
def article_draft_from_event(*, event, by) -> Article:
    """A draft article from an event's write-up (teams.Event): what, where, who organised
    it, its figures from the records (attendance, hours, numbers served at booths,
    registrations) and the photos whose people agreed to appear."""
    summary = event_summary(event)
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    lines = [
        _("%(date)s: %(title)s at %(place)s.")
        % {
            "date": f"{start.year}年{start.month}月{start.day}日",
            "title": event.title,
            "place": event.place.site.name if event.place_id else event.street.name,
        },
        "",
    ]
    if event.team_id or event.partner:
        organisers = _(", ").join(
            n for n in (event.team.name if event.team_id else "", event.partner) if n
        )
        lines += [_("Organised by %(who)s.") % {"who": organisers}, ""]
    if event.write_up:
        lines += [event.write_up.strip(), ""]
    lines += [
        "## " + _("In figures"),
        "",
        "- " + _("Members who served: %(n)s") % {"n": summary["members"]},
        "- " + _("Volunteers: %(n)s") % {"n": summary["volunteers"]},
        "- " + _("Service hours: %(n)s") % {"n": format_hours(summary["hours"])},
    ]
    if summary["served"]:
        lines.append("- " + _("Residents served at the booths: %(n)s") % {"n": summary["served"]})
    if summary["registered"]:
        lines.append("- " + _("Residents registered: %(n)s") % {"n": summary["registered"]})
    photos = list(event.photos.filter(consent_confirmed=True))
    if photos:
        alt = _("Event photo")
        lines += ["", "## " + _("Photos"), ""]
        lines += [f"![{alt}]({reverse('teams:event_photo', args=[p.pk])})" for p in photos]
    base = slugify(f"{event.street.slug}-event-{event.slug}")[:60]
    return Article.objects.create(
        street=event.street,
        community=event.community,
        title=event.title,
        slug=_unique_slug(base),
        period_start=start.date(),
        period_end=end.date() + dt.timedelta(days=1),
        body="\n".join(lines) + "\n",
        created_by=by,
    )
