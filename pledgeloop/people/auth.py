"""Sign-in by mobile number, with a lockout after repeated failures (issue 2, C12)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.masking import normalise_phone

from .models import LoginFailure, User


def lockout_window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def login_is_locked(phone: str) -> bool:
    since = timezone.now() - lockout_window()
    failures = LoginFailure.objects.filter(phone=normalise_phone(phone), at__gte=since).count()
    return failures >= settings.LOGIN_MAX_FAILURES


def login_failure_record(*, phone: str, ip: str | None) -> None:
    LoginFailure.objects.create(phone=normalise_phone(phone)[:32], ip=ip)


def login_failures_clear(*, phone: str) -> None:
    LoginFailure.objects.filter(phone=normalise_phone(phone)).delete()


class PhoneBackend(ModelBackend):
    """ModelBackend keyed by the normalised phone, refusing locked numbers outright.

    It records every failure, so the Django admin's login is covered by the same lockout.
    """

    def authenticate(self, request, username=None, password=None, phone=None, **kwargs):
        phone = normalise_phone(phone or username or "")
        if not phone or password is None:
            return None
        if login_is_locked(phone):
            raise PermissionDenied("locked")
        try:
            user = User.objects.get(phone=phone)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle
            login_failure_record(phone=phone, ip=client_ip(request))
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            login_failures_clear(phone=phone)
            return user
        login_failure_record(phone=phone, ip=client_ip(request))
        return None
