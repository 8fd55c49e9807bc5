"""The console's team pages (mounted under /console/teams/ by console/urls.py): the teams an
admin manages with their figures, a team's details and roster, and dispatching an order to a
team. Admins only; a team or order outside the admin's scope is a 404."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.moments import format_moment
from pledgeloop.orders import access as order_access
from pledgeloop.orders import services as order_services
from pledgeloop.orders.models import Order, OrderError
from pledgeloop.orgs.models import Category, Site, Street
from pledgeloop.orgs.services import site_create
from pledgeloop.people import access as people_access
from pledgeloop.people.models import Member

from . import access, selectors, services
from .forms import PositionForm, RosterMemberForm, TeamDispatchForm, TeamForm, VolunteerForm
from .models import Position, Team, TeamMembership


def _require_admin(user) -> None:
    if not people_access.is_admin(user):
        raise PermissionDenied


def _team_form(request, *, data=None, team: Team | None = None, initial=None) -> TeamForm:
    user = request.user
    communities = people_access.communities_administered(user)
    categories = Category.objects.filter(
        street_id__in={c.street_id for c in communities}, active=True
    )
    return TeamForm(
        data,
        communities=communities,
        categories=categories,
        street_wide=bool(user.admin_street_ids()),
        editing=team is not None,
        initial=initial,
    )


@login_required
def team_list(request):
    _require_admin(request.user)
    teams = list(
        access.teams_administered_by(request.user)
        .select_related("street", "community")
        .annotate(
            members=Count("roster", filter=Q(roster__member__isnull=False)),
            volunteers=Count("roster", filter=Q(roster__volunteer__isnull=False)),
        )
        .order_by("street", "scope", "community__slug", "name")
    )
    figures = selectors.team_figures(teams)
    leaders = selectors.leader_names(teams)
    for team in teams:
        team.figures = figures[team.pk]
        team.leader_names = leaders[team.pk]
    return render(request, "teams/console_list.html", {"teams": teams})


@login_required
def team_new(request):
    _require_admin(request.user)
    form = _team_form(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = data.get("community")
        # A street team belongs to the admin's street (the form offers it to street admins).
        streets = Street.objects.filter(pk__in=request.user.admin_street_ids())
        street = community.street if community else streets.first()
        try:
            if street is None:
                raise services.TeamError(_("Choose the team's community."))
            team = services.team_create(
                street=street,
                community=community,
                name=data["name"],
                description=data["description"],
                service_area=data["service_area"],
                skills=list(data["skills"]),
            )
        except services.TeamError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect("console:teams:detail", pk=team.pk)
    return render(request, "teams/console_form.html", {"form": form}, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _roster_members(team: Team):
    """Active members who may join: of the team's community, or of the street for a street team."""
    members = Member.objects.filter(street_id=team.street_id, active=True).select_related("user")
    if team.community_id:
        members = members.filter(community_id=team.community_id)
    return members.exclude(team_memberships__team=team).order_by("user__name_sort")


def _detail(request, team: Team, *, status=200, **forms):
    roster = list(
        team.roster.select_related("member__user", "volunteer").order_by(
            "-is_leader", "joined_at", "pk"
        )
    )
    context = {
        "team": team,
        "roster": roster,
        "figures": selectors.team_figures([team])[team.pk],
        "team_form": forms.get("team_form")
        or _team_form(
            request,
            team=team,
            initial={
                "name": team.name,
                "description": team.description,
                "service_area": team.service_area,
                "skills": list(team.skills.all()),
                "active": team.active,
            },
        ),
        "member_form": forms.get("member_form") or RosterMemberForm(members=_roster_members(team)),
        "volunteer_form": forms.get("volunteer_form") or VolunteerForm(),
    }
    return render(request, "teams/console_detail.html", context, status=status)


@login_required
def team_detail(request, pk: int):
    _require_admin(request.user)
    team = access.get_team_for_admin(request.user, pk)
    if request.method == "POST":
        form = _team_form(request, data=request.POST, team=team)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.team_update(
                    team=team,
                    name=data["name"],
                    description=data["description"],
                    service_area=data["service_area"],
                    skills=list(data["skills"]),
                    active=data["active"],
                )
            except services.TeamError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Saved."))
                return redirect("console:teams:detail", pk=team.pk)
        team.refresh_from_db()
        return _detail(request, team, status=400, team_form=form)
    return _detail(request, team)


@login_required
@require_POST
def roster_member_add(request, pk: int):
    _require_admin(request.user)
    team = access.get_team_for_admin(request.user, pk)
    form = RosterMemberForm(request.POST, members=_roster_members(team))
    if not form.is_valid():
        return _detail(request, team, status=400, member_form=form)
    try:
        services.team_member_add(
            team=team,
            member=form.cleaned_data["member"],
            by=request.user,
            leader=form.cleaned_data["leader"],
        )
    except services.TeamError as error:
        form.add_error(None, str(error))
        return _detail(request, team, status=400, member_form=form)
    messages.success(request, _("Added to the roster."))
    return redirect("console:teams:detail", pk=team.pk)


@login_required
@require_POST
def roster_volunteer_add(request, pk: int):
    _require_admin(request.user)
    team = access.get_team_for_admin(request.user, pk)
    form = VolunteerForm(request.POST)
    if not form.is_valid():
        return _detail(request, team, status=400, volunteer_form=form)
    data = form.cleaned_data
    try:
        volunteer = services.volunteer_register(
            street=team.street,
            community=team.community,
            name=data["name"],
            phone=data["phone"],
            consent=data["consent"],
            source="console",
        )
        services.team_volunteer_add(team=team, volunteer=volunteer, by=request.user)
    except services.TeamError as error:
        form.add_error(None, str(error))
        return _detail(request, team, status=400, volunteer_form=form)
    messages.success(request, _("Added to the roster."))
    return redirect("console:teams:detail", pk=team.pk)


@login_required
@require_POST
def roster_entry_action(request, pk: int, entry_id: int, action: str):
    _require_admin(request.user)
    team = access.get_team_for_admin(request.user, pk)
    entry = get_object_or_404(TeamMembership, pk=entry_id, team=team)
    try:
        if action == "lead":
            services.team_leader_set(entry=entry, leader=True)
        elif action == "unlead":
            services.team_leader_set(entry=entry, leader=False)
        elif action == "remove":
            services.team_roster_remove(entry=entry)
        else:
            raise PermissionDenied
    except services.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("console:teams:detail", pk=team.pk)


@login_required
def order_dispatch(request, order_pk: int):
    """派单 to a team: the teams serving the order's community, with their figures."""
    _require_admin(request.user)
    order = order_access.get_order_for_admin(request.user, order_pk)
    teams = list(
        access.teams_for_order(order).select_related("community").order_by("scope", "name")
    )
    form = TeamDispatchForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        team = next(t for t in teams if t.pk == form.cleaned_data["team"])
        respond_by = order_services.reply_deadline(
            timezone.now(), timedelta(hours=form.cleaned_data["hours"])
        )
        try:
            services.order_dispatch_team(
                order=order, team=team, by=request.user, respond_by=respond_by
            )
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Sent to the team %(name)s; a leader must answer by %(time)s.")
                % {
                    "name": team.name,
                    "time": format_moment(respond_by),
                },
            )
            return redirect("console:order_detail", pk=order.pk)
    figures = selectors.team_figures(teams)
    leaders = selectors.leader_names(teams)
    for team in teams:
        team.figures = figures[team.pk]
        team.leader_names = leaders[team.pk]
    return render(
        request,
        "teams/console_dispatch.html",
        {
            "order": order,
            "teams": teams,
            "form": form,
            "can_dispatch": order.state == Order.State.TRIAGED,
        },
        status=_status(form),
    )


# --- positions of the 15-minute service circle ---------------------------------------------


def _position_form(request, data=None) -> PositionForm:
    communities = people_access.communities_administered(request.user)
    sites = (
        Site.objects.filter(community__in=communities, position__isnull=True)
        .select_related("community", "parent")
        .order_by("community__slug", "kind", "name")
    )
    categories = Category.objects.filter(
        street_id__in={c.street_id for c in communities}, active=True
    )
    return PositionForm(data, sites=sites, communities=communities, categories=categories)


@login_required
def positions(request):
    _require_admin(request.user)
    communities = people_access.communities_administered(request.user)
    rows = (
        Position.objects.filter(site__community__in=communities)
        .select_related("site__community", "site__parent", "street")
        .prefetch_related("services")
        .order_by("site__community__slug", "site__kind", "site__name")
    )
    streets = Street.objects.filter(communities__in=communities).distinct()
    return render(
        request,
        "teams/console_positions.html",
        {"positions": rows, "streets": streets, "form": _position_form(request)},
    )


@login_required
def position_new(request):
    _require_admin(request.user)
    form = _position_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                site = data["site"] or site_create(
                    community=data["community"],
                    kind=data["kind"],
                    name=data["name"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                )
                services.position_create(
                    site=site,
                    opening_hours=data["opening_hours"],
                    services=list(data["services"]),
                    services_note=data["services_note"],
                )
        except (services.TeamError, ValidationError) as error:
            form.add_error(None, "; ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("“%(name)s” added to the circle.") % {"name": site})
            return redirect("console:teams:positions")
    return render(request, "teams/console_position_form.html", {"form": form}, status=_status(form))


@login_required
@require_POST
def position_toggle(request, pk: int):
    _require_admin(request.user)
    communities = people_access.communities_administered(request.user)
    position = get_object_or_404(Position, pk=pk, site__community__in=communities)
    services.position_update(
        position=position,
        opening_hours=position.opening_hours,
        services=list(position.services.all()),
        services_note=position.services_note,
        active=not position.active,
    )
    messages.success(request, _("Saved."))
    return redirect("console:teams:positions")
