"""Retention of sign-in failures (issue 13, deliverable 4): rows older than
LOGIN_FAILURE_RETENTION_DAYS are deleted, never one that can still shape a lock in force.
Sessions past their expiry are deleted too."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from pledgeloop.people.auth import login_locked_until
from pledgeloop.people.models import LoginFailure, Session
from pledgeloop.people.services import login_failures_prune, sessions_prune

pytestmark = pytest.mark.django_db


def _failure(days_ago: float, ip="10.0.0.9", phone="13900000102") -> LoginFailure:
    return LoginFailure.objects.create(
        phone=phone, ip=ip, at=timezone.now() - dt.timedelta(days=days_ago)
    )


def test_old_login_failures_are_pruned_and_young_ones_kept(settings):
    settings.LOGIN_FAILURE_RETENTION_DAYS = 30
    _failure(31)
    young = _failure(29)
    assert login_failures_prune() == 1
    assert list(LoginFailure.objects.values_list("pk", flat=True)) == [young.pk]
    assert login_failures_prune() == 0  # idempotent


def test_the_prune_never_shortens_a_lock_in_force(settings):
    # Even a retention shorter than the lockout's memory keeps what decides a running lock.
    settings.LOGIN_FAILURE_RETENTION_DAYS = 0
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _failure(0)
    before = login_locked_until(phone="13900000102", ip="10.0.0.9")
    assert before is not None
    login_failures_prune()
    assert login_locked_until(phone="13900000102", ip="10.0.0.9") == before


def test_the_management_command_prunes(settings):
    settings.LOGIN_FAILURE_RETENTION_DAYS = 30
    _failure(40)
    out = io.StringIO()
    call_command("login_failures_prune", stdout=out)
    assert not LoginFailure.objects.exists()
    assert "1" in out.getvalue()


def test_expired_sessions_are_pruned_and_running_ones_kept(client, world):
    client.force_login(world.member)  # a real session, through the store
    running = Session.objects.get()
    assert running.user_id == world.member.pk
    Session.objects.create(
        session_key="e" * 32,
        session_data=running.session_data,
        expire_date=timezone.now() - dt.timedelta(seconds=1),
        user_id=world.member.pk,
    )
    assert sessions_prune() == 1
    assert list(Session.objects.values_list("pk", flat=True)) == [running.pk]
    assert sessions_prune() == 0  # idempotent
    assert client.get("/me/").status_code == 200  # still signed in
