"""Making data anonymous: identity goes, counts and indicators stay exact.

An order keeps its street, community, category, site, state, times and events (what the
indicators count); it loses its contact name, number, address, point, description, photo,
tracking link and the free text of its events, its service records and its reviews (any of
which may name the person), and the photos of its service. A resident record keeps its row
(so that records served and counted still point somewhere) and its building; it loses name,
number, address, point and account. An event registration and a non-member volunteer
(teams) keep their rows (registrations and volunteers' hours are counted), without name and
number. Nothing is deleted that a figure counts.

Used by the retention job (orders closed longer than the street's retention period) and by a
completed deletion request (everything of one number in one community).
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pledgeloop.notify.models import Notification
from pledgeloop.orders.models import IntakeAttempt, Order, OrderEvent, new_tracking_token
from pledgeloop.orgs.models import Community, Street
from pledgeloop.people.models import Consent, Member, Resident, Role
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServicePhoto, ServiceRecord
from pledgeloop.teams.models import Registration, Volunteer

from .models import OneTimeCode

State = Order.State
CLOSED_STATES = [State.DONE, State.REVIEWED, State.CANCELLED, State.REJECTED, State.EXPIRED]


def _delete_files(fields) -> None:
    """Remove photo files after the transaction that let go of them has committed."""
    names = [(f.storage, f.name) for f in fields if f]
    if names:
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in names])


def _records_anonymise(records) -> None:
    record_ids = list(records.values_list("pk", flat=True))
    photos = list(ServicePhoto.objects.filter(record_id__in=record_ids))
    _delete_files(p.image for p in photos)
    ServicePhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
    ServiceRecord.objects.filter(pk__in=record_ids).update(note="", flag_reason="")
    Review.objects.filter(record_id__in=record_ids).update(comment="")


def orders_anonymise(*, orders, now: dt.datetime | None = None) -> int:
    """Make these orders anonymous (those not yet so); returns how many. Idempotent."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        resident_label = str(_("Resident"))
    count = 0
    with transaction.atomic():
        for order in orders.filter(anonymised_at__isnull=True).select_for_update():
            _delete_files([order.photo])
            order.contact_name = ""
            order.phone = ""
            order.address = ""
            order.description = ""
            order.photo = ""
            order.latitude, order.longitude = (
                (order.site.latitude, order.site.longitude) if order.site_id else (None, None)
            )
            order.resident = None
            order.tracking_token = new_tracking_token()
            order.submission_key = ""
            order.reject_reason = ""
            order.recurrence = ""
            order.anonymised_at = now
            order.save(
                update_fields=[
                    "contact_name",
                    "phone",
                    "address",
                    "description",
                    "photo",
                    "latitude",
                    "longitude",
                    "resident",
                    "tracking_token",
                    "submission_key",
                    "reject_reason",
                    "recurrence",
                    "anonymised_at",
                    "updated_at",
                ]
            )
            events = OrderEvent.objects.filter(order=order)
            events.update(reason="")
            # Steps the person took are labelled with how they were addressed ("王阿姨").
            events.filter(by__isnull=True).exclude(source=OrderEvent.Source.SYSTEM).update(
                by_label=resident_label
            )
            Review.objects.filter(order=order).update(comment="")
            _records_anonymise(ServiceRecord.objects.filter(order=order))
            count += 1
    return count


def closed_before(cutoff: dt.datetime):
    """Closed orders whose last change (their last event) came before `cutoff`."""
    return (
        Order.objects.filter(state__in=CLOSED_STATES, anonymised_at__isnull=True)
        .annotate(closed_at=Max("events__at"))
        .filter(Q(closed_at__lt=cutoff) | Q(closed_at__isnull=True, updated_at__lt=cutoff))
    )


def closed_orders_anonymise(*, now: dt.datetime | None = None) -> int:
    """Retention (scheduled daily): orders closed longer than their street's retention period
    (Street.order_retention_days, else ORDER_RETENTION_DAYS) are made anonymous and their
    photos removed. Idempotent: an order is made anonymous once."""
    now = now or timezone.now()
    total = 0
    for street in Street.objects.all():
        cutoff = now - dt.timedelta(days=street.retention_days)
        ids = list(closed_before(cutoff).filter(street=street).values_list("pk", flat=True))
        for start in range(0, len(ids), 200):
            total += orders_anonymise(
                orders=Order.objects.filter(pk__in=ids[start : start + 200]), now=now
            )
    return total


@transaction.atomic
def person_anonymise(*, phone: str, community: Community, now: dt.datetime | None = None) -> dict:
    """Everything held about this number in this community, made anonymous: its orders (they
    keep their state and times), its resident records and the services to them, its consents,
    its texts; its event registrations and its volunteer profile (events and volunteers of
    this community, or street-wide ones of its street); its account when it holds nothing but
    a resident role; a member's profile (member_anonymise). Returns what was done, counted."""
    now = now or timezone.now()
    residents = list(Resident.objects.filter(community=community, phone=phone))
    resident_ids = [r.pk for r in residents]
    orders = Order.objects.filter(community=community).filter(
        Q(phone=phone) | Q(resident_id__in=resident_ids)
    )
    done = {"orders": orders_anonymise(orders=orders, now=now)}
    _records_anonymise(ServiceRecord.objects.filter(beneficiary_id__in=resident_ids))
    accounts = 0
    for resident in residents:
        user = resident.user
        resident.name = f"#{resident.pk}"
        resident.phone = ""
        resident.address = ""
        resident.latitude = resident.longitude = None
        resident.user = None
        resident.save()
        if user is not None and {g.role for g in user.grants} <= {Role.RESIDENT}:
            user.role_grants.filter(community=community).delete()
            if not user.role_grants.exists():
                Notification.objects.filter(user=user).delete()
                user.delete()
                accounts += 1
    done["residents"] = len(residents)
    done["accounts"] = accounts
    consents = Consent.objects.filter(
        Q(phone=phone, street_id=community.street_id) | Q(resident_id__in=resident_ids)
    )
    consents.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    Consent.objects.filter(pk__in=consents.filter(resident__isnull=True)).delete()
    Consent.objects.filter(resident_id__in=resident_ids).update(phone="")
    Notification.objects.filter(phone=phone, community=community).update(phone="")
    IntakeAttempt.objects.filter(phone=phone).delete()
    OneTimeCode.objects.filter(phone=phone).delete()
    done["registrations"] = _rename(
        Registration.objects.filter(street_id=community.street_id, phone=phone).filter(
            Q(session__event__community=community) | Q(session__event__community__isnull=True)
        )
    )
    done["volunteers"] = _rename(
        Volunteer.objects.filter(street_id=community.street_id, phone=phone).filter(
            Q(community=community) | Q(community__isnull=True)
        )
    )
    member = Member.objects.filter(user__phone=phone, community=community).first()
    if member is not None:
        member_anonymise(member=member, today=timezone.localdate(now))
    done["members"] = int(member is not None)
    return done


def _rename(rows) -> int:
    """Name and number gone from these rows (Registration, Volunteer), which stay: "#<id>"
    for both, unique in its street and never a mobile number."""
    count = 0
    for row in rows:
        row.name = row.phone = f"#{row.pk}"
        row.save(update_fields=["name", "phone"])
        count += 1
    return count


def member_anonymise(*, member: Member, today: dt.date) -> None:
    """A member who asked to be deleted: off the roster (from today, so that earlier figures
    still count them), the account closed, name, number, email and home point gone. The row
    and its service records stay, so that hours and participation stay exact."""
    user = member.user
    user.name = f"#{member.pk}"
    user.phone = f"0{user.pk:010d}"[-11:]  # not a mobile number, and unique
    user.email = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    Notification.objects.filter(user=user).delete()
    member.home_latitude = member.home_longitude = None
    member.availability = {}
    member.public_contact = False
    if member.active:
        member.active = False
        member.left_on = max(today, member.joined_on or today)
    member.save()
