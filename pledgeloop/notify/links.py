"""Short links for texts: /t/<code>/ redirects to a long local link (a tracking page's
32-character token, a review page's signed token).

Codes are 10 characters from an alphabet without look-alikes (0/O, 1/l/I), drawn with
`secrets`: 55¹⁰ ≈ 2.5 × 10¹⁷ codes, so guessing one is hopeless. One code per link: asking
again for the same link gives the same code.
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from pledgeloop.lib.inserts import new, statement_atomic, upsert

from .models import ShortLink

ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10


CODES = len(ALPHABET) ** CODE_LENGTH


def short_code_new() -> str:
    """A code drawn uniformly from all CODES, with one draw from the system's randomness
    (a draw a character asked it ten times: the outbox's worker makes one a text)."""
    number = secrets.randbelow(CODES)
    characters = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[digit])
    return "".join(characters)


def short_link_make(*, path: str) -> str:
    """The short code for a local path (made once, then reused)."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"short links lead to local paths only, not {path!r}")
    existing = ShortLink.objects.filter(path=path).values_list("code", flat=True).first()
    if existing:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(code=short_code_new(), path=path).code
        except IntegrityError:
            # Another worker made this path's link meanwhile (or, once in 10¹⁷, the code
            # was taken): use theirs, or draw again.
            existing = ShortLink.objects.filter(path=path).values_list("code", flat=True).first()
            if existing:
                return existing
    raise RuntimeError("could not draw a free short code")


def short_links_make(*, paths: list[str]) -> dict[str, str]:
    """The short codes of many paths at once (a batch from the outbox): two statements
    however many. The links are written in one upsert, a path that has its link already
    keeping it (the upsert writes the path it has again, never a new code), and every code
    read back. (It was three: the links there were, the new ones, their codes; the outbox's
    paths are new texts' tracking pages, so the first found nothing, issue 17.)"""
    paths = sorted({p for p in paths if p.startswith("/") and not p.startswith("//")})
    if not paths:
        return {}
    now = timezone.now()
    links = [new(ShortLink, code=short_code_new(), path=path, created_at=now) for path in paths]
    try:
        # In a caller's transaction, a savepoint keeps a refusal from spoiling it.
        with statement_atomic():
            upsert(links, unique_fields=("path",), update_fields=("path",))
    except IntegrityError:
        # A code drawn twice (once in some 10¹⁷ draws): the links that can be made are.
        ShortLink.objects.bulk_create(links, ignore_conflicts=True)
    return dict(ShortLink.objects.filter(path__among=paths).values_list("path", "code"))


def short_link_target(code: str) -> str | None:
    return ShortLink.objects.filter(code=code).values_list("path", flat=True).first()
