"""Pinyin keys for sorting and searching Chinese names ("zs" finds 张三)."""

import re

from django.db.models import Q
from pypinyin import lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin without spaces, initials), lower case: 张三 -> ("zhangsan", "zs")."""
    name = (name or "").strip()
    syllables = lazy_pinyin(name, errors="default")
    full = "".join(syllables).lower().replace(" ", "")
    # The first letter of each syllable is what Style.FIRST_LETTER gives (the same readings,
    # the same runs of other characters): one conversion, not two.
    initials = "".join(s[0] for s in syllables if s).lower()
    return full, initials


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
