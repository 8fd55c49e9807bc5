"""The response cache of the anonymous public pages, never stale after a write (issue 17).

    community_streets = street_versions_by(Community, "slug")

    @public_page(lambda request, slug: community_streets(slug))
    def wall(request, slug): ...

A page is cached under its absolute URL (path and query), the language, the time zone, today's
date (pages show dates, quarters and what is due) and the data version of every street its
data comes from (orgs/versions.py: the database bumps it on every write to a table these
pages show). The versions are read in one query before the view runs, so a hit costs that
query and a cache read; a write committed before that query has bumped the version, so the
page is looked up under a key no earlier render was stored under. A render stores what it
read after reading the versions: never older than its key. PUBLIC_PAGE_CACHE_SECONDS is a
backstop (entries expire even if nothing changed) and 0 turns the cache off.

Only what every anonymous visitor gets alike is cached:
- a GET without a session cookie and without pending messages, by a user who is not signed
  in (a signed-in user's page names them, so it is never served the anonymous copy);
- a 200 that sets no cookie, leaves the session untouched, queues no message, asks for no
  CSP nonce and is not marked private / no-store / no-cache.
The language form's CSRF token is the one thing on these pages that is the visitor's own: it
is taken out before storing and each answer from the cache gets the visitor's own token
(`get_token`, as the template tag does), so no stored page carries anyone's token.

The cache is Django's default cache (settings.CACHES; the local-memory cache of each worker
process unless configured): entries are small, and a miss only costs the render.

`signed_in_page(viewer)` keeps the busiest signed-in pages (the needs list, an order, the
member's home and nearby needs, the dashboard, the annual review) in the same cache for their
viewer alone, by the same rules and the same versions: see its docstring and
tests/test_signed_in_cache.py.
"""

import functools
import hashlib
import re
import struct
import zlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import CSRF_TOKEN_LENGTH, _unmask_cipher_token, get_token
from django.middleware.gzip import re_accepts_gzip
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import split_directive_names

from .versions import street_versions_by

__all__ = ["answer", "public_page", "signed_in_page", "storable", "stored", "street_versions_by"]

KEY_PREFIX = "pledgeloop.pagecache.v1"
# The request headers a stored page may vary by (the key or the answer follows them).
KEYED_HEADERS = {"cookie", "accept-language", "accept-encoding"}
# Anything shaped like a masked CSRF token (64 letters and digits, wherever the page put it:
# the form's hidden field or not): the visitor's own ones are taken out before storing.
_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{%d}(?![A-Za-z0-9])" % CSRF_TOKEN_LENGTH)
_HOLE = b"__csrf_token__"
# gzip (RFC 1952) around raw deflate pieces: the header (deflate, no name, no time) and, after
# the pieces, an empty last block; then CRC-32 and length of the whole.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LAST_BLOCK = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS).flush()


def _may_use_cache(request) -> bool:
    if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    if request.user.is_authenticated:
        return False
    return len(messages.get_messages(request)) == 0


def _key(request, versions, viewer=()) -> str:
    parts = [
        *viewer,
        request.build_absolute_uri(),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        timezone.localdate().isoformat(),
        ",".join(f"{street}:{n}" for street, n in versions),
    ]
    digest = hashlib.md5("\n".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"{KEY_PREFIX}.{digest}"


def storable(request, response, session_before=None) -> bool:
    """Whether `response` is the same for anyone the key stands for. `session_before`: the
    session as the view found it, for a signed-in page (whose session the middleware may have
    written before the view ran: only a change by the view itself counts)."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if response.has_header("Content-Encoding"):
        return False
    # A response that differs by a request header the key does not hold (HX-Request, say) is
    # not stored: the key holds the user (Cookie) and the language, and an answer is
    # compressed or not as each request accepts.
    varies = {h.strip().lower() for h in response.get("Vary", "").split(",") if h.strip()}
    if varies - KEYED_HEADERS:
        return False
    if {"private", "no-store", "no-cache"} & set(
        split_directive_names(response.get("Cache-Control", ""))
    ):
        return False
    session = getattr(request, "session", None)
    if session_before is not None:
        if dict(session.items()) != session_before:
            return False
    elif session is not None and session.modified:
        return False
    storage = getattr(request, "_messages", None)
    if storage is not None and storage.added_new:
        return False
    return not get_nonce(request)


def _deflated(data: bytes) -> bytes:
    """`data` deflated on its own and ended by a full flush (a byte boundary, no reference to
    anything before it): such pieces joined in order are one deflate stream."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return deflate.compress(data) + deflate.flush(zlib.Z_FULL_FLUSH)


def stored(request, response) -> dict:
    """What the cache keeps of `response`: its body in pieces around the visitor's CSRF
    token, each piece deflated once, and its headers (`answer` makes a response of it)."""
    content = response.content
    secret = request.META.get("CSRF_COOKIE")  # set once the render asked for a token
    if secret:

        def hole(match):
            token = match.group().decode()
            return _HOLE if _unmask_cipher_token(token) == secret else match.group()

        content = _TOKEN.sub(hole, content)
    parts = content.split(_HOLE)
    # Compressed once here, not on every answer (gzip was a third of a cached wall's time):
    # each part on its own, so that the visitor's token, compressed on its own too, goes
    # between them. Nothing of the token is compressed together with the page, so the size
    # of an answer says nothing about it (BREACH), without GZipMiddleware's random padding.
    return {
        "parts": parts,
        "deflated": [_deflated(part) for part in parts],
        "headers": list(response.items()),
    }


def answer(request, kept: dict) -> HttpResponse:
    """The response `stored` kept, with this visitor's CSRF token, gzip-compressed if they
    accept it (and it is not shorter than 200 bytes, which GZipMiddleware leaves alone)."""
    parts = kept["parts"]
    token = get_token(request).encode() if len(parts) > 1 else b""
    content = token.join(parts)
    response = HttpResponse(content)
    for name, value in kept["headers"]:
        response[name] = value
    if len(content) < 200:
        return response
    patch_vary_headers(response, ("Accept-Encoding",))
    if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        deflated = _deflated(token).join(kept["deflated"]) + _LAST_BLOCK
        size = struct.pack("<II", zlib.crc32(content), len(content) & 0xFFFFFFFF)
        response.content = _GZIP_HEADER + deflated + size
        response["Content-Length"] = str(len(response.content))
        response["Content-Encoding"] = "gzip"  # GZipMiddleware leaves it as it is
    return response


def _served(request, key, seconds, view, args, kwargs, *, signed_in=False):
    """The answer stored under `key`, or the view's, stored there if it may be (for a
    signed-in page, only if the view left the session as it found it)."""
    cache = caches[settings.PUBLIC_PAGE_CACHE]
    found = cache.get(key)
    if found is not None:
        return answer(request, found)
    session_before = dict(request.session.items()) if signed_in else None
    response = view(request, *args, **kwargs)
    if storable(request, response, session_before):
        cache.set(key, stored(request, response), seconds)
    return response


def public_page(versions):
    """Cache an anonymous public page under its streets' data versions.

    `versions(request, *args, **kwargs)`: the (street id, version) pairs of every street whose
    data the page may show, in one query (street_versions_by); none: the page is not cached
    (it is a 404, or about to become one).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
            if not seconds or not _may_use_cache(request):
                return view(request, *args, **kwargs)
            found = versions(request, *args, **kwargs)
            if not found:
                return view(request, *args, **kwargs)
            return _served(request, _key(request, found), seconds, view, args, kwargs)

        return wrapped

    return decorator


def signed_in_page(viewer):
    """Cache a signed-in person's page for them alone, under their streets' data versions.

    `viewer(request, *args, **kwargs)`: ``(versions, parts)``, the (street id, version) pairs
    of every street whose data the page may show and strings for whatever
    else the page shows of its viewer that no street version follows (their roles, their
    name, their unread messages); None: the page is not cached. The key also holds the
    user's id, so that nobody is ever served another person's copy, and the entry lives
    SIGNED_IN_PAGE_CACHE_SECONDS at most (a minute by default): pages that say "overdue" or
    "in two hours" are at most that much behind the clock, never behind a write.

    The decorator goes under the view's access checks (login_required first); a page that
    refuses the viewer answers something other than 200 and is not stored. Not for a page
    whose GET writes anything (an audit row) or reads the session beyond who is signed in.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            seconds = settings.SIGNED_IN_PAGE_CACHE_SECONDS
            if (
                not seconds
                or request.method != "GET"
                or not request.user.is_authenticated
                or len(messages.get_messages(request))
            ):
                return view(request, *args, **kwargs)
            found = viewer(request, *args, **kwargs)
            if found is None:
                return view(request, *args, **kwargs)
            versions, parts = found
            key = _key(request, versions, (f"user:{request.user.pk}", *parts))
            return _served(request, key, seconds, view, args, kwargs, signed_in=True)

        return wrapped

    return decorator
