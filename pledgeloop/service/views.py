"""Service records (践诺): a member's phone, the community desk, check-in codes, the export.

Views are thin: an access check (access.py), a form, a service call (services.py).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.numbers import format_hours
from pledgeloop.lib.params import parse_id, query_id, query_text
from pledgeloop.lib.pinyin import pinyin_search_q, pinyin_sort_key
from pledgeloop.lib.private import private_page
from pledgeloop.lib.qr import qr_svg
from pledgeloop.lib.spreadsheets import xlsx_response
from pledgeloop.orgs.models import Site
from pledgeloop.orgs.scope import scope_name
from pledgeloop.people.models import Role
from pledgeloop.people.reauth import password_confirm_redirect, password_recently_confirmed

from . import access
from .export import hours_export
from .forms import ExportForm, ServiceLogForm, SettleForm, StaffServiceLogForm
from .selectors import hours_by_verification, records_in_period
from .services import (
    ServiceError,
    checkin_close,
    checkin_open,
    open_checkin_for,
    screen_minutes,
    service_record_log_by_member,
    service_record_log_by_staff,
    service_record_settle,
    site_screen_code,
    site_screen_issue,
    site_screen_seconds_left,
)


def _default_period() -> tuple[dt.date, dt.date]:
    """From the first of last month to today: the month just ended, to report, and this one.
    (It began on the last day of last month: on 1 December, two days and no records.)"""
    today = timezone.localdate()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1), today


def _records_page(request, qs):
    qs = qs.select_related("category", "beneficiary", "community").prefetch_related(
        "participants__member__user", "photos"
    )
    return Paginator(qs, 30).get_page(request.GET.get("page"))


# --- the member's phone ------------------------------------------------------------------


@login_required
def my_records(request):
    member = access.require_member(request.user)
    qs = access.records_visible_to(request.user).filter(participants__member=member)
    year_ago = timezone.localdate() - dt.timedelta(days=365)
    totals = hours_by_verification(
        records_in_period(qs, year_ago, timezone.localdate()), member=member
    )
    return render(
        request,
        "service/my_records.html",
        {
            "member": member,
            "page": _records_page(request, qs),
            "totals": totals,
            "open_checkin": open_checkin_for(member),
        },
    )


@login_required
def my_record_new(request, *, due_visits_url: str = ""):
    """A member logs ad-hoc service (self-reported).

    `due_visits_url`, when the app that schedules visits passes it (its own route for this
    page), links a member with visits due to the page that logs those.
    """
    member = access.require_member(request.user)
    residents = access.beneficiaries_for(request.user).filter(community_id=member.community_id)
    form = ServiceLogForm(
        request.POST or None,
        request.FILES or None,
        street_id=member.street_id,
        residents=residents,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = service_record_log_by_member(
                member=member,
                day=data["day"],
                start=data["start"],
                hours=data["hours"],
                note=data["note"],
                category=data["category"],
                beneficiary=data["beneficiary"],
                photos=data["photos"],
            )
        except (ServiceError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if hasattr(exc, "messages") else str(exc))
        else:
            messages.success(
                request,
                _("Logged: %(hours)s h of service. Thank you!")
                % {"hours": format_hours(record.hours)},
            )
            return redirect("service:mine")
    if form.errors:
        form.photo_keep()
    return render(
        request,
        "service/log_form.html",
        {"form": form, "staff": False, "due_visits_url": due_visits_url},
    )


@login_required
def record_detail(request, pk: int):
    record = access.get_record_for_user(request.user, pk)
    can_settle = record.is_flagged and record.community_id in request.user.admin_community_ids()
    return render(
        request,
        "service/record_detail.html",
        {
            "record": record,
            "participants": record.participants.select_related("member__user"),
            "photos": record.photos.all(),
            "settle_form": SettleForm(initial={"hours": record.hours}) if can_settle else None,
            # Back to the list this reader came from: the desk's records, a member's own, or both.
            "staff": access.is_service_admin(request.user),
            "member": bool(request.user.member_community_ids()),
        },
    )


@login_required
def record_settle(request, pk: int):
    """An admin has checked hours the beneficiary disputed, and sets them."""
    record = access.get_flagged_record_for_admin(request.user, pk)
    if request.method != "POST":
        return redirect("service:record", pk=record.pk)
    form = SettleForm(request.POST)
    if form.is_valid():
        try:
            service_record_settle(record=record, by=request.user, hours=form.cleaned_data["hours"])
        except ServiceError as exc:
            form.add_error("hours", str(exc))
        else:
            messages.success(request, _("The hours are checked and now count as verified."))
            return redirect("service:record", pk=record.pk)
    record = access.get_record_for_user(request.user, pk)
    return render(
        request,
        "service/record_detail.html",
        {
            "record": record,
            "participants": record.participants.select_related("member__user"),
            "photos": record.photos.all(),
            "settle_form": form,
        },
        status=400,
    )


@login_required
def beneficiary_search(request):
    """htmx: residents matching a name, pinyin or initials, as choices for the log form."""
    query = query_text(request.GET, "beneficiary_q")
    residents = []
    if query:
        qs = access.beneficiaries_for(request.user)
        member = access.member_of(request.user)
        if member is not None and not access.is_service_admin(request.user):
            qs = qs.filter(community_id=member.community_id)
        residents = qs.filter(pinyin_search_q(query)).order_by("name_sort")[:8]
    return render(request, "service/_beneficiaries.html", {"residents": residents, "q": query})


# --- the community desk ------------------------------------------------------------------


@login_required
def console_records(request):
    community_ids = access.require_admin(request.user)
    start, end = _default_period()
    form = ExportForm(
        request.GET or None,
        communities=access.communities_for_export(request.user),
        initial={"start": start, "end": end},
    )
    qs = access.records_visible_to(request.user).filter(community_id__in=community_ids)
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if form.cleaned_data["community"]:
            qs = qs.filter(community=form.cleaned_data["community"])
    qs = records_in_period(qs, start, end)
    # Hours a beneficiary disputed wait for the admin whatever the period.
    flagged = access.records_visible_to(request.user).filter(
        community_id__in=community_ids, flagged_at__isnull=False
    )
    return render(
        request,
        "service/console_records.html",
        {
            "form": form,
            "page": _records_page(request, qs),
            "totals": hours_by_verification(qs),
            "start": start,
            "end": end,
            "flagged": flagged.select_related("beneficiary").order_by("flagged_at")[:50],
        },
    )


@login_required
def console_record_new(request):
    access.require_admin(request.user)
    form = StaffServiceLogForm(
        request.POST or None,
        request.FILES or None,
        street_id=_street_of_admin(request.user),
        residents=access.beneficiaries_for(request.user),
        members=access.members_loggable_by(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = service_record_log_by_staff(
                by=request.user,
                members=list(data["members"]),
                day=data["day"],
                start=data["start"],
                hours=data["hours"],
                note=data["note"],
                category=data["category"],
                beneficiary=data["beneficiary"],
                photos=data["photos"],
            )
        except (ServiceError, ValidationError) as exc:
            form.add_error(None, exc.messages[0] if hasattr(exc, "messages") else str(exc))
        else:
            messages.success(
                request,
                _("Recorded %(hours)s h for %(n)s member(s).")
                % {"hours": format_hours(record.hours), "n": len(data["members"])},
            )
            return redirect("service:console")
    if form.errors:
        form.photo_keep()
    return render(request, "service/log_form.html", {"form": form, "staff": True})


def _street_of_admin(user) -> int | None:
    admin_roles = {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN}
    grant = next((g for g in user.grants if g.role in admin_roles), None)
    return grant.street_id if grant else None


@login_required
def console_export(request):
    access.require_admin(request.user)
    if not password_recently_confirmed(request):  # the sheet holds whole numbers
        return password_confirm_redirect(request, back=reverse("service:console"))
    communities = access.communities_for_export(request.user)
    form = ExportForm(request.GET, communities=communities)
    if not form.is_valid():
        messages.error(request, _("Choose a period to export: a start and an end date."))
        return redirect("service:console")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    chosen = form.cleaned_data["community"]
    scope = [chosen] if chosen else list(communities)
    name = scope_name(scope)  # what the file holds: one community, a street, or several
    title = _("Volunteer service hours · %(scope)s · %(start)s to %(end)s") % {
        "scope": name,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    content = hours_export(
        title=title,
        community_ids=[c.pk for c in scope],
        start=start,
        end=end,
        by=request.user,
        page=request.path,
    )
    filename = _("%(scope)s-volunteer-hours-%(start)s-%(end)s.xlsx") % {
        "scope": name,
        "start": start.strftime("%Y%m%d"),
        "end": end.strftime("%Y%m%d"),
    }
    return xlsx_response(content, filename)


@login_required
def checkin_codes(request):
    access.require_admin(request.user)
    # By name as people read them: community, then place, in pinyin order (numbers as numbers).
    places = sorted(
        access.places_with_codes(request.user).select_related("parent"),
        key=lambda site: (pinyin_sort_key(site.community.name), pinyin_sort_key(str(site))),
    )[:200]
    resident_pk = query_id(request.GET, "resident")
    if resident_pk is not None:
        resident = access.beneficiaries_for(request.user).filter(pk=resident_pk).first()
        places[:0] = [resident] if resident else []
    codes = []
    for place in places:
        url = request.build_absolute_uri(
            reverse("service:checkin", args=[access.checkin_token(place)])
        )
        # segno writes the SVG from the URL alone: nothing user-typed goes in unescaped.
        codes.append({"place": place, "url": url, "svg": mark_safe(qr_svg(url))})  # noqa: S308
    return render(request, "service/checkin_codes.html", {"codes": codes})


@login_required
def checkin_screens(request):
    """The sites' screens: set one up (or reset it) and open its link on the screen."""
    access.require_admin(request.user)
    if request.method == "POST":
        pk = request.POST.get("site", "")
        site = access.get_site_for_admin(request.user, parse_id(pk) or 0)
        site_screen_issue(site=site, by=request.user)
        messages.success(
            request,
            _("The screen of %(site)s has a new link: open it on the screen there.")
            % {"site": site},
        )
        return redirect("service:checkin_screens")
    sites = list(
        access.places_with_codes(request.user)
        .select_related("checkin_screen")
        .order_by("community__name", "name")[:200]
    )
    rows = []
    for site in sites:
        screen = getattr(site, "checkin_screen", None)
        url = (
            request.build_absolute_uri(reverse("service:screen", args=[screen.key]))
            if screen
            else ""
        )
        rows.append({"site": site, "screen": screen, "url": url})
    return render(
        request, "service/checkin_screens.html", {"rows": rows, "minutes": screen_minutes()}
    )


def checkin_screen(request, key: str):
    """The page a screen at the site shows: a check-in code that changes every few minutes.

    Opened by its secret link, no sign-in (a screen on a wall). It reloads itself when the
    code changes.
    """
    screen = access.screen_from_key(key)
    now = timezone.now()
    code = site_screen_code(screen=screen, at=now)
    url = request.build_absolute_uri(
        reverse("service:checkin", args=[access.checkin_token(screen.site)]) + f"?code={code}"
    )
    response = render(
        request,
        "service/checkin_screen.html",
        {
            "site": screen.site,
            "code": code,
            # segno writes the SVG from the URL alone: nothing user-typed goes in unescaped.
            "svg": mark_safe(qr_svg(url)),  # noqa: S308
            "refresh": site_screen_seconds_left(at=now) + 1,
            "minutes": screen_minutes(),
        },
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- check-in and check-out by QR code ---------------------------------------------------


def _checked_out_message(record) -> str:
    if record is None:
        return _(
            "Checked out. Less than a quarter of an hour between your scans: no hours are "
            "counted for this visit."
        )
    if record.verification == record.Verification.VERIFIED:
        return _("Checked out: %(hours)s verified hours. Thank you!") % {
            "hours": format_hours(record.hours)
        }
    return _(
        "Checked out: %(hours)s hours, self-reported. A printed code alone does not verify "
        "hours: scan the code on the site's screen when you arrive and leave, or ask the "
        "beneficiary to confirm them."
    ) % {"hours": format_hours(record.hours)}


@private_page
@login_required
def checkin(request, token: str, *, close=checkin_close):
    """签到/签退 with a place's code. `close` closes the member's check-in (checkin_close by
    default; the app that schedules visits passes its own, which also fulfils a due visit)."""
    place = access.place_from_token(token)
    member = access.member_of(request.user)
    current = open_checkin_for(member) if member else None
    screen_code = (request.POST.get("code") or request.GET.get("code") or "").strip()[:12]
    if request.method == "POST":
        if member is None:
            messages.error(request, _("Only members check in with this code."))
            return redirect("service:checkin", token=token)
        try:
            if request.POST.get("action") == "out" and current is not None:
                if current.place != place:
                    raise ServiceError(
                        _("You checked in at %(place)s: scan that code to check out.")
                        % {"place": current.place}
                    )
                record = close(
                    checkin=current, member=member, screen_code=screen_code, ip=client_ip(request)
                )
                messages.success(request, _checked_out_message(record))
                if record is None:
                    return redirect("service:mine")
                return redirect("service:record", pk=record.pk)
            checkin_open(member=member, place=place, screen_code=screen_code, ip=client_ip(request))
            messages.success(request, _("Checked in. Scan the same code again when you leave."))
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect("service:checkin", token=token)
    is_site = isinstance(place, Site)
    return render(
        request,
        "service/checkin.html",
        {
            "place": place,
            "member": member,
            "current": current,
            "here": current is not None and current.place == place,
            "now": timezone.now(),
            "other_community": member is not None and place.community_id != member.community_id,
            "ask_code": is_site,
            "screen_code": screen_code if is_site else "",
        },
    )
