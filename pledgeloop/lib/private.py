"""Quiet, private responses (issue 13): personal data is neither cached nor indexed.

Every response to a signed-in person may show someone's name, room or number (and the page
frame shows the person's own name), so all of them go out with ``Cache-Control: no-store``
and ``X-Robots-Tag: noindex``: a shared computer's browser keeps no copy, a proxy stores
nothing, a search engine that somehow reaches one does not list it. Pages opened by a token
in their address (order tracking, review links) carry the same headers for anyone; their views
are marked with ``@private_page``. Public pages (the wall, the showcase, public figures, the
diary) stay cacheable for visitors who are not signed in.
"""

from functools import wraps

from django.utils.cache import add_never_cache_headers

ROBOTS = "noindex, nofollow"


def make_private(response):
    """No cache may keep this response, and no search engine may index it."""
    add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
    response["X-Robots-Tag"] = ROBOTS
    return response


def private_page(view):
    """Mark a view whose address is a secret (a token): private for every visitor."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return make_private(view(request, *args, **kwargs))

    return wrapped


class PrivateResponseMiddleware:
    """Make every response to a signed-in user private. Sits after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            make_private(response)
        return response
