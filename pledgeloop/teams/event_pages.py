"""Event pages on phones: residents register for a session (no account) and a place orders a
session by its own QR; members sign up for shifts (/me/events/), check in and out by the
session's code, and serve the numbers of their booth."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.masking import is_mainland_mobile
from pledgeloop.lib.private import private_page
from pledgeloop.orgs.models import Category

from . import access, events, selectors
from .event_forms import CheckinCodeForm, PlaceOrderForm, RegistrationForm, WithdrawForm
from .models import (
    Attendance,
    Booth,
    EventSession,
    Position,
    QueueTicket,
    Registration,
    Shift,
    SignUp,
)
from .services import TeamError


def _session(street_slug: str, event_slug: str, session_id: int) -> EventSession:
    return get_object_or_404(
        EventSession.objects.select_related("event__street", "event__place__site"),
        pk=session_id,
        event__street__slug=street_slug,
        event__slug=event_slug,
    )


# A browser that registered for a session is recognised when it comes back: a cookie of that
# session's page alone, holding the registration's id signed (nothing of the person).
REGISTERED_COOKIE = "registered-{}"
REGISTERED_SALT = "teams.registration.{}"
# Kept until the day after the session ends, when the registration is of no more use.
REGISTERED_KEPT = dt.timedelta(days=1)


def _returning_registration(request, session: EventSession) -> Registration | None:
    """The registration this browser made for the session, from its signed cookie; a forged
    or altered cookie, or a registration since removed or made anonymous, is no one's."""
    value = request.get_signed_cookie(
        REGISTERED_COOKIE.format(session.pk),
        default="",
        salt=REGISTERED_SALT.format(session.pk),
    )
    if not value.isdigit():
        return None
    registration = Registration.objects.filter(pk=int(value), session=session).first()
    if registration is None or not is_mainland_mobile(registration.phone):
        return None
    return registration


def _remember_registration(
    request, response, session: EventSession, registration: Registration
) -> None:
    """Set on every registration this browser is answered with: a double tap's second answer
    is the first registration, and it is that answer the browser keeps."""
    response.set_signed_cookie(
        REGISTERED_COOKIE.format(session.pk),
        str(registration.pk),
        salt=REGISTERED_SALT.format(session.pk),
        expires=session.ends_at + REGISTERED_KEPT,
        path=request.path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


@private_page
def session_register(request, street_slug: str, event_slug: str, session_id: int):
    """A resident registers for a session on their phone: name, number, consent. The browser
    that registered is shown its registration when it comes back (a signed cookie), with a
    way to cancel it; the same number again with the same name is answered with the first
    registration, as a double tap is. With another name it is told only that the number has
    registered: a stranger who types a neighbour's number learns no name and keeps no cookie."""
    session = _session(street_slug, event_slug, session_id)
    if not session.event.registration:
        raise Http404
    form = RegistrationForm(request.POST or None)
    registration, returning, taken = None, False, False
    if request.method != "POST":
        registration = _returning_registration(request, session)
        returning = registration is not None
    elif form.is_valid():
        data = form.cleaned_data
        try:
            registration, created = events.registration_submit(
                session=session, name=data["name"], phone=data["phone"], consent=data["consent"]
            )
            if not created and registration.name != events.registered_name(data["name"]):
                registration, taken = None, True
        except TeamError as error:
            form.add_error(None, str(error))
    response = _register_page(
        request,
        session,
        form=form,
        registration=registration,
        returning=returning,
        taken=taken,
        status=400 if form.errors else 200,
    )
    if registration is not None and not returning:
        _remember_registration(request, response, session, registration)
    return response


@private_page
@require_POST
def session_withdraw(request, street_slug: str, event_slug: str, session_id: int):
    """A resident who cannot come cancels their registration, from the browser they registered
    on (its signed cookie), with the box ticked: the place is free for someone else, and the
    browser forgets the registration. Another browser has nothing to cancel here and is sent
    to the form; a number registered elsewhere is cancelled by calling the community."""
    session = _session(street_slug, event_slug, session_id)
    if not session.event.registration:
        raise Http404
    registration = _returning_registration(request, session)
    page = reverse(
        "teams:session_register", args=[session.event.street.slug, session.event.slug, session.pk]
    )
    if registration is None:
        return redirect(page)
    withdraw, refusal = WithdrawForm(request.POST), ""
    if withdraw.is_valid():
        try:
            events.registration_withdraw(registration=registration)
        except TeamError as error:
            refusal = str(error)
        else:
            messages.success(
                request,
                _("Your registration is cancelled and your place is free for someone else."),
            )
            response = redirect(page)
            response.delete_cookie(REGISTERED_COOKIE.format(session.pk), path=page, samesite="Lax")
            return response
    return _register_page(
        request,
        session,
        form=RegistrationForm(),
        registration=registration,
        returning=True,
        withdraw=withdraw,
        refusal=refusal,
        status=400,
    )


def _register_page(
    request,
    session: EventSession,
    *,
    form: RegistrationForm,
    registration: Registration | None = None,
    returning: bool = False,
    taken: bool = False,
    withdraw: WithdrawForm | None = None,
    refusal: str = "",
    status: int = 200,
):
    # Every session's places in one count, after this request's registration if any.
    sessions = selectors.sessions_with_places(session.event)
    this = next(other for other in sessions if other.pk == session.pk)
    now = timezone.now()
    return render(
        request,
        "teams/event_register.html",
        {
            "session": session,
            "event": session.event,
            "form": form,
            "registration": registration,
            "returning": returning,
            "taken": taken,
            # cancelled online until the session begins (then by calling the community)
            "withdraw": (withdraw or WithdrawForm()) if session.starts_at > now else None,
            "refusal": refusal,
            "places_left": this.places_left,
            # where a full session's resident can go instead: the others still open
            "other_sessions": [
                other
                for other in sessions
                if other.pk != session.pk and other.ends_at > now and other.places_left != 0
            ],
        },
        status=status,
    )


@login_required
@private_page
def session_checkin(request, street_slug: str, event_slug: str, session_id: int):
    """签到 / 签退 by the session's code (the organiser's screen shows it and its QR)."""
    session = _session(street_slug, event_slug, session_id)
    member = access.member_of(request.user)
    if member is None or member.street_id != session.street_id:
        raise Http404
    if request.method == "POST":
        form = CheckinCodeForm(request.POST)
    else:  # the QR carries the code: the member only presses the button
        form = CheckinCodeForm(initial={"code": request.GET.get("code", "")})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            attendance = events.attendance_scan(
                session=session, member=member, code=form.cleaned_data["code"]
            )
        except TeamError as error:
            form.add_error(None, str(error))
            status = 400
        else:
            if attendance.checked_out_at is None:
                messages.success(request, _("Checked in. Scan the code again when you leave."))
            else:
                messages.success(request, _("Checked out. Thank you for serving!"))
            return redirect(request.path)
    attendance = Attendance.objects.filter(session=session, member=member).first()
    return render(
        request,
        "teams/event_checkin.html",
        {
            "session": session,
            "event": session.event,
            "form": form,
            "attendance": attendance,
            "shift": events.member_shift(session, member),
        },
        status=status,
    )


@private_page
def place_order(request, street_slug: str, position_id: int, key: str):
    """A place (a school, an enterprise, a compound) orders a session through its own QR."""
    position = get_object_or_404(
        Position.objects.select_related("site__community", "street"),
        pk=position_id,
        street__slug=street_slug,
        active=True,
    )
    if not events.place_order_key_valid(position, key):
        raise Http404
    categories = Category.objects.filter(street_id=position.street_id, active=True)
    form = PlaceOrderForm(request.POST or None, categories=categories)
    order, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = events.session_order_submit(
                position=position,
                category=data["category"],
                contact_name=data["contact_name"],
                phone=data["phone"],
                description=data["description"],
                consent=data["consent"],
                window_start=data["window_start"],
            )
        except TeamError as error:
            form.add_error(None, str(error))
    if form.errors:
        status = 400
    return render(
        request,
        "teams/event_place_order.html",
        {"position": position, "form": form, "order": order},
        status=status,
    )


# --- a member's events ----------------------------------------------------------------------


def _member(request):
    member = access.member_of(request.user)
    if member is None:
        raise Http404
    return member


@login_required
def my_events(request):
    """Shifts of the street's coming events to sign up for, and the member's own."""
    member = _member(request)
    now = timezone.now()
    shifts = list(
        Shift.objects.filter(street_id=member.street_id, ends_at__gt=now)
        .select_related("session__event", "booth")
        .prefetch_related("signups")
        .order_by("starts_at", "pk")[:100]
    )
    for shift in shifts:
        signups = list(shift.signups.all())
        shift.mine = any(s.member_id == member.pk for s in signups)
        shift.taken = len(signups)
    booths = (
        Booth.objects.filter(shifts__signups__member=member, shifts__ends_at__gt=now)
        .select_related("event")
        .distinct()
    )
    # The member's own shifts apart from those still to sign up for (a shift signed up for
    # stayed among "shifts to serve", with a sign-in and a cancel button: session 26's walk).
    # A cancelled event's shifts: the member's own stay listed, marked, with nothing to do.
    context = {
        "my_shifts": [shift for shift in shifts if shift.mine],
        "shifts": [
            shift for shift in shifts if not shift.mine and not shift.session.event.cancelled_at
        ],
        "booths": booths,
        "member": member,
    }
    return render(request, "teams/event_mine.html", context)


@login_required
@require_POST
def shift_signup(request, shift_id: int):
    member = _member(request)
    shift = get_object_or_404(Shift, pk=shift_id, street_id=member.street_id)
    try:
        events.shift_signup(shift=shift, member=member)
    except TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Signed up. Scan the session's code when you arrive."))
    return redirect("teams:my_events")


@login_required
@require_POST
def shift_signup_cancel(request, shift_id: int):
    member = _member(request)
    signup = get_object_or_404(SignUp, shift_id=shift_id, member=member)
    try:
        events.signup_cancel(signup=signup)
    except TeamError as error:
        messages.error(request, str(error))
    return redirect("teams:my_events")


@login_required
def booth_serve(request, booth_id: int):
    """The booth's worker calls and serves its numbers."""
    member = _member(request)
    booth = get_object_or_404(Booth.objects.select_related("event", "team"), pk=booth_id)
    if not events.booth_worker_ok(booth, member):
        raise Http404
    if request.method == "POST":
        ticket = get_object_or_404(QueueTicket, pk=request.POST.get("ticket") or 0, booth=booth)
        try:
            events.queue_ticket_serve(ticket=ticket, worker=member)
        except TeamError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Number %(n)s served.") % {"n": ticket.number})
        return redirect(request.path)
    waiting = booth.tickets.filter(state=QueueTicket.State.WAITING).order_by("number")[:30]
    served = booth.tickets.filter(state=QueueTicket.State.SERVED).count()
    return render(
        request,
        "teams/event_booth_serve.html",
        {"booth": booth, "waiting": waiting, "served": served},
    )
