"""Personal-data masking as residents expect it (DESIGN.md §10): 138****1234."""

import re

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(raw: str) -> str:
    """Strip spaces, dashes and a leading +86/0086 so '+86 138-1234-5678' becomes 13812345678."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def is_mainland_mobile(phone: str) -> bool:
    return bool(MAINLAND_MOBILE.match(phone or ""))


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits; anything else is hidden entirely."""
    if not phone:
        return ""
    if len(phone) >= 8:
        return f"{phone[:3]}****{phone[-4:]}"
    return "****"


def mask_name(name: str) -> str:
    """张三丰 -> 张**: public pages show a surname only."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
