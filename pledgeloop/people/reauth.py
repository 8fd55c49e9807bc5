"""A fresh password before whole phone numbers (issue 13, deliverable 5).

A list or an export of whole numbers is the most a stolen session could take away, so staff
give their password again first unless they gave it within PASSWORD_CONFIRM_MINUTES. The
moment is kept in the session (a new sign-in starts a new session, so it starts unconfirmed).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

SESSION_KEY = "password_confirmed_at"


def password_recently_confirmed(request) -> bool:
    confirmed = request.session.get(SESSION_KEY)
    if not isinstance(confirmed, int | float):
        return False
    age = timezone.now().timestamp() - confirmed
    return 0 <= age <= settings.PASSWORD_CONFIRM_MINUTES * 60


def password_confirmed_now(request) -> None:
    request.session[SESSION_KEY] = int(timezone.now().timestamp())


def password_confirm_redirect(request, *, back: str = "") -> HttpResponseRedirect:
    """To the confirm page, which comes back to this very address (query included).

    `back`, for a download: the page to return to. A download does not leave the page it
    was asked from, so the confirm page would stay on its form, as if the password had not
    been taken; with `back` it says instead that the file is on its way, starts it, and
    links back there."""
    fields = {"next": request.get_full_path()}
    if back:
        fields["back"] = back
    query = urlencode(fields, safe="/")
    return HttpResponseRedirect(f"{reverse('people:password_confirm')}?{query}")
