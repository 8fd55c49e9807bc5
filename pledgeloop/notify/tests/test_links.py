"""Short codes (notify/links.py): ten characters of the alphabet, every one of them drawn
uniformly, from one draw of the system's randomness a code."""

from collections import Counter

from pledgeloop.notify import links
from pledgeloop.notify.links import ALPHABET, CODE_LENGTH, short_code_new


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
