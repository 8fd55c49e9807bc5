"""The session read with its user and their viewer's columns in one statement
(notify/sessions.py): the same user as the separate reads, handed to the sign-in check of
this request only and only when the session's signed data names that user; Django's checks
(password hash, an inactive user, expiry) still sign people out."""

import datetime as dt
import threading

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledgeloop.conftest import PASSWORD
from pledgeloop.notify.services import notify
from pledgeloop.notify.sessions import SessionStore
from pledgeloop.notify.viewer import ViewerBackend, viewer
from pledgeloop.people.models import Role, RoleGrant, Session, User

pytestmark = pytest.mark.django_db

NEEDS = "/console/needs/"


def signed_in(user) -> Client:
    """A client signed in through the sign-in page, as a person would."""
    client = Client()
    response = client.post(reverse("people:login"), {"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 302
    return client


def ask(client: Client, path: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, len(queries)


def fields_of(user) -> dict:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


def _viewed(user):
    request = RequestFactory().get(NEEDS)
    request.user = user
    return viewer(request), request._pledgeloop_unread


def test_the_joined_read_gives_the_same_user_and_viewer_rows_as_the_separate_reads(world):
    admin = world.community_admin
    RoleGrant.objects.create(
        user=admin, role=Role.MEMBER, street=world.other_street, community=world.faraway
    )
    notify(user=admin, kind="order_new", title="新需求")
    client = signed_in(admin)
    key = client.cookies["sessionid"].value
    assert Session.objects.get(pk=key).user_id == admin.pk

    store = SessionStore(key)
    with CaptureQueriesContext(connection) as queries:
        data = store.load()
        joined = ViewerBackend().get_user(data[SESSION_KEY])
    assert len(queries) == 1 and joined is not None
    separate = ViewerBackend().get_user(admin.pk)  # taken once: this one is read again
    assert separate is not joined
    assert fields_of(joined) == fields_of(separate) == fields_of(User.objects.get(pk=admin.pk))
    assert sorted(joined._viewer_rows) == sorted(separate._viewer_rows)
    assert len(joined._viewer_rows) == 2
    assert _viewed(joined) == _viewed(separate) == _viewed(User.objects.get(pk=admin.pk))


def test_a_session_without_a_user_reads_nobody(world):
    store = SessionStore()
    store["seen"] = 1
    store.save()
    assert Session.objects.get(pk=store.session_key).user_id is None
    assert SessionStore(store.session_key).load() == {"seen": 1}


def test_after_signing_in_a_cached_page_runs_one_query(world):
    client = signed_in(world.community_admin)
    first, _ = ask(client, NEEDS)
    again, queries = ask(client, NEEDS)
    assert first.status_code == again.status_code == 200
    assert queries == 1  # the session with its user, their roles, versions and unread count
    assert world.community_admin.name in again.text


def test_a_session_whose_column_names_another_user_hands_nobody_over(world):
    """The signed data decides who is signed in: a row whose column is out of step (written
    otherwise, or forged in the database) only costs the user's own query."""
    admin, other = world.community_admin, world.outsider
    client = signed_in(admin)
    ask(client, NEEDS)
    key = client.cookies["sessionid"].value
    Session.objects.filter(pk=key).update(user_id=other.pk)

    store = SessionStore(key)
    data = store.load()
    with CaptureQueriesContext(connection) as queries:
        user = ViewerBackend().get_user(data[SESSION_KEY])
    assert user.pk == admin.pk and len(queries) == 1  # read on its own, not the joined one

    page, queries = ask(client, NEEDS)
    assert page.status_code == 200 and queries == 2
    assert admin.name in page.text and other.name not in page.text
    # no column at all: the same
    Session.objects.filter(pk=key).update(user_id=None)
    page, queries = ask(client, NEEDS)
    assert page.status_code == 200 and queries == 2 and admin.name in page.text


def test_signing_out_ends_the_session(world):
    client = signed_in(world.member)
    assert client.get("/me/").status_code == 200
    client.post(reverse("people:logout"))
    assert client.get("/me/").status_code == 302
    assert not Session.objects.filter(user_id=world.member.pk).exists()


def test_a_password_changed_elsewhere_signs_this_session_out(world):
    client = signed_in(world.member)
    ask(client, "/me/")
    assert ask(client, "/me/")[1] == 1
    user = User.objects.get(pk=world.member.pk)
    user.set_password("Lantern-Harbour-42")
    user.save()
    response = client.get("/me/")
    assert response.status_code == 302  # the hash no longer matches: flushed
    assert client.get("/me/").status_code == 302


def test_a_user_made_inactive_is_signed_out_at_once(world):
    client = signed_in(world.member)
    ask(client, "/me/")
    User.objects.filter(pk=world.member.pk).update(is_active=False)
    assert client.get("/me/").status_code == 302


def test_an_expired_session_signs_nobody_in(world):
    client = signed_in(world.member)
    assert client.get("/me/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/me/").status_code == 302


def test_two_people_in_a_row_on_one_thread_each_see_their_own(world):
    admin, member = world.community_admin, world.member
    first, second = signed_in(admin), signed_in(member)
    for _ in range(2):
        page, _ = ask(first, NEEDS)
        assert admin.name in page.text and member.name not in page.text
        home, _ = ask(second, "/me/")
        assert home.status_code == 200 and member.name in home.text
        assert admin.name not in home.text


def test_nothing_handed_over_outlives_its_request(world):
    """A session loaded whose user nobody asked for: the next request's store (made for
    every request) drops it; another thread never had it; it is taken once."""
    admin = world.community_admin
    key = signed_in(admin).cookies["sessionid"].value

    def reads_of(pk) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert ViewerBackend().get_user(pk).pk == pk
        return len(queries)

    SessionStore(key).load()
    SessionStore()  # the next request, without a session cookie
    assert reads_of(admin.pk) == 1

    SessionStore(key).load()
    assert reads_of(world.member.pk) == 1  # another user's id takes nothing ...
    assert reads_of(admin.pk) == 1  # ... and the handed user is gone with it

    SessionStore(key).load()
    found = []

    def elsewhere():
        try:
            found.append(ViewerBackend().user_by_id(admin.pk))
        finally:
            connections.close_all()

    worker = threading.Thread(target=elsewhere)
    worker.start()
    worker.join()
    # the thread read with its own connection, which does not see the test's uncommitted
    # rows: nothing, where the handed user would have been this thread's
    assert found == [None]
    assert reads_of(admin.pk) == 0  # this thread's own, taken once
    assert reads_of(admin.pk) == 1
