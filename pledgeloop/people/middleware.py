"""Session idle time-out (issue 13).

A session cookie lives SESSION_COOKIE_AGE (two weeks) so that members and residents on their
own phones stay signed in. Staff (street and community admins, Django admin users) see whole
resident lists and numbers, often on shared office computers: their session ends after
SESSION_IDLE_MINUTES without a request (30 by default). Members and residents have their own
limit, SESSION_IDLE_MINUTES_MEMBERS (a week by default). 0 turns a limit off.

Each request refreshes the time of last activity; to spare a session write on every page it
is stored at most once a minute. Signing in starts the clock and notes which limit applies,
in the session written by the sign-in itself, so a page costs no extra query.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _

from .models import Role

LAST_SEEN = "pledgeloop_last_seen"
STAFF = "pledgeloop_staff"
# Seconds between two writes of the last-seen time (the time-out is this much coarser).
REFRESH_SECONDS = 60
STAFF_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_ADMIN}


def is_staff_session(user) -> bool:
    return user.is_staff or user.is_superuser or any(g.role in STAFF_ROLES for g in user.grants)


def session_clock_start(sender, request, user, **kwargs) -> None:
    """On sign-in (the user_logged_in signal): the clock starts, the limit is chosen."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN] = int(time.time())
        request.session[STAFF] = is_staff_session(user)


def connect() -> None:
    user_logged_in.connect(session_clock_start, dispatch_uid="pledgeloop.session_clock")


def idle_limit_minutes(request, user) -> int:
    staff = request.session.get(STAFF)
    if not isinstance(staff, bool):  # a session begun before this code ran
        staff = request.session[STAFF] = is_staff_session(user)
    return settings.SESSION_IDLE_MINUTES if staff else settings.SESSION_IDLE_MINUTES_MEMBERS


class SessionIdleTimeoutMiddleware:
    """Signs out a session idle for longer than its limit; sits after AuthenticationMiddleware.

    The request then goes on as anonymous: a signed-in page redirects to the sign-in page
    (and back afterwards), a public page is shown as to anyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN)
        limit = idle_limit_minutes(request, user)
        if isinstance(last_seen, int) and limit > 0 and now - last_seen > limit * 60:
            logout(request)
            messages.info(
                request,
                _("You were signed out after %(n)s minutes without activity. Please sign in again.")
                % {"n": limit},
            )
            return
        if not isinstance(last_seen, int) or now - last_seen >= REFRESH_SECONDS:
            request.session[LAST_SEEN] = now
