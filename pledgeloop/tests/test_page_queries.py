"""Each page's query count does not grow with the data (issue 17).

The pages that bench/pages.py measures at city scale are asked here in a small street, and
again after it holds four times the members, pledges and visits, orders, dispatches, service
records, reviews, teams and events. Each page must run exactly the same number of queries
at both sizes, and that number is pinned: a page that starts asking once per row (an N+1)
or gains a query shows up here with its name, on SQLite and on PostgreSQL alike.

Each count is taken on the second request of a page, so that what a process loads once and
keeps (the street's categories, the desk's revision) does not count, with the public pages'
cache emptied first (a render); the third request's count is pinned too (CACHED): a page
answered from that cache (orgs/pagecache.py) runs its street-version query and nothing else,
a signed-in page the queries that say who is asking.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pledgeloop.api.tokens import api_token_create
from pledgeloop.orders.models import Dispatch, Order
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import Member, User
from pledgeloop.pledges.models import Pledge, Visit
from pledgeloop.reviews.models import Review, SharedAnnualSummary
from pledgeloop.service.models import ServiceParticipant, ServiceRecord
from pledgeloop.stats.rollups import rollups_refresh
from pledgeloop.teams.models import Event, Team, TeamMembership

HOME = (Decimal("31.956200"), Decimal("120.941800"))

# What each page costs in queries, at any size. A change here is a change in how a page
# reads the database: say why in the commit.
# (An admin's communities are read once a request, whoever asks: the console pages and the
# figures pages they lead to each ran that query two or three times.) The signed-in pages'
# user comes with their roles, streets' versions and unread count (notify/viewer
# .ViewerBackend), which the viewer's page cache reads: one query fewer each; and all that
# comes in the session's own query (notify/sessions.py): one fewer again; and with it their
# roles as User.grants holds them, each with its street and community: one fewer again.
PINNED = {
    "form": 1,
    "needs": 7,
    "needs-category": 6,
    # the category correction's choices read once, not twice; the picker's second query (the
    # rest of the street) runs only when the order's community has fewer than 30 active
    # members, as in the test's world
    "order": 11,
    # the member and their community in one query; one for an open check-in (still to check
    # out), which the agenda names
    "member-home": 7,
    "nearby": 4,  # the needs within 2 km, then the whole street when fewer than 50 are
    # the anonymous public pages (wall, member page, showcase, public figures): one more, their
    # streets' data versions, which key their cache (orgs/pagecache.py)
    "wall": 5,
    # one for the member's event shifts (the schedule source teams registers with pledges;
    # one more for the visits beyond the first 12 when a shift lies past them)
    "member-page": 6,
    "showcase": 9,  # one for the team lines (reviews.selectors.team_service)
    # five for the service matrix (teams, events, projects: stats.service_matrix), and one for
    # the rollups' freshness check over volunteers' attendance (stats.rollups); the headline
    # once (not again for its table), participation in one query a period, the community
    # table's members in one query each for every community (not two per community), the
    # ranking's names and communities in one query; the street's data version, which keys
    # the figures' cache (stats/figures_cache.py: see CACHED), and the street of the admin's
    # grant instead of a query of its own
    "dashboard": 34,
    "dashboard-community": 34,
    "public-figures": 29,
    # the members' service figures in a query of their own (reviews.selectors
    # .with_service_figures: the period filters the join instead of the aggregates)
    # the street's data version for the rows' cache (the rows themselves: see CACHED), and
    # the communities read once into a list instead of as a subquery; the admin's communities
    # read once for the scope, the choice of community and the title (no `exists()` first,
    # not again for the choice: -3); the headline figures and a page of 50 rows from the
    # members' figures (reviews.views.annual: the same five queries as all the rows were);
    # on a worker whose cache is empty the headline figures are those another worker stored
    # (reviews/shared.py: one query instead of the whole year's six), the rows the page's
    # (its members and their four figures' queries); the whole render: annual_render()
    "annual": 11,
    # the token with its maker's roles and its street's data version in one query
    # (api/tokens.token_find), its rate limit's count, the orders' count, page and history
    "api-orders": 5,
}

# The same pages answered again with nothing written in between: the anonymous public pages
# from the cache (the street versions' query alone), the annual review's member rows from
# its fragment cache and its headline figures from the cache (the members' figures not read:
# reviews.views.annual); the signed-in pages from their viewer's copy (orgs/pagecache
# .signed_in_page): the session read with its user, their roles, streets' versions and
# unread count in one query (notify/sessions.py, notify/viewer.ViewerBackend). Under that
# copy the dashboard's figures and the annual review's summary and rows have caches of their
# own, shared by every viewer of a scope (stats/figures_cache.py, reviews.views.annual): a
# copy's miss is cheaper for them.
SIGNED_IN = 1
CACHED = {
    **PINNED,
    "needs": SIGNED_IN,
    "needs-category": SIGNED_IN,
    "order": SIGNED_IN,
    "member-home": SIGNED_IN,
    "nearby": SIGNED_IN,
    "dashboard": SIGNED_IN,
    "dashboard-community": SIGNED_IN,
    "annual": SIGNED_IN,
    "wall": 1,
    "member-page": 1,
    "showcase": 1,
    "public-figures": 1,
    # the token's kept answer (api/answers.py): the token and its count, nothing else
    "api-orders": 2,
}


# The annual review rendered with the workers' stored figures emptied too: the page above,
# but the whole year's figures instead of the page's four (the weights, the members' ids,
# their four figures, the scope's name: reviews.annual.annual_figures; the page's rows taken
# from them), then the store's look-up, its clean-up and the storing in a transaction
# (reviews/shared.py; a savepoint and its release inside the test's own); on PostgreSQL also
# the advisory lock and the look-up again under it.
def annual_render() -> int:
    return 18 + (2 if connection.vendor == "postgresql" else 0)


class Grower:
    """Adds rows to the world's street in batches (bulk_create: the pages are under test,
    not the services that write). Each batch adds, in 星港湾 and 腾飞, members with a
    pledge and its visits, a team each, events, open orders with a point, done orders with
    their dispatch, record, participants and review, and records of pledged visits."""

    def __init__(self, world):
        self.world = world
        self.batch = 0
        self.serial = 0  # phone numbers: one each, whatever the ids (PostgreSQL's keep growing)
        self.now = timezone.now()
        self.teams = {}
        categories = list(Category.objects.filter(street=world.street).order_by("pk"))
        self.categories = categories

    def at(self, n: int) -> dt.datetime:
        """Moments spread over the last 400 days (this year, last year, last quarter)."""
        return self.now - dt.timedelta(days=(n * 37) % 400, hours=n % 9)

    def grow(self, batches: int) -> None:
        for _ in range(batches):
            self.batch += 1
            for community in (self.world.community, self.world.neighbour):
                self._batch(community)
        rollups_refresh()

    def _batch(self, community) -> None:
        world, b = self.world, self.batch
        street = world.street
        tag = f"{community.pk}{b:03d}"
        first, self.serial = self.serial, self.serial + 6
        users = User.objects.bulk_create(
            User(phone=f"1376{first + n:07d}", name=f"队员{tag}{n}", password="!") for n in range(6)
        )
        members = Member.objects.bulk_create(
            Member(
                user=user,
                street=street,
                community=community,
                kind=Member.Kind.VOLUNTEER,
                home_latitude=HOME[0] + Decimal(n) / 1000,
                home_longitude=HOME[1],
                code=f"q{tag}{n}",
            )
            for n, user in enumerate(users)
        )
        today = timezone.localdate()
        pledges = Pledge.objects.bulk_create(
            Pledge(
                street=street,
                community=community,
                member=member,
                category=self.categories[n % 6],
                title="每周陪老人聊天",
                beneficiary_kind=Pledge.Beneficiary.GROUP,
                beneficiary_name="独居老人",
                rrule="FREQ=WEEKLY",
                starts_on=today - dt.timedelta(days=35),
                ends_on=today + dt.timedelta(days=200),
                target_visits=30,
                public=True,
                state=Pledge.State.ACTIVE,
                approved_at=self.now - dt.timedelta(days=40),
            )
            for n, member in enumerate(members)
        )
        visits = []
        for pledge in pledges:
            for week in range(-4, 3):
                when = self.now + dt.timedelta(days=7 * week)
                past = week < 0
                visits.append(
                    Visit(
                        street=street,
                        pledge=pledge,
                        member=pledge.member,
                        scheduled_at=when,
                        due_on=timezone.localdate(when),
                        state=Visit.State.FULFILLED if past else Visit.State.DUE,
                        fulfilled_at=when if past else None,
                    )
                )
        visits = Visit.objects.bulk_create(visits)
        team = self.teams.get(community.pk)
        if team is None:
            team = self.teams[community.pk] = Team.objects.create(
                street=street,
                community=community,
                scope=Team.Scope.COMMUNITY,
                name=f"{community.name}志愿服务队",
                slug=f"team-{community.slug}",
            )
        TeamMembership.objects.bulk_create(
            TeamMembership(street=street, team=team, member=member, is_leader=False)
            for member in members
        )
        Event.objects.bulk_create(
            Event(
                street=street,
                community=community,
                kind=Event.Kind.ACTIVITY,
                title=f"邻里节{tag}{n}",
                slug=f"event-{tag}-{n}",
                team=team,
                starts_at=self.at(b * 10 + n),
                ends_at=self.at(b * 10 + n) + dt.timedelta(hours=2),
            )
            for n in range(2)
        )
        orders = []
        for n in range(10):
            filed = self.at(b * 100 + n)
            done = n % 2 == 0
            orders.append(
                Order(
                    street=street,
                    community=community,
                    category=self.categories[n % 6],
                    description="楼道灯不亮了",
                    phone="13812345678",
                    state=Order.State.DONE if done else Order.State.TRIAGED,
                    assigned_member=members[n % 6] if done else None,
                    latitude=None if done else HOME[0] + Decimal(n) / 1000,
                    longitude=None if done else HOME[1],
                    created_at=filed,
                    updated_at=filed,
                    triaged_at=filed + dt.timedelta(hours=1),
                    respond_by=filed + dt.timedelta(hours=25),
                    accepted_at=filed + dt.timedelta(hours=3) if done else None,
                    done_at=filed + dt.timedelta(days=1) if done else None,
                )
            )
        orders = Order.objects.bulk_create(orders)
        done_orders = [o for o in orders if o.state == Order.State.DONE]
        Dispatch.objects.bulk_create(
            Dispatch(
                street=street,
                order=order,
                member=order.assigned_member,
                offered_at=order.triaged_at,
                respond_by=order.respond_by,
                state=Dispatch.State.ACCEPTED,
            )
            for order in done_orders
        )
        records = []
        for n, order in enumerate(done_orders):
            records.append((order, None, order.done_at - dt.timedelta(hours=2), n))
        for n, visit in enumerate(v for v in visits if v.state == Visit.State.FULFILLED):
            records.append((None, visit, visit.scheduled_at, n))
        made = ServiceRecord.objects.bulk_create(
            ServiceRecord(
                street=street,
                community=community,
                category=self.categories[n % 6],
                order=order,
                visit=visit,
                started_at=started,
                ended_at=started + dt.timedelta(hours=2),
                hours=Decimal("2"),
            )
            for order, visit, started, n in records
        )
        ServiceParticipant.objects.bulk_create(
            ServiceParticipant(
                street=street,
                record=record,
                member=(order.assigned_member if order else visit.member),
            )
            for record, (order, visit, _, _) in zip(made, records, strict=True)
        )
        Review.objects.bulk_create(
            Review(
                street=street,
                community=community,
                record=record,
                order=record.order,
                rating=5 - n % 3,
                created_at=record.ended_at + dt.timedelta(hours=5),
            )
            for n, record in enumerate(made)
            if n % 3 == 0
        )


def last_quarter(today: dt.date) -> str:
    quarter = (today.month - 1) // 3
    return f"{today.year}q{quarter}" if quarter else f"{today.year - 1}q4"


@pytest.fixture
def pages(world):
    """(name, client, path, headers) for each page bench/pages.py measures."""
    grower = Grower(world)
    grower.grow(1)
    member = Member.objects.get(user=world.member)
    member.home_latitude, member.home_longitude = HOME
    member.save(update_fields=["home_latitude", "home_longitude"])
    Pledge.objects.create(
        street=world.street,
        community=world.community,
        member=member,
        category=grower.categories[0],
        title="每周为独居老人测血压",
        beneficiary_kind=Pledge.Beneficiary.GROUP,
        beneficiary_name="独居老人",
        rrule="FREQ=WEEKLY",
        starts_on=timezone.localdate() - dt.timedelta(days=28),
        ends_on=timezone.localdate() + dt.timedelta(days=300),
        target_visits=40,
        public=True,
        state=Pledge.State.ACTIVE,
    )
    admin, mine, anyone = Client(), Client(), Client()
    admin.force_login(world.street_admin)
    mine.force_login(world.member)
    _, token = api_token_create(
        by=world.street_admin,
        street=world.street,
        community=None,
        application="query counts",
        scopes=["act_community"],
    )
    order = Order.objects.filter(community=world.community, state=Order.State.TRIAGED).first()
    category = grower.categories[2]
    today = timezone.localdate()
    street, community = world.street.slug, world.community.slug
    listed = [
        ("form", anyone, f"/order/new/{street}/{community}/", {}),
        ("needs", admin, "/console/needs/", {}),
        ("needs-category", admin, f"/console/needs/?category={category.pk}&page=50", {}),
        ("order", admin, f"/console/orders/{order.pk}/", {}),
        ("member-home", mine, "/me/", {}),
        ("nearby", mine, "/me/orders/nearby/", {}),
        ("wall", anyone, f"/wall/{community}/", {}),
        ("member-page", anyone, f"/m/{member.code}/", {}),
        ("showcase", anyone, f"/showcase/{community}/{last_quarter(today)}/", {}),
        ("dashboard", admin, "/console/stats/", {}),
        ("dashboard-community", admin, f"/console/stats/?community={world.community.pk}", {}),
        ("public-figures", anyone, f"/stats/{street}/", {}),
        ("annual", admin, f"/annual/{street}/{today.year - 1}/", {}),
        ("api-orders", anyone, "/api/v1/orders", {"HTTP_AUTHORIZATION": f"Bearer {token}"}),
    ]
    return grower, listed


def query_counts(listed) -> tuple[dict[str, int], dict[str, int]]:
    """Each page's queries when it is rendered, and when it is asked again at once."""
    counts, cached = {}, {}
    for name, client, path, headers in listed:
        first = client.get(path, **headers)
        assert first.status_code == 200, (name, path, first.status_code)
        caches[settings.PUBLIC_PAGE_CACHE].clear()
        with CaptureQueriesContext(connection) as queries:
            again = client.get(path, **headers)
        assert again.status_code == 200, (name, path, again.status_code)
        counts[name] = len(queries)
        if name == "annual":
            caches[settings.PUBLIC_PAGE_CACHE].clear()
            SharedAnnualSummary.objects.all().delete()
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path, **headers).status_code == 200
            counts["annual-render"] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            third = client.get(path, **headers)
        assert third.status_code == 200, (name, path, third.status_code)
        cached[name] = len(queries)
    return counts, cached


def test_each_page_runs_the_same_queries_with_four_times_the_data(pages):
    """The clock stands still, early in a minute ahead: an API request that falls in a new
    minute of its token's rate limit sends one more statement than the one before it in the
    same minute (api/tokens.token_admit), which failed the run when a minute turned between
    the two."""
    grower, listed = pages
    ahead = (timezone.now() + dt.timedelta(minutes=1)).replace(second=5, microsecond=0)
    with time_machine.travel(ahead, tick=False):
        small, small_cached = query_counts(listed)
        orders_before = Order.objects.count()
        grower.grow(3)
        assert Order.objects.count() == 4 * orders_before
        large, large_cached = query_counts(listed)
    assert small == large, f"queries grew with the data: {small} -> {large}"
    assert large == {**PINNED, "annual-render": annual_render()}, f"query counts now: {large}"
    assert small_cached == large_cached == CACHED, f"cached: {small_cached}, {large_cached}"
