"""Pinyin keys for sorting and searching Chinese names ("zs" finds 张三)."""

from django.db.models import Q
from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin without spaces, initials), lower case: 张三 -> ("zhangsan", "zs")."""
    name = (name or "").strip()
    syllables = lazy_pinyin(name, errors="default")
    full = "".join(syllables).lower().replace(" ", "")
    initials = "".join(s[0] for s in lazy_pinyin(name, style=Style.FIRST_LETTER) if s).lower()
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
