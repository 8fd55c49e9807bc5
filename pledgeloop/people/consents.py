"""Consents (PIPL art. 14, 29): given under a privacy notice version, withdrawn, and read.

Every Consent row is written here. Whoever shows a person or their photo on a public page
asks `public_consent_q` / `appears_publicly`, the one reading of the separate consent to
appear: a consent of the resident record, or of the record's phone number, not withdrawn.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from pledgeloop.lib.inserts import insert, new

from .models import Consent, Resident
from .notices import current_notice

Purpose = Consent.Purpose


def consent_give(**fields) -> Consent:
    """Record one agreement (`consent_new`'s keyword arguments), under the current notice
    unless the caller knows which one was read (a migrated order). The subject is the phone
    number, the resident record, or both."""
    consent = consent_new(**fields)
    consents_give([consent])
    return consent


def consent_new(
    *,
    street_id: int,
    purpose: str,
    source: str,
    phone: str = "",
    resident: Resident | None = None,
    resident_id: int | None = None,
    notice_version: str | None = None,
    at=None,
) -> Consent:
    """One agreement as `consent_give` records it, not yet written: `consents_give` writes
    it (intake builds its order's before the order's write transaction, which on SQLite
    holds the database's one write lock)."""
    if resident is not None and not phone:
        phone = resident.phone
    if resident is not None:
        resident_id = resident.pk
    if not phone and resident_id is None:
        raise ValueError("a consent needs a subject: a phone number or a resident")
    return new(
        Consent,
        street_id=street_id,
        resident_id=resident_id,
        phone=phone,
        purpose=purpose,
        notice_version=notice_version or current_notice().version,
        source=source[:40],
        given_at=at or timezone.now(),
    )


def consents_give(consents: list[Consent]) -> list[Consent]:
    """Write these agreements (`consent_new`) with one INSERT; nothing listens to consents'
    saves (lib/inserts.py). An order's: one or two."""
    return insert(consents)


def subject_q(phone: str, resident_ids: list[int] | None = None) -> Q:
    """Consents whose subject is this number: given with it, or by a resident record of it
    (`resident_ids`, the records' ids when the caller has read them already)."""
    if not phone:
        return Q(pk__in=[])
    ids = residents_of(phone) if resident_ids is None else resident_ids
    return Q(phone=phone) | Q(resident__in=ids)


def residents_of(phone: str) -> list[int]:
    """The ids of the resident records of this number, in every street: a list, read first,
    so that a query matching "this number, or one of its records" reads each side from its
    own index. PostgreSQL cannot do that with a join or a subquery on either side of the OR,
    and reads the whole table instead (privacy/tests/test_lookups.py)."""
    return list(Resident.objects.filter(phone=phone).values_list("pk", flat=True))


@transaction.atomic
def consents_withdraw(*, phone: str, purpose: str, at=None) -> int:
    """Withdraw every standing consent of this number for the purpose; from now on nothing
    relies on it (public pages stop showing the person). Returns how many were withdrawn."""
    ids = list(
        Consent.objects.filter(
            subject_q(phone), purpose=purpose, withdrawn_at__isnull=True
        ).values_list("pk", flat=True)
    )
    return Consent.objects.filter(pk__in=ids).update(withdrawn_at=at or timezone.now())


def public_consent_q(prefix: str = "beneficiary", *, allow_none: bool = True) -> Q:
    """The resident at ``prefix`` (a foreign key to Resident) has a standing consent to appear
    on public pages, by their record or by its number (or, with allow_none, there is no
    resident at all)."""
    by_record = Q(resident_id=OuterRef(f"{prefix}_id"))
    by_number = Q(phone=OuterRef(f"{prefix}__phone")) & ~Q(phone="")
    consented = Consent.objects.filter(
        by_record | by_number, purpose=Purpose.PUBLIC, withdrawn_at__isnull=True
    )
    if not allow_none:
        return Q(Exists(consented))
    return Q(**{f"{prefix}__isnull": True}) | Q(Exists(consented))


def appears_publicly(resident: Resident | None) -> bool:
    """May this resident (or their photo) appear on a public page now?"""
    if resident is None:
        return False
    subject = Q(resident=resident)
    if resident.phone:
        subject |= Q(phone=resident.phone)
    return Consent.objects.filter(
        subject, purpose=Purpose.PUBLIC, withdrawn_at__isnull=True
    ).exists()
