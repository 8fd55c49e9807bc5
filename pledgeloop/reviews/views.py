"""评诺 pages: the resident's review link, assessments, the showcase and the annual review."""

import hashlib
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pledgeloop.lib.numbers import format_hours
from pledgeloop.lib.params import query_id, query_text
from pledgeloop.lib.private import private_page
from pledgeloop.lib.spreadsheets import xlsx_response
from pledgeloop.notify.viewer import viewer
from pledgeloop.orgs.models import Community, Street
from pledgeloop.orgs.pagecache import public_page, signed_in_page, street_versions_by
from pledgeloop.orgs.scope import scope_name
from pledgeloop.service.review_links import review_link_expired

from . import access, exports, selectors, shared
from .annual import (
    COMPONENT_LABELS,
    annual_figures,
    annual_page_scores,
    annual_review,
    annual_score_for,
    annual_summary,
)
from .forms import AssessmentForm, OrganisationAssessmentForm, ReviewForm, ReviewWeightsForm
from .models import Assessment, Review, ReviewWeights
from .services import (
    AlreadyReviewed,
    ReviewError,
    assessment_save,
    assessments_save_for_community,
    not_begun_message,
    review_submit,
    review_weights_update,
)


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise Http404


def _quarter_context(year: int, quarter: int) -> dict:
    """The quarter's dates and its neighbours; no next quarter while that one is to come."""
    period = selectors.quarter_period(year, quarter)
    previous = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    following = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    begun = selectors.quarter_begun(year, quarter)
    today = timezone.localdate()
    return {
        "year": year,
        "quarter": quarter,
        "period": period,
        "begun": begun,
        # the quarter under way: its pages count the days up to today
        "running_to": today if begun and today < period.last_day_exclusive else None,
        "not_begun": "" if begun else not_begun_message(year, quarter),
        "previous": f"{previous[0]}q{previous[1]}",
        "following": f"{following[0]}q{following[1]}"
        if selectors.quarter_begun(*following)
        else "",
    }


# --- the resident's review link (no login) --------------------------------------------------


@private_page
def review(request, token):
    try:
        record = access.get_record_for_token(token)
    except Http404:
        return render(request, "reviews/review_invalid.html", status=404)
    if Review.objects.filter(record=record).exists():
        return render(request, "reviews/review_already.html", {"record": record})
    if review_link_expired(record):
        context = {"record": record, "days": settings.REVIEW_LINK_DAYS}
        return render(request, "reviews/review_expired.html", context, status=410)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = review_submit(
                record=record,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                solved=form.solved_value(),
                hours_right=form.hours_right_value(),
            )
        except AlreadyReviewed:
            return render(request, "reviews/review_already.html", {"record": record})
        except ReviewError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "reviews/review_thanks.html", {"review": saved})
    members = [p.member for p in record.participants.select_related("member__user")]
    context = {
        "form": form,
        "record": record,
        "members": members,
        # The hours this review confirms, as the member recorded them (2.5, not 2.50).
        "hours": format_hours(record.hours),
    }
    return render(request, "reviews/review_form.html", context)


# --- quarterly assessments --------------------------------------------------------------------


@login_required
def assessment_self(request, year: int, quarter: int):
    _check_year(year)
    member = access.get_own_member(request.user)
    current = Assessment.objects.filter(
        member=member, year=year, quarter=quarter, kind=Assessment.Kind.SELF
    ).first()
    initial = {"score": current.score, "comment": current.comment} if current else None
    form = AssessmentForm(request.POST or None, initial=initial)
    quarter_context = _quarter_context(year, quarter)
    if not quarter_context["begun"]:
        # A quarter still to come: the page says so, and has nothing to send.
        context = {"form": None, "member": member, "current": current}
        return render(request, "reviews/assessment_self.html", context | quarter_context)
    if request.method == "POST" and form.is_valid():
        assessment_save(
            member=member,
            year=year,
            quarter=quarter,
            kind=Assessment.Kind.SELF,
            by=request.user,
            **form.cleaned_data,
        )
        messages.success(request, _("Your self-assessment is saved."))
        return redirect("reviews:assessment_self", period=f"{year}q{quarter}")
    context = {
        "form": form,
        "member": member,
        "current": current,
        # the evidence: the member's quarter in the records (so far, while it runs)
        "figures": selectors.member_quarter(member, year, quarter),
    }
    return render(request, "reviews/assessment_self.html", context | quarter_context)


@login_required
def assessment_organisation(request, community_id: int, year: int, quarter: int):
    _check_year(year)
    community = access.get_community_to_assess(request.user, community_id)
    members = community.members.filter(active=True).select_related("user")
    current = {
        a.member_id: a
        for a in Assessment.objects.filter(
            member__community=community,
            year=year,
            quarter=quarter,
            kind=Assessment.Kind.ORGANISATION,
        )
    }
    form = OrganisationAssessmentForm(request.POST or None, members=members, current=current)
    quarter_context = _quarter_context(year, quarter)
    if not quarter_context["begun"]:
        context = {"form": None, "community": community}
        return render(request, "reviews/assessment_organisation.html", context | quarter_context)
    if request.method == "POST" and form.is_valid():
        saved = assessments_save_for_community(
            year=year, quarter=quarter, scores=form.scores(), by=request.user
        )
        messages.success(request, _("%(n)s assessments saved.") % {"n": saved})
        return redirect(
            "reviews:assessment_organisation",
            community_id=community.pk,
            period=f"{year}q{quarter}",
        )
    context = {"form": form, "community": community}
    return render(request, "reviews/assessment_organisation.html", context | quarter_context)


# --- quarterly showcase (public) ----------------------------------------------------------------


_community_streets = street_versions_by(Community, "slug")
_street_version = street_versions_by(Street, "id")


@public_page(lambda request, community, **_: _community_streets(community))
def showcase(request, community: str, year: int, quarter: int):
    _check_year(year)
    street = query_text(request.GET, "street")
    community = access.get_showcase_community(community, street)
    members = list(selectors.showcase_members(community, year, quarter))
    period = selectors.quarter_period(year, quarter)
    titles = selectors.pledge_titles(members, period)
    teams = selectors.team_service(members, period)
    for member in members:
        member.pledge_titles = titles.get(member.pk, [])
        member.team_service = teams.get(member.pk, [])
    # Those who served in the quarter lead, most hours first; the rest are folded after them.
    served = [m for m in members if m.hours_total or m.visits_fulfilled]
    served.sort(key=lambda m: (-m.hours_total, -m.visits_fulfilled))
    context = {
        "community": community,
        "members": members,
        "served": served,
        "not_served": [m for m in members if not (m.hours_total or m.visits_fulfilled)],
        "totals": selectors.showcase_totals(community, year, quarter),
    }
    return render(request, "reviews/showcase.html", context | _quarter_context(year, quarter))


# --- annual review ------------------------------------------------------------------------------


def _annual_scope(request, street: str, year: int):
    _check_year(year)
    street_obj = Street.objects.filter(slug=street).first()
    if street_obj is None:
        raise Http404
    allowed = access.annual_communities_for(request.user, street_obj)
    chosen = query_id(request.GET, "community")
    shown = allowed if chosen is None else [c for c in allowed if c.pk == chosen]
    return street_obj, allowed, shown


# Rows of the annual review's table a page: a street has 5,000 members (issue 17).
ANNUAL_PAGE_SIZE = 50


def _year_running_to(year: int):
    """Today while `year` is the year under way, else None: the review of a year not over
    counts its records up to today, and says so (page, Excel and PDF)."""
    today = timezone.localdate()
    return today if year == today.year else None


@login_required
@signed_in_page(viewer)
def annual(request, street: str, year: int):
    street, allowed, communities = _annual_scope(request, street, year)
    # What the summary and the rows depend on: the communities shown, the year, the language,
    # today (the current year's visits due) and the street's data version, which every write
    # to what they show bumps (orgs/versions.py), the weights and the communities named by
    # the scope included. Both are cached under it.
    rows_key = [
        street.pk,
        year,
        "-".join(str(pk) for pk in sorted(c.pk for c in communities)),
        translation.get_language(),
        timezone.localdate().isoformat(),
        _street_version(street.pk),
    ]
    cache = caches[settings.PUBLIC_PAGE_CACHE]
    summary_key = (
        "pledgeloop.reviews.annual-summary.v2."
        + hashlib.md5(repr(rows_key).encode(), usedforsecurity=False).hexdigest()
    )
    # The headline figures are the whole street's (every member's year, from their ids and
    # figures alone: the page's cost, once a data version); the table shows a page of it,
    # whose members alone are read and scored (`annual_page_scores`), their figures taken
    # from the whole year's when this request computed them. The weights and the scope's
    # name are read after the version, kept with the summary (issue 17: two queries fewer on
    # a hit). Behind this worker's cache, the figures another worker stored
    # (reviews/shared.py): one computation a data version serves every worker process.
    figures = None  # every member's inputs, when computed here: the page's rows are in them
    head = cache.get(summary_key)
    if head is None:

        def compute():
            nonlocal figures
            weights = ReviewWeights.for_street(street)
            figures = annual_figures(communities, year)
            return {
                "summary": annual_summary(communities, year, weights, figures),
                "weights": weights,
                "scope": scope_name(communities),
            }

        head = shared.summary_for(summary_key, compute, seconds=settings.PUBLIC_PAGE_CACHE_SECONDS)
        cache.set(summary_key, head, settings.PUBLIC_PAGE_CACHE_SECONDS)
    summary, weights = head["summary"], head["weights"]
    # The pages of the summary's members (no COUNT); the members' query is built only when
    # the page's rows are not cached.
    page = Paginator(range(summary.members), ANNUAL_PAGE_SIZE).get_page(request.GET.get("page"))

    def rows():
        # Called by the template on a miss of the page's rows: the labels translated and the
        # link's start reversed once, not in every row (issue 17).
        shown = slice(page.start_index() - 1, page.end_index()) if page.object_list else slice(0)
        members = list(selectors.annual_members_queryset(communities, year)[shown])
        scores = annual_page_scores(members, year, weights, figures)
        labels = [str(COMPONENT_LABELS[key]) for key in ReviewWeights.COMPONENTS]
        members_url = reverse("reviews:annual", args=[street.slug, year]) + "member/"
        return [
            (s, f"{members_url}{s.member.pk}/", list(zip(labels, s.percents, strict=True)))
            for s in scores
        ]

    return render(
        request,
        "reviews/annual.html",
        {
            "street": street,
            "scope": head["scope"],
            "year": year,
            "running_to": _year_running_to(year),
            "weights": weights,
            "summary": summary,
            "page": page,
            "rows": rows,
            "rows_key": rows_key,
            "rows_seconds": settings.PUBLIC_PAGE_CACHE_SECONDS,
            "rows_cache": settings.PUBLIC_PAGE_CACHE,
            "communities": allowed,
            "chosen": str(query_id(request.GET, "community") or ""),
            "may_edit_weights": street.pk in request.user.admin_street_ids(),
        },
    )


@login_required
def annual_member(request, street: str, year: int, member_id: int):
    _check_year(year)
    street = Street.objects.filter(slug=street).first()
    if street is None:
        raise Http404
    member = access.get_member_for_annual(request.user, street, member_id)
    weights = ReviewWeights.for_street(street)
    score = annual_score_for(member, year, weights)
    return render(
        request,
        "reviews/annual_member.html",
        {
            "street": street,
            "year": year,
            "member": member,
            "weights": weights,
            "score": score,
            "components": list(score.component_rows(weights)),
            "records": selectors.member_year_records(member, year),
            "team_service": selectors.team_service([member], selectors.year_period(year)).get(
                member.pk, []
            ),
            "reviews": selectors.member_year_reviews(member, year),
            "visits": selectors.member_year_visits(member, year),
            "assessments": selectors.member_year_assessments(member, year),
        },
    )


@login_required
def annual_export(request, street: str, year: int, fmt: str):
    if fmt not in {"xlsx", "pdf"}:
        raise Http404
    street, _allowed, communities = _annual_scope(request, street, year)
    weights = ReviewWeights.for_street(street)
    scores = annual_review(communities, year, weights)
    scope = scope_name(communities)
    title = _("%(scope)s annual review %(year)s") % {"scope": scope, "year": year}
    if running_to := _year_running_to(year):
        title = _("%(scope)s annual review %(year)s, to %(day)s") % {
            "scope": scope,
            "year": year,
            "day": date_format(running_to, "MONTH_DAY_FORMAT"),
        }
    today = timezone.localdate().strftime("%Y%m%d")
    # Outside the f-string: makemessages reads no call inside one, so it went untranslated.
    kind = _("annual review")
    filename = f"{scope}-{kind}-{year}-{today}"
    if fmt == "xlsx":
        content = exports.annual_xlsx(scores=scores, weights=weights, title=title)
        return xlsx_response(content, f"{filename}.xlsx")
    content = exports.annual_pdf(scores=scores, weights=weights, title=title, request=request)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.pdf"
    return response


@login_required
def weights(request, street: str):
    street = access.get_street_administered(request.user, street)
    instance = ReviewWeights.for_street(street)
    form = ReviewWeightsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            review_weights_update(street=street, by=request.user, **form.cleaned_data)
        except ReviewError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The annual review weights are saved."))
            year = timezone.localdate().year
            return redirect("reviews:annual", street=street.slug, year=year)
    return render(request, "reviews/weights.html", {"form": form, "street": street})
