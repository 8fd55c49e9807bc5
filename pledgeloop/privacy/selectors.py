"""Everything held about one person (PIPL art. 45): what /my/ shows and its downloads hold.

The person is a mobile number proved by a one-time code (or the number of the signed-in
account): resident records with it, orders given with it or for its records (with their
history), the reviews given on them, the consents, the event registrations made with it, the
volunteer profile of the number (teams.Volunteer: a non-member volunteer) with its teams and
event hours, and, for a member, their own profile, pledges and services. One structure feeds
the page, the JSON and the Excel file.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from pledgeloop.lib.moments import format_moment
from pledgeloop.orders.models import Order, OrderEvent
from pledgeloop.people.consents import residents_of, subject_q
from pledgeloop.people.models import Consent, Member, Resident, User
from pledgeloop.pledges.models import Pledge
from pledgeloop.reviews.models import Review
from pledgeloop.service.models import ServiceParticipant
from pledgeloop.teams.models import Attendance, Registration, Volunteer

from .models import DeletionRequest

# A row's link on the page (Section.link_field), not a field: never in the downloads.
LINK = "link"


@dataclass
class Section:
    key: str
    title: str
    fields: list[tuple[str, str]]  # (JSON key, column label)
    rows: list[dict] = field(default_factory=list)
    # The field whose value the page shows as a link to the row's LINK (a page of its own,
    # such as an order's tracking page); the downloads keep the plain value.
    link_field: str = ""

    @property
    def labels(self) -> list[str]:
        return [str(label) for _key, label in self.fields]

    def table(self) -> list[list]:
        return [[row.get(key) for key, _label in self.fields] for row in self.rows]

    def facts(self) -> list[SafeString]:
        """Each row as the page's <dt>label</dt><dd>value</dd> pairs, escaped, "—" for an empty
        value. Built here rather than by the template's loops: a person's history is a few
        hundred pairs, each label translated once a section."""
        keys, labels = [key for key, _label in self.fields], self.labels
        return [
            format_html_join(
                "",
                "<dt>{}</dt><dd>{}</dd>",
                zip(labels, (self._shown(row, key) for key in keys), strict=True),
            )
            for row in self.rows
        ]

    def _shown(self, row: dict, key: str):
        value = row.get(key) or "—"
        if key == self.link_field and row.get(LINK):
            return format_html(
                '<a href="{}">{}</a>', row[LINK], _("%(n)s · follow it") % {"n": value}
            )
        return value


class Moment(str):
    """A date or time: as text, ISO 8601 for the JSON download (a time in local time with
    its offset, to the minute); the Excel download writes `value` as an Excel date
    (exports.data_xlsx). A page shows it as people read dates, 2026年9月5日 14:30 in Chinese
    (DESIGN.md §10): templates and format_html take a value's __html__."""

    value: dt.date

    @classmethod
    def of(cls, value: dt.date | None) -> str:
        """The value's Moment; "" for none."""
        if not value:
            return ""
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value)
            moment = cls(value.isoformat(timespec="minutes"))
        else:
            moment = cls(value.isoformat())
        moment.value = value
        return moment

    def __html__(self) -> str:
        if isinstance(self.value, dt.datetime):
            return escape(format_moment(self.value))
        return escape(date_format(self.value, "DATE_FORMAT"))


# Where a consent was given, in words: the part of Consent.source before any ":".
GIVEN_THROUGH = {
    "order": _("A request for help"),
    "my": _("My data"),
    "excel": _("The community's resident list"),
    "demo": _("The community's resident list"),
}


def given_through(source: str) -> str:
    kind = source.split(":")[0]
    return str(GIVEN_THROUGH.get(kind, kind))


def _when(value: dt.date | None) -> str:
    """A time in local time with its offset (Beijing: +08:00), to the minute, or a day."""
    return Moment.of(value)


def person_residents(phone: str):
    return Resident.objects.filter(phone=phone).select_related("community__street", "site")


def person_orders(phone: str, resident_ids: list[int] | None = None):
    """The orders filed with this number or under one of its resident records
    (`resident_ids`, when the caller has read them already)."""
    ids = residents_of(phone) if resident_ids is None else resident_ids
    return (
        Order.objects.filter(Q(phone=phone) | Q(resident__in=ids))
        .select_related("community", "category", "consent")
        .order_by("-created_at", "-id")
    )


def person_communities(phone: str, user: User | None = None) -> set[int]:
    """The communities holding data of this number: where a deletion request goes."""
    records = list(Resident.objects.filter(phone=phone).values_list("pk", "community_id"))
    ids = {community_id for _pk, community_id in records}
    resident_ids = [pk for pk, _community_id in records]
    ids |= set(person_orders(phone, resident_ids).values_list("community_id", flat=True))
    if user is not None and hasattr(user, "member"):
        ids.add(user.member.community_id)
    ids |= set(
        Registration.objects.filter(phone=phone, session__event__community__isnull=False)
        .values_list("session__event__community_id", flat=True)
        .distinct()
    )
    ids |= set(
        Volunteer.objects.filter(phone=phone, community__isnull=False).values_list(
            "community_id", flat=True
        )
    )
    return ids


# The tables that hold a number only for the few who did that (registered for an event,
# volunteered without being a member, asked for a deletion): /my/ asks once which of them
# hold this number before reading any (`_held_in`).
RARE = (Registration, Volunteer, DeletionRequest)


def _held_in(phone: str) -> set[type]:
    """Which of the RARE tables hold rows with this number.

    One hand-written statement of three EXISTS, each read through the table's phone index,
    instead of the three ORM queries: for most people all three are empty, and building those
    queries cost more than the rest of the page's reads (bench/pages.py, /my/). Only table and
    column names, from the models, go into the text."""
    quote = connection.ops.quote_name
    parts = [
        f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} "  # noqa: S608 (names only)
        f"WHERE {quote(model._meta.get_field('phone').column)} = %s)"
        for model in RARE
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", [phone] * len(RARE))
        found = cursor.fetchone()
    return {model for model, held in zip(RARE, found, strict=True) if held}


def _event_sections(phone: str, held: set[type]) -> list[Section]:
    """Registrations for events (no account needed) and a non-member volunteer's profile,
    teams and event hours, by this number (`held`: which RARE tables hold it)."""
    registrations = Section(
        "event_registrations",
        _("Event registrations"),
        [
            ("event", _("Event")),
            ("session_starts_at", _("Session starts at")),
            ("name", _("Name")),
            ("registered_at", _("Registered at")),
            # a registration for an event since called off (teams.event_changes.event_cancel)
            ("event_cancelled_at", _("Event cancelled on")),
        ],
    )
    registered = (
        Registration.objects.filter(phone=phone).select_related("session__event")
        if Registration in held
        else []
    )
    for r in registered:
        registrations.rows.append(
            {
                "event": r.session.event.title,
                "session_starts_at": _when(r.session.starts_at),
                "name": r.name,
                "registered_at": _when(r.created_at),
                "event_cancelled_at": _when(r.session.event.cancelled_at),
            }
        )
    volunteers = Section(
        "volunteer",
        _("Volunteer profile"),
        [
            ("name", _("Name")),
            ("street", _("Street")),
            ("community", _("Community")),
            ("teams", _("Teams")),
            ("consent_at", _("Agreed at")),
            ("consent_source", _("Agreed through")),
        ],
    )
    found = (
        list(
            Volunteer.objects.filter(phone=phone)
            .select_related("street", "community")
            .prefetch_related("team_memberships__team")
        )
        if Volunteer in held
        else []
    )
    for v in found:
        volunteers.rows.append(
            {
                "name": v.name,
                "street": v.street.name,
                "community": v.community.name if v.community_id else "",
                "teams": _(", ").join(m.team.name for m in v.team_memberships.all()),
                "consent_at": _when(v.consent_at),
                "consent_source": v.consent_source,
            }
        )
    hours = Section(
        "volunteer_hours",
        _("My event hours as a volunteer"),
        [
            ("event", _("Event")),
            ("session_starts_at", _("Session starts at")),
            ("hours", _("Hours")),
        ],
    )
    attended = (
        Attendance.objects.filter(volunteer__in=found).select_related("session__event")
        if found
        else []
    )
    for a in attended:
        hours.rows.append(
            {
                "event": a.session.event.title,
                "session_starts_at": _when(a.session.starts_at),
                "hours": str(a.hours),
            }
        )
    return [registrations, volunteers, hours]


def person_data(*, phone: str, user: User | None = None) -> list[Section]:
    residents = Section(
        "residents",
        _("Resident records"),
        [
            ("community", _("Community")),
            ("name", _("Name")),
            ("phone", _("Mobile number")),
            ("address", _("Address")),
            ("building", _("Building or compound")),
            ("registered_at", _("Registered at")),
        ],
    )
    records = list(
        person_residents(phone).only(
            "community__name",
            "community__slug",
            "community__street__slug",
            "name",
            "phone",
            "address",
            "site__name",
            "created_at",
        )
    )
    resident_ids = [r.pk for r in records]
    for r in records:
        residents.rows.append(
            {
                "id": r.pk,
                "community": r.community.name,
                # where this resident files a new request (the page's button), not exported
                "intake_at": (r.community.street.slug, r.community.slug),
                "name": r.name,
                "phone": r.phone,
                "address": r.address,
                "building": r.site.name if r.site_id else "",
                "registered_at": _when(r.created_at),
            }
        )
    # Rows of values, not Order objects: the page shows them and nothing else, and the ORM's
    # objects with their three related ones cost as much again (bench/pages.py, /my/).
    orders = list(
        person_orders(phone, resident_ids).values_list(
            *(
                "pk",
                "tracking_token",
                "description",
                "contact_name",
                "phone",
                "address",
                "state",
                "created_at",
            ),
            *("done_at", "community__name", "category__name", "consent__notice_version"),
            *("site__name", "site__parent__name"),
            named=True,
        )
    )
    order_section = Section(
        "orders",
        _("Requests for help"),
        [
            ("number", _("Order")),
            ("community", _("Community")),
            ("category", _("Category")),
            ("description", _("What help is needed")),
            ("contact_name", _("How to address you")),
            ("phone", _("Mobile number")),
            ("building", _("Building or compound")),
            ("address", _("Address")),
            ("state", _("State")),
            ("filed_at", _("Filed at")),
            ("done_at", _("Done at")),
            ("notice_version", _("Privacy notice version agreed")),
        ],
        link_field="number",
    )
    for o in orders:
        order_section.rows.append(
            {
                LINK: reverse("orders:track", args=[o.tracking_token]),
                "number": o.pk,
                "community": o.community__name,
                "category": o.category__name,
                "description": o.description,
                "contact_name": o.contact_name,
                "phone": o.phone,
                # as orgs.Site names itself: the compound, then the building
                "building": " ".join(n for n in (o.site__parent__name, o.site__name) if n),
                "address": o.address,
                "state": str(Order.State(o.state).label),
                "filed_at": _when(o.created_at),
                "done_at": _when(o.done_at),
                "notice_version": o.consent__notice_version or "",
            }
        )
    history = Section(
        "order_history",
        _("History of the requests"),
        [
            ("order", _("Order")),
            ("at", _("At")),
            ("from_state", _("From")),
            ("to_state", _("To")),
            ("by", _("By")),
            ("reason", _("Reason")),
        ],
    )
    for e in OrderEvent.objects.filter(order__in=[o.pk for o in orders]).order_by("order_id", "at"):
        history.rows.append(
            {
                "order": e.order_id,
                "at": _when(e.at),
                "from_state": str(e.get_from_state_display()) if e.from_state else "",
                "to_state": str(e.get_to_state_display()),
                "by": e.by_shown,
                "reason": e.reason,
            }
        )
    reviews = Section(
        "reviews",
        _("Reviews you gave"),
        [
            ("order", _("Order")),
            ("rating", _("Rating")),
            ("solved", _("Was it solved?")),
            ("comment", _("Comment")),
            ("at", _("Reviewed at")),
        ],
    )
    # No DISTINCT here or for the consents: a review has one service record (the only join),
    # and each row is found once whichever side of the OR matches it.
    for v in Review.objects.filter(
        Q(order__in=[o.pk for o in orders]) | Q(record__beneficiary__in=resident_ids)
    ):
        reviews.rows.append(
            {
                "order": v.order_id,
                "rating": str(v.get_rating_display()),
                "solved": {True: _("yes"), False: _("no"), None: ""}[v.solved],
                "comment": v.comment,
                "at": _when(v.created_at),
            }
        )
    consents = Section(
        "consents",
        _("Consents"),
        [
            ("purpose", _("Purpose")),
            ("notice_version", _("Privacy notice version")),
            ("given_through", _("Given through")),
            ("given_at", _("Given at")),
            ("withdrawn_at", _("Withdrawn at")),
        ],
    )
    for c in Consent.objects.filter(subject_q(phone, resident_ids)):
        consents.rows.append(
            {
                "id": c.pk,
                "purpose": str(c.get_purpose_display()),
                "purpose_code": c.purpose,
                "notice_version": c.notice_version,
                "given_through": given_through(c.source),
                "given_at": _when(c.given_at),
                "withdrawn_at": _when(c.withdrawn_at),
            }
        )
    held = _held_in(phone)
    sections = [residents, order_section, history, reviews, consents]
    sections += _event_sections(phone, held)
    member = getattr(user, "member", None) if user is not None else None
    if isinstance(member, Member):
        sections += _member_sections(member)
    requests = Section(
        "deletion_requests",
        _("Deletion requests"),
        [
            ("community", _("Community")),
            ("requested_at", _("Asked at")),
            ("due_by", _("To be completed by")),
            ("completed_at", _("Completed at")),
        ],
    )
    asked = (
        DeletionRequest.objects.filter(phone=phone).select_related("community")
        if DeletionRequest in held
        else []
    )
    for d in asked:
        requests.rows.append(
            {
                "community": d.community.name,
                "requested_at": _when(d.requested_at),
                "due_by": _when(d.due_by),
                "completed_at": _when(d.completed_at),
            }
        )
    sections.append(requests)
    return sections


def _member_sections(member: Member) -> list[Section]:
    user = member.user
    profile = Section(
        "member",
        _("Member profile"),
        [
            ("name", _("Name")),
            ("phone", _("Mobile number")),
            ("email", _("Email")),
            ("community", _("Community")),
            ("kind", _("Kind")),
            ("party_join_date", _("Joined the party on")),
            ("skills", _("Skills")),
            ("availability", _("Weekly availability")),
            ("public_contact", _("Show my phone on my public page")),
            ("joined_on", _("On the roster since")),
            ("left_on", _("Left the roster on")),
        ],
    )
    profile.rows.append(
        {
            "name": user.name,
            "phone": user.phone,
            "email": user.email,
            "community": member.community.name,
            "kind": str(member.get_kind_display()),
            "party_join_date": _when(member.party_join_date),
            "skills": _(", ").join(c.name for c in member.skills.all()),
            "availability": str(member.availability or ""),
            "public_contact": _("yes") if member.public_contact else _("no"),
            "joined_on": _when(member.joined_on),
            "left_on": _when(member.left_on),
        }
    )
    pledges = Section(
        "pledges",
        _("My pledges"),
        [
            ("title", _("Pledge")),
            ("state", _("State")),
            ("starts_on", _("Starts on")),
            ("ends_on", _("Ends on")),
        ],
    )
    for p in Pledge.objects.filter(member=member).order_by("-created_at"):
        pledges.rows.append(
            {
                "title": p.title,
                "state": str(p.get_state_display()),
                "starts_on": _when(p.starts_on),
                "ends_on": _when(p.ends_on),
            }
        )
    services = Section(
        "services",
        _("My service records"),
        [
            ("started_at", _("Started at")),
            ("hours", _("Hours")),
            ("category", _("Category")),
            ("verification", _("Verification")),
        ],
    )
    for part in (
        ServiceParticipant.objects.filter(member=member)
        .select_related("record__category")
        .order_by("-record__started_at")
    ):
        record = part.record
        services.rows.append(
            {
                "started_at": _when(record.started_at),
                "hours": str(record.hours),
                "category": record.category.name if record.category_id else "",
                "verification": str(record.get_verification_display()),
            }
        )
    return [profile, pledges, services]
