"""The console's event pages (under /console/teams/events/): events an admin manages, a new
event, one event with its sessions, booths, shifts, volunteers' sign-ups, attendance and
write-up; the session's check-in screen; a place's session order taken by staff, and the
session planned for an order a team accepted. An event outside the admin's scope is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pledgeloop.lib.photos import photo_clean
from pledgeloop.lib.qr import qr_svg
from pledgeloop.orders import access as order_access
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Category, Street
from pledgeloop.people import access as people_access

from . import access, event_changes, events
from .event_forms import (
    BoothForm,
    EventCancelForm,
    EventEditForm,
    EventForm,
    OnOrderEventForm,
    PhotoForm,
    SessionForm,
    ShiftForm,
    StaffPlaceOrderForm,
    VolunteerSignupForm,
    WriteUpForm,
)
from .models import Attendance, EventPhoto, EventSession, Position, Shift, Team, Volunteer
from .services import TeamError, cancelled_check


def _require_admin(user) -> None:
    if not people_access.is_admin(user):
        raise PermissionDenied


def _scope(user):
    communities = people_access.communities_administered(user)
    street_ids = {c.street_id for c in communities} | set(user.admin_street_ids())
    return communities, street_ids


def _event_form(request, data=None, *, event=None) -> EventForm:
    """The new-event form, or with `event` the form that changes it: its own team and place
    stay offered even when no longer active or the street's (a community admin editing a
    street team's fair)."""
    communities, street_ids = _scope(request.user)
    teams = access.teams_administered_by(request.user).filter(active=True)
    places = Position.objects.filter(street_id__in=street_ids, active=True)
    if event is None:
        return EventForm(
            data, communities=communities, teams=teams, places=places.select_related("site")
        )
    initial = {name: getattr(event, name) for name in event_changes.FIELDS}
    return EventEditForm(
        data,
        initial=initial,
        communities=communities,
        teams=(teams | Team.objects.filter(pk=event.team_id)).distinct(),
        places=(places | Position.objects.filter(pk=event.place_id))
        .distinct()
        .select_related("site"),
    )


@login_required
def event_list(request):
    _require_admin(request.user)
    rows = (
        access.events_administered_by(request.user)
        .select_related("community", "team", "place__site")
        .annotate(
            session_count=Count("sessions", distinct=True),
            booth_count=Count("booths", distinct=True),
        )
        .order_by("-starts_at")[:200]
    )
    return render(request, "teams/console_events.html", {"events": rows})


@login_required
def event_new(request):
    _require_admin(request.user)
    form = _event_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = data["community"]
        if community is None and not request.user.admin_street_ids():
            form.add_error("community", _("Choose one of your communities."))
        else:
            street = (
                community.street
                if community
                else Street.objects.filter(pk__in=request.user.admin_street_ids()).first()
            )
            try:
                event = events.event_create(
                    street=street,
                    community=community,
                    kind=data["kind"],
                    title=data["title"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    team=data["team"],
                    partner=data["partner"],
                    place=data["place"],
                    capacity=data["capacity"],
                    audience=data["audience"],
                    description=data["description"],
                    registration=data["registration"],
                )
            except TeamError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Event created."))
                return redirect("console:teams:event", event.pk)
    return render(
        request,
        "teams/console_event_form.html",
        {"form": form, "title": _("New event")},
        status=400 if form.errors else 200,
    )


def _detail_context(request, event, **forms):
    sessions = list(
        event.sessions.annotate(registered=Count("registrations")).prefetch_related(
            "shifts__booth", "shifts__signups__member__user", "shifts__signups__volunteer"
        )
    )
    attendance = (
        Attendance.objects.filter(session__event=event)
        .select_related("member__user", "volunteer", "shift__booth", "record", "covered_by")
        .order_by("session__starts_at", "checked_in_at")
    )
    booths = list(event.booths.select_related("category", "team"))
    volunteers = Volunteer.objects.filter(street_id=event.street_id).order_by("name")
    categories = Category.objects.filter(street_id=event.street_id, active=True)
    teams = Team.objects.filter(street_id=event.street_id, active=True)
    shifts = [s for session in sessions for s in session.shifts.all()]
    return {
        "event": event,
        "sessions": sessions,
        "booths": booths,
        "attendance": attendance,
        "photos": event.photos.all(),
        "write_up_form": forms.get("write_up_form")
        or WriteUpForm(initial={"write_up": event.write_up}),
        "session_form": forms.get("session_form") or SessionForm(),
        "booth_form": forms.get("booth_form") or BoothForm(categories=categories, teams=teams),
        "shift_form": forms.get("shift_form")
        or ShiftForm(sessions=event.sessions.all(), booths=event.booths.all()),
        "volunteer_form": forms.get("volunteer_form")
        or VolunteerSignupForm(
            shifts=_shifts(event),
            volunteers=volunteers,
        ),
        "photo_form": forms.get("photo_form") or PhotoForm(),
        "shift_count": len(shifts),
        "now": timezone.now(),
    }


def _shifts(event):
    return Shift.objects.filter(session__event=event).select_related("booth", "session")


def _detail(request, event, *, status=200, **forms):
    return render(
        request, "teams/console_event.html", _detail_context(request, event, **forms), status=status
    )


@login_required
def event_detail(request, pk: int):
    _require_admin(request.user)
    event = access.get_event_for_admin(request.user, pk)
    if request.method == "POST":
        form = WriteUpForm(request.POST)
        if not form.is_valid():
            return _detail(request, event, status=400, write_up_form=form)
        try:
            events.event_write_up(event=event, write_up=form.cleaned_data["write_up"])
        except TeamError as error:
            form.add_error(None, str(error))
            return _detail(request, event, status=400, write_up_form=form)
        messages.success(request, _("Saved."))
        return redirect("console:teams:event", event.pk)
    return _detail(request, event)


@login_required
def event_cancel(request, pk: int):
    """取消活动: the reason, and how many people will be told, before the event is called
    off (event_changes.event_cancel)."""
    _require_admin(request.user)
    event = access.get_event_for_admin(request.user, pk)
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _event, told = event_changes.event_cancel(
                event=event, reason=form.cleaned_data["reason"]
            )
        except TeamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                ngettext(
                    "The event is cancelled; %(n)s person signed up was told.",
                    "The event is cancelled; %(n)s people signed up were told.",
                    told,
                )
                % {"n": told},
            )
            return redirect("console:teams:event", event.pk)
    return render(
        request,
        "teams/console_event_cancel.html",
        {"form": form, "event": event, "people": event_changes.event_people(event)},
        status=400 if form.errors else 200,
    )


def _saved(told: int) -> str:
    if not told:
        return _("Saved.")
    return ngettext(
        "Saved; %(n)s person signed up was told of the change.",
        "Saved; %(n)s people signed up were told of the change.",
        told,
    ) % {"n": told}


@login_required
def event_edit(request, pk: int):
    """修改活动: the new-event form filled in with the event. A new time or place that would
    tell people, or move shifts, is shown first (who is told, what, which shifts move) and
    saved when the admin confirms that very change (event_changes)."""
    _require_admin(request.user)
    event = access.get_event_for_admin(request.user, pk)
    form = _event_form(request, request.POST or None, event=event)
    preview = None
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in event_changes.FIELDS}
        if values["community"] is None and not request.user.admin_street_ids():
            form.add_error("community", _("Choose one of your communities."))
        else:
            try:
                preview = event_changes.event_change_preview(event=event, **values)
                if not preview.needs_confirming or request.POST.get("confirm") == preview.key:
                    _event, told = event_changes.event_change(event=event, **values)
                    messages.success(request, _saved(told))
                    return redirect("console:teams:event", event.pk)
            except TeamError as error:
                preview = None
                form.add_error(None, str(error))
    people = preview.people if preview else event_changes.event_people(event)
    return render(
        request,
        "teams/console_event_edit.html",
        {"form": form, "event": event, "preview": preview, "people": people},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def event_part_add(request, pk: int, part: str):
    """Add a session, a booth, a shift or a volunteer's sign-up to the event."""
    _require_admin(request.user)
    event = access.get_event_for_admin(request.user, pk)
    categories = Category.objects.filter(street_id=event.street_id, active=True)
    teams = Team.objects.filter(street_id=event.street_id, active=True)
    if part == "session":
        form, key = SessionForm(request.POST), "session_form"
    elif part == "booth":
        form, key = BoothForm(request.POST, categories=categories, teams=teams), "booth_form"
    elif part == "shift":
        form = ShiftForm(request.POST, sessions=event.sessions.all(), booths=event.booths.all())
        key = "shift_form"
    elif part == "volunteer":
        form = VolunteerSignupForm(
            request.POST,
            shifts=_shifts(event),
            volunteers=Volunteer.objects.filter(street_id=event.street_id),
        )
        key = "volunteer_form"
    elif part == "photo":
        form, key = PhotoForm(request.POST, request.FILES), "photo_form"
    else:
        raise PermissionDenied
    if not form.is_valid():
        if isinstance(form, PhotoForm):
            form.photo_keep()
        return _detail(request, event, status=400, **{key: form})
    data = form.cleaned_data
    try:
        cancelled_check(event)  # photos too: a cancelled event takes nothing more
        if part == "session":
            events.session_add(
                event=event,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                label=data["label"],
                capacity=data["capacity"],
            )
        elif part == "booth":
            events.booth_add(
                event=event, name=data["name"], category=data["category"], team=data["team"]
            )
        elif part == "shift":
            events.shift_add(
                session=data["session"],
                booth=data["booth"],
                role=data["role"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                places=data["places"],
            )
        elif part == "volunteer":
            events.shift_signup_volunteer(shift=data["shift"], volunteer=data["volunteer"])
        else:
            EventPhoto.objects.create(
                street_id=event.street_id,
                event=event,
                image=photo_clean(data["image"]),
                caption=data["caption"],
                consent_confirmed=data["consent_confirmed"],
            )
    except (TeamError, ValidationError) as error:
        form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))
        return _detail(request, event, status=400, **{key: form})
    messages.success(request, _("Saved."))
    return redirect("console:teams:event", event.pk)


@login_required
@require_POST
def attendance_volunteer(request, pk: int, session_id: int, volunteer_id: int):
    """Mark a volunteer who signed up present for their shift (they have no phone scan)."""
    _require_admin(request.user)
    event = access.get_event_for_admin(request.user, pk)
    session = get_object_or_404(EventSession, pk=session_id, event=event)
    volunteer = get_object_or_404(Volunteer, pk=volunteer_id, street_id=event.street_id)
    try:
        events.attendance_mark_volunteer(session=session, volunteer=volunteer)
    except TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("console:teams:event", event.pk)


@login_required
def session_screen(request, pk: int, session_id: int):
    """The session's check-in screen: the changing code and its QR, for members to scan."""
    _require_admin(request.user)
    event = access.get_event_for_admin(request.user, pk)
    session = get_object_or_404(EventSession, pk=session_id, event=event)
    code = events.session_code(session=session)
    url = request.build_absolute_uri(
        reverse("teams:session_checkin", args=[event.street.slug, event.slug, session.pk])
        + f"?code={code}"
    )
    return render(
        request,
        "teams/console_session_screen.html",
        {"event": event, "session": session, "code": code, "qr": qr_svg(url, scale=8)},
    )


@login_required
def place_order_new(request):
    """Staff take a place's order for a session (by phone or in person)."""
    _require_admin(request.user)
    communities, street_ids = _scope(request.user)
    positions = Position.objects.filter(site__community__in=communities, active=True)
    form = StaffPlaceOrderForm(
        request.POST or None,
        positions=positions.select_related("site"),
        categories=Category.objects.filter(street_id__in=street_ids, active=True),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = events.session_order_submit(
                position=data["position"],
                category=data["category"],
                contact_name=data["contact_name"],
                phone=data["phone"],
                description=data["description"],
                consent=data["consent"],
                window_start=data["window_start"],
                channel=Order.Channel.PHONE,
                by=request.user,
            )
        except TeamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Order #%(n)s filed: triage it and dispatch it to a team.") % {"n": order.pk},
            )
            return redirect("console:order_detail", order.pk)
    # Whole addresses, each with its code, to print and put up at the place.
    place_links = []
    for p in positions.select_related("site__street")[:100]:
        url = request.build_absolute_uri(
            reverse("teams:place_order", args=[p.site.street.slug, p.pk, events.place_order_key(p)])
        )
        place_links.append((p, url, qr_svg(url, title=p.site.name)))
    return render(
        request,
        "teams/console_place_order.html",
        {"form": form, "place_links": place_links},
        status=400 if form.errors else 200,
    )


@login_required
def on_order_event_new(request, order_pk: int):
    """Plan the session of an order a team's leader accepted: an event at the place."""
    _require_admin(request.user)
    order = order_access.get_order_for_admin(request.user, order_pk)
    form = OnOrderEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = events.on_order_event_create(
                order=order,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
        except TeamError as error:
            form.add_error(None, str(error))
        else:
            return redirect("console:teams:event", event.pk)
    return render(
        request,
        "teams/console_event_form.html",
        {"form": form, "title": _("Session for order #%(n)s") % {"n": order.pk}},
        status=400 if form.errors else 200,
    )
