"""Short codes (notify/links.py): ten characters of the alphabet, every one of them drawn
uniformly, from one draw of the system's randomness a code; a batch's links made at once."""

from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pledgeloop.notify import links
from pledgeloop.notify.links import ALPHABET, CODE_LENGTH, short_code_new, short_links_make
from pledgeloop.notify.models import ShortLink


def test_a_code_is_ten_characters_of_the_alphabet_each_position_spread_over_all():
    codes = [short_code_new() for _ in range(3000)]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in codes)
    for position in range(CODE_LENGTH):
        seen = Counter(code[position] for code in codes)
        # 3000 draws over 55 characters: about 55 each; a position stuck on a few
        # characters, or never reaching the last ones, would show here.
        assert set(seen) == set(ALPHABET), position
        assert max(seen.values()) < 3 * len(codes) / len(ALPHABET), position


def test_a_code_takes_one_draw_of_the_system_randomness(monkeypatch):
    draws = []

    def randbelow(n):
        draws.append(n)
        return n - 1  # the last code: every character the alphabet's last

    monkeypatch.setattr(links.secrets, "randbelow", randbelow)
    assert short_code_new() == ALPHABET[-1] * CODE_LENGTH
    assert draws == [len(ALPHABET) ** CODE_LENGTH]


# --- many links at once (the outbox's batch) ----------------------------------------------


@pytest.mark.django_db
def test_a_batch_of_new_links_takes_two_statements_and_keeps_the_links_there_were():
    kept = ShortLink.objects.create(code="keptKEPT23", path="/order/track/old/")
    paths = [f"/order/track/{n:04d}/" for n in range(40)] + [kept.path, "//elsewhere/", "x"]
    with CaptureQueriesContext(connection) as queries:
        codes = short_links_make(paths=paths)
    # The upsert of every link and the read of their codes; no read ahead of them. (The
    # test's own transaction adds a savepoint around the upsert; the worker has none.)
    statements = [q["sql"].split()[0] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert statements == ["INSERT", "SELECT"]
    assert set(codes) == {p for p in paths if p.startswith("/order/")}
    assert codes[kept.path] == "keptKEPT23"
    stored = dict(ShortLink.objects.values_list("path", "code"))
    assert stored == codes
    assert len(set(codes.values())) == len(codes)


@pytest.mark.django_db
def test_a_batch_whose_code_was_drawn_before_makes_the_other_links(monkeypatch):
    ShortLink.objects.create(code="takenTAKEN", path="/order/track/taken/")
    drawn = iter(["takenTAKEN", "freshFRESH", "otherOTHER"])
    monkeypatch.setattr(links, "short_code_new", lambda: next(drawn))
    with transaction.atomic():  # the caller's transaction goes on after the refusal
        codes = short_links_make(paths=["/order/track/a/", "/order/track/b/", "/order/track/c/"])
        assert ShortLink.objects.count() == 3
    # The path whose code was taken has no link yet (the sender makes it, short_link_make).
    assert codes == {"/order/track/b/": "freshFRESH", "/order/track/c/": "otherOTHER"}
    assert short_links_make(paths=[]) == {}
