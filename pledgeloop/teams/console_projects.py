"""The console's project pages (民生项目), under /console/teams/projects/: the projects an
admin manages with their progress, a new project, and one project's page where its details
are edited, milestones added and marked done with evidence, and orders and events linked.
Admins only; a project outside the admin's scope is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Street
from pledgeloop.people import access as people_access
from pledgeloop.people.models import Member

from . import access, projects
from .models import Event, Milestone, Project
from .project_forms import (
    EventLinkForm,
    MilestoneDoneForm,
    MilestoneForm,
    OrderLinkForm,
    ProjectForm,
)


def _require_admin(user) -> None:
    if not people_access.is_admin(user):
        raise PermissionDenied


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _project_form(request, *, data=None, project: Project | None = None, initial=None):
    user = request.user
    communities = people_access.communities_administered(user)
    street_ids = {c.street_id for c in communities}
    members = Member.objects.filter(active=True).select_related("user", "community")
    if project is not None:
        members = members.filter(street_id=project.street_id)
        if project.community_id:
            members = members.filter(community_id=project.community_id)
    else:
        members = members.filter(community__in=communities)
    teams = access.teams_administered_by(user).filter(active=True, street_id__in=street_ids)
    return ProjectForm(
        data,
        communities=communities,
        members=members.order_by("community__slug", "user__name_sort"),
        teams=teams.order_by("scope", "name"),
        street_wide=bool(user.admin_street_ids()),
        editing=project is not None,
        initial=initial,
    )


@login_required
def project_list(request):
    _require_admin(request.user)
    rows = projects.with_progress(
        access.projects_administered_by(request.user)
        .select_related("street", "community", "lead__user", "team")
        .prefetch_related("milestones")
        .order_by("street", "community__slug", "title")
    )
    return render(
        request,
        "teams/console_projects.html",
        {"projects": rows, "counts": projects.project_status_counts(rows)},
    )


@login_required
def project_new(request):
    _require_admin(request.user)
    form = _project_form(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = data.get("community")
        street = (
            community.street
            if community
            else Street.objects.filter(pk__in=request.user.admin_street_ids()).first()
        )
        try:
            if street is None:
                raise projects.ProjectError(_("Choose the project's community."))
            project = projects.project_create(
                street=street,
                community=community,
                title=data["title"],
                lead=data["lead"],
                team=data["team"],
                budget=data["budget"],
                description=data["description"],
            )
        except projects.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Project “%(name)s” created.") % {"name": project.title})
            return redirect("console:teams:project", pk=project.pk)
    return render(request, "teams/console_project_form.html", {"form": form}, status=_status(form))


def _linkable_events(project: Project):
    events = Event.objects.filter(street_id=project.street_id)
    if project.community_id:
        events = events.filter(Q(community__isnull=True) | Q(community_id=project.community_id))
    return events.exclude(projects=project).order_by("-starts_at")


def _detail(request, project: Project, *, status=200, **forms):
    project = projects.with_progress(
        Project.objects.filter(pk=project.pk)
        .select_related("street", "community", "lead__user", "team")
        .prefetch_related("milestones")
    )[0]
    context = {
        "project": project,
        "milestones": [
            (
                m,
                None
                if m.done_on
                else (
                    forms["done_form"]
                    if forms.get("done_for") == m.pk
                    else MilestoneDoneForm(auto_id=f"m{m.pk}_%s")
                ),
            )
            for m in project.milestones.all()
        ],
        "orders": project.orders.select_related("category", "community").order_by("-pk"),
        "events": project.events.order_by("-starts_at"),
        "project_form": forms.get("project_form")
        or _project_form(
            request,
            project=project,
            initial={
                "title": project.title,
                "lead": project.lead_id,
                "team": project.team_id,
                "budget": project.budget,
                "description": project.description,
            },
        ),
        "milestone_form": forms.get("milestone_form") or MilestoneForm(),
        "order_form": forms.get("order_form") or OrderLinkForm(),
        "event_form": forms.get("event_form") or EventLinkForm(events=_linkable_events(project)),
    }
    return render(request, "teams/console_project.html", context, status=status)


@login_required
def project_detail(request, pk: int):
    _require_admin(request.user)
    project = access.get_project_for_admin(request.user, pk)
    if request.method != "POST":
        return _detail(request, project)
    form = _project_form(request, data=request.POST, project=project)
    if form.is_valid():
        data = form.cleaned_data
        try:
            projects.project_update(
                project=project,
                title=data["title"],
                lead=data["lead"],
                team=data["team"],
                budget=data["budget"],
                description=data["description"],
            )
        except projects.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("console:teams:project", pk=project.pk)
    project.refresh_from_db()
    return _detail(request, project, status=400, project_form=form)


@login_required
@require_POST
def milestone_add(request, pk: int):
    _require_admin(request.user)
    project = access.get_project_for_admin(request.user, pk)
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        return _detail(request, project, status=400, milestone_form=form)
    try:
        projects.milestone_add(
            project=project, title=form.cleaned_data["title"], due_on=form.cleaned_data["due_on"]
        )
    except projects.ProjectError as error:
        form.add_error(None, str(error))
        return _detail(request, project, status=400, milestone_form=form)
    messages.success(request, _("Milestone added."))
    return redirect("console:teams:project", pk=project.pk)


@login_required
@require_POST
def milestone_done(request, pk: int, milestone_id: int):
    _require_admin(request.user)
    project = access.get_project_for_admin(request.user, pk)
    milestone = get_object_or_404(Milestone, pk=milestone_id, project=project)
    form = MilestoneDoneForm(request.POST, request.FILES, auto_id=f"m{milestone.pk}_%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            projects.milestone_complete(
                milestone=milestone,
                done_on=data["done_on"],
                evidence=data["evidence"],
                photo=data["photo"] or None,
                photo_public=data["photo_public"],
                by=request.user,
            )
        except projects.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("“%(name)s” is done; the public board shows it.") % {"name": milestone}
            )
            return redirect("console:teams:project", pk=project.pk)
    form.photo_keep()
    return _detail(request, project, status=400, done_form=form, done_for=milestone.pk)


@login_required
@require_POST
def project_link(request, pk: int, kind: str):
    _require_admin(request.user)
    project = access.get_project_for_admin(request.user, pk)
    if kind == "order":
        form = OrderLinkForm(request.POST)
        forms = {"order_form": form}
    elif kind == "event":
        form = EventLinkForm(request.POST, events=_linkable_events(project))
        forms = {"event_form": form}
    else:
        raise PermissionDenied
    if form.is_valid():
        try:
            if kind == "order":
                order = Order.objects.filter(
                    pk=form.cleaned_data["order"],
                    community_id__in=request.user.admin_community_ids(),
                ).first()
                if order is None:
                    raise projects.ProjectError(_("No order with this number in your communities."))
                projects.project_order_link(project=project, order=order)
            else:
                projects.project_event_link(project=project, event=form.cleaned_data["event"])
        except projects.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Linked to the project."))
            return redirect("console:teams:project", pk=project.pk)
    return _detail(request, project, status=400, **forms)


@login_required
@require_POST
def project_unlink(request, pk: int, kind: str, item_id: int):
    _require_admin(request.user)
    project = access.get_project_for_admin(request.user, pk)
    try:
        projects.project_unlink(project=project, kind=kind, pk=item_id)
    except projects.ProjectError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("console:teams:project", pk=project.pk)
