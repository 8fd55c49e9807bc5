"""点单: a resident's order for help and its recorded life (DESIGN.md §3, C2, C3).

    submitted → triaged (on the needs list) → dispatched → accepted → in_service → done → reviewed
    side exits: rejected, cancelled, expired; a declined or timed-out dispatch, a hand-back,
    a transfer or a "not solved" review return the order to the needs list (triaged).

State changes happen only in orders/services.py, through lib.transitions (checked against
`Order.TRANSITIONS`); every change writes an OrderEvent (who, when, why, from where).
"""

import functools
import operator
import secrets
from functools import reduce

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.indexes import index_where_set
from pledgeloop.orgs.models import LATITUDE, LONGITUDE, Category, Community, Site, Street
from pledgeloop.people.models import Consent, Member, Resident


class OrderError(Exception):
    """A refused action, with a message for the person who tried it."""


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


@functools.cache
def _in_every_language(message: str) -> frozenset[str]:
    """The message as each language the site speaks writes it (settings.LANGUAGES)."""
    words = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.add(gettext(message))
    return frozenset(words)


class Order(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting to be accepted")  # 待受理
        TRIAGED = "triaged", _("Accepted by the community")  # 已受理
        DISPATCHED = "dispatched", _("Dispatched")  # 已派单
        ACCEPTED = "accepted", _("Taken by a member")  # 已接单
        IN_SERVICE = "in_service", _("In service")  # 服务中
        DONE = "done", _("Done")  # 已完成
        REVIEWED = "reviewed", _("Reviewed")  # 已评价
        REJECTED = "rejected", _("Returned")  # 已退回
        CANCELLED = "cancelled", _("Cancelled")  # 已取消
        # Not "timed out" (超时): that word is the needs list's overdue filter, for open orders.
        EXPIRED = "expired", _("Expired unanswered")  # 已过期

    class Channel(models.TextChoices):
        WEB = "web", _("Resident's phone")
        QR = "qr", _("QR code")
        PHONE = "phone", _("Phone call to the community")
        VISIT = "visit", _("Door-to-door visit")
        PATROL = "patrol", _("Patrol report")
        API = "api", _("API")
        HOTLINE = "hotline", _("12345 hotline")

    # No index of its own: every index below leads with the street, and one more for every
    # order filed was one more page written (issue 17).
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, db_index=False, verbose_name=_("street")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="orders", verbose_name=_("community")
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("category"))
    description = models.TextField(_("what help is needed"), max_length=1000)
    # Where: a site (compound or building) and/or a typed address; a point when known.
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        verbose_name=_("building or compound"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LATITUDE
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=LONGITUDE
    )
    window_start = models.DateTimeField(_("wanted from"), null=True, blank=True)
    window_end = models.DateTimeField(_("wanted until"), null=True, blank=True)
    # RFC 5545 rule for a recurring need (e.g. every Monday); blank for a one-off order.
    recurrence = models.CharField(_("recurrence rule"), max_length=200, blank=True)
    # Who asked. The phone is stored whole and shown masked except to the assigned member
    # and the community's admins (DESIGN.md §10).
    contact_name = models.CharField(_("how to address you"), max_length=40, blank=True)
    phone = models.CharField(_("mobile number"), max_length=11)
    resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("resident"),
    )
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # The agreement itself: which privacy notice version, when, withdrawn or not.
    consent = models.ForeignKey(
        Consent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent"),
    )
    # When the order was made anonymous (retention or the person's deletion): identity gone,
    # state, times and counts kept.
    anonymised_at = models.DateTimeField(_("made anonymous at"), null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to="orders/%Y/%m/", blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    # A member chosen by the resident on the member's QR page (a wish, not a dispatch).
    requested_member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="requested_orders",
        verbose_name=_("member asked for"),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.SUBMITTED
    )
    assigned_member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="assigned_orders",
        verbose_name=_("assigned member"),
    )
    # Random; unique with the street (order_tracking_token_unique: Citus needs the street in
    # every unique key), and indexed alone for /track/<token>/, whose link names no street
    # (order_tracking_token).
    tracking_token = models.CharField(max_length=40, default=new_tracking_token, editable=False)
    # The resident's form, once: the intake page's random key, so that sending the same form
    # again (the answer was lost: the connection dropped) finds this order instead of filing
    # a second one.
    submission_key = models.CharField(max_length=40, blank=True, editable=False)
    reject_reason = models.CharField(_("reason for returning"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    triaged_at = models.DateTimeField(_("accepted onto the needs list at"), null=True, blank=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    finish_by = models.DateTimeField(_("finish by"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street", "community", "state"], name="order_community_state"),
            models.Index(fields=["street", "state"], name="order_street_state"),
            # Done orders by the day they were done (ranges of done_at): an order not done
            # yet has no entry, so filing one writes none.
            models.Index(
                fields=["street", "done_at"],
                condition=models.Q(done_at__isnull=False),
                name="order_street_done",
            ),
            # Nearby needs (selectors.open_orders_near): the needs list's points in a box.
            models.Index(
                fields=["street", "latitude", "longitude"],
                condition=models.Q(state="triaged"),
                name="order_triaged_street_point",
            ),
            # The needs list's default view: a street's open orders, the newest first.
            models.Index(
                F("street"),
                F("created_at").desc(),
                F("id").desc(),
                condition=models.Q(
                    state__in=["submitted", "triaged", "dispatched", "accepted", "in_service"]
                ),
                name="order_open_street_newest",
            ),
            # A street's orders, the newest first (the API's order list, the console's default
            # order); (street, created_at) alone would be a prefix of it, kept twice.
            models.Index(
                F("street"), F("created_at").desc(), F("id").desc(), name="order_street_newest"
            ),
            # The needs list's counts under a category filter: an index-only scan.
            models.Index(
                fields=["street", "category", "state"], name="order_street_category_state"
            ),
            # Overdue counts (selectors.overdue_count): a street's waiting orders with both
            # deadlines, and its taken orders by member (a member's load: selectors.
            # member_load_subquery) with the finish deadline; each read index-only.
            models.Index(
                fields=["street", "respond_by", "finish_by"],
                condition=models.Q(state__in=["dispatched", "submitted", "triaged"]),
                name="order_waiting_street_deadlines",
            ),
            models.Index(
                fields=["street", "assigned_member", "finish_by"],
                condition=models.Q(state__in=["accepted", "in_service"]),
                name="order_taken_street_member",
            ),
            # /my/: a person's rows found by their number alone, in every street (privacy/).
            models.Index(fields=["phone"], name="order_phone"),
            # /track/<token>/. An index of the model's, not the field's db_index, which on
            # PostgreSQL adds a second one (varchar_pattern_ops, for LIKE) that no query asks
            # of a token: one index entry fewer an order (issue 17).
            models.Index(fields=["tracking_token"], name="order_tracking_token"),
            # The links an order is filed without (lib/indexes.py): none of these is written
            # for a resident's new order.
            index_where_set("site", "order_site"),
            index_where_set("resident", "order_resident"),
            index_where_set("requested_member", "order_requested_member"),
            index_where_set("assigned_member", "order_assigned_member"),
            index_where_set("created_by", "order_created_by"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__isnull=True)
                | models.Q(window_start__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
                name="order_window_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(state__in=["accepted", "in_service"])
                | models.Q(assigned_member__isnull=False),
                name="order_taken_has_member",
            ),
            models.UniqueConstraint(
                fields=["street", "tracking_token"], name="order_tracking_token_unique"
            ),
            models.UniqueConstraint(
                fields=["street", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="order_submitted_once",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} · {self.description[:20]}"

    # --- the state machine --------------------------------------------------------------

    TRANSITIONS: dict[str, set[str]] = {
        State.SUBMITTED: {State.TRIAGED, State.REJECTED, State.CANCELLED, State.EXPIRED},
        State.TRIAGED: {
            State.DISPATCHED,
            State.ACCEPTED,
            State.REJECTED,
            State.CANCELLED,
            State.EXPIRED,
        },
        State.DISPATCHED: {State.ACCEPTED, State.TRIAGED, State.CANCELLED},
        State.ACCEPTED: {State.IN_SERVICE, State.TRIAGED, State.CANCELLED},
        State.IN_SERVICE: {State.DONE, State.TRIAGED},
        State.DONE: {State.REVIEWED, State.TRIAGED},
        State.REVIEWED: {State.TRIAGED},
        State.REJECTED: set(),
        State.CANCELLED: set(),
        State.EXPIRED: set(),
    }
    OPEN_STATES = {
        State.SUBMITTED,
        State.TRIAGED,
        State.DISPATCHED,
        State.ACCEPTED,
        State.IN_SERVICE,
    }
    CANCELLABLE = {State.SUBMITTED, State.TRIAGED, State.DISPATCHED, State.ACCEPTED}
    # Waiting for a member to take it (the response deadline runs), and taken by one (the
    # finish deadline runs). Lists, templates and jobs read these, never the state names.
    WAITING = {State.SUBMITTED, State.TRIAGED, State.DISPATCHED}
    TAKEN = {State.ACCEPTED, State.IN_SERVICE}
    # Overdue (DESIGN.md §3), the one rule: each deadline, the states in which it runs, and
    # the field holding it. An order is overdue once any deadline running for it has passed.
    # is_overdue / overdue_deadlines (Python) and overdue_q (SQL) are both built from it.
    DEADLINES = (
        ("respond", WAITING, "respond_by"),
        ("finish", OPEN_STATES, "finish_by"),
    )

    # The labels of the state and the channel, for lists that show them on every row:
    # get_state_display() rebuilds and hashes the whole choice list (translating each label)
    # on every call; these look the value up in the list built once.
    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    def can_transition_to(self, state: str) -> bool:
        return state in self.TRANSITIONS[self.state]

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def is_cancellable(self) -> bool:
        return self.state in self.CANCELLABLE

    @property
    def is_waiting(self) -> bool:
        return self.state in self.WAITING

    @property
    def is_taken(self) -> bool:
        return self.state in self.TAKEN

    @property
    def address_beyond_site(self) -> str:
        """The address as the order's pages show it after its building or compound: without
        the site's own words when the address starts with them, as a resident (or the resident
        list the desk copies from) often writes them again: 五福家园 2幢 · 401室, not
        五福家园 2幢 · 五福家园2幢401室. Spaces do not count; the stored address stays whole."""
        address = self.address.strip()
        if not self.site_id or not address:
            return address
        position = 0
        for char in str(self.site).replace(" ", ""):
            while position < len(address) and address[position].isspace():
                position += 1
            if position == len(address) or address[position] != char:
                return address  # it does not start with the site's words
            position += 1
        return address[position:].strip()

    @property
    def is_recurring(self) -> bool:
        return bool(self.recurrence)

    # --- overdue: DEADLINES in Python and in SQL, side by side ---------------------------
    # orders/tests/test_services.py holds the two forms to the same answer.

    def overdue_deadlines(self, now=None) -> list[str]:
        """The deadlines (DEADLINES names, in order) running for this order that have passed."""
        now = now or timezone.now()
        passed = []
        for name, states, field in self.DEADLINES:
            deadline = getattr(self, field)
            if self.state in states and deadline is not None and now > deadline:
                passed.append(name)
        return passed

    def is_overdue(self, now=None) -> bool:
        """Not taken within the response deadline, or not finished within the finish deadline."""
        return bool(self.overdue_deadlines(now))

    @classmethod
    def overdue_q(cls, now=None) -> Q:
        """is_overdue as a filter, for lists and counts in the database."""
        now = now or timezone.now()
        return reduce(
            operator.or_,
            (
                Q(state__in=list(states), **{f"{field}__lt": now})
                for _, states, field in cls.DEADLINES
            ),
        )

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


STATE_LABELS = dict(Order.State.choices)
CHANNEL_LABELS = dict(Order.Channel.choices)


class OrderEvent(models.Model):
    """One recorded transition: who, when, why, from where. Kept whatever else changes."""

    class Source(models.TextChoices):
        WEB = "web", _("web")
        CONSOLE = "console", _("console")
        API = "api", _("API")
        SYSTEM = "system", _("system")

    # Found by orderevent_street_at, which leads with it: no index of its own (issue 17).
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, db_index=False, verbose_name=_("street")
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
    from_state = models.CharField(_("from"), max_length=12, choices=Order.State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=12, choices=Order.State.choices)
    action = models.CharField(_("action"), max_length=30)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    by_label = models.CharField(_("by (as shown)"), max_length=60, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    source = models.CharField(_("from where"), max_length=10, choices=Source.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    # Only on a re-categorisation (action "recategorise"): the category before and after.
    from_category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category before"),
    )
    to_category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        db_index=False,  # index_where_set below
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category after"),
    )

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["street", "at"], name="orderevent_street_at"),
            # A resident's steps have no user, and only a re-categorisation has categories
            # (lib/indexes.py): a new order's event writes none of these.
            index_where_set("by", "orderevent_by"),
            index_where_set("from_category", "orderevent_from_category"),
            index_where_set("to_category", "orderevent_to_category"),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.from_state or '∅'} → {self.to_state} ({self.action})"

    @property
    def by_shown(self) -> str:
        """Who acted, as a page shows it: a person's or an app's name as written; a resident
        or the system (no user) in the reader's language, whichever language their label
        was written in (that of the request that made the step: an order filed in English
        wrote "Resident")."""
        if self.by_id is None:
            if self.by_label in _in_every_language("Resident"):
                return gettext("Resident")
            if self.by_label in _in_every_language("System"):
                return gettext("System")
        return self.by_label


class Dispatch(models.Model):
    """派单: an offer of an order to one member or to a team (服务队), with a response deadline.

    A team's offer names the team and no member; the team's leader accepts it by assigning
    it to a member of the roster, who is then written on the dispatch (and on the order).
    The team is a foreign key by string reference: the teams app sits above orders.
    """

    class State(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        TIMED_OUT = "timed_out", _("Timed out")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    street = models.ForeignKey(Street, on_delete=models.PROTECT, verbose_name=_("street"))
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="dispatches", verbose_name=_("order")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispatches",
        verbose_name=_("member"),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispatches",
        verbose_name=_("team"),
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered by"),
    )
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)
    respond_by = models.DateTimeField(_("respond by"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.OFFERED
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Set when the dispatch came from the engine's suggestion (the cost terms, as shown).
    suggested = models.JSONField(_("suggestion"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-offered_at", "-id"]
        indexes = [
            # A member's offers waiting for an answer (their load, their home's agenda).
            models.Index(
                fields=["street", "member"],
                condition=models.Q(state="offered"),
                name="dispatch_offered_street_member",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "order"],
                condition=models.Q(state="offered"),
                name="dispatch_one_open_offer",
            ),
            # An offer goes to a member or to a team; a team's accepted offer names the member
            # its leader assigned, so only a member's offer lacks a team.
            models.CheckConstraint(
                condition=models.Q(member__isnull=False) | models.Q(team__isnull=False),
                name="dispatch_member_or_team",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="accepted") | models.Q(member__isnull=False),
                name="dispatch_accepted_names_member",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.order_id} → {self.target_name} ({self.state})"

    @property
    def target_name(self) -> str:
        """Who the order was offered to: the team (and the member its leader assigned)."""
        if self.team_id is None:
            return self.member.name
        if self.member_id is None:
            return self.team.name
        return f"{self.team.name} · {self.member.name}"


class IntakeAttempt(models.Model):
    """Anonymous intake throttle: one row per accepted submission, by IP and by phone."""

    ip = models.GenericIPAddressField(null=True, blank=True)
    phone = models.CharField(max_length=11)
    at = models.DateTimeField(default=timezone.now, db_index=True)  # the daily prune

    class Meta:
        verbose_name = _("intake attempt")
        verbose_name_plural = _("intake attempts")
        # The limits count an address's attempts in the last hour and a number's in the last
        # day (throttle.py) from these alone, without reading the rows.
        indexes = [
            models.Index(fields=["ip", "at"], name="orders_intake_ip_at"),
            models.Index(fields=["phone", "at"], name="orders_intake_phone_at"),
        ]

    def __str__(self) -> str:
        return f"{self.ip} {self.at:%Y-%m-%d %H:%M}"


class DeskRevision(models.Model):
    """A token that changes with every change to what the intake desk caches (orders/desk.py):
    streets, communities, categories, sites, roles and users. One row; processes compare it
    with the token their cached copy was built under."""

    key = models.CharField(max_length=20, unique=True, default="desk")
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("intake desk revision")
        verbose_name_plural = _("intake desk revisions")

    def __str__(self) -> str:
        return f"{self.key} {self.token}"
