"""Writes for the person's rights: correcting, asking for deletion, completing it."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pledgeloop.lib.masking import mask_phone
from pledgeloop.notify.services import notify_all
from pledgeloop.orders.models import Order
from pledgeloop.orgs.models import Community
from pledgeloop.people.models import Resident, Role, RoleGrant, User

from .anonymise import person_anonymise
from .models import DeletionRequest
from .selectors import person_communities


class RightsError(Exception):
    """A refused request, with a message for the person."""


@transaction.atomic
def person_correct(*, phone: str, name: str, address: str, user: User | None = None) -> int:
    """Correct the name and address on every resident record of the number, the name given
    on its orders (their 称呼: for someone who only asked by QR code, the one place the name
    is held; an order's address is where that service was, and stays), and, for a signed-in
    member, the account's name. Returns how many records changed."""
    name, address = name.strip(), address.strip()
    if not 1 <= len(name) <= 40:
        raise RightsError(_("Give your name (at most 40 characters)."))
    if len(address) > 200:
        raise RightsError(_("The address is longer than 200 characters."))
    changed = 0
    for resident in Resident.objects.select_for_update().filter(phone=phone):
        new_address = address or resident.address
        if (resident.name, resident.address) == (name, new_address):
            continue
        clash = (
            Resident.objects.filter(community=resident.community, name=name, phone=phone)
            .exclude(pk=resident.pk)
            .exists()
        )
        if clash:
            raise RightsError(_("Your community already has a record with this name and number."))
        resident.name, resident.address = name, new_address
        resident.save()
        changed += 1
    changed += (
        Order.objects.filter(phone=phone).exclude(contact_name=name).update(contact_name=name)
    )
    if user is not None and user.is_authenticated and user.phone == phone and user.name != name:
        user.name = name
        user.save(update_fields=["name", "name_pinyin", "name_initials", "name_sort"])
        changed += 1
    return changed


def _admins(community: Community) -> list[User]:
    return list(
        User.objects.filter(
            role_grants__in=RoleGrant.objects.filter(role=Role.COMMUNITY_ADMIN, community=community)
        ).distinct()
    )


def deletion_request(
    *, phone: str, user: User | None = None, now: dt.datetime | None = None
) -> list[DeletionRequest]:
    """Ask each community holding the number's data to delete it; the admins are told and
    have DELETION_REQUEST_DAYS. Asking again while a request is open changes nothing."""
    now = now or timezone.now()
    account = user if user is not None and user.is_authenticated else None
    communities = Community.objects.filter(pk__in=person_communities(phone, account))
    if not communities:
        raise RightsError(_("We hold nothing about this number that could be deleted."))
    made = []
    for community in communities:
        if DeletionRequest.objects.filter(
            community=community, phone=phone, completed_at__isnull=True
        ).exists():
            continue
        try:
            with transaction.atomic():
                request = DeletionRequest.objects.create(
                    street_id=community.street_id,
                    community=community,
                    phone=phone,
                    phone_masked=mask_phone(phone),
                    user=account,
                    requested_at=now,
                    due_by=now + dt.timedelta(days=settings.DELETION_REQUEST_DAYS),
                )
                notify_all(
                    users=_admins(community),
                    kind="deletion_request",
                    street_id=community.street_id,
                    community_id=community.pk,
                    url=reverse("console:deletion_requests"),
                    title=_("A person asked for their data to be deleted (%(phone)s)")
                    % {"phone": mask_phone(phone)},
                )
        except IntegrityError:
            continue  # the same request, sent twice at once
        made.append(request)
    return made


@transaction.atomic
def deletion_complete(*, request: DeletionRequest, by: User) -> DeletionRequest:
    """Make the person's data in the community anonymous and close the request."""
    request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
    if request.completed_at is not None:
        raise RightsError(_("This request was completed already."))
    done = person_anonymise(phone=request.phone, community=request.community)
    request.completed_at = timezone.now()
    request.completed_by = by
    request.phone = ""
    request.summary = (
        _(
            "%(orders)s orders, %(residents)s resident records, %(registrations)s event "
            "registrations, %(volunteers)s volunteer profiles, %(members)s member profiles, "
            "%(accounts)s accounts made anonymous"
        )
        % done
    )
    request.save(update_fields=["completed_at", "completed_by", "phone", "summary"])
    return request
