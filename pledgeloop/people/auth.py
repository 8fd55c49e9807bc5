"""Sign-in by mobile number, with a lockout that cannot be turned against the owner (issue 13).

Failures are counted per (number, address) pair and per address across numbers, never per
number alone: a stranger who types wrong passwords for an admin's number from their own
address locks out only themselves; the admin signs in from their office as usual.

- LOGIN_MAX_FAILURES failures of one pair within LOGIN_LOCKOUT_MINUTES of each other lock that
  pair for LOGIN_LOCKOUT_MINUTES;
- LOGIN_MAX_FAILURES_PER_IP failures from one address (whatever the numbers) within the same
  time lock that address, so one machine cannot try number after number;
- each further lock of the same pair or address doubles, up to LOGIN_LOCKOUT_MAX_MINUTES;
  after that long without a failure, the next lock is a first one again.

While locked, even the right password is refused (and not checked: no hashing work, no
oracle), and the refused attempt is not recorded, so waiting the lock out always works.
The state is read from the LoginFailure rows alone (no lock table to keep in step).
"""

import datetime as dt
import math
from collections import deque

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.masking import normalise_phone
from pledgeloop.lib.rows import RowReader

from .models import LoginFailure, User

# 2 ** 20 lockout lengths is far beyond any LOGIN_LOCKOUT_MAX_MINUTES; stops the doubling
# before the timedelta overflows.
MAX_DOUBLINGS = 20


def _base() -> dt.timedelta:
    return dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _longest() -> dt.timedelta:
    return max(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MAX_MINUTES), _base())


def lock_end(times: list[dt.datetime], *, threshold: int) -> dt.datetime | None:
    """When the last lock earned by these failures (oldest first) ends; None if none was.

    `threshold` failures within LOGIN_LOCKOUT_MINUTES of each other earn a lock; the n-th lock
    in a row lasts 2 ** (n - 1) times LOGIN_LOCKOUT_MINUTES, at most LOGIN_LOCKOUT_MAX_MINUTES.
    Counting starts afresh after each lock; the row ends after LOGIN_LOCKOUT_MAX_MINUTES
    without a failure.
    """
    base, longest = _base(), _longest()
    level, until = 0, None
    recent: deque[dt.datetime] = deque()
    for at in times:
        if until is not None and at < until:
            continue  # made while locked (refused attempts are not stored; older rows may be)
        if until is not None and at - until >= longest:
            level = 0
        while recent and at - recent[0] >= base:
            recent.popleft()
        recent.append(at)
        if len(recent) >= threshold:
            level += 1
            until = at + min(base * 2 ** min(level - 1, MAX_DOUBLINGS), longest)
            recent.clear()
    return until


def lockout_lookback() -> dt.timedelta:
    """How far back failures can still shape a lock in force now.

    The doubling reaches LOGIN_LOCKOUT_MAX_MINUTES after `steps` locks in a row; two locks in
    a row start less than twice the longest lock apart. So the last `steps` locks, all that
    decide the current one, began within (2 * steps + 1) longest locks of now.
    """
    base, longest = _base(), _longest()
    steps = math.ceil(math.log2(longest / base)) + 1
    return longest * (2 * steps + 1)


def _failure_times(**lookup) -> list[dt.datetime]:
    since = timezone.now() - lockout_lookback()
    rows = LoginFailure.objects.filter(at__gte=since, **lookup).order_by("at")
    return list(rows.values_list("at", flat=True))


def login_locked_until(*, phone: str, ip: str | None) -> dt.datetime | None:
    """The end of the lock on this number from this address (or on the address), if any."""
    now = timezone.now()
    pair = {"phone": normalise_phone(phone)[:32]}
    pair |= {"ip": ip} if ip else {"ip__isnull": True}
    ends = [lock_end(_failure_times(**pair), threshold=settings.LOGIN_MAX_FAILURES)]
    if ip:
        ends.append(lock_end(_failure_times(ip=ip), threshold=settings.LOGIN_MAX_FAILURES_PER_IP))
    running = [end for end in ends if end is not None and end > now]
    return max(running) if running else None


def login_lock_minutes(*, phone: str, ip: str | None) -> int:
    """Whole minutes (rounded up) until sign-in works again here; 0 when not locked."""
    until = login_locked_until(phone=phone, ip=ip)
    if until is None:
        return 0
    return max(1, math.ceil((until - timezone.now()).total_seconds() / 60))


def login_failure_record(*, phone: str, ip: str | None) -> None:
    LoginFailure.objects.create(phone=normalise_phone(phone)[:32], ip=ip)


def login_failures_clear(*, phone: str, ip: str | None) -> None:
    """A successful sign-in forgets this pair's failures (not those made from elsewhere)."""
    pair = {"ip": ip} if ip else {"ip__isnull": True}
    LoginFailure.objects.filter(phone=normalise_phone(phone)[:32], **pair).delete()


class PhoneBackend(ModelBackend):
    """ModelBackend keyed by the normalised phone, refusing locked pairs and addresses.

    It records every failure, so the Django admin's login is covered by the same lockout.
    The signed-in user of each request is read with a statement written once (lib/rows.py).
    """

    users = RowReader(User, "id")

    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = self.user_by_id(pk) if 0 < pk < 2**63 else None
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_by_id(self, pk: int) -> User | None:
        """The user row of this id, or None (a subclass may read more with it)."""
        return self.users.get(pk)

    def authenticate(self, request, username=None, password=None, phone=None, **kwargs):
        phone = normalise_phone(phone or username or "")
        if not phone or password is None:
            return None
        ip = client_ip(request)
        if login_locked_until(phone=phone, ip=ip) is not None:
            raise PermissionDenied("locked")
        try:
            user = User.objects.get(phone=phone)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle
            login_failure_record(phone=phone, ip=ip)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            login_failures_clear(phone=phone, ip=ip)
            return user
        login_failure_record(phone=phone, ip=ip)
        return None
