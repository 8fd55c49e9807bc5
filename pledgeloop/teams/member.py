"""A member's teams (/me/teams/): the teams they are on, and for the teams they lead the
orders dispatched to the team, to accept by giving each to a member of the roster."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.orders.models import Dispatch, OrderError
from pledgeloop.people.models import Member

from . import access, services
from .forms import AssignForm, DeclineForm
from .models import Team


def _member(request) -> Member:
    member = access.member_of(request.user)
    if member is None:
        raise Http404
    return member


def _roster_members(team_id: int):
    return list(
        Member.objects.filter(team_memberships__team_id=team_id, active=True)
        .select_related("user")
        .order_by("user__name_sort")
    )


@login_required
def my_teams(request):
    member = _member(request)
    teams = list(
        Team.objects.filter(roster__member=member, active=True)
        .select_related("community")
        .distinct()
        .order_by("name")
    )
    led = set(
        Team.objects.filter(roster__member=member, roster__is_leader=True).values_list(
            "pk", flat=True
        )
    )
    offers = list(
        Dispatch.objects.filter(team_id__in=led, state=Dispatch.State.OFFERED)
        .select_related("order__category", "order__community", "team")
        .order_by("respond_by")
    )
    for offer in offers:
        offer.assign_form = AssignForm(members=_roster_members(offer.team_id))
    for team in teams:
        team.led = team.pk in led
    return render(
        request,
        "teams/mine.html",
        {"teams": teams, "offers": offers, "decline_form": DeclineForm()},
    )


@login_required
@require_POST
def offer_accept(request, dispatch_id: int):
    member = _member(request)
    offer = access.get_team_offer_for_leader(member, dispatch_id)
    form = AssignForm(request.POST, members=_roster_members(offer.team_id))
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("teams:mine")
    assignee = Member.objects.select_related("user").get(pk=form.cleaned_data["assignee"])
    try:
        services.team_dispatch_take(dispatch=offer, leader=member, assignee=assignee)
    except OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _assigned_message(assignee, offer))
    return redirect("teams:mine")


def _assigned_message(assignee: Member, offer: Dispatch) -> str:
    return _("Order #%(n)s accepted for the team and given to %(name)s.") % {
        "n": offer.order_id,
        "name": assignee.name,
    }


@login_required
@require_POST
def offer_decline(request, dispatch_id: int):
    member = _member(request)
    offer = access.get_team_offer_for_leader(member, dispatch_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors.as_text())
        return redirect("teams:mine")
    try:
        services.team_dispatch_refuse(
            dispatch=offer, leader=member, reason=form.cleaned_data["reason"]
        )
    except OrderError as error:
        messages.error(request, str(error))
    return redirect("teams:mine")
