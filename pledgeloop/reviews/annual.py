"""年度评议: each member's annual score (0-100) and grade, from the year's records.

Components, each a fraction from 0 to 1 (None = no evidence: shown as 无记录, left out):

- pledge fulfilment = the member's pledge visits fulfilled ÷ visits due in the year, where a
  visit is due once it is fulfilled or missed (a visit still waiting counts for neither).
  No due visits (or no pledges app) → left out.
- hours = min(1, the member's service hours in the year ÷ the street's target hours per
  year). All hours count (verified, recorded by staff and self-logged; the showcase shows
  them apart). No service record in the year → left out (no record is no evidence of hours;
  it is not 0 hours served).
- resident ratings = the mean rating of the reviews of the member's services in the year ÷ 5.
  No reviews → left out.
- organisation = the mean of the year's quarterly organisation assessments ÷ 100.
  No assessment → left out.
- self-assessment = the mean of the year's quarterly self-assessments ÷ 100.
  No assessment → left out.

score = 100 × Σ(weight × component) ÷ Σ(weight) over the components not left out (the
weights are renormalised), rounded half up to one decimal (`one_decimal`: the one rounding
rule of the page, the Excel and the PDF, which all print `AnnualScore.percents` and
`AnnualScore.score`). The grade comes from the rounded score: 优秀 ≥ 90, 良好 ≥ 75,
合格 ≥ 60, 不合格 below. A member with nothing weighted to score (no evidence at all) has no
score ("—") and is graded by the street's rule (`ReviewWeights.no_evidence_grade`): 未评议
by default, or 不合格 where the street decides so.

Members on the roll (the page's 在册党员, 未评议 among them): those of the communities
active at some time in the year (on the roster then, Member.joined_on/left_on, or serving
then: `selectors.members_active_in`), not today's roster.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from pledgeloop.people.models import Member

from . import selectors
from .models import ReviewWeights

COMPONENT_LABELS = {
    "pledge_fulfilment": _("Pledge fulfilment"),
    "hours": _("Service hours"),
    "resident_ratings": _("Residents' ratings"),
    "organisation": _("Organisation's assessment"),
    "self_assessment": _("Self-assessment"),
}
GRADES = [
    (Decimal(90), _("Excellent")),  # 优秀
    (Decimal(75), _("Good")),  # 良好
    (Decimal(60), _("Satisfactory")),  # 合格
]
FAIL = _("Unsatisfactory")  # 不合格
NOT_REVIEWED = _("Not reviewed")  # 未评议
NO_RECORD = _("No record")  # 无记录: a component without evidence
TENTH = Decimal("0.1")


def one_decimal(value: Decimal) -> Decimal:
    """The one rounding rule of the annual review: half up, to one decimal."""
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def grade_for(score: Decimal | None, weights: ReviewWeights | None = None):
    if score is None:
        rule = weights.no_evidence_grade if weights is not None else None
        return FAIL if rule == ReviewWeights.NoEvidence.UNSATISFACTORY else NOT_REVIEWED
    for floor, label in GRADES:
        if score >= floor:
            return label
    return FAIL


@dataclass
class AnnualScore:
    member: Member
    components: dict[str, Decimal | None]
    score: Decimal | None
    grade: object = None
    figures: dict = field(default_factory=dict)

    @property
    def percents(self) -> list[Decimal | None]:
        """The components as percentages (one decimal, half up), in ReviewWeights.COMPONENTS
        order: what the page, the Excel and the PDF print."""
        return [self.percent(k) for k in ReviewWeights.COMPONENTS]

    @property
    def labelled_percents(self) -> list[tuple[str, Decimal | None]]:
        """(label, percentage) in the same order: each phone-stacked cell names its column."""
        return [(COMPONENT_LABELS[k], self.percent(k)) for k in ReviewWeights.COMPONENTS]

    def percent(self, key: str) -> Decimal | None:
        value = self.components[key]
        return None if value is None else one_decimal(value * 100)

    def component_rows(self, weights: ReviewWeights):
        """(key, label, weight, value as a percentage or None) for templates and exports."""
        for key in ReviewWeights.COMPONENTS:
            yield key, COMPONENT_LABELS[key], getattr(weights, key), self.percent(key)


def _fraction(numerator, denominator) -> Decimal:
    return Decimal(numerator) / Decimal(denominator)


def components_of(member: Member, weights: ReviewWeights) -> dict[str, Decimal | None]:
    """The five components for a member annotated by `selectors.annual_members`."""
    due = member.visits_due
    ratings = member.ratings_average
    hours = Decimal(member.hours_total or 0)
    return {
        "pledge_fulfilment": _fraction(member.visits_fulfilled, due) if due else None,
        "hours": (
            min(Decimal(1), hours / Decimal(weights.target_hours)) if member.records_count else None
        ),
        "resident_ratings": (
            _fraction(str(ratings), 5) if member.ratings_count and ratings is not None else None
        ),
        "organisation": (
            None
            if member.organisation_mean is None
            else _fraction(str(member.organisation_mean), 100)
        ),
        "self_assessment": (
            None if member.self_mean is None else _fraction(str(member.self_mean), 100)
        ),
    }


def score_of(components: dict[str, Decimal | None], weights: ReviewWeights) -> Decimal | None:
    weight_sum = Decimal(0)
    total = Decimal(0)
    for key, value in components.items():
        if value is None:
            continue
        weight = Decimal(getattr(weights, key))
        weight_sum += weight
        total += weight * value
    if not weight_sum:
        return None
    return one_decimal(100 * total / weight_sum)


def annual_scores(members: list[Member], weights: ReviewWeights) -> list[AnnualScore]:
    """The scores of members annotated by `selectors.with_annual_figures`, in their order."""
    scores = []
    for member in members:
        components = components_of(member, weights)
        score = score_of(components, weights)
        scores.append(AnnualScore(member, components, score, grade_for(score, weights)))
    return scores


def annual_review(communities, year: int, weights: ReviewWeights) -> list[AnnualScore]:
    """Every member of the communities active in the year, with their score (five queries,
    however many members): the exports, and the page's summary."""
    return annual_scores(selectors.annual_members(communities, year), weights)


def annual_figures(communities, year: int) -> dict[int, object]:
    """Every input of every member of the review, by member id, from their ids alone (five
    queries, however many members; no member's row built: the page's cold render at city
    scale, issue 17)."""
    members = selectors.with_annual_figures(selectors.annual_member_ids(communities, year), year)
    return {member.pk: member for member in members}


def annual_summary(communities, year: int, weights: ReviewWeights, figures=None):
    """The headline figures of the review: every member's score, as `annual_review` computes
    it, from `annual_figures` (read here when not given)."""
    if figures is None:
        figures = annual_figures(communities, year)
    return AnnualSummary.of(annual_scores(list(figures.values()), weights))


def annual_page_scores(members: list[Member], year: int, weights: ReviewWeights, figures=None):
    """The scores of a page of the review's members (`selectors.annual_members_queryset`
    sliced): their inputs taken from `figures` (`annual_figures`, just read for the summary)
    when it holds them all, else read for them alone, in four queries."""
    if figures is not None and all(member.pk in figures for member in members):
        members = selectors.with_figures_of(members, figures)
    else:
        members = selectors.with_annual_figures(members, year)
    return annual_scores(members, weights)


# The grades in the order the summary counts them (the grade labels are compared by identity:
# `grade_for` returns these very objects).
GRADE_ORDER = [label for _floor, label in GRADES] + [FAIL, NOT_REVIEWED]


@dataclass(frozen=True)
class AnnualSummary:
    """The headline figures of a review over all its members (whichever page of the table is
    shown): plain numbers, kept in the cache; the labels are added when shown."""

    members: int
    scored: int
    average: Decimal | None  # the mean of the scores (half up, one decimal), None if none
    grade_counts: tuple[int, ...]  # in GRADE_ORDER

    @classmethod
    def of(cls, scores: list[AnnualScore]) -> "AnnualSummary":
        values = [s.score for s in scores if s.score is not None]
        counts = [0] * len(GRADE_ORDER)
        for s in scores:
            counts[next(i for i, label in enumerate(GRADE_ORDER) if s.grade is label)] += 1
        average = one_decimal(sum(values, Decimal(0)) / len(values)) if values else None
        return cls(len(scores), len(values), average, tuple(counts))

    @property
    def grades(self) -> list[tuple[object, int]]:
        """(grade label, members) for every grade, in order."""
        return list(zip(GRADE_ORDER, self.grade_counts, strict=True))


def annual_score_for(member: Member, year: int, weights: ReviewWeights) -> AnnualScore:
    (member,) = selectors.annual_members([member.community_id], year, member_ids=[member.pk])
    components = components_of(member, weights)
    score = score_of(components, weights)
    return AnnualScore(member, components, score, grade_for(score, weights))
