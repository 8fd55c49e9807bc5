"""The dashboard's figures, computed once per street data version (issue 17).

What selectors.dashboard returns for a scope (street, community, category) and a period is
the same for every admin allowed to see that scope: some thirty aggregates that cost a
quarter of a second at city scale. So it is computed once and kept in the public pages'
cache (settings.PUBLIC_PAGE_CACHE, for PUBLIC_PAGE_CACHE_SECONDS; 0 turns it off), together
with its rendered part of the page (the cards, charts and tables: `html`), under a key of

- the scope and the period's dates, and whether it is the public page's reading;
- the language (labels and headers are translated into the figures), the time zone and
  today's date (the last twelve months, pledge visits due up to today, projects late as of
  today);
- the street's data version (orgs/versions.py), which the database bumps on every write to
  the tables the figures read: the rollups (stats.DayFigures, MonthFigures, MemberMonth,
  MemberYear) and the raw tables they come from and the figures read directly (members and
  their users' names, communities, categories, orders, dispatches, service records and
  participants, reviews, pledge visits, teams, events with their sessions, attendance,
  booths and queue numbers, projects and milestones): every one has the triggers
  (orgs/tests/test_versions.py holds every table with a street to that).

The version is read first, before the rollups' freshness check that selectors.dashboard
runs on a miss (rollups.ensure_fresh): every write committed before that read is in the
rollups the miss reads, and every write committed after it bumps the version, so an entry
is never older than its key and a hit may skip the check. (Read after the check, a write
committed in between would be under the key but not in the rollups.)
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from pledgeloop.orgs.models import Category, Street
from pledgeloop.orgs.versions import street_versions_by

from . import selectors
from .periods import Period
from .scope import Scope

KEY_PREFIX = "pledgeloop.stats.figures.v1"

_street_version = street_versions_by(Street, "id")


class DashboardFigures:
    """The figures of one scope and period, read from the cache or computed once.

    The street's data version is read when this is made (one query); `data`, `html` and
    `categories` are each read or computed on first use."""

    def __init__(self, scope: Scope, period: Period, *, public: bool = False):
        self.scope, self.period, self.public = scope, period, public
        self.seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
        self.version = None
        if self.seconds and scope.street_id is not None:
            found = _street_version(scope.street_id)
            self.version = found[0][1] if found else None
        self._data = None

    def for_scope(self, scope: Scope) -> "DashboardFigures":
        """The same period in another scope of the same street, under the version read."""
        if scope.street_id != self.scope.street_id:
            raise ValueError("for_scope keeps the street: its version is the one read")
        other = DashboardFigures.__new__(DashboardFigures)
        other.__dict__.update(self.__dict__, scope=scope, _data=None)
        return other

    @property
    def cached(self) -> bool:
        return self.version is not None

    def _key(self, *parts) -> str:
        described = [
            self.scope.street_id,
            self.version,
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            timezone.localdate().isoformat(),
            *parts,
        ]
        digest = hashlib.md5(repr(described).encode(), usedforsecurity=False).hexdigest()
        return f"{KEY_PREFIX}.{digest}"

    def _get_or_compute(self, key: str, compute):
        if not self.cached:
            return compute()
        cache = caches[settings.PUBLIC_PAGE_CACHE]
        found = cache.get(key)
        if found is None:
            found = compute()
            cache.set(key, found, self.seconds)
        return found

    def categories(self) -> list[Category]:
        """The street's categories (the dashboard's filter), under the same version."""
        street_id = self.scope.street_id
        return self._get_or_compute(
            self._key("categories"), lambda: list(Category.objects.filter(street_id=street_id))
        )

    def _data_parts(self) -> tuple:
        scope, period = self.scope, self.period
        return (scope.community_id, scope.category_id, period.start, period.end, self.public)

    def data(self) -> dict:
        """selectors.dashboard(scope, period, public=...)."""
        if self._data is None:
            self._data = self._get_or_compute(
                self._key("data", *self._data_parts()),
                lambda: selectors.dashboard(self.scope, self.period, public=self.public),
            )
        return self._data

    def html(self, template_name: str, **context: str) -> SafeString:
        """`template_name` rendered with the figures (`data`, `chart`) and `context`, whose
        values (strings: the page's query for the export links) are part of the key; the
        template must show nothing else of the request (it is rendered without it)."""

        def render() -> str:
            data = self.data()
            return render_to_string(
                template_name, {"data": data, "chart": data["chart"], **context}
            )

        parts = ("html", *self._data_parts(), template_name, sorted(context.items()))
        # The template autoescapes: what it rendered is safe, from the cache as when rendered.
        return mark_safe(self._get_or_compute(self._key(*parts), render))  # noqa: S308
