"""Pinyin keys for sorting and searching Chinese names ("zs" finds 张三).

pypinyin is imported as the process starts, though it loads its dictionaries as it is (a
fifth of a second of CPU): they are some 190,000 objects that the garbage collector tracks.
Loaded at the start, they are set aside with the rest (gc.freeze in manage.py, wsgi.py, the
test run); loaded on first use, every full collection after went through them again (40 ms
each).
"""

import re

from django.db.models import Q
from pypinyin import lazy_pinyin

# Surnames whose reading as a surname is not the character's everyday one (pypinyin reads
# each character as in everyday words: 曾 ceng, 单 dan): as a person's name's first
# character(s), they read as here, so that 曾国藩 sorts under Z and "zgf" finds him. Only the
# syllable counts (no tones); compound surnames first.
SURNAMES = {
    "尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "单于": ["chan", "yu"],
    "长孙": ["zhang", "sun"], "乐正": ["yue", "zheng"],
    "曾": ["zeng"], "单": ["shan"], "解": ["xie"], "仇": ["qiu"], "朴": ["piao"], "区": ["ou"],
    "查": ["zha"], "盖": ["ge"], "缪": ["miao"], "乐": ["yue"], "覃": ["qin"], "翟": ["zhai"],
    "秘": ["bi"], "种": ["chong"], "重": ["chong"], "折": ["she"], "藏": ["zang"],
    "都": ["du"], "薄": ["bo"], "繁": ["po"], "员": ["yun"], "召": ["shao"], "句": ["gou"],
}  # fmt: skip


def _syllables(name: str, *, person: bool) -> list[str]:
    """The name's pinyin syllables (other runs of characters as they are), lower case; a
    person's surname read as a surname."""
    head: list[str] = []
    if person:
        for surname, reading in SURNAMES.items():
            if name.startswith(surname):
                head, name = list(reading), name[len(surname) :]
                break
    return [s.lower() for s in [*head, *lazy_pinyin(name, errors="default")]]


def _full_and_initials(syllables: list[str]) -> tuple[str, str]:
    # The first letter of each syllable is what Style.FIRST_LETTER gives (the same readings,
    # the same runs of other characters): one conversion, not two.
    return "".join(syllables).replace(" ", ""), "".join(s[0] for s in syllables if s)


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin without spaces, initials), lower case, each character read as in
    everyday words (places, slugs): 张三 -> ("zhangsan", "zs")."""
    return _full_and_initials(_syllables((name or "").strip(), person=False))


def person_keys(name: str) -> tuple[str, str, str]:
    """A person's (full pinyin, initials, sort key), the surname read as one (曾国藩 ->
    "zengguofan"). The sort key is the syllables one by one, each closed by a "0", so that
    names sort syllable by syllable (DESIGN.md §10): 陈 chen before 程 cheng whatever the
    given names, 李 li before 林 lin (the full pinyin, one run of letters for search, put
    程丽, chengli, before 陈建国, chenjianguo). A digit, not a space: it sorts before every
    letter in a database's binary and linguistic collations alike, which skip spaces and
    punctuation."""
    syllables = _syllables((name or "").strip(), person=True)
    full, initials = _full_and_initials(syllables)
    return full, initials, "".join(f"{s.replace(' ', '')}0" for s in syllables)[:200]


def pinyin_search_q(query: str, name_field: str = "name", prefix: str = "") -> Q:
    """A filter matching a name, its full pinyin or its initials."""
    query = (query or "").strip()
    if not query:
        return Q()
    compact = query.replace(" ", "").lower()
    return (
        Q(**{f"{prefix}{name_field}__icontains": query})
        | Q(**{f"{prefix}name_pinyin__contains": compact})
        | Q(**{f"{prefix}name_initials__startswith": compact})
    )


def pinyin_sort_key(name: str) -> tuple:
    """A key that puts Chinese names in pinyin order and numbers in number order:
    白云小区 < 党群服务站 < 阳光花园 2幢 < 阳光花园 10幢."""
    parts = re.split(r"(\d+)", (name or "").strip())
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, pinyin_keys(part)[0])
        for part in parts
        if part
    )
