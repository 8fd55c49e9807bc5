"""The indicator dashboard (/console/stats/), its wall display, exports, and the public page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from pledgeloop.lib.params import query_id, query_text
from pledgeloop.notify.viewer import viewer
from pledgeloop.orgs.models import Street
from pledgeloop.orgs.pagecache import public_page, signed_in_page, street_versions_by

from . import access, exports, periods, selectors
from .figures_cache import DashboardFigures
from .scope import Scope


def _period_choices(today):
    """(key for the query, period, its name in words: 2026年第 4 季度, 2026年11月)."""
    this_year = today.year
    choices = [("12m", periods.last_12_months(today), _("Last 12 months"))]
    for y in (this_year, this_year - 1):
        choices.append((str(y), periods.year(y), _("Year %(year)s") % {"year": y}))
    for q in range(4, 0, -1):
        if periods.quarter(this_year, q).start <= today:
            label = _("%(year)s Q%(quarter)s") % {"year": this_year, "quarter": q}
            choices.append((f"{this_year}-Q{q}", periods.quarter(this_year, q), label))
    for back in range(0, 13):
        start = periods.add_months(today.replace(day=1), -back)
        label = date_format(start, "YEAR_MONTH_FORMAT")
        choices.append((f"{start:%Y-%m}", periods.month(start.year, start.month), label))
    return choices


def _query_without(params, *names) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@login_required
@signed_in_page(viewer)
def dashboard(request):
    allowed = access.dashboard_scope_for(
        request.user, community_id=query_id(request.GET, "community")
    )
    period_key = query_text(request.GET, "period", max_length=10) or "12m"
    period = periods.parse(period_key)
    # The street's categories and the figures: once per street data version (figures_cache).
    figures = DashboardFigures(Scope(allowed.street.pk), period)
    categories = figures.categories()
    category_id = query_id(request.GET, "category")
    category = next((c for c in categories if c.pk == category_id), None)
    scope = Scope(
        allowed.street.pk,
        allowed.community.pk if allowed.community else None,
        category.pk if category else None,
    )
    figures = figures.for_scope(scope)
    place = allowed.community.name if allowed.community else allowed.street.name
    export = request.GET.get("export")
    if export in {"xlsx", "csv"}:
        tables = figures.data()["tables"]
        # The file says what it holds: the community or street, and the category filter.
        scope_label = f"{place} · {category.name}" if category else place
        # A period still running is counted to today (Period.so_far): the file says so.
        counted = period.counted(timezone.localdate())
        if export == "xlsx" and request.GET.get("table") == "all":
            return exports.report_response(
                list(tables.values()), place=scope_label, period_key=counted.days
            )
        table = tables.get(request.GET.get("table", "headline"))
        if table is None:
            raise Http404
        return exports.table_response(
            table, kind=export, place=scope_label, period_key=counted.days
        )
    query = _query_without(request.GET, "screen", "export", "table")
    context = {
        "allowed": allowed,
        "place": place,
        "period": period,
        # The days of the period counted so far (indicators.headline_with_change).
        "counted": period.counted(timezone.localdate()),
        "period_key": period_key,
        "period_choices": _period_choices(timezone.localdate()),
        "categories": categories,
        "category": category,
        # Read only where the page shows them: the dashboard's cards, charts and tables come
        # rendered from the cache (`figures`), the wall display renders them.
        "data": SimpleLazyObject(figures.data),
        "query": query,
        "back_query": _query_without(request.GET, "screen"),
    }
    if request.GET.get("screen") == "1":
        return render(request, "stats/screen.html", context)
    context["figures"] = figures.html("stats/_dashboard_figures.html", query=query)
    return render(request, "stats/dashboard.html", context)


_street_versions = street_versions_by(Street, "slug")


@public_page(lambda request, slug: _street_versions(slug))
def public(request, slug):
    street = get_object_or_404(Street, slug=slug)
    period = periods.last_12_months()
    data = selectors.dashboard(Scope(street.pk), period, public=True)
    return render(
        request,
        "stats/public.html",
        {
            "street": street,
            "period": period,
            "counted": period.counted(timezone.localdate()),
            "data": data,
            "chart": data["chart"],
        },
    )
