"""The privacy notice, versioned (PIPL art. 14, 17): every consent names the version agreed.

A new wording is a new version here with the day it takes effect and a template of its own;
an old version's template is kept unchanged, so that what someone agreed to can still be read
(/order/privacy/?version=1). The current version (the last one in effect today) is what intake
shows and what a consent given now records.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class PrivacyNotice:
    version: str
    effective: dt.date
    template: str


NOTICES: tuple[PrivacyNotice, ...] = (
    # The notice as first published with resident intake (consents before versions existed,
    # orders' consent timestamps and the Excel import's "2026-01", are version 1).
    PrivacyNotice("1", dt.date(2026, 1, 1), "people/privacy/v1.html"),
    # Says what the code does: retention periods from settings, who sees what, the rights
    # and where to exercise them (/my/).
    PrivacyNotice("2", dt.date(2026, 11, 29), "people/privacy/v2.html"),
)
NOTICES_BY_VERSION = {notice.version: notice for notice in NOTICES}


def current_notice(today: dt.date | None = None) -> PrivacyNotice:
    today = today or timezone.localdate()
    in_effect = [n for n in NOTICES if n.effective <= today]
    return in_effect[-1] if in_effect else NOTICES[0]


def notice_for(version: str) -> PrivacyNotice | None:
    return NOTICES_BY_VERSION.get(version)
