"""Every change to an order happens here (STYLE.md): one atomic function per action.

Each function locks the order row (SELECT … FOR UPDATE on PostgreSQL; on SQLite every write
transaction starts with BEGIN IMMEDIATE, which serialises writers), re-checks the state
under the lock, records an OrderEvent and returns the fresh order. Concurrent actions on
one order therefore have exactly one winner; the others get an OrderError whose message
says what happened.
"""

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pledgeloop.lib.inserts import (
    Taken,
    ids_taken,
    insert_together,
    links_kept,
    new,
    prepare,
    statement_atomic,
)
from pledgeloop.lib.masking import is_mainland_mobile, mask_name, normalise_phone
from pledgeloop.lib.moments import format_moment
from pledgeloop.lib.numbers import format_hours
from pledgeloop.lib.transitions import Transitions
from pledgeloop.lib.urls import reverse_one
from pledgeloop.notify.models import Notification
from pledgeloop.notify.services import notification_new, notify, notify_together
from pledgeloop.orgs.models import Category, Community, Site
from pledgeloop.people.consents import consent_new
from pledgeloop.people.models import Consent, Member, Resident, Role, RoleGrant, User
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import review_link_for
from pledgeloop.service.services import (
    ServiceError,
    service_record_create,
    service_records_recategorise,
)

from .models import DeskRevision, Dispatch, Order, OrderError, OrderEvent
from .selectors import member_load, service_pressed_at
from .throttle import IntakeAdmission

State = Order.State
OPEN = [str(state) for state in Order.OPEN_STATES]
# The same request (number, community, category, description) again within this time, while
# the first is open, is the first one: the browser filled the form in again after "back".
SAME_ORDER_MINUTES = 30
PHONE_INDEX = next(index.name for index in Order._meta.indexes if index.fields == ["phone"])
Source = OrderEvent.Source
DEFAULT_DISPATCH_RESPONSE = timedelta(hours=4)
# Nobody is asked to answer an offer at night: a reply due between 22:00 and 07:00 (local) is
# due at 09:00 instead (dispatched at 22:39 with four hours, it was due at 02:39 and timed out).
NIGHT_STARTS, NIGHT_ENDS, MORNING_REPLY = time(22, 0), time(7, 0), time(9, 0)


def reply_deadline(start: datetime, window: timedelta = DEFAULT_DISPATCH_RESPONSE) -> datetime:
    """When a member must answer an offer made at `start` with `window` to answer in."""
    due = timezone.localtime(start + window)
    if due.time() >= NIGHT_STARTS or due.time() < NIGHT_ENDS:
        morning = due.date() + timedelta(days=1 if due.time() >= NIGHT_STARTS else 0)
        due = timezone.make_aware(datetime.combine(morning, MORNING_REPLY))
    return due


# --- helpers ---------------------------------------------------------------------------

# Who acts, as the order's history names them, when it is not a person at a page: an API
# token (api/). Set by `acting_as` around a service call; every event written meanwhile
# carries it as its by_label.
_acting_label: ContextVar[str] = ContextVar("order_acting_label", default="")


@contextmanager
def acting_as(label: str) -> Iterator[None]:
    """Name `label` as the actor of the events written within (an API token's label)."""
    reset = _acting_label.set(label[:60])
    try:
        yield
    finally:
        _acting_label.reset(reset)


def _locked(order: Order) -> Order:
    return (
        Order.objects.select_for_update().select_related("category", "community").get(pk=order.pk)
    )


def _refusal(order: Order, to: str) -> str:
    """What a person is told when the state machine refuses a move (ORDER_MOVES)."""
    doing = {
        State.REJECTED: _("returned"),
        State.EXPIRED: _("marked as timed out"),
        State.DISPATCHED: _("dispatched"),
        State.IN_SERVICE: _("started"),
        State.DONE: _("finished"),
        State.REVIEWED: _("reviewed"),
    }.get(to)
    if doing is None:
        # The other moves are checked by their services first, with their own messages.
        return _("This order is “%(state)s” and cannot become “%(new)s”.") % {
            "state": order.get_state_display(),
            "new": State(to).label,
        }
    return _("This order is “%(state)s”, so it cannot be %(doing)s.") % {
        "state": order.get_state_display(),
        "doing": doing,
    }


# Order.TRANSITIONS, checked and recorded the one way (lib.transitions) pledges use too.
ORDER_MOVES = Transitions(
    moves=Order.TRANSITIONS,
    event_model=OrderEvent,
    subject="order",
    error=OrderError,
    refusal=_refusal,
    always_saved=("updated_at",),
)


def _move(
    order: Order,
    to: str,
    *,
    action: str,
    by: User | None,
    source: str,
    reason: str = "",
    by_label: str = "",
    now: datetime | None = None,
    fields: Sequence[str] = (),
) -> None:
    """Move the locked order to `to` if Order.TRANSITIONS allows it (else OrderError), save
    the state with the `fields` the caller changed along with it, and write the OrderEvent."""
    ORDER_MOVES.move(
        order,
        to,
        by=by,
        at=now,
        fields=fields,
        action=action,
        by_label=_acting_label.get() or by_label or (by.name if by else ""),
        reason=reason[:300],
        source=source,
    )


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(_("Please give a reason for %(what)s.") % {"what": what})
    return reason


def _check_member_can_take(
    member: Member, order: Order, *, counting_offer: bool = False, themselves: bool = False
) -> None:
    """Refuse a member who cannot take the order; `themselves`: the member is the one taking it
    (claiming, accepting an offer), and the refusal speaks to them and says what to do."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not member.active:
        raise OrderError(_("This member is not active."))
    if member.street_id != order.street_id:
        raise OrderError(_("This member belongs to another street."))
    load = member_load(member) - (1 if counting_offer else 0)
    if load >= member.capacity and themselves:
        raise OrderError(
            _(
                "You already have %(load)s open orders (offers waiting for your answer "
                "included), the most you take at once. Finish or answer one of them first."
            )
            % {"load": load}
        )
    if load >= member.capacity:
        raise OrderError(
            _("%(name)s already has %(load)s open orders, the most they take at once.")
            % {"name": member.name, "load": load}
        )


def community_admins(community: Community) -> list[User]:
    grants = RoleGrant.objects.filter(
        Q(role=Role.COMMUNITY_ADMIN, community=community)
        | Q(role=Role.STREET_ADMIN, street_id=community.street_id)
    ).select_related("user")
    return list({g.user_id: g.user for g in grants}.values())


def _tell_resident(
    order: Order, *, kind: str, title: str, params: dict, url: str = "", user_id=None
) -> None:
    """A text to the order's contact number (the resident, or whoever filed it for them:
    notify/kinds.py has each kind's template) carrying a short link to `url` (the tracking
    page unless said otherwise); a resident with an account also finds it in the inbox."""
    if user_id is None and order.resident_id:
        user_id = order.resident.user_id
    notify_together(
        [_resident_text(order, kind=kind, title=title, params=params, url=url, user_id=user_id)]
    )


def _resident_text(
    order: Order, *, kind: str, title: str, params: dict, url: str = "", user_id=None
) -> Notification:
    """The resident's text of `_tell_resident`, not yet written (`user_id`: their account's)."""
    return notification_new(
        user_id=user_id,
        phone=order.phone,
        kind=kind,
        title=title,
        street_id=order.street_id,
        community_id=order.community_id,
        url=url or reverse_one("orders:track", order.tracking_token),
        params={"order": str(order.pk), **params},
    )


def _tell_resident_taken(order: Order, member: Member) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        name = mask_name(member.name)
        _tell_resident(
            order,
            kind="order_accepted",
            title=_("Member %(name)s has taken your request #%(n)s and will be in touch.")
            % {"name": name, "n": order.pk},
            params={"member": name},
        )


# --- intake ----------------------------------------------------------------------------


def order_deadlines(
    category: Category, now: datetime, window_end: datetime | None = None
) -> tuple[datetime, datetime]:
    """When an order filed `now` should be taken and done: its category's times. An order
    wanted later than its category's time to finish (a repair for the weekend, asked for on
    a Monday, with three days to finish) is due by the end of the time the resident chose,
    not days before anyone may come (it showed as overdue, to the desk and the resident)."""
    respond_by = now + timedelta(hours=category.respond_hours)
    finish_by = now + timedelta(days=category.finish_days)
    if window_end is not None and window_end > finish_by:
        finish_by = window_end
    return respond_by, finish_by


class DeskChanged(Exception):
    """The intake desk an order was checked against is no longer current (order_submit's
    `desk_revision`): nothing was written, and the order is to be checked again."""


# The error intake_go() raises where an order's one statement (PostgreSQL) found it must
# write nothing: this form's order, or the same request again, filed already, or the desk
# changed (migration orders/0019).
STOPPED_SQLSTATE = "PL409"


def _intake_go(desk_revision: str | None, admit: IntakeAdmission | None, now) -> tuple:
    """The condition of an order's one statement (lib/inserts.insert_together's `then`, over
    its source row, `_intake_source`): intake_go() stops it where the read found an order
    (an error, so that it writes nothing), then the limits' check and count, if any."""
    current = "src.token = %s" if desk_revision is not None else "true"
    values = [desk_revision] if desk_revision is not None else []
    go = f"intake_go(src.earlier, {current})"
    if admit is None:
        return go, values
    expression, admitted = admit.expression(now)
    return f"CASE WHEN {go} THEN {expression} END", values + admitted


def _intake_params(
    key: str, community: Community, phone: str, same: tuple[int, str] | None, desk: bool
) -> list:
    """The values of `_intake_read_text`'s statement, in its order."""
    params = []
    if key:
        params += [community.street_id, key, community.pk, phone]
    if same is not None:
        category_id, description = same
        since = timezone.now() - timedelta(minutes=SAME_ORDER_MINUTES)
        params += [phone, community.street_id, community.pk, category_id, description]
        params += [connection.ops.adapt_datetimefield_value(since), *sorted(OPEN)]
    if desk:
        params.append("desk")
    params += [community.street_id, community.pk, phone]
    return params


def _intake_read(
    key: str,
    community: Community,
    phone: str,
    same: tuple[int, str] | None = None,
    desk: bool = False,
) -> tuple[int | None, int | None, int | None, str | None]:
    """Intake's read before its write: the id of the order this form already filed (same
    street, key, community and number; none when `key` is ""), or else, with `same`
    (category id, description), the number's open order in this community with that category
    and description filed in the last SAME_ORDER_MINUTES (the form filled in again by the
    browser after "back", under a new key); the community's resident with this number
    (the oldest record), to link the order to, with their account's id if they have one;
    with `desk`, the intake desk's current token (orders/desk.py; "" before any change),
    else None.

    Hand-written and one statement: intake's per-order read, where the ORM's query building
    cost more than the queries (bench/intake.py). Only table names go into the text. Each
    part is found through an index, not by reading the street's orders or the community's
    residents (orders/tests/test_intake_plans.py): the key through the form keys' unique
    index, whose condition (a key is not "") the statement repeats, as SQLite uses a partial
    index only for a query that states its condition; the same order through the number's
    index; the resident through their street, community and number. On PostgreSQL the same
    statement is the order's write's source row (`_intake_source`), read only when that
    write stopped.
    """
    params = _intake_params(key, community, phone, same, desk)
    sql, _taken = _intake_read_text(connection.alias, bool(key), same is not None, (), desk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        earlier_id, resident_id, user_id, *rest = cursor.fetchone()
    return earlier_id, resident_id, user_id, rest[0] if desk else None


def _intake_source(
    key: str,
    community: Community,
    phone: str,
    same: tuple[int, str] | None,
    desk: bool,
    ahead: tuple,
) -> tuple[tuple[str, list], list] | None:
    """Where the database draws ids as a statement runs (PostgreSQL): `_intake_read`'s
    statement with the new rows' ids (`ahead`: (model, count) pairs), as the source row of
    the order's write (lib/inserts.insert_together), its text and values, and the Taken
    values that stand for the ids; else None."""
    sql, taken = _intake_read_text(connection.alias, bool(key), same is not None, ahead, desk)
    if taken is None:
        return None
    return (sql, _intake_params(key, community, phone, same, desk)), taken


@functools.lru_cache(maxsize=64)
def _intake_read_text(
    alias: str, keyed: bool, same: bool, ahead: tuple, desk: bool
) -> tuple[str, list | None]:
    """`_intake_read`'s statement, and the Taken values of the new ids it draws (`ahead`,
    where the database draws them: lib/inserts.ids_taken; else None): built once a database
    and shape (whether it looks for the form's key, for the same request again, which ids
    it draws, whether it reads the desk's token), as every order asks the same one.
    Its parameters, in order: the key's four, the same request's five, its moment and the
    open states, "desk", the resident's three."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    orders, residents = quote(Order._meta.db_table), quote(Resident._meta.db_table)
    found = []
    if keyed:
        found.append(
            f"(SELECT id FROM {orders} WHERE street_id = %s AND submission_key = %s "  # noqa: S608
            "AND NOT (submission_key = '') AND community_id = %s AND phone = %s "
            "ORDER BY id LIMIT 1)"
        )
    if same:
        # SQLite, planning without statistics, took the street's index (every order of the
        # street) over the number's: told which one (PostgreSQL chooses by its statistics).
        by_phone = f" INDEXED BY {quote(PHONE_INDEX)}" if connection.vendor == "sqlite" else ""
        found.append(
            f"(SELECT id FROM {orders}{by_phone} WHERE phone = %s AND street_id = %s "  # noqa: S608
            "AND community_id = %s AND category_id = %s AND description = %s "
            f"AND created_at >= %s AND state IN ({', '.join(['%s'] * len(OPEN))}) "
            "ORDER BY id LIMIT 1)"
        )
    # Of the ids' type either way (a bare NULL is text to PostgreSQL: intake_go() takes it).
    earlier = f"COALESCE({', '.join(found)}, NULL)" if found else "CAST(NULL AS BIGINT)"
    ids = ids_taken(ahead, connection) if ahead else None
    columns = f", {ids[0]}" if ids else ""
    if desk:
        revisions = quote(DeskRevision._meta.db_table)
        columns += f", COALESCE((SELECT token FROM {revisions} WHERE key = %s), '') AS token"  # noqa: S608
    sql = (
        f"SELECT {earlier} AS earlier, r.id AS resident_id, r.user_id AS user_id{columns} "  # noqa: S608
        f"FROM (SELECT 1 AS one) AS one LEFT JOIN (SELECT id, user_id FROM {residents} "
        "WHERE street_id = %s AND community_id = %s AND phone = %s ORDER BY id LIMIT 1) AS r "
        "ON 1 = 1"
    )
    return sql, ids[1] if ids else None


def order_submit(
    *,
    community: Community,
    category: Category,
    description: str,
    phone: str,
    consent: bool,
    public_consent: bool = False,
    channel: str = Order.Channel.WEB,
    address: str = "",
    site: Site | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    contact_name: str = "",
    photo=None,
    requested_member: Member | None = None,
    recurrence: str = "",
    by: User | None = None,
    source: str = Source.WEB,
    admit: IntakeAdmission | None = None,
    admins: Sequence[User] | None = None,
    submission_key: str = "",
    merge_repeats: bool = False,
    desk_revision: str | None = None,
) -> Order:
    """File an order. Nothing is stored unless every check passes.

    `public_consent`: the person also agreed, separately, to appear (name or photos of the
    service) on public pages; a Consent row of its own, withdrawable at /my/.

    `submission_key` is the intake form's own random key: the same form sent again (its
    first answer was lost, the resident pressed "send" again) returns the order it filed
    instead of filing a second one.

    `merge_repeats` (the resident's form): the same request again, the number's open order in
    this community with the same category and description filed in the last
    SAME_ORDER_MINUTES, is that order, whatever its form key (the browser's "back" fills the
    form in again under a new key; a resident who presses "send" twice means one request).

    `admit`, when given, checks and counts the order against the resident page's intake
    limits with its write (they must see the attempts of concurrent submissions), and
    refuses with IntakeRefused, writing nothing. Every read happens before the write: on
    SQLite its transaction holds the database's one write lock, so it does nothing but the
    few inserts. `admins`, when given, are the community's admins already known to the
    caller (the intake desk).

    `desk_revision`: the token of the intake desk (orders/desk.py) that the caller took
    without reading it and checked the order against. The intake read reads the current
    token in its statement, and when it differs raises DeskChanged, writing nothing.
    """
    phone = normalise_phone(phone)
    if not is_mainland_mobile(phone):
        raise OrderError(_("Enter an 11-digit mainland mobile number, e.g. 13812345678."))
    if not consent:
        raise OrderError(
            _(
                "Please tick the box to agree to the privacy notice; "
                "we cannot take the order without it."
            )
        )
    if category.street_id != community.street_id or not category.active:
        raise OrderError(_("Choose one of this community's categories."))
    if site is not None and site.community_id != community.pk:
        raise OrderError(_("That building is not in this community."))
    description = (description or "").strip()
    if len(description) < 2:
        raise OrderError(_("Please say in a few words what help you need."))
    if not (address.strip() or site or (latitude is not None and longitude is not None)):
        raise OrderError(_("Please give an address or choose your building."))
    if window_start and window_end and window_end <= window_start:
        raise OrderError(_("The end of the wanted time must be after its start."))
    if requested_member is not None and requested_member.street_id != community.street_id:
        requested_member = None
    if site is not None and latitude is None:
        latitude, longitude = site.latitude, site.longitude
    description = description[:1000]
    if admins is None:
        admins = community_admins(community)
    purposes = [Consent.Purpose.DATA_USE]
    if public_consent:
        purposes.append(Consent.Purpose.PUBLIC)
    # The rows written: the consents, the order, its event, and the notifications (the
    # admins' and the resident's text). Where the database draws ids as a statement runs
    # (PostgreSQL), the read below is the first part of the one statement that writes them
    # all (`_intake_source`): the rows are built before it with Taken values for what it
    # finds and draws (their ids, the resident), the texts with the order's number's mark.
    same = (category.pk, description) if merge_repeats else None
    desk = desk_revision is not None
    ahead = ((Consent, len(purposes)), (Order, 1), (OrderEvent, 1), (Notification, len(admins) + 1))
    source_row = _intake_source(submission_key, community, phone, same, desk, ahead)
    if source_row is None:
        earlier_id, resident_id, resident_user_id, token = _intake_read(
            submission_key, community, phone, same, desk
        )
        if desk and token != desk_revision:
            raise DeskChanged
        if earlier_id is not None:
            return Order.objects.get(pk=earlier_id)
    else:
        source_row, taken = source_row
        resident_id, resident_user_id = Taken("resident_id"), Taken("user_id")
    now = timezone.now()
    # The service-level clock starts when the resident files the order (DESIGN.md §3).
    respond_by, finish_by = order_deadlines(category, now, window_end)
    # Built by its values (lib/inserts.new), its links' rows kept on it as Order(community=…)
    # keeps them, so that a caller reading order.community asks nothing.
    order = new(
        Order,
        street_id=community.street_id,
        community_id=community.pk,
        category_id=category.pk,
        description=description,
        site_id=site.pk if site is not None else None,
        address=address.strip()[:200],
        latitude=latitude,
        longitude=longitude,
        window_start=window_start,
        window_end=window_end,
        recurrence=recurrence,
        submission_key=submission_key,
        contact_name=contact_name.strip()[:40],
        phone=phone,
        resident_id=resident_id,
        consent_at=now,
        channel=channel,
        requested_member_id=requested_member.pk if requested_member is not None else None,
        state=State.SUBMITTED,
        created_by_id=by.pk if by is not None else None,
        created_at=now,
        respond_by=respond_by,
        finish_by=finish_by,
    )
    links_kept(
        order,
        community=community,
        category=category,
        site=site,
        requested_member=requested_member,
        created_by=by,
    )
    # Every row is built before the transaction, which on SQLite holds the database's one
    # write lock: inside it only the ids of the rows written first are filled in.
    source_label = f"order:{channel}"
    consents = [
        consent_new(
            street_id=order.street_id,
            purpose=purpose,
            source=source_label,
            phone=phone,
            resident_id=resident_id,
            at=now,
        )
        for purpose in purposes
    ]
    order.consent = consents[0]
    event = new(
        OrderEvent,
        street_id=order.street_id,
        order_id=order.pk,
        from_state="",
        to_state=State.SUBMITTED,
        action="submit",
        by_id=order.created_by_id,
        by_label=_acting_label.get() or (by.name if by else _("Resident")),
        source=source,
        at=now,
    )
    links_kept(event, order=order, by=by)
    title = _("New order in %(c)s: %(cat)s") % {"c": community.name, "cat": category.name}
    notices = [
        notification_new(
            user=admin,
            kind="order_new",
            street_id=order.street_id,
            url="",  # the order's page, once the order has its id
            title=title,
            body=description[:120],
        )
        for admin in admins
    ]
    with translation.override(settings.LANGUAGE_CODE):
        filed = _("Your request #%(n)s is registered. Follow it (or cancel it) here:")
    # The texts but for the order's number, drawn now: on SQLite the number comes inside the
    # transaction, which holds the database's one write lock, and every order of the
    # street's waits for it (drawing them in it was a twelfth of the lock's time, issue 17).
    # The page of the order for its admins is reverse_one's, its path reversed once a process.
    resident_text = _resident_text(
        order, kind="order_filed", title="", params={}, user_id=resident_user_id
    )

    def told() -> list[Notification]:
        """The admins' notifications and the resident's text, once the order has its id."""
        url = reverse_one("console:order_detail", order.pk)
        for notice in notices:
            notice.url = url
        resident_text.title = (filed % {"n": order.pk})[:120]
        resident_text.params["order"] = str(order.pk)
        return [*notices, resident_text]

    rows = [consents, [order], [event]]
    if source_row is not None:
        for group, ids in zip(rows, taken, strict=False):
            for row, pk in zip(group, ids, strict=True):
                row.pk = pk
        notifications = told()
        for row, pk in zip(notifications, taken[3], strict=True):
            row.pk = pk
        rows.append(notifications)
    if photo is not None:
        # Written before the transaction (file I/O), and removed again if the order is not.
        order.photo.save(photo.name, photo, save=False)
    # The consents (what consents_give writes), the order, its event and the notifications,
    # written without the ORM's query building (lib/inserts.py; intake's hottest path), so
    # without save()'s signals: the stats' receivers skip a new order (it has no triage or
    # done day yet), and nothing else listens to orders, events, consents or notifications
    # (notify_together writes these alike). The first three are the street-versioned rows:
    # their triggers lock the street's version row until commit (orgs/versions.py), and
    # every order of the street waits for it.
    try:
        if source_row is not None:
            # PostgreSQL: the read, every row, and the limits' check and count, in one
            # statement, atomic by itself: one round trip an order. No transaction around it,
            # whose BEGIN and COMMIT were two round trips of an order's six, and the read its
            # own round trip before it until session 39 (issue 17); the version row's lock is
            # held for that statement only. (Inside a caller's transaction, a savepoint keeps
            # a refusal from spoiling it.) It writes nothing where the read found this form's
            # order, or the same request again, or the desk changed: what stopped it is read
            # then (`_intake_read`), and, where nothing does any more, it runs again.
            for _attempt in range(2):
                try:
                    then = _intake_go(desk_revision, admit, now)
                    with statement_atomic():
                        insert_together(rows, source=source_row, then=then)
                    break
                except DatabaseError as error:
                    if getattr(error.__cause__, "sqlstate", None) != STOPPED_SQLSTATE:
                        raise
                    earlier_id, _resident, _user, token = _intake_read(
                        submission_key, community, phone, same, desk
                    )
                    if desk and token != desk_revision:
                        raise DeskChanged from error
                    if earlier_id is not None:
                        if order.photo:
                            order.photo.delete(save=False)
                        return Order.objects.get(pk=earlier_id)
            else:
                raise OrderError(_("Sorry, we could not take this order. Please try again later."))
        else:
            # Group by group, and the notifications once the order has its id. The rows'
            # values are computed before the transaction, which on SQLite holds the write
            # lock (lib/inserts.prepare): inside it, only the order's links are filled in.
            ahead = prepare(rows)
            with transaction.atomic():
                if admit is not None:
                    admit.check()
                ahead.insert()
                notify_together(told())
    except BaseException as error:
        if order.photo:
            order.photo.delete(save=False)
        refused = admit.refused(error) if admit is not None else None
        if refused is not None:
            raise refused from error
        if submission_key and isinstance(error, IntegrityError):
            # The same form, sent again while its first sending was still being stored.
            earlier = _submitted_as(submission_key, community, phone)
            if earlier:
                return earlier
            raise OrderError(
                _(
                    "This form has already been sent with other details. "
                    "Please open the page again to file another request."
                )
            ) from error
        raise
    return order


def _submitted_as(key: str, community: Community, phone: str) -> Order | None:
    """The order this intake form already filed (same community and number), if any, found by
    `_intake_read`'s statement (through the form keys' index)."""
    earlier_id = _intake_read(key, community, phone)[0]
    return None if earlier_id is None else Order.objects.get(pk=earlier_id)


# --- triage ----------------------------------------------------------------------------


@transaction.atomic
def order_triage(*, order: Order, by: User, source: str = Source.CONSOLE) -> Order:
    """Accept onto the needs list (受理). The deadlines set at filing stay as they are."""
    order = _locked(order)
    if order.state == State.TRIAGED:
        raise OrderError(_("This order is already on the needs list."))
    if order.state != State.SUBMITTED:
        # Not ORDER_MOVES.check: a done order may go back to the needs list, but by a reopen.
        raise OrderError(
            _("This order is “%(state)s”, so it cannot be %(doing)s.")
            % {"state": order.get_state_display(), "doing": _("accepted onto the needs list")}
        )
    now = timezone.now()
    order.triaged_at = now
    _move(
        order, State.TRIAGED, action="triage", by=by, source=source, now=now, fields=["triaged_at"]
    )
    return order


@transaction.atomic
def order_reject(*, order: Order, by: User, reason: str, source: str = Source.CONSOLE) -> Order:
    """Return the order to the resident (退回) with a reason they will see."""
    order = _locked(order)
    reason = _require_reason(reason, _("returning the order"))
    order.reject_reason = reason[:300]
    _move(
        order,
        State.REJECTED,
        action="reject",
        by=by,
        source=source,
        reason=reason,
        fields=["reject_reason"],
    )
    return order


@transaction.atomic
def order_recategorise(
    *, order: Order, category: Category, by: User, source: str = Source.CONSOLE
) -> Order:
    """Correct the order's category (a leaking tap filed as 助老扶幼), whatever its state.

    The state does not change; an OrderEvent records the category before and after. The
    deadlines stay those the resident was given at filing. Service records written for the
    order under the old category follow it, so the figures by category are right.
    """
    order = _locked(order)
    if category.street_id != order.street_id or not category.active:
        raise OrderError(_("Choose one of this street's categories."))
    if category.pk == order.category_id:
        raise OrderError(
            _("This order is already in “%(category)s”.") % {"category": category.name}
        )
    before = order.category
    order.category = category
    order.save(update_fields=["category", "updated_at"])
    OrderEvent.objects.create(
        street_id=order.street_id,
        order=order,
        from_state=order.state,
        to_state=order.state,
        action="recategorise",
        by=by,
        by_label=by.name if by else "",
        reason=_("%(before)s → %(after)s") % {"before": before.name, "after": category.name},
        source=source,
        from_category=before,
        to_category=category,
    )
    service_records_recategorise(order_id=order.pk, before=before, after=category)
    return order


@transaction.atomic
def order_cancel(
    *, order: Order, by: User | None = None, reason: str = "", source: str = Source.WEB
) -> Order:
    """The resident withdraws the order while nobody has started on it."""
    order = _locked(order)
    if not order.is_cancellable:
        raise OrderError(
            _(
                "This order is “%(state)s” and can no longer be cancelled; "
                "call your community if plans changed."
            )
            % {"state": order.get_state_display()}
        )
    Dispatch.objects.filter(order=order, state=Dispatch.State.OFFERED).update(
        state=Dispatch.State.WITHDRAWN, responded_at=timezone.now(), reason="cancelled"
    )
    was_with = order.assigned_member
    order.assigned_member = None
    _move(
        order,
        State.CANCELLED,
        action="cancel",
        by=by,
        source=source,
        reason=reason,
        by_label=by.name if by else _("Resident"),
        fields=["assigned_member"],
    )
    if was_with:
        notify(
            user=was_with.user,
            kind="order_cancelled",
            street_id=order.street_id,
            title=_("Order #%(n)s was cancelled by the resident") % {"n": order.pk},
        )
    return order


@transaction.atomic
def order_expire(*, order: Order, reason: str = "") -> Order:
    order = _locked(order)
    _move(
        order,
        State.EXPIRED,
        action="expire",
        by=None,
        by_label=_("System"),
        source=Source.SYSTEM,
        reason=reason,
    )
    return order


# --- dispatch (派单) and acceptance (接单) ------------------------------------------------


@transaction.atomic
def order_dispatch(
    *,
    order: Order,
    member: Member,
    by: User,
    respond_by: datetime | None = None,
    source: str = Source.CONSOLE,
    suggested: dict | None = None,
) -> Dispatch:
    order = _locked(order)
    ORDER_MOVES.check(order, State.DISPATCHED)
    if order.state != State.TRIAGED:
        raise OrderError(_("Only an order on the needs list can be dispatched."))
    _check_member_can_take(member, order)
    now = timezone.now()
    respond_by = respond_by or reply_deadline(now)
    if respond_by <= now:
        raise OrderError(_("The response deadline must be in the future."))
    dispatch = Dispatch.objects.create(
        street_id=order.street_id,
        order=order,
        member=member,
        offered_by=by,
        offered_at=now,
        respond_by=respond_by,
        suggested=suggested,
    )
    _move(
        order,
        State.DISPATCHED,
        action="dispatch",
        by=by,
        source=source,
        now=now,
        reason=_("to %(name)s") % {"name": member.name},
    )
    notify(
        user=member.user,
        kind="dispatch",
        street_id=order.street_id,
        url=reverse("orders:member_orders"),
        title=_("New order for you: %(cat)s") % {"cat": order.category.name},
        body=order.description[:120],
    )
    return dispatch


def _locked_offer(dispatch: Dispatch) -> tuple[Dispatch, Order]:
    order = Order.objects.select_for_update().select_related("category").get(pk=dispatch.order_id)
    dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
    return dispatch, order


def _offer_closed(dispatch: Dispatch) -> OrderError:
    messages = {
        Dispatch.State.ACCEPTED: _("You have already accepted this order."),
        Dispatch.State.DECLINED: _("This offer was declined."),
        Dispatch.State.TIMED_OUT: _("This offer has expired; the order is back on the needs list."),
        Dispatch.State.WITHDRAWN: _("This offer was withdrawn."),
    }
    return OrderError(messages[dispatch.state])


def dispatch_accept(*, dispatch: Dispatch, member: Member, source: str = Source.WEB) -> Order:
    order = _dispatch_accept(dispatch=dispatch, member=member, source=source)
    if order is None:
        # Raised after the commit, so that the time-out recorded on the way stays recorded.
        raise OrderError(_("This offer has expired; the order is back on the needs list."))
    return order


@transaction.atomic
def _dispatch_accept(*, dispatch: Dispatch, member: Member, source: str) -> Order | None:
    dispatch, order = _locked_offer(dispatch)
    if dispatch.team_id is not None or dispatch.member_id != member.pk:
        raise OrderError(_("This order was offered to another member."))
    if dispatch.state != Dispatch.State.OFFERED:
        raise _offer_closed(dispatch)
    now = timezone.now()
    if now > dispatch.respond_by:
        _time_out(dispatch, order, now)
        return None
    _check_member_can_take(member, order, counting_offer=True, themselves=True)
    dispatch.state, dispatch.responded_at = Dispatch.State.ACCEPTED, now
    dispatch.save(update_fields=["state", "responded_at"])
    order.assigned_member, order.accepted_at = member, now
    _move(
        order,
        State.ACCEPTED,
        action="accept",
        by=member.user,
        source=source,
        now=now,
        fields=["assigned_member", "accepted_at"],
    )
    _tell_resident_taken(order, member)
    return order


@transaction.atomic
def dispatch_decline(
    *, dispatch: Dispatch, member: Member, reason: str, source: str = Source.WEB
) -> Order:
    reason = _require_reason(reason, _("declining"))
    dispatch, order = _locked_offer(dispatch)
    if dispatch.team_id is not None or dispatch.member_id != member.pk:
        raise OrderError(_("This order was offered to another member."))
    if dispatch.state != Dispatch.State.OFFERED:
        raise _offer_closed(dispatch)
    now = timezone.now()
    dispatch.state, dispatch.responded_at, dispatch.reason = (
        Dispatch.State.DECLINED,
        now,
        reason[:300],
    )
    dispatch.save(update_fields=["state", "responded_at", "reason"])
    _move(
        order,
        State.TRIAGED,
        action="decline",
        by=member.user,
        source=source,
        reason=reason,
        now=now,
    )
    for admin in community_admins(order.community):
        notify(
            user=admin,
            kind="dispatch_declined",
            street_id=order.street_id,
            url=reverse("console:order_detail", args=[order.pk]),
            title=_("%(name)s declined order #%(n)s") % {"name": member.name, "n": order.pk},
            body=reason,
        )
    return order


def _time_out(dispatch: Dispatch, order: Order, now: datetime) -> None:
    dispatch.state, dispatch.responded_at = Dispatch.State.TIMED_OUT, now
    dispatch.save(update_fields=["state", "responded_at"])
    _move(
        order,
        State.TRIAGED,
        action="time_out",
        by=None,
        by_label=_("System"),
        source=Source.SYSTEM,
        reason=_("%(name)s did not answer in time") % {"name": dispatch.target_name},
        now=now,
    )


@transaction.atomic
def dispatch_time_out(*, dispatch: Dispatch, now: datetime | None = None) -> bool:
    """Return an unanswered offer's order to the needs list. Idempotent: False if nothing to do."""
    now = now or timezone.now()
    dispatch, order = _locked_offer(dispatch)
    if dispatch.state != Dispatch.State.OFFERED or now <= dispatch.respond_by:
        return False
    _time_out(dispatch, order, now)
    return True


# --- dispatch to a team (服务队): the team's leader accepts by assigning a roster member ---
# The teams app (above orders) decides who leads a team and who is on its roster, and calls
# these with the team, the leader's user and the member they chose; here the order's rules.


@transaction.atomic
def order_dispatch_to_team(
    *,
    order: Order,
    team,
    by: User,
    respond_by: datetime | None = None,
    source: str = Source.CONSOLE,
) -> Dispatch:
    """派单 to a team (a teams.Team): the order waits for one of its leaders to accept."""
    order = _locked(order)
    ORDER_MOVES.check(order, State.DISPATCHED)
    if order.state != State.TRIAGED:
        raise OrderError(_("Only an order on the needs list can be dispatched."))
    if team.street_id != order.street_id:
        raise OrderError(_("This team belongs to another street."))
    now = timezone.now()
    respond_by = respond_by or reply_deadline(now)
    if respond_by <= now:
        raise OrderError(_("The response deadline must be in the future."))
    dispatch = Dispatch.objects.create(
        street_id=order.street_id,
        order=order,
        team=team,
        offered_by=by,
        offered_at=now,
        respond_by=respond_by,
    )
    _move(
        order,
        State.DISPATCHED,
        action="dispatch",
        by=by,
        source=source,
        now=now,
        reason=_("to the team %(name)s") % {"name": team.name},
    )
    return dispatch


def team_dispatch_accept(
    *, dispatch: Dispatch, assignee: Member, by: User, source: str = Source.WEB
) -> Order:
    """A leader accepts the team's offer by assigning it to `assignee`. When two leaders
    answer at once the row locks decide: one wins, the other is told it is taken."""
    order = _team_dispatch_accept(dispatch=dispatch, assignee=assignee, by=by, source=source)
    if order is None:
        raise OrderError(_("This offer has expired; the order is back on the needs list."))
    return order


@transaction.atomic
def _team_dispatch_accept(
    *, dispatch: Dispatch, assignee: Member, by: User, source: str
) -> Order | None:
    dispatch, order = _locked_offer(dispatch)
    if dispatch.team_id is None:
        raise OrderError(_("This order was offered to a member, not to a team."))
    if dispatch.state == Dispatch.State.ACCEPTED:
        raise OrderError(_("Another leader of the team has already accepted this order."))
    if dispatch.state != Dispatch.State.OFFERED:
        raise _offer_closed(dispatch)
    now = timezone.now()
    if now > dispatch.respond_by:
        _time_out(dispatch, order, now)
        return None
    _check_member_can_take(assignee, order)
    dispatch.state, dispatch.responded_at = Dispatch.State.ACCEPTED, now
    dispatch.member, dispatch.accepted_by = assignee, by
    dispatch.save(update_fields=["state", "responded_at", "member", "accepted_by"])
    order.assigned_member, order.accepted_at = assignee, now
    _move(
        order,
        State.ACCEPTED,
        action="accept",
        by=by,
        source=source,
        now=now,
        reason=_("%(team)s: assigned to %(name)s")
        % {"team": dispatch.team.name, "name": assignee.name},
        fields=["assigned_member", "accepted_at"],
    )
    _tell_resident_taken(order, assignee)
    return order


@transaction.atomic
def team_dispatch_decline(
    *, dispatch: Dispatch, by: User, reason: str, source: str = Source.WEB
) -> Order:
    """A leader declines the team's offer: the order goes back to the needs list."""
    reason = _require_reason(reason, _("declining"))
    dispatch, order = _locked_offer(dispatch)
    if dispatch.team_id is None:
        raise OrderError(_("This order was offered to a member, not to a team."))
    if dispatch.state == Dispatch.State.ACCEPTED:
        raise OrderError(_("Another leader of the team has already accepted this order."))
    if dispatch.state != Dispatch.State.OFFERED:
        raise _offer_closed(dispatch)
    now = timezone.now()
    dispatch.state, dispatch.responded_at, dispatch.reason = (
        Dispatch.State.DECLINED,
        now,
        reason[:300],
    )
    dispatch.save(update_fields=["state", "responded_at", "reason"])
    _move(order, State.TRIAGED, action="decline", by=by, source=source, reason=reason, now=now)
    for admin in community_admins(order.community):
        notify(
            user=admin,
            kind="dispatch_declined",
            street_id=order.street_id,
            url=reverse("console:order_detail", args=[order.pk]),
            title=_("%(name)s declined order #%(n)s") % {"name": dispatch.team.name, "n": order.pk},
            body=reason,
        )
    return order


@transaction.atomic
def order_claim(*, order: Order, member: Member, source: str = Source.WEB) -> Order:
    """接单 from the open list: many may try at once; exactly one wins."""
    order = _locked(order)
    if order.state != State.TRIAGED:
        if order.state in Order.TAKEN and order.assigned_member_id == member.pk:
            raise OrderError(_("You have already taken this order."))
        if order.state in Order.TAKEN or order.state == State.DISPATCHED:
            raise OrderError(_("Another member has already taken this order."))
        raise OrderError(
            _("This order is “%(state)s” and cannot be taken.")
            % {"state": order.get_state_display()}
        )
    _check_member_can_take(member, order, themselves=True)
    now = timezone.now()
    order.assigned_member, order.accepted_at = member, now
    _move(
        order,
        State.ACCEPTED,
        action="claim",
        by=member.user,
        source=source,
        now=now,
        fields=["assigned_member", "accepted_at"],
    )
    _tell_resident_taken(order, member)
    return order


# --- service -----------------------------------------------------------------------------


def _require_assignee(order: Order, member: Member) -> None:
    if order.assigned_member_id != member.pk:
        raise OrderError(_("Only the member who took this order can do that."))


@transaction.atomic
def order_start(*, order: Order, member: Member, source: str = Source.WEB) -> Order:
    order = _locked(order)
    _require_assignee(order, member)
    _move(order, State.IN_SERVICE, action="start", by=member.user, source=source)
    return order


def order_hours_available(order: Order, now: datetime | None = None) -> Decimal:
    """The whole quarter hours since the order was taken: the most its service can count."""
    if order.accepted_at is None:
        return Decimal(0)
    seconds = max(((now or timezone.now()) - order.accepted_at).total_seconds(), 0)
    return int(seconds // 900) * Decimal("0.25")


def _service_start(
    order: Order, hours: Decimal, now: datetime, started_at: datetime | None
) -> datetime:
    """When the service began: as the member says, else when they pressed "start" (if the
    hours fit from there), else the hours before now. Never before the order was taken."""
    length = timedelta(seconds=float(hours * 3600))
    taken = order.accepted_at or now
    if started_at is not None:
        if started_at < taken:
            raise OrderError(
                _("The service cannot start before you took the order (%(taken)s).")
                % {"taken": format_moment(taken)}
            )
        if started_at + length > now:
            raise OrderError(
                _("%(hours)s h from %(start)s would end after now: check the start and the hours.")
                % {"hours": _hours(hours), "start": format_moment(started_at)}
            )
        return started_at
    pressed = service_pressed_at(order)
    if pressed is not None and pressed + length <= now:
        return pressed
    return now - length


def _hours(hours: Decimal) -> str:
    return format_hours(hours)


@transaction.atomic
def order_finish(
    *,
    order: Order,
    member: Member,
    hours: Decimal,
    note: str = "",
    started_at: datetime | None = None,
    source: str = Source.WEB,
) -> tuple[Order, ServiceRecord]:
    """Finish the service: the order is done and a service record (践诺) is written.

    The hours never exceed the time since the order was taken (claimed or accepted): a member
    cannot finish with 24 h a minute after claiming. The record spans `hours` from its start
    (`_service_start`) and must not overlap the member's other records (service layer).
    """
    order = _locked(order)
    _require_assignee(order, member)
    hours = Decimal(hours)
    if not Decimal("0.25") <= hours <= Decimal("24"):
        raise OrderError(_("Hours must be between 0.25 and 24."))
    if order.state != State.ACCEPTED:  # an accepted order is started on the way (below)
        ORDER_MOVES.check(order, State.DONE)
    now = timezone.now()
    available = order_hours_available(order, now)
    if hours > available:
        raise OrderError(
            _(
                "You took this order at %(taken)s: %(available)s h have passed since, so at "
                "most %(available)s h can be recorded, not %(hours)s."
            )
            % {
                "taken": format_moment(order.accepted_at or now),
                "available": _hours(available),
                "hours": _hours(hours),
            }
        )
    begun = _service_start(order, hours, now, started_at)
    if order.state == State.ACCEPTED:  # finishing straight away also records the start
        _move(order, State.IN_SERVICE, action="start", by=member.user, source=source, now=now)
    ORDER_MOVES.check(order, State.DONE)
    try:
        record = service_record_create(
            members=[member],
            started_at=begun,
            ended_at=begun + timedelta(seconds=float(hours * 3600)),
            hours=hours,
            note=note.strip()[:500],
            order=order,
            by=member.user,
            verification=ServiceRecord.Verification.SELF,
        )
    except ServiceError as error:
        raise OrderError(str(error)) from None
    order.done_at = now
    _move(
        order,
        State.DONE,
        action="finish",
        by=member.user,
        source=source,
        now=now,
        reason=note[:300],
        fields=["done_at"],
    )
    with translation.override(settings.LANGUAGE_CODE):
        day = date_format(timezone.localtime(record.started_at), "MONTH_DAY_FORMAT")
        hours_text = format_hours(record.hours)
        _tell_resident(
            order,
            kind="order_done",
            title=_(
                "Your request #%(n)s was done on %(day)s (%(hours)s h of service). "
                "Please confirm and rate it, or tell us if it is not solved:"
            )
            % {"n": order.pk, "day": day, "hours": hours_text},
            params={"date": day, "hours": hours_text},
            url=review_link_for(record),
        )
    return order, record


@transaction.atomic
def order_hand_back(
    *, order: Order, member: Member, reason: str, transfer: bool = False, source: str = Source.WEB
) -> Order:
    """The member gives the order back (交回) or asks for a transfer (转派); history stays."""
    reason = _require_reason(reason, _("handing the order back"))
    order = _locked(order)
    _require_assignee(order, member)
    if order.state not in Order.TAKEN:
        raise OrderError(_("Only an order you have taken can be handed back."))
    order.assigned_member = None
    _move(
        order,
        State.TRIAGED,
        action="transfer" if transfer else "hand_back",
        by=member.user,
        source=source,
        reason=reason,
        fields=["assigned_member"],
    )
    title = (
        _("%(name)s asks to transfer order #%(n)s")
        if transfer
        else _("%(name)s handed back order #%(n)s")
    ) % {"name": member.name, "n": order.pk}
    for admin in community_admins(order.community):
        notify(
            user=admin,
            kind="order_handed_back",
            street_id=order.street_id,
            title=title,
            body=reason,
            url=reverse("console:order_detail", args=[order.pk]),
        )
    return order


@transaction.atomic
def order_reopen(
    *, order: Order, reason: str, by: User | None = None, source: str = Source.WEB
) -> Order:
    """The resident says a done order is not solved: back on the needs list, reason kept.
    It is new work: its category's times to respond and to finish count again from now (with
    the old ones it showed as overdue at once, and the expiry job soon closed it)."""
    reason = _require_reason(reason, _("reopening the order"))
    order = _locked(order)
    if order.state not in {State.DONE, State.REVIEWED}:
        raise OrderError(_("Only a finished order can be reopened."))
    was_with = order.assigned_member
    order.assigned_member = None
    order.done_at = None
    now = timezone.now()
    order.respond_by, order.finish_by = order_deadlines(order.category, now, order.window_end)
    _move(
        order,
        State.TRIAGED,
        action="reopen",
        by=by,
        by_label=by.name if by else _("Resident"),
        source=source,
        reason=reason,
        fields=["assigned_member", "done_at", "respond_by", "finish_by"],
    )
    for admin in community_admins(order.community):
        notify(
            user=admin,
            kind="order_reopened",
            street_id=order.street_id,
            body=reason,
            url=reverse("console:order_detail", args=[order.pk]),
            title=_("Order #%(n)s was reopened: not solved") % {"n": order.pk},
        )
    if was_with:
        notify(
            user=was_with.user,
            kind="order_reopened",
            street_id=order.street_id,
            body=reason,
            title=_("Order #%(n)s was reopened: not solved") % {"n": order.pk},
        )
    return order


@transaction.atomic
def order_mark_reviewed(*, order: Order, by_label: str = "", source: str = Source.WEB) -> Order:
    """Called by the review (评诺) flow once the resident has rated the service."""
    order = _locked(order)
    _move(
        order,
        State.REVIEWED,
        action="review",
        by=None,
        by_label=by_label or _("Resident"),
        source=source,
    )
    return order
