"""/api/v1/: the versioned JSON API (django-ninja), its OpenAPI document at
/api/v1/openapi.json and readable docs at /api/v1/docs (docs/API.md has curl examples).

Every request carries a token (`Authorization: Bearer pl_…`, made in the console). Each
operation names the scope it needs; a token without it gets 403, and a row outside the token's
reach is 404 (existence does not leak). Writes go through the same services as the pages,
with source = API and the token named in the order's history. Errors have one shape
(schemas.ErrorOut), their message in the caller's language (Accept-Language).
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Status
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from pledgeloop.lib.masking import mask_name, mask_phone
from pledgeloop.lib.params import parse_period
from pledgeloop.orders import access as order_access
from pledgeloop.orders import selectors as order_selectors
from pledgeloop.orders import services as order_services
from pledgeloop.orders.member_forms import FinishForm
from pledgeloop.orders.models import Dispatch, Order, OrderError, OrderEvent
from pledgeloop.orgs.models import Category, Community, Site
from pledgeloop.people.models import Member
from pledgeloop.pledges import selectors as pledge_selectors
from pledgeloop.pledges.models import Pledge
from pledgeloop.reviews.models import Review
from pledgeloop.reviews.services import ReviewError, review_submit
from pledgeloop.service.models import ServiceRecord
from pledgeloop.service.review_links import record_id_from_token
from pledgeloop.stats import indicators, periods, rollups
from pledgeloop.stats.scope import Scope as StatsScope
from pledgeloop.teams import circle
from pledgeloop.teams import services as team_services
from pledgeloop.teams.models import Team

from . import access, answers, schemas
from .filing import external_key, order_file
from .models import ApiToken, Scope
from .tokens import token_admit, token_find

Source = OrderEvent.Source


class ApiError(Exception):
    """An answer other than success, in the API's one error shape."""

    def __init__(self, status: int, code: str, message: str, fields=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a live token whose maker still holds the rights it
    was made with, within its requests per minute."""

    def authenticate(self, request, token: str) -> ApiToken | None:
        found = token_find(token)
        if found is None or not access.token_still_held(found):
            return None
        if not token_admit(token=found):
            raise ApiError(
                429,
                "rate_limited",
                _("Too many requests with this token; wait a minute and try again."),
            )
        return found


class DocumentedAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document is built once per process and language: building it
    turns every schema into JSON Schema through pydantic (about two seconds of CPU), and it
    changes only with the code."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._documents = {}

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        key = (path_prefix, tuple(sorted((path_params or {}).items())), get_language())
        if key not in self._documents:
            self._documents[key] = super().get_openapi_schema(
                path_prefix=path_prefix, path_params=path_params
            )
        return self._documents[key]


api = DocumentedAPI(
    title="pledgeloop API",
    version="1",
    urls_namespace="api-v1",
    auth=TokenAuth(),
    description=(
        "Orders (点单), pledges (承诺), service records (践诺), reviews (评诺) and indicators "
        'of one street. Every error has the shape {"error": {"code", "message", '
        '"fields"}}; messages follow Accept-Language (zh-hans by default, en).'
    ),
)

ERRORS = {400: schemas.ErrorOut, 401: schemas.ErrorOut, 403: schemas.ErrorOut}
ERRORS |= {404: schemas.ErrorOut, 422: schemas.ErrorOut, 429: schemas.ErrorOut}
WRITE_ERRORS = ERRORS | {409: schemas.ErrorOut}


def _error(request, status: int, code: str, message: str, fields=None):
    body = {"error": {"code": code, "message": message, "fields": fields or []}}
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    return _error(
        request,
        401,
        "unauthorized",
        _(
            "Send a valid API token in the Authorization header (Bearer …); "
            "it may have expired or been revoked."
        ),
    )


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    fields = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "")),
        }
        for error in exc.errors
    ]
    return _error(
        request, 422, "invalid", _("Some values are missing or not valid; see fields."), fields
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", _("Nothing here, or not within this token's reach."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {400: "invalid", 403: "forbidden", 405: "invalid", 429: "rate_limited"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "invalid"), str(exc))


def _token(request) -> ApiToken:
    return request.auth


def _require(request, scope: str) -> ApiToken:
    token = _token(request)
    if not token.has_scope(scope):
        raise ApiError(
            403,
            "forbidden",
            _("This token may not do this; it needs the scope “%(scope)s”.") % {"scope": scope},
        )
    return token


def _community(token: ApiToken, slug: str, *, street_wide: bool = False) -> Community:
    """A community of the token's reach by slug (`street_wide`: any of its street, for public
    data), else a 422 naming the field."""
    reach = (
        Community.objects.filter(street_id=token.street_id)
        if street_wide
        else access.token_communities(token)
    )
    community = reach.filter(slug=slug).first()
    if community is None:
        raise ApiError(
            422,
            "invalid",
            _("No community “%(slug)s” within this token's reach.") % {"slug": slug[:50]},
            [{"field": "community", "message": _("unknown community")}],
        )
    return community


def _as_float(value) -> float | None:
    return None if value is None else float(value)


# --- public data of the token's street ---------------------------------------------------


@api.get("/communities", response={200: list[schemas.CommunityOut]} | ERRORS, tags=["public"])
def communities(request):
    """The communities of the token's street."""
    token = _require(request, Scope.READ_PUBLIC)
    return list(Community.objects.filter(street_id=token.street_id).order_by("slug"))


@api.get("/categories", response={200: list[schemas.CategoryOut]} | ERRORS, tags=["public"])
def categories(request):
    """The street's active categories, with their service-level deadlines."""
    token = _require(request, Scope.READ_PUBLIC)
    return list(Category.objects.filter(street_id=token.street_id, active=True))


@api.get("/sites", response={200: list[schemas.SiteOut]} | ERRORS, tags=["public"])
def sites(request, community: str = Query("", max_length=50)):
    """Service centres, compounds and buildings of the street (or of one community)."""
    token = _require(request, Scope.READ_PUBLIC)
    rows = Site.objects.filter(street_id=token.street_id).select_related("community")
    if community:
        rows = rows.filter(community=_community(token, community, street_wide=True))
    return [
        {
            "id": site.pk,
            "community": site.community.slug,
            "kind": site.kind,
            "name": site.name,
            "address": site.address,
            "latitude": float(site.latitude),
            "longitude": float(site.longitude),
            "parent_id": site.parent_id,
        }
        for site in rows
    ]


@api.get("/positions", response={200: list[schemas.PositionOut]} | ERRORS, tags=["public"])
def positions(request, community: str = Query("", max_length=50)):
    """The street's 15-minute service circle (阵地): where service is offered, when it is
    open and which services are offered there (active positions only)."""
    token = _require(request, Scope.READ_PUBLIC)
    rows = circle.street_positions(token.street)
    if community:
        chosen = _community(token, community, street_wide=True)
        rows = [position for position in rows if position.site.community_id == chosen.pk]
    return [
        {
            "id": position.pk,
            "site_id": position.site_id,
            "community": position.site.community.slug,
            "kind": position.site.kind,
            "name": position.site.name,
            "address": position.site.address,
            "latitude": float(position.site.latitude),
            "longitude": float(position.site.longitude),
            "opening_hours": position.opening_hours,
            "services": sorted(category.code for category in position.services.all()),
            "services_note": position.services_note,
        }
        for position in rows
    ]


def _pledge_out(pledge: Pledge) -> dict:
    return {
        "id": pledge.pk,
        "title": pledge.title,
        "community": pledge.community.slug,
        "category": pledge.category.code,
        "member_code": pledge.member.code,
        "member_name": pledge.member.user.name,
        "beneficiary_kind": pledge.beneficiary_kind,
        "starts_on": pledge.starts_on,
        "ends_on": pledge.ends_on,
        "target_visits": pledge.target_visits,
        "state": pledge.state,
    }


@api.get("/pledges", response={200: list[schemas.PledgeOut]} | ERRORS, tags=["public"])
def pledges(request, community: str = Query("", max_length=50)):
    """The pledges on the street's wall (approved, public)."""
    token = _require(request, Scope.READ_PUBLIC)
    rows = (
        Pledge.objects.on_wall()
        .filter(street_id=token.street_id)
        .select_related("community", "category", "member__user")
        .order_by("-starts_on", "-id")
    )
    if community:
        rows = rows.filter(community=_community(token, community, street_wide=True))
    return [_pledge_out(pledge) for pledge in rows[:500]]


@api.get("/members/{code}", response={200: schemas.MemberPublicOut} | ERRORS, tags=["public"])
def member_public(request, code: str):
    """A member's public page: public pledges, hours, the next visits."""
    token = _require(request, Scope.READ_PUBLIC)
    member = get_object_or_404(
        Member.objects.select_related("user", "community"),
        code=code[:16],
        active=True,
        street_id=token.street_id,
    )
    shown = pledge_selectors.member_public(member)
    for pledge in shown["pledges"]:
        pledge.member = member
        pledge.community = member.community
    return {
        "code": member.code,
        "name": member.name,
        "community": member.community.slug,
        "kind": member.kind,
        "service_hours": float(pledge_selectors.member_service_hours(member)),
        "pledges": [_pledge_out(pledge) for pledge in shown["pledges"]],
        "next_visits": [
            {
                "pledge_id": visit.pledge_id,
                "pledge_title": visit.pledge.title,
                "scheduled_at": visit.scheduled_at,
            }
            for visit in shown["next_visits"]
        ],
    }


# --- orders ------------------------------------------------------------------------------


def _order_out(order: Order, *, person: bool = True) -> dict:
    """The order as the API shows it; without `person` (a member who does not hold it, as
    their page: need to know) the resident's name, number, address and point are left out."""
    member = order.assigned_member
    shown = {
        "id": order.pk,
        "state": order.state,
        "state_label": str(order.state_label),
        "community": order.community.slug,
        "category": order.category.code,
        "description": order.description,
        "address": order.address,
        "site_id": order.site_id,
        "latitude": _as_float(order.latitude),
        "longitude": _as_float(order.longitude),
        "channel": order.channel,
        "contact_name": mask_name(order.contact_name),
        "phone_masked": mask_phone(order.phone),
        "assigned_member": mask_name(member.user.name) if member else "",
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "respond_by": order.respond_by,
        "finish_by": order.finish_by,
        "done_at": order.done_at,
        "overdue": order.is_overdue(),
        "reject_reason": order.reject_reason,
        "history": [
            {
                "at": event.at,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "action": event.action,
                "source": event.source,
            }
            for event in order.events.all()
        ],
    }
    if not person:
        shown |= {"contact_name": "", "phone_masked": "", "address": ""}
        shown |= {"latitude": None, "longitude": None}
    return shown


def _token_member(token: ApiToken) -> Member | None:
    if not token.personal:
        return None
    return Member.objects.filter(user=token.user, street_id=token.street_id).first()


def _shown(token: ApiToken, order: Order, member: Member | None = None) -> dict:
    """An order as this token may see it: a member sees the person only while theirs to know
    (orders.access.member_sees_contact, as on the member's page)."""
    if not token.personal:
        return _order_out(order)
    member = member or _token_member(token)
    return _order_out(order, person=order_access.member_sees_contact(member, order))


def _orders(token: ApiToken):
    return (
        access.orders_for_token(token)
        .select_related("community", "category", "assigned_member__user")
        .prefetch_related("events")
    )


def _order(token: ApiToken, pk: int) -> Order:
    if not 1 <= pk < 2**63:
        raise Http404
    return get_object_or_404(_orders(token), pk=pk)


def _refused(error: Exception):
    return ApiError(409, "conflict", str(error))


@api.post("/orders", response={201: schemas.OrderOut} | WRITE_ERRORS, tags=["orders"])
def order_create(request, data: schemas.OrderIn):
    """File an order for a resident who agreed to the privacy notice (`consent`), through the
    same checks as the resident's page. `external_id` makes a retry safe."""
    token = _require(request, Scope.FILE_ORDERS)
    community = _community(token, data.community)
    category = Category.objects.filter(street_id=token.street_id, code=data.category).first()
    if category is None:
        raise ApiError(
            422,
            "invalid",
            _("No category “%(code)s”; see GET /categories.") % {"code": data.category[:30]},
            [{"field": "category", "message": _("unknown category")}],
        )
    site = None
    if data.site is not None:
        site = Site.objects.filter(pk=data.site, community=community).first()
        if site is None:
            raise ApiError(
                422,
                "invalid",
                _("That building is not in this community."),
                [{"field": "site", "message": _("unknown site")}],
            )
    try:
        order = order_file(
            token=token,
            community=community,
            category=category,
            description=data.description,
            phone=data.phone,
            consent=data.consent,
            channel=data.channel,
            address=data.address,
            site=site,
            latitude=_decimal(data.latitude),
            longitude=_decimal(data.longitude),
            contact_name=data.contact_name,
            window_start=data.window_start,
            window_end=data.window_end,
            key=external_key(token, data.external_id),
        )
    except OrderError as error:
        raise ApiError(422, "invalid", str(error)) from None
    return Status(201, _order_out(_order(token, order.pk)))


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


@api.get("/orders", response={200: schemas.OrderPage} | ERRORS, tags=["orders"])
@decorate_view(answers.keep)
def order_list(
    request,
    state: str = Query("", max_length=20),
    community: str = Query("", max_length=50),
    category: str = Query("", max_length=30),
    overdue: bool = False,
    created_after: str = Query("", max_length=40, description="ISO date or date-time"),
    created_before: str = Query("", max_length=40, description="ISO date or date-time"),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
):
    """Orders within the token's reach: with act_community every order of its communities,
    with file_orders the orders it filed, with a personal token the member's own."""
    token = _token(request)
    if not (
        token.personal or token.has_scope(Scope.ACT_COMMUNITY) or token.has_scope(Scope.FILE_ORDERS)
    ):
        _require(request, Scope.ACT_COMMUNITY)
    # The token's copy of this answer, under its street's data version (answers.py).
    kept = answers.kept(request, token)
    if kept is not None:
        return kept
    rows = _orders(token)
    if state:
        rows = rows.filter(state=state)
    if community:
        rows = rows.filter(community__slug=community)
    if category:
        rows = rows.filter(category__code=category)
    if overdue:
        rows = rows.filter(Order.overdue_q())
    for name, value, lookup in [
        ("created_after", created_after, "created_at__gte"),
        ("created_before", created_before, "created_at__lt"),
    ]:
        if value:
            rows = rows.filter(**{lookup: _moment(name, value)})
    rows = rows.order_by("-created_at", "-id")
    member = _token_member(token)
    page = rows[offset : offset + limit]
    return {"count": rows.count(), "items": [_shown(token, o, member) for o in page]}


def _moment(name: str, value: str):
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(
            422,
            "invalid",
            _("Write the date as 2026-03-01 or 2026-03-01T08:00:00+08:00."),
            [{"field": name, "message": _("not a date")}],
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@api.get("/orders/{order_id}", response={200: schemas.OrderOut} | ERRORS, tags=["orders"])
def order_read(request, order_id: int):
    token = _token(request)
    return _shown(token, _order(token, order_id))


def _act(request, order_id: int, scope: str, action):
    token = _require(request, scope)
    order = _order(token, order_id)
    try:
        with order_services.acting_as(token.label), transaction.atomic():
            action(token, order)
    except OrderError as error:
        raise _refused(error) from None
    return _shown(token, _order(token, order_id))


@api.post(
    "/orders/{order_id}/triage", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["orders"]
)
def order_triage(request, order_id: int):
    """Accept the order onto the needs list (受理)."""
    return _act(
        request,
        order_id,
        Scope.ACT_COMMUNITY,
        lambda token, order: order_services.order_triage(
            order=order, by=token.user, source=Source.API
        ),
    )


@api.post(
    "/orders/{order_id}/reject", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["orders"]
)
def order_reject(request, order_id: int, data: schemas.ReasonIn):
    """Return the order (退回) with a reason the resident will see."""
    return _act(
        request,
        order_id,
        Scope.ACT_COMMUNITY,
        lambda token, order: order_services.order_reject(
            order=order, by=token.user, reason=data.reason, source=Source.API
        ),
    )


@api.post(
    "/orders/{order_id}/cancel", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["orders"]
)
def order_cancel(request, order_id: int, data: schemas.ReasonIn):
    """Cancel at the resident's request, while nobody has started on it (an order the token
    filed, or with act_community any order of its communities)."""
    token = _token(request)
    scope = Scope.ACT_COMMUNITY if token.has_scope(Scope.ACT_COMMUNITY) else Scope.FILE_ORDERS
    return _act(
        request,
        order_id,
        scope,
        lambda token, order: order_services.order_cancel(
            order=order,
            by=token.user if scope == Scope.ACT_COMMUNITY else None,
            reason=data.reason,
            source=Source.API,
        ),
    )


@api.post(
    "/orders/{order_id}/dispatch", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["orders"]
)
def order_dispatch(request, order_id: int, data: schemas.DispatchIn):
    """派单: offer an order on the needs list to a member (by code) or to a team (by id),
    who must answer within `respond_hours`, as the console's order page does."""
    token = _require(request, Scope.ACT_COMMUNITY)
    if bool(data.member) == (data.team is not None):
        raise ApiError(
            422,
            "invalid",
            _("Name either a member or a team to send the order to."),
            [{"field": "body.data.member", "message": _("a member's code, or a team")}],
        )
    # As the console does: a reply that would fall due at night is due at 09:00.
    respond_by = order_services.reply_deadline(timezone.now(), timedelta(hours=data.respond_hours))
    if data.member:
        member = (
            Member.objects.filter(code=data.member, street_id=token.street_id, active=True)
            .select_related("user")
            .first()
        )
        if member is None:
            raise ApiError(
                422,
                "invalid",
                _("No active member “%(code)s” in this street.") % {"code": data.member},
                [{"field": "body.data.member", "message": _("unknown member")}],
            )

        def send(token, order):
            order_services.order_dispatch(
                order=order, member=member, by=token.user, respond_by=respond_by, source=Source.API
            )

    else:
        team = Team.objects.filter(pk=data.team, street_id=token.street_id).first()
        if team is None:
            raise ApiError(
                422,
                "invalid",
                _("No team %(id)s in this street.") % {"id": data.team},
                [{"field": "body.data.team", "message": _("unknown team")}],
            )

        def send(token, order):
            team_services.order_dispatch_team(
                order=order, team=team, by=token.user, respond_by=respond_by, source=Source.API
            )

    return _act(request, order_id, Scope.ACT_COMMUNITY, send)


@api.post(
    "/orders/{order_id}/recategorise",
    response={200: schemas.OrderOut} | WRITE_ERRORS,
    tags=["orders"],
)
def order_recategorise(request, order_id: int, data: schemas.RecategoriseIn):
    """Correct the order's category, whatever its state (its records follow)."""
    token = _require(request, Scope.ACT_COMMUNITY)
    category = Category.objects.filter(
        street_id=token.street_id, code=data.category, active=True
    ).first()
    if category is None:
        raise ApiError(
            422,
            "invalid",
            _("No category “%(code)s”; see GET /categories.") % {"code": data.category[:30]},
            [{"field": "body.data.category", "message": _("unknown category")}],
        )
    return _act(
        request,
        order_id,
        Scope.ACT_COMMUNITY,
        lambda token, order: order_services.order_recategorise(
            order=order, category=category, by=token.user, source=Source.API
        ),
    )


# --- a member's own (personal tokens) -------------------------------------------------------


def _member(request) -> Member:
    token = _require(request, Scope.OWN_RECORDS)
    member = Member.objects.filter(user=token.user, street_id=token.street_id).first()
    if member is None:
        raise Http404
    return member


@api.get("/me/records", response={200: list[schemas.RecordOut]} | ERRORS, tags=["me"])
def my_records(request, limit: int = Query(100, ge=1, le=500)):
    """The member's own service records (践诺), newest first."""
    member = _member(request)
    rows = (
        ServiceRecord.objects.filter(participants__member=member)
        .select_related("community", "category")
        .order_by("-started_at", "-id")[:limit]
    )
    return [
        {
            "id": record.pk,
            "community": record.community.slug,
            "category": record.category.code,
            "started_at": record.started_at,
            "ended_at": record.ended_at,
            "hours": float(record.hours),
            "verification": record.verification,
            "order_id": record.order_id,
            "note": record.note,
        }
        for record in rows
    ]


@api.post(
    "/me/orders/{order_id}/start",
    response={200: schemas.OrderOut} | WRITE_ERRORS,
    tags=["me"],
)
def my_order_start(request, order_id: int):
    """The member starts the service of an order they took."""
    member = _member(request)
    return _act(
        request,
        order_id,
        Scope.OWN_RECORDS,
        lambda token, order: order_services.order_start(
            order=order, member=member, source=Source.API
        ),
    )


def _member_act(request, order_id: int, action, *, claim: bool = False):
    """A member's action on an order through orders.services, as at /me/orders/<pk>/: the
    order is one the member's page opens (claim: any that was on the street's needs list), a
    refusal is a 409 with the service's message. Not wrapped in a transaction of its own:
    each service is atomic, and an offer that timed out on the way stays timed out."""
    token = _require(request, Scope.OWN_RECORDS)
    member = _member(request)
    if not 1 <= order_id < 2**63:
        raise Http404
    find = order_access.get_order_to_claim if claim else order_access.get_order_for_member
    order = find(member, order_id)
    try:
        with order_services.acting_as(token.label):
            action(member, order)
    except OrderError as error:
        raise _refused(error) from None
    fresh = (
        Order.objects.select_related("community", "category", "assigned_member__user")
        .prefetch_related("events")
        .get(pk=order.pk)
    )
    return _shown(token, fresh, member)


@api.get("/me/orders/open", response={200: list[schemas.OpenOrderOut]} | ERRORS, tags=["me"])
def my_open_orders(request, limit: int = Query(50, ge=1, le=50)):
    """Orders on the needs list of the member's street, nearest their home first (the page
    "open needs near me"): the need and the place, not the person."""
    member = _member(request)
    return [
        {
            "id": item.order.pk,
            "community": item.order.community.slug,
            "category": item.order.category.code,
            "description": item.order.description,
            "site_id": item.order.site_id,
            "walking_minutes": None if item.minutes is None else round(item.minutes),
            "created_at": item.order.created_at,
            "finish_by": item.order.finish_by,
        }
        for item in order_selectors.open_orders_near(member, limit=limit)
    ]


@api.post(
    "/me/orders/{order_id}/claim", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["me"]
)
def my_order_claim(request, order_id: int):
    """接单: take an order from the needs list. Many may try at once; exactly one wins, the
    others get 409 with "another member has already taken this order"."""
    return _member_act(
        request,
        order_id,
        lambda member, order: order_services.order_claim(
            order=order, member=member, source=Source.API
        ),
        claim=True,
    )


def _offer(member: Member, order: Order) -> Dispatch:
    offer = (
        Dispatch.objects.filter(order=order, member=member, team__isnull=True)
        .order_by("-offered_at", "-id")
        .first()
    )
    if offer is None:
        raise OrderError(_("This order was not offered to you."))
    return offer


@api.post(
    "/me/orders/{order_id}/accept", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["me"]
)
def my_offer_accept(request, order_id: int):
    """Accept the order the community offered to the member (派单)."""
    return _member_act(
        request,
        order_id,
        lambda member, order: order_services.dispatch_accept(
            dispatch=_offer(member, order), member=member, source=Source.API
        ),
    )


@api.post(
    "/me/orders/{order_id}/decline", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["me"]
)
def my_offer_decline(request, order_id: int, data: schemas.ReasonIn):
    """Decline the offer, with a reason for the community: the order is on the needs list
    again."""
    return _member_act(
        request,
        order_id,
        lambda member, order: order_services.dispatch_decline(
            dispatch=_offer(member, order), member=member, reason=data.reason, source=Source.API
        ),
    )


def _finish_form(data: schemas.FinishIn) -> FinishForm:
    """The member page's finish form, filled from the API's body: the same checks and
    messages. The start goes in as the page's local date and minute."""
    started = ""
    if data.started_at is not None:
        try:
            moment = data.started_at
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            started = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        except (OverflowError, ValueError):
            started = "?"
    form = FinishForm({"hours": str(data.hours), "note": data.note, "started_at": started})
    if not form.is_valid():
        raise ApiError(
            422,
            "invalid",
            _("Some values are missing or not valid; see fields."),
            [
                {"field": f"body.data.{name}", "message": str(messages[0])}
                for name, messages in form.errors.items()
            ],
        )
    return form


@api.post(
    "/me/orders/{order_id}/finish", response={200: schemas.OrderOut} | WRITE_ERRORS, tags=["me"]
)
def my_order_finish(request, order_id: int, data: schemas.FinishIn):
    """Finish the service of an order the member holds: the order is done and a service
    record (践诺) is written, with the page's rules: hours between 0.25 and 24, never more
    than the time since the order was taken, no overlap with the member's other records.
    The page asks no check-in code to finish an order (codes are for service at a place,
    /checkin/), so neither does the API."""
    _require(request, Scope.OWN_RECORDS)
    cleaned = _finish_form(data).cleaned_data
    return _member_act(
        request,
        order_id,
        lambda member, order: order_services.order_finish(
            order=order,
            member=member,
            hours=cleaned["hours"],
            note=cleaned["note"],
            started_at=cleaned["started_at"],
            source=Source.API,
        ),
    )


@api.post(
    "/me/orders/{order_id}/hand-back",
    response={200: schemas.OrderOut} | WRITE_ERRORS,
    tags=["me"],
)
def my_order_hand_back(request, order_id: int, data: schemas.HandBackIn):
    """Give the order back (交回), or ask for a transfer (转派), with a reason: it returns
    to the needs list and the community is told."""
    return _member_act(
        request,
        order_id,
        lambda member, order: order_services.order_hand_back(
            order=order,
            member=member,
            reason=data.reason,
            transfer=data.transfer,
            source=Source.API,
        ),
    )


# --- reviews, by the review link's token ----------------------------------------------------


def _reviewable(request, review_token: str) -> ServiceRecord:
    token = _require(request, Scope.FILE_ORDERS)
    record_id = record_id_from_token(review_token[:200])
    if record_id is None:
        raise Http404
    return get_object_or_404(
        ServiceRecord.objects.select_related("category"),
        pk=record_id,
        community__in=access.token_communities(token),
    )


@api.get(
    "/reviews/{review_token}", response={200: schemas.ReviewableOut} | ERRORS, tags=["reviews"]
)
def review_read(request, review_token: str):
    """The service a review link is for (the token of /review/<token>/ in the resident's
    text), so that a hotline can take the resident's review by phone."""
    record = _reviewable(request, review_token)
    return {
        "record_id": record.pk,
        "category": record.category.code,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "hours": float(record.hours),
        "reviewed": Review.objects.filter(record=record).exists(),
    }


@api.post(
    "/reviews/{review_token}",
    response={201: schemas.ReviewOut} | WRITE_ERRORS,
    tags=["reviews"],
)
def review_create(request, review_token: str, data: schemas.ReviewIn):
    record = _reviewable(request, review_token)
    token = _token(request)
    try:
        with order_services.acting_as(token.label):
            review = review_submit(
                record=record,
                rating=data.rating,
                comment=data.comment,
                solved=data.solved,
                hours_right=data.hours_right,
                source=Source.API,
            )
    except ReviewError as error:
        raise _refused(error) from None
    order = Order.objects.filter(pk=record.order_id).first()
    return Status(
        201,
        {
            "record_id": record.pk,
            "rating": review.rating,
            "solved": review.solved,
            "order_state": order.state if order else None,
        },
    )


# --- indicators ---------------------------------------------------------------------------


@api.get("/indicators", response={200: schemas.IndicatorsOut} | ERRORS, tags=["indicators"])
def indicators_read(
    request,
    period: str = Query(
        "", max_length=20, description="2026, 2026-Q1, 2026-03; empty: the last 12 months"
    ),
    community: str = Query("", max_length=50),
):
    """The indicators of DESIGN.md §5 for the token's scope (or one community of it) and a
    period, each with the same period a year earlier (while the period runs: its days up to
    today, against the same days a year earlier)."""
    token = _require(request, Scope.READ_INDICATORS)
    if period and parse_period(period) is None:
        raise ApiError(
            422,
            "invalid",
            _("Write the period as 2026, 2026-Q1 or 2026-03."),
            [{"field": "period", "message": _("not a period")}],
        )
    chosen = _community(token, community) if community else token.community
    scope = StatsScope(token.street_id, chosen.pk if chosen else None)
    span = periods.parse(period or None)
    today = timezone.localdate()
    rollups.ensure_fresh()
    figures = indicators.headline_with_change(scope, span, today)
    return {
        "street": token.street.slug,
        "community": chosen.slug if chosen else None,
        "period_start": span.start,
        "period_end": span.end,
        "counted_end": span.counted(today).end,
        "figures": [
            {
                "name": figure["name"],
                "value": _as_float(figure["value"]),
                "before": _as_float(figure["before"]),
                "change": _as_float(figure["change"]),
                "is_rate": figure["is_rate"],
            }
            for figure in figures
        ],
    }
