"""What /api/v1/ takes and gives (pydantic schemas through django-ninja): the OpenAPI
document is generated from these."""

import datetime as dt
from typing import Literal

from ninja import Field, Schema


class FieldError(Schema):
    field: str = Field(description="Where the problem is, e.g. body.phone or query.period")
    message: str


class ErrorDetail(Schema):
    code: str = Field(
        description=(
            "unauthorized, forbidden, not_found, invalid, conflict, rate_limited, not_configured"
        )
    )
    message: str = Field(description="For a person, in the caller's language (Accept-Language)")
    fields: list[FieldError] = []


class ErrorOut(Schema):
    """Every error of the API has this one shape."""

    error: ErrorDetail


class CommunityOut(Schema):
    id: int
    slug: str
    name: str


class CategoryOut(Schema):
    code: str
    name: str
    icon: str
    respond_hours: int = Field(description="Respond within (hours)")
    finish_days: int = Field(description="Finish within (days)")


class SiteOut(Schema):
    id: int
    community: str = Field(description="The community's slug")
    kind: str
    name: str
    address: str
    latitude: float
    longitude: float
    parent_id: int | None = None


class PledgeOut(Schema):
    id: int
    title: str
    community: str
    category: str
    member_code: str
    member_name: str
    beneficiary_kind: str
    starts_on: dt.date
    ends_on: dt.date
    target_visits: int
    state: str


class VisitOut(Schema):
    pledge_id: int
    pledge_title: str
    scheduled_at: dt.datetime


class MemberPublicOut(Schema):
    code: str
    name: str
    community: str
    kind: str
    service_hours: float
    pledges: list[PledgeOut]
    next_visits: list[VisitOut]


class EventOut(Schema):
    at: dt.datetime
    from_state: str
    to_state: str
    action: str
    source: str


class OrderOut(Schema):
    id: int
    state: str
    state_label: str
    community: str
    category: str
    description: str
    address: str
    site_id: int | None
    latitude: float | None
    longitude: float | None
    channel: str
    contact_name: str
    phone_masked: str
    assigned_member: str = Field(description="The member who took it, name masked")
    created_at: dt.datetime
    updated_at: dt.datetime
    respond_by: dt.datetime | None
    finish_by: dt.datetime | None
    done_at: dt.datetime | None
    overdue: bool
    reject_reason: str
    history: list[EventOut]


class OrderPage(Schema):
    count: int
    items: list[OrderOut]


class OrderIn(Schema):
    community: str = Field(max_length=50, description="The community's slug")
    category: str = Field(max_length=30, description="A category code (GET /categories)")
    description: str = Field(min_length=2, max_length=1000)
    phone: str = Field(max_length=20, description="The resident's mainland mobile number")
    consent: bool = Field(
        description="The resident agreed to the privacy notice (required: without it the "
        "order is refused)"
    )
    channel: Literal["api", "hotline", "phone", "visit", "patrol"] = "api"
    address: str = Field("", max_length=200)
    site: int | None = Field(None, ge=1, le=2**63 - 1, description="A site id (GET /sites)")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    contact_name: str = Field("", max_length=40)
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    external_id: str = Field(
        "",
        max_length=100,
        description="The caller's own id for this order (a hotline ticket number): sending "
        "the same id again returns the order already filed",
    )


class ReasonIn(Schema):
    reason: str = Field("", max_length=300)


class RecordOut(Schema):
    id: int
    community: str
    category: str
    started_at: dt.datetime
    ended_at: dt.datetime
    hours: float
    verification: str
    order_id: int | None
    note: str


class ReviewableOut(Schema):
    record_id: int
    category: str
    started_at: dt.datetime
    ended_at: dt.datetime
    hours: float
    reviewed: bool


class ReviewIn(Schema):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=500)
    solved: bool | None = None
    hours_right: bool | None = None


class ReviewOut(Schema):
    record_id: int
    rating: int
    solved: bool | None
    order_state: str | None


class FigureOut(Schema):
    name: str
    value: float | None
    before: float | None = Field(
        description="The same days a year earlier: the period's, or while it runs, those of "
        "its days counted so far (up to counted_end)"
    )
    change: float | None = Field(
        description="Relative change for counts and hours, difference for rates"
    )
    is_rate: bool


class IndicatorsOut(Schema):
    street: str
    community: str | None
    period_start: dt.date
    period_end: dt.date = Field(description="The first day after the period")
    counted_end: dt.date = Field(
        description="The first day after the days counted: period_end once the period has "
        "ended, tomorrow while it runs"
    )
    figures: list[FigureOut]


class PositionOut(Schema):
    """阵地: a place of the street's 15-minute service circle."""

    id: int
    site_id: int
    community: str = Field(description="The community's slug")
    kind: str = Field(description="The site's kind (centre, compound, building, …)")
    name: str
    address: str
    latitude: float
    longitude: float
    opening_hours: str = Field(description="In words, e.g. “Mon–Fri 9:00–17:00”")
    services: list[str] = Field(description="Category codes offered there (GET /categories)")
    services_note: str = Field(description="Other services, in words")


class DispatchIn(Schema):
    """To whom the order is offered: a member (by their code) or a team (by its id)."""

    member: str = Field("", max_length=16, description="A member's code (their public page)")
    team: int | None = Field(None, ge=1, le=2**63 - 1, description="A team's id")
    respond_hours: Literal[1, 2, 4, 8, 24, 48] = Field(
        4,
        description="How long they have to accept or decline (a reply that would fall due "
        "between 22:00 and 07:00 is due at 09:00)",
    )


class RecategoriseIn(Schema):
    category: str = Field(max_length=30, description="A category code (GET /categories)")


class FinishIn(Schema):
    """The member page's finish form: the same rules and messages."""

    hours: float = Field(description="Hours served, 0.25 to 24, in quarter hours")
    note: str = Field("", description="What was done (at most 500 characters)")
    started_at: dt.datetime | None = Field(
        None,
        description="When the service began; empty: from the last `start` action since the "
        "order was taken if the hours fit between it and now, else back from now",
    )


class HandBackIn(Schema):
    reason: str = Field("", max_length=300)
    transfer: bool = Field(
        False, description="Ask the community to transfer it (转派) rather than hand it back"
    )


class OpenOrderOut(Schema):
    """An order on the needs list a member may claim: the need and the place, not the
    person."""

    id: int
    community: str
    category: str
    description: str
    site_id: int | None
    walking_minutes: int | None = Field(description="From the member's home, when both known")
    created_at: dt.datetime
    finish_by: dt.datetime | None
