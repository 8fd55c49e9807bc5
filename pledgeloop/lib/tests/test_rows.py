"""lib/rows.RowReader reads what the ORM reads: every field's value converted alike."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from pledgeloop.lib.rows import RowReader
from pledgeloop.people.models import Member, Session, User

pytestmark = pytest.mark.django_db


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_row_read_equals_the_orms(world):
    user = User.objects.get(pk=world.member.pk)
    user.last_login = timezone.now()  # an aware moment: SQLite's text made aware again
    user.save()
    read = RowReader(User, "id").get(user.pk)
    assert fields_of(read) == fields_of(User.objects.get(pk=user.pk))
    assert read.last_login.tzinfo is not None and read._state.db == "default"
    assert not read._state.adding  # saved as an update, as a queryset's instance
    member = Member.objects.get(user=world.member)
    assert fields_of(RowReader(Member, "id").get(member.pk)) == fields_of(member)


def test_a_missing_row_and_an_extra_condition():
    assert RowReader(User, "id").get(987654) is None
    client = Client()
    user = User.objects.create_user("13900000991", "pw-12345678", name="过期")
    client.force_login(user)
    key = client.session.session_key
    reader = RowReader(Session, "session_key", extra='"expire_date" > %s')
    assert reader.get(key, timezone.now()) is not None
    assert reader.get(key, timezone.now() + dt.timedelta(days=400)) is None


def test_an_expired_session_signs_nobody_in(world):
    client = Client()
    client.force_login(world.member)
    assert client.get("/me/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/me/").status_code == 302  # to the sign-in page


def test_a_user_made_inactive_is_signed_out_at_once(world):
    client = Client()
    client.force_login(world.member)
    assert client.get("/me/").status_code == 200
    User.objects.filter(pk=world.member.pk).update(is_active=False)
    assert client.get("/me/").status_code == 302
