"""A token's answers to the API's busiest read, kept under its street's data version (issue 17).

    @api.get("/orders", ...)
    @decorate_view(answers.keep)
    def order_list(request, ...):
        token = ...  # auth has run; the view's own scope checks here
        kept = answers.kept(request, token)
        if kept is not None:
            return kept
        ...

The way orgs/pagecache.signed_in_page keeps a signed-in person's page, for a token: an
answer is kept for that token alone under

- the token (its id, scopes, community and whether it is personal: what it reaches);
- the path with its query string, the language (the states' labels) and the time zone;
- the data version of the token's street (orgs/versions.py: the database bumps it on every
  write to the orders, their history and dispatches, the communities, categories, members
  and the names of members' users). A token reaches nothing outside its street
  (access.orders_for_token), so that one version follows everything the answer shows.

Authentication runs first as on every request (ninja runs it inside the operation, before
the view): the token is found, its maker's rights are checked and the request is counted
against the token's rate limit, from the cache too. The version is read with the token
(tokens.token_find's one query), before the view reads anything, so an answer stored under
it is never older than its key: a write committed before that read has bumped it. An entry
lives SIGNED_IN_PAGE_CACHE_SECONDS at most (what an answer says of time, `overdue`, is at
most that much behind the clock); 0 turns the cache off.

What is kept is the body ninja rendered (its response schema's validation and its JSON
renderer) and its headers, taken by `keep` around the operation after ninja made it: an
answer from the cache is, byte for byte, what ninja would have answered. It is kept and
answered as orgs/pagecache keeps and answers a page (`stored`, `answer`: compressed once,
gzip to a client that accepts it) under the same rules of what may be kept (`storable`).
"""

import functools
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.utils import timezone, translation

from pledgeloop.orgs import pagecache
from pledgeloop.orgs.models import Street
from pledgeloop.orgs.versions import street_versions_by

from .models import ApiToken

KEY_PREFIX = "pledgeloop.api.answers.v1"
# Where the view leaves the key of an answer it looked for and did not find, for `keep`.
_PENDING = "_pledgeloop_api_answer_key"

_street_versions = street_versions_by(Street, "id")


def _street_version(token: ApiToken) -> int:
    """The version token_find read with the token (in its one query), else read now."""
    found = getattr(token, "street_version", None)
    if found is None:
        found = dict(_street_versions(token.street_id)).get(token.street_id, 0)
    return found


def _key(request, token: ApiToken) -> str:
    parts = [
        f"token:{token.pk}",
        "scopes:" + ",".join(sorted(token.scopes)),
        f"community:{token.community_id}",
        f"personal:{token.personal:d}",
        request.get_full_path(),
        translation.get_language() or "",
        timezone.get_current_timezone_name(),
        f"street:{token.street_id}:{_street_version(token)}",
    ]
    digest = hashlib.md5("\n".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"{KEY_PREFIX}.{digest}"


def kept(request, token: ApiToken) -> HttpResponse | None:
    """The answer kept for this token and request, or None (then the view answers, and
    `keep` stores what ninja makes of it)."""
    seconds = settings.SIGNED_IN_PAGE_CACHE_SECONDS
    if not seconds or request.method != "GET":
        return None
    key = _key(request, token)
    stored = caches[settings.PUBLIC_PAGE_CACHE].get(key)
    if stored is None:
        setattr(request, _PENDING, key)
        return None
    return pagecache.answer(request, stored)


def keep(run):
    """For ninja's decorate_view: store the operation's answer under the key its view left
    (`kept`), if it is a plain 200 the same for every request of that key."""

    @functools.wraps(run)
    def wrapped(request, *args, **kwargs):
        response = run(request, *args, **kwargs)
        key = request.__dict__.pop(_PENDING, None)
        if key is not None and pagecache.storable(request, response):
            caches[settings.PUBLIC_PAGE_CACHE].set(
                key, pagecache.stored(request, response), settings.SIGNED_IN_PAGE_CACHE_SECONDS
            )
        return response

    return wrapped
