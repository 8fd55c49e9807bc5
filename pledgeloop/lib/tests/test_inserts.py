"""lib.inserts.insert writes what bulk_create writes, with the statement built once."""

import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Model
from django.db.models.signals import post_init
from django.utils import timezone
from django.utils.translation import gettext_lazy

from pledgeloop.lib.inserts import (
    _params,
    _pre_save_reads,
    _stores_only,
    _written_fields,
    insert,
    links_kept,
    new,
    statement_atomic,
    upsert,
)
from pledgeloop.notify.models import Delivery, Notification, ShortLink
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.orgs.models import Category
from pledgeloop.people.models import LoginFailure


def new_order(world, now=None, **changes) -> Order:
    now = now or timezone.now()
    values = {
        "street_id": world.street.pk,
        "community": world.community,
        "category": Category.objects.filter(street=world.street).first(),
        "description": "厨房水龙头漏水",
        "address": "3幢201室",
        "phone": "13812345678",
        "consent_at": now,
        "created_at": now,
        "respond_by": now,
        "finish_by": now,
    }
    return Order(**{**values, **changes})


def stored(obj) -> dict:
    row = type(obj).objects.filter(pk=obj.pk).values().get()
    return {k: v for k, v in row.items() if k not in {"id", "tracking_token", "updated_at"}}


def test_insert_writes_the_same_row_as_bulk_create(world):
    now = timezone.now()
    mine, theirs = new_order(world, now), new_order(world, now)
    insert([mine])
    Order.objects.bulk_create([theirs])
    assert mine.pk and not mine._state.adding and mine._state.db == "default"
    assert stored(mine) == stored(theirs)
    row = Order.objects.get(pk=mine.pk)
    # Defaults (the tracking token), auto_now (updated_at) and the instance's own values.
    assert row.tracking_token == mine.tracking_token and len(row.tracking_token) >= 24
    assert row.updated_at == mine.updated_at is not None
    assert row.community == world.community and row.state == Order.State.SUBMITTED


def test_several_rows_in_one_statement_each_get_their_key(world, django_assert_num_queries):
    rows = [
        Notification(street_id=world.street.pk, user=user, kind="order_new", title=f"新订单 {n}")
        for n, user in enumerate([world.community_admin, world.street_admin, world.member])
    ]
    with django_assert_num_queries(1):
        insert(rows)
    assert [n.pk for n in rows] == sorted(n.pk for n in rows)
    for notification in rows:
        stored_one = Notification.objects.get(pk=notification.pk)
        assert (stored_one.user_id, stored_one.title) == (notification.user_id, notification.title)
        assert stored_one.state == Notification.State.WAITING and stored_one.params == {}


def test_insert_refuses_saved_or_mixed_instances_and_keeps_constraints(world):
    order = new_order(world)
    insert([order])
    with pytest.raises(ValueError):
        insert([order])
    with pytest.raises(ValueError):
        insert([new_order(world), Notification(street_id=world.street.pk, kind="x", title="x")])
    twin = new_order(world, tracking_token=order.tracking_token)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([twin])


def test_every_kind_of_value_lands_as_bulk_create_lands_it(world):
    """Text, Chinese text, JSON, decimals, an address, a time, None: on PostgreSQL insert()
    sends them as numbered parameters beside the statement, bulk_create binds them into its
    text; the stored rows must not tell the two apart."""
    now = timezone.now()
    orders = [
        new_order(world, now, latitude=Decimal("31.956201"), longitude=Decimal("120.941800")),
        new_order(world, now, description="需要陪同就医 'quoted' $1 %s", address=""),
    ]
    theirs = [
        new_order(world, now, latitude=Decimal("31.956201"), longitude=Decimal("120.941800")),
        new_order(world, now, description="需要陪同就医 'quoted' $1 %s", address=""),
    ]
    notes = [
        Notification(
            street_id=world.street.pk,
            user=world.member,
            kind="k",
            title="标题",
            params={"名字": "王秀兰", "n": 3, "nested": [1, None, "x"]},
        )
        for _ in range(2)
    ]
    failures = [
        LoginFailure(phone="13900000001", ip=ip, at=now) for ip in ("10.0.0.1", "::1", None)
    ]
    twins = [LoginFailure(phone="13900000001", ip=ip, at=now) for ip in ("10.0.0.1", "::1", None)]
    insert(orders)
    Order.objects.bulk_create(theirs)
    insert(notes)
    insert(failures)
    LoginFailure.objects.bulk_create(twins)
    for mine, bulk in zip(orders, theirs, strict=True):
        assert stored(mine) == stored(bulk)
    for note in notes:
        assert Notification.objects.get(pk=note.pk).params == note.params
    for mine, bulk in zip(failures, twins, strict=True):
        assert stored(mine) == stored(bulk)


def test_values_of_another_type_than_the_field_s_are_converted_as_bulk_create_does(world):
    """insert() takes a plain field's value as it is only when it is of the field's own type
    (text for text, an int for an integer, a bool for a boolean); any other is converted:
    a number given as text, a bool given for a number, a lazy translation for text."""

    def notice(**values):
        return Notification(street_id=world.street.pk, user=world.member, kind="k", **values)

    mine = [
        notice(title=gettext_lazy("Resident"), attempts="3", community_id=str(world.community.pk)),
        notice(title="标题", attempts=True, user_id=str(world.member.pk)),
    ]
    theirs = [
        notice(title=gettext_lazy("Resident"), attempts="3", community_id=str(world.community.pk)),
        notice(title="标题", attempts=True, user_id=str(world.member.pk)),
    ]
    insert(mine)
    Notification.objects.bulk_create(theirs)
    moments = {"created_at": None, "next_attempt_at": None}  # each row's own "now"
    for row, twin in zip(mine, theirs, strict=True):
        assert stored(row) | moments == stored(twin) | moments
    first = Notification.objects.values("attempts", "community_id").get(pk=mine[0].pk)
    assert first == {"attempts": 3, "community_id": world.community.pk}
    assert Notification.objects.get(pk=mine[1].pk).attempts == 1


def test_times_are_stored_as_bulk_create_stores_them_in_utc_or_another_zone(world):
    """A time in UTC (timezone.now()'s) goes as its own text on SQLite, without Django's
    conversions; one in another zone, or with no fraction of a second, still lands exactly
    where bulk_create puts it: the stored text itself is compared, not the times read back."""
    now = timezone.now()
    shanghai = now.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    whole = now.replace(microsecond=0)
    times = {
        "consent_at": now,
        "created_at": whole,
        "respond_by": shanghai,
        "finish_by": shanghai.replace(microsecond=0),
        "window_start": now - timedelta(hours=1),
        "window_end": shanghai + timedelta(hours=2),
    }
    mine, theirs = new_order(world, **times), new_order(world, **times)
    insert([mine])
    Order.objects.bulk_create([theirs])
    columns = ", ".join(times)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {columns} FROM orders_order WHERE id IN (%s, %s)",  # noqa: S608
            [mine.pk, theirs.pk],
        )
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
    assert rows[mine.pk] == rows[theirs.pk]
    assert Order.objects.values(*times).get(pk=mine.pk) == times


def test_upsert_writes_new_rows_and_updates_stored_ones_by_their_unique_fields(
    world, django_assert_num_queries
):
    notifications = insert(
        [Notification(street_id=world.street.pk, phone="13811112222", kind="x", title=str(n))
         for n in range(2)]
    )  # fmt: skip
    stored_one = Delivery.objects.create(
        street_id=world.street.pk, notification=notifications[0], channel="sms", attempts=1
    )
    now = timezone.now()
    again = Delivery(
        street_id=world.street.pk,
        notification_id=notifications[0].pk,
        channel="sms",
        address="138****2222",
        status=Delivery.Status.ACCEPTED,
        attempts=1,
        at=now,
    )
    new = Delivery(
        street_id=world.street.pk,
        notification_id=notifications[1].pk,
        channel="sms",
        status=Delivery.Status.SENDING,
        attempts=1,
        at=now,
    )
    key, written = ("street", "notification", "channel"), ("address", "status", "at")
    with django_assert_num_queries(1):
        upsert([again, new], unique_fields=key, update_fields=written)
    assert new.pk is None  # not read back
    rows = {d.notification_id: d for d in Delivery.objects.all()}
    assert len(rows) == 2 and rows[notifications[0].pk].pk == stored_one.pk
    assert (rows[notifications[0].pk].status, rows[notifications[0].pk].address) == (
        "accepted",
        "138****2222",
    )
    assert (rows[notifications[1].pk].status, rows[notifications[1].pk].at) == ("sending", now)
    # Only the fields named are updated on a stored row.
    again.channel, again.detail = "sms", "not written"
    upsert([again], unique_fields=key, update_fields=written)
    assert Delivery.objects.get(pk=stored_one.pk).detail == ""


def test_only_a_pre_save_that_reads_its_attribute_is_skipped():
    # A time without auto_now or auto_now_add is read as it is (an order has eight); any other
    # pre_save runs: auto_now's stamp, auto_now_add's on adding, a file's commit.
    assert _pre_save_reads(Order._meta.get_field("created_at"))
    assert _pre_save_reads(Order._meta.get_field("description"))
    assert not _pre_save_reads(Order._meta.get_field("updated_at"))
    assert not _pre_save_reads(models.DateTimeField(auto_now_add=True))
    assert not _pre_save_reads(models.DateField(auto_now=True))
    assert not _pre_save_reads(Order._meta.get_field("photo"))


def test_new_builds_the_instance_that_the_model_s_keywords_build(world):
    """lib.inserts.new(model, **values): the values, every other field's default, the state of
    a row not yet written; a field the model lacks is refused, as by the keywords."""
    now = timezone.now()
    given = {
        Notification: {"street_id": world.street.pk, "user_id": world.member.pk, "kind": "k"},
        Delivery: {"street_id": world.street.pk, "notification_id": 7, "channel": "sms", "at": now},
        Order: {"street_id": world.street.pk, "community_id": world.community.pk, "phone": "1"},
    }
    for model, values in given.items():
        built, twin = new(model, **values), model(**values)
        mine, theirs = vars(built).copy(), vars(twin).copy()
        for name in ("_state", "created_at", "next_attempt_at", "tracking_token"):
            # Defaults drawn anew for each (the time now, a random token), and the state.
            mine.pop(name, None), theirs.pop(name, None)
        assert mine == theirs, model
        assert built._state.adding and built._state.db is None and built.pk is None
        assert set(vars(built)) == set(vars(twin))
    token = new(Order, street_id=world.street.pk).tracking_token
    assert token and token != new(Order, street_id=world.street.pk).tracking_token
    # A default that can change is each row's own; one that cannot is the model's value.
    first, second = (new(Notification, street_id=world.street.pk) for _ in range(2))
    assert first.params == {} and first.params is not second.params
    assert first.state == Notification.State.WAITING and new(Order).channel == Order.Channel.WEB
    with pytest.raises(TypeError, match="no fields colour"):
        new(Notification, colour="red")


def test_new_puts_the_values_in_place_only_where_setting_them_only_stores_them(world, monkeypatch):
    """new() puts the values into the instance's dict itself (not through Model.__init__),
    where every field's attribute only stores what is set on it and nothing listens for the
    model's instances being made; else it makes them as model(*values) does."""
    made_by_init = []
    init = Model.__init__

    def counted(self, *args, **kwargs):
        made_by_init.append(type(self))
        init(self, *args, **kwargs)

    monkeypatch.setattr(Model, "__init__", counted)
    twin = new_order(world)
    made_by_init.clear()
    values = {f.attname: getattr(twin, f.attname) for f in Order._meta.concrete_fields[1:]}
    order = new(Order, **{**values, "tracking_token": "made-by-new"})
    assert made_by_init == []
    assert (order.street, order.community, order.phone) == (
        world.street,
        world.community,
        twin.phone,
    )
    assert not order.photo and order._state.adding and order._state.db is None
    insert([order, twin])
    assert stored(order) == stored(twin)
    # Something listening for the model's instances being made: through __init__, heard.
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance)

    post_init.connect(listener, sender=Notification)
    made_by_init.clear()
    try:
        notice = new(Notification, street_id=world.street.pk, user_id=world.member.pk)
    finally:
        post_init.disconnect(listener, sender=Notification)
    assert heard == [notice] and made_by_init == [Notification]
    # A field's attribute that does more than store what is set on it: through __init__.
    assert _stores_only(ShortLink)
    monkeypatch.setattr(ShortLink, "code", property(lambda link: "", lambda link, value: None))
    assert not _stores_only(ShortLink)
    monkeypatch.undo()
    # A model with an __init__ of its own: through it.
    monkeypatch.setattr(ShortLink, "__init__", lambda link, *values: Model.__init__(link, *values))
    assert not _stores_only(ShortLink)


@pytest.mark.parametrize("model", [Order, Notification, Delivery, LoginFailure])
def test_each_value_goes_to_the_database_as_django_s_conversions_give_it(model):
    """_params' short ways (a plain value as it is, an int in PostgreSQL's type for it, an
    aware time as its UTC text or as it is) give each value, and its type, exactly what
    get_db_prep_save gives: numbers, times in UTC and in another zone, text, None."""
    now = timezone.now()
    shanghai = now.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    row = new(model)
    for n, field in enumerate(_written_fields(model)):
        if isinstance(field, models.DateTimeField):
            value = (now, shanghai, now.replace(microsecond=0), None)[n % 4]
        elif isinstance(field, models.BooleanField):
            value = bool(n % 2)
        elif isinstance(field, (models.IntegerField, models.ForeignKey)):
            value = (7, 2**40, None)[n % 3] if field.null else 7 + n
        elif isinstance(field, models.JSONField):
            value = {"n": n}
        elif isinstance(field, models.DecimalField):
            value = Decimal("31.956201")
        elif isinstance(field, models.GenericIPAddressField):
            value = ("10.0.0.1", "::1")[n % 2]
        else:
            value = f"值{n}" if not field.null else (None, f"值{n}")[n % 2]
        setattr(row, field.attname, value)
    params = _params([row], connection)
    # pre_save has run (a time set on saving is set now): Django's conversions of the same.
    expected = [
        field.get_db_prep_save(getattr(row, field.attname), connection=connection)
        for field in _written_fields(model)
    ]

    def seen(value):  # psycopg's JSON wrapper compares by identity: by what it wraps
        return type(value), getattr(value, "obj", value)

    assert [seen(p) for p in params] == [seen(e) for e in expected]


@pytest.mark.django_db(transaction=True)
def test_one_statement_goes_alone_outside_a_transaction_and_in_a_savepoint_inside_one():
    """statement_atomic: no BEGIN and COMMIT around a statement atomic by itself, but inside
    a caller's transaction a refused statement is undone alone and the transaction goes on
    (on PostgreSQL an error outside a savepoint spoils the whole transaction)."""
    links = {"unique_fields": ("path",), "update_fields": ("path",)}
    with statement_atomic():
        assert not connection.in_atomic_block
        upsert([new(ShortLink, code="firstFIRST", path="/a/")], **links)
    with transaction.atomic():
        with pytest.raises(IntegrityError), statement_atomic():
            assert connection.in_atomic_block
            upsert([new(ShortLink, code="firstFIRST", path="/b/")], **links)  # code taken
        ShortLink.objects.create(code="otherOTHER", path="/c/")
    assert dict(ShortLink.objects.values_list("path", "code")) == {
        "/a/": "firstFIRST",
        "/c/": "otherOTHER",
    }


def test_a_row_built_by_its_ids_keeps_the_linked_rows_given_to_it(world, django_assert_num_queries):
    """links_kept: the links read the rows kept, as model(link=row) keeps them; a link to a
    row written later takes that row's id once it has one."""
    order = new(Order, street_id=world.street.pk, community_id=world.community.pk)
    links_kept(order, community=world.community, site=None)
    with django_assert_num_queries(0):
        assert order.community is world.community and order.site is None
    event = new(OrderEvent, street_id=world.street.pk, order_id=order.pk)
    links_kept(event, order=order)
    order.pk = 4242  # written
    values = _params([event], connection)
    assert 4242 in values and event.order_id == 4242
