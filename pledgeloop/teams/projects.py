"""Projects' progress (民生项目), computed from their milestones, never typed in.

Progress = milestones done ÷ all milestones (whole per cent). Status: done when every
milestone is done; late when a milestone not done is past its due date; on track otherwise
(also a project without milestones yet, shown at 0 %).
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Milestone, Project

STATUS_LABELS = {
    "done": gettext_lazy("Done"),
    "late": gettext_lazy("Behind schedule"),
    "on_track": gettext_lazy("On track"),
}


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


def project_progress(milestones, today: dt.date | None = None) -> Progress:
    today = today or timezone.localdate()
    milestones = list(milestones)
    done = sum(1 for m in milestones if m.done_on is not None)
    late = sum(1 for m in milestones if m.done_on is None and m.due_on < today)
    return Progress(done, len(milestones), late)


class ProjectError(Exception):
    """A change to a project that is not allowed; the message is for the person."""


@transaction.atomic
def milestone_complete(*, milestone: Milestone, done_on: dt.date, evidence: str) -> Milestone:
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on is not None:
        raise ProjectError(_("This milestone is already done."))
    if done_on > timezone.localdate():
        raise ProjectError(_("A milestone cannot be done in the future."))
    milestone.done_on, milestone.evidence = done_on, evidence.strip()[:300]
    milestone.save(update_fields=["done_on", "evidence"])
    return milestone


def street_projects(street) -> list[Project]:
    projects = list(
        Project.objects.filter(street=street)
        .select_related("community", "lead__user", "team")
        .prefetch_related("milestones")
        .order_by("community__slug", "title")
    )
    for project in projects:
        project.progress = project_progress(project.milestones.all())
    return projects
