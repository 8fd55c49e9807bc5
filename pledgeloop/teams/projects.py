"""Projects' progress (民生项目), computed from their milestones, never typed in.

Progress = milestones done ÷ all milestones (whole per cent). Status: done when every
milestone is done; late when a milestone not done is past its due date; on track otherwise
(also a project without milestones yet, shown at 0 %).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pledgeloop.lib.pinyin import pinyin_keys
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Community, Street
from pledgeloop.people.models import Member, User

from .models import Event, Milestone, Project, Team

STATUS_LABELS = {
    "done": gettext_lazy("Done"),
    "late": gettext_lazy("Behind schedule"),
    "on_track": gettext_lazy("On track"),
}
# The tag's tint (pledgeloop.css): red is for what needs someone's attention, so a finished
# project reads calm and one behind schedule amber.
STATUS_TAGS = {"done": "calm", "late": "warn", "on_track": "plain"}


@dataclass
class Progress:
    done: int
    total: int
    late: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def status(self) -> str:
        if self.total and self.done == self.total:
            return "done"
        if self.late:
            return "late"
        return "on_track"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS[self.status]


def project_progress(milestones, today: dt.date | None = None) -> Progress:
    today = today or timezone.localdate()
    milestones = list(milestones)
    done = sum(1 for m in milestones if m.done_on is not None)
    late = sum(1 for m in milestones if m.done_on is None and m.due_on < today)
    return Progress(done, len(milestones), late)


class ProjectError(Exception):
    """A change to a project that is not allowed; the message is for the person."""


def _project_slug(street: Street, title: str) -> str:
    slug = slugify(pinyin_keys(title)[0] or title)[:56] or "project"
    base, n = slug, 2
    while Project.objects.filter(street=street, slug=slug).exists():
        slug = f"{base[:52]}-{n}"
        n += 1
    return slug


def _check_people(
    street: Street, community: Community | None, lead: Member, team: Team | None
) -> None:
    if community is not None and community.street_id != street.pk:
        raise ProjectError(_("This community belongs to another street."))
    if lead.street_id != street.pk or not lead.active:
        raise ProjectError(_("The lead must be an active member of the street."))
    if team is not None and team.street_id != street.pk:
        raise ProjectError(_("This team belongs to another street."))


def _clean_budget(budget: Decimal | None) -> Decimal | None:
    if budget is not None and budget < 0:
        raise ProjectError(_("A budget cannot be negative."))
    return budget


@transaction.atomic
def project_create(
    *,
    street: Street,
    community: Community | None,
    title: str,
    lead: Member,
    team: Team | None = None,
    budget: Decimal | None = None,
    description: str = "",
) -> Project:
    title = title.strip()
    if not title:
        raise ProjectError(_("Give the project a title."))
    _check_people(street, community, lead, team)
    return Project.objects.create(
        street=street,
        community=community,
        title=title[:80],
        slug=_project_slug(street, title),
        lead=lead,
        team=team,
        budget=_clean_budget(budget),
        description=description.strip(),
    )


@transaction.atomic
def project_update(
    *,
    project: Project,
    title: str,
    lead: Member,
    team: Team | None,
    budget: Decimal | None,
    description: str,
) -> Project:
    title = title.strip()
    if not title:
        raise ProjectError(_("Give the project a title."))
    _check_people(project.street, project.community, lead, team)
    project.title, project.lead, project.team = title[:80], lead, team
    project.budget, project.description = _clean_budget(budget), description.strip()
    project.save(update_fields=["title", "lead", "team", "budget", "description"])
    return project


@transaction.atomic
def milestone_add(*, project: Project, title: str, due_on: dt.date) -> Milestone:
    title = title.strip()
    if not title:
        raise ProjectError(_("Give the milestone a title."))
    return Milestone.objects.create(
        street_id=project.street_id, project=project, title=title[:80], due_on=due_on
    )


@transaction.atomic
def milestone_complete(
    *,
    milestone: Milestone,
    done_on: dt.date,
    evidence: str,
    photo: ContentFile | None = None,
    photo_public: bool = False,
    by: User | None = None,
) -> Milestone:
    """Mark a milestone done, with its evidence: a note and an optional photo, already
    cleaned by lib.photos.photo_clean (the caller's form does that)."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on is not None:
        raise ProjectError(_("This milestone is already done."))
    if done_on > timezone.localdate():
        raise ProjectError(_("A milestone cannot be done in the future."))
    milestone.done_on, milestone.evidence = done_on, evidence.strip()[:300]
    milestone.completed_by = by
    fields = ["done_on", "evidence", "completed_by"]
    if photo is not None:
        milestone.photo.save(photo.name, photo, save=False)
        milestone.photo_public = photo_public
        fields += ["photo", "photo_public"]
    milestone.save(update_fields=fields)
    return milestone


@transaction.atomic
def project_order_link(*, project: Project, order: Order) -> None:
    if order.street_id != project.street_id:
        raise ProjectError(_("This order belongs to another street."))
    if project.community_id and order.community_id != project.community_id:
        raise ProjectError(_("This order belongs to another community."))
    project.orders.add(order, through_defaults={"street_id": project.street_id})


@transaction.atomic
def project_event_link(*, project: Project, event: Event) -> None:
    if event.street_id != project.street_id:
        raise ProjectError(_("This event belongs to another street."))
    project.events.add(event, through_defaults={"street_id": project.street_id})


@transaction.atomic
def project_unlink(*, project: Project, kind: str, pk: int) -> None:
    if kind == "order":
        project.orders.remove(pk)
    elif kind == "event":
        project.events.remove(pk)
    else:
        raise ProjectError(_("Nothing to unlink."))


# --- reads ---------------------------------------------------------------------------------


def with_progress(projects, today: dt.date | None = None) -> list[Project]:
    projects = list(projects)
    for project in projects:
        project.progress = project_progress(project.milestones.all(), today)
    return projects


def project_status_counts(projects) -> dict[str, int]:
    counts = {"on_track": 0, "late": 0, "done": 0}
    for project in projects:
        counts[project.progress.status] += 1
    return counts


def projects_in(
    *, street_id: int, community_id: int | None = None, today: dt.date | None = None
) -> list[Project]:
    """The projects of a street (or of one community), with their progress as of today."""
    projects = Project.objects.filter(street_id=street_id)
    if community_id is not None:
        projects = projects.filter(community_id=community_id)
    return with_progress(
        projects.select_related("community", "lead__user", "team")
        .prefetch_related("milestones")
        .order_by("community__slug", "title"),
        today,
    )


def milestones_done_between(
    *, street_id: int, community_id: int | None, start: dt.date, end: dt.date
) -> QuerySet[Milestone]:
    """Milestones marked done from start up to end (excluded): the diary's project updates."""
    milestones = Milestone.objects.filter(
        street_id=street_id, done_on__gte=start, done_on__lt=end
    ).select_related("project__street", "project__community")
    if community_id is not None:
        milestones = milestones.filter(project__community_id=community_id)
    return milestones.order_by("done_on", "pk")


def street_projects(street) -> list[Project]:
    return projects_in(street_id=street.pk)
