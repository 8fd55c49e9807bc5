"""践诺 of pledge visits: the member logs a due visit, or checks out at the beneficiary's code.

Service records and check-ins are the service app's (below this one); these pages add the
pledge step to them: the record is linked to the visit and the visit fulfilled, in one
transaction (services.visit_log_service, services.visit_check_out).
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.numbers import format_hours
from pledgeloop.lib.params import query_id
from pledgeloop.service import access as service_access
from pledgeloop.service import views as service_views
from pledgeloop.service.forms import ServiceLogForm
from pledgeloop.service.services import ServiceError

from . import selectors, services
from .models import PledgeError, Visit


def _initial(visit: Visit) -> dict:
    minutes = visit.pledge.duration_minutes
    return {
        "day": visit.due_on,
        "start": timezone.localtime(visit.scheduled_at).time(),
        "hours": max(round(minutes / 15), 1) * Decimal("0.25"),
        "category": visit.pledge.category_id,
        "note": visit.pledge.title,
    }


@login_required
def visit_log(request, pk: int):
    """A member logs the service of one of their due visits: the form of /me/service/new/,
    filled in from the pledge (day, time, duration, kind of service, title)."""
    member = service_access.require_member(request.user)
    visit = selectors.visits_loggable_by(member).filter(pk=pk).first()
    if visit is None:
        own = Visit.objects.filter(pk=pk, member=member).first()
        if own is not None and own.state == Visit.State.FULFILLED:
            messages.info(request, _("This visit has already been fulfilled."))
            return redirect("pledges:mine")
        if own is not None and own.state == Visit.State.DUE and own.due_on > timezone.localdate():
            # The reminder of the day before links here.
            messages.info(request, _("This visit is not due yet: log it once it is done."))
            return redirect("pledges:mine")
        raise Http404
    residents = service_access.beneficiaries_for(request.user).filter(
        community_id=member.community_id
    )
    form = ServiceLogForm(
        request.POST or None,
        request.FILES or None,
        street_id=member.street_id,
        residents=residents,
        initial=_initial(visit),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.visit_log_service(
                visit=visit,
                member=member,
                day=data["day"],
                start=data["start"],
                hours=data["hours"],
                note=data["note"],
                category=data["category"],
                beneficiary=data["beneficiary"],
                photos=data["photos"],
            )
        except (PledgeError, ServiceError) as refusal:
            form.add_error(None, str(refusal))
        except ValidationError as refusal:
            form.add_error(None, refusal.messages[0])
        else:
            messages.success(
                request,
                _("Logged: %(hours)s h of service. Thank you!")
                % {"hours": format_hours(record.hours)},
            )
            return redirect("service:mine")
    if form.errors:
        form.photo_keep()
    context = {"form": form, "staff": False, "visit": visit}
    return render(request, "service/log_form.html", context)


@login_required
def service_new(request):
    """/me/service/new/ (service's page, served through here): a member with visits due is
    pointed to them, and an old `?visit=<id>` link goes to that visit's own log page."""
    chosen = query_id(request.GET, "visit")
    if chosen is not None:
        return redirect("pledges:visit_log", pk=chosen)
    member = service_access.member_of(request.user)
    due = member is not None and selectors.visits_loggable_by(member).exists()
    url = reverse("pledges:mine") + "#due-visits" if due else ""
    return service_views.my_record_new(request, due_visits_url=url)


def checkin(request, token: str):
    """/checkin/<token>/ (service's page, served through here): checking out at a
    beneficiary's code fulfils the member's due pledge visit to them (visit_check_out)."""
    return service_views.checkin(request, token, close=services.visit_check_out)
