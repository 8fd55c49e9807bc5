"""Open311 GeoReport v2 at /open311/v2/ (http://wiki.open311.org/GeoReport_v2).

`jurisdiction_id` is a street's slug (optional while there is one street); a street's active
categories are its services. Requests are orders: pledgeloop's open states are `open`, the
others `closed`, with the state in words as `status_notes`, the community as
`agency_responsible`, the finish deadline as `expected_datetime`. Every endpoint answers in
JSON or XML by its extension, errors as the spec's list of {code, description}.

Public answers carry nothing personal: no phone, no name, no description (a resident's own
words may name people), no media URL, the place only as its compound or community and the
point rounded to about 100 m. A request made with the `api_key` of the token that filed the
order, or of one acting in its community, also gets the description, the address as given and
the media URL.

POST requests takes an `api_key` (a token with file_orders), `service_code`, a place (`lat` and
`long`, or `address_string`), `description`, `media_url`, the resident's `phone` (a mainland
mobile: the community calls back), `first_name` / `last_name`, and the two attributes of every
service's definition: `attribute[consent]` (required: the resident agreed to the privacy
notice) and `attribute[community]` (a community slug, when the place does not say).
"""

import datetime as dt
import xml.etree.ElementTree as ET  # noqa: S405 - used to write XML, never to read it
from decimal import Decimal

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from pledgeloop.lib.geo import haversine_km
from pledgeloop.lib.params import MAX_IDS, parse_id
from pledgeloop.orders.models import Order, OrderError
from pledgeloop.orgs.models import Category, Community, Site, Street

from . import access
from .filing import external_key, order_file
from .models import ApiOrder, ApiToken, Scope
from .tokens import token_admit, token_find

FORMATS = {"json", "xml"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00Z"
# A point further than this from every site of the street is not placed by it.
NEAREST_SITE_KM = 2.0
# GET requests without dates covers the last 90 days and at most 1000 requests (the spec).
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


# --- answers in JSON or XML ---------------------------------------------------------------


def _xml_value(parent: ET.Element, name: str, value) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, list):
        singular = {"formats": "format", "keywords": "keyword", "values": "value"}.get(name)
        for item in value:
            if isinstance(item, dict):
                _xml_dict(ET.SubElement(child, singular or "item"), item)
            else:
                ET.SubElement(child, singular or "item").text = str(item)
    elif isinstance(value, dict):
        _xml_dict(child, value)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def _xml_dict(element: ET.Element, values: dict) -> None:
    for name, value in values.items():
        if name == "endpoints":
            endpoints = ET.SubElement(element, "endpoints")
            for endpoint in value:
                _xml_dict(ET.SubElement(endpoints, "endpoint"), endpoint)
        elif name == "attributes":
            attributes = ET.SubElement(element, "attributes")
            for attribute in value:
                _xml_dict(ET.SubElement(attributes, "attribute"), attribute)
        else:
            _xml_value(element, name, value)


def _answer(fmt: str, data, *, root: str = "", item: str = "", status: int = 200):
    """`data` as JSON, or as XML under `root` (a list: one `item` element per entry)."""
    if fmt == "json":
        return JsonResponse(
            data, safe=False, status=status, json_dumps_params={"ensure_ascii": False}
        )
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _xml_dict(ET.SubElement(element, item), entry)
    else:
        _xml_dict(element, data)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _errors(fmt: str, status: int, description: str):
    return _answer(
        fmt if fmt in FORMATS else "json",
        [{"code": status, "description": description}],
        root="errors",
        item="error",
        status=status,
    )


def open311_view(methods):
    """A view of this API: the format checked, Open311Error turned into the spec's errors."""

    def wrap(view):
        @require_http_methods(methods)
        def run(request, *args, fmt: str, **kwargs):
            if fmt not in FORMATS:
                return _errors("json", 404, _("Ask for .json or .xml."))
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return _errors(fmt, error.status, error.description)

        run.__name__ = view.__name__
        run.__doc__ = view.__doc__
        return run

    return wrap


# --- what the requests name -----------------------------------------------------------------


def _jurisdiction(params) -> Street:
    slug = (params.get("jurisdiction_id") or "").strip()[:50]
    if slug:
        street = Street.objects.filter(slug=slug).first()
        if street is None:
            raise Open311Error(404, _("No jurisdiction “%(id)s”.") % {"id": slug})
        return street
    streets = list(Street.objects.order_by("pk")[:2])
    if len(streets) != 1:
        raise Open311Error(400, _("Give jurisdiction_id: the street's slug (see discovery)."))
    return streets[0]


def _token(params, *, required: bool) -> ApiToken | None:
    text = (params.get("api_key") or "").strip()
    if not text:
        if required:
            raise Open311Error(401, _("An api_key is required to file a request."))
        return None
    token = token_find(text)
    if token is None or token.personal or not access.token_still_held(token):
        raise Open311Error(401, _("This api_key is not valid (expired or revoked?)."))
    if not token_admit(token=token):
        raise Open311Error(429, _("Too many requests with this api_key; wait a minute."))
    return token


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("Respond within %(h)s hours, finish within %(d)s days.")
        % {"h": category.respond_hours, "d": category.finish_days},
        "metadata": True,
        "type": "realtime",
        "keywords": [],
        "group": "",
    }


def _definition(category: Category, street: Street) -> dict:
    communities = Community.objects.filter(street=street).order_by("slug")
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "consent",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": _(
                    "The resident agreed to the privacy notice; without it the request is refused."
                ),
                "order": 1,
                "description": _("The resident agreed to the privacy notice"),
                "values": [{"key": "true", "name": _("Yes")}],
            },
            {
                "variable": True,
                "code": "community",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("When the place does not say which community."),
                "order": 2,
                "description": _("Community"),
                "values": [{"key": c.slug, "name": c.name} for c in communities],
            },
        ],
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _full_view(token: ApiToken | None, order: Order) -> bool:
    """May this api_key see the order's own words and place?"""
    if token is None:
        return False
    return access.orders_for_token(token).filter(pk=order.pk).exists()


def _place(order: Order) -> str:
    site = order.site
    if site is not None:
        top = site.parent or site
        return f"{order.community.name} {top.name}"
    return order.community.name


def _rounded(value: Decimal | None, places: int) -> float | None:
    return None if value is None else round(float(value), places)


def _request(order: Order, token: ApiToken | None) -> dict:
    full = _full_view(token, order)
    filing = getattr(order, "api_filing", None)
    notes = order.get_state_display()
    if order.state == Order.State.REJECTED and order.reject_reason:
        notes = f"{notes}: {order.reject_reason}"
    places = 6 if full else 3
    return {
        "service_request_id": str(order.pk),
        "status": "open" if order.is_open else "closed",
        "status_notes": str(notes),
        "service_name": order.category.name,
        "service_code": order.category.code,
        "description": order.description if full else "",
        "agency_responsible": order.community.name,
        "service_notice": "",
        "requested_datetime": _iso(order.created_at),
        "updated_datetime": _iso(order.updated_at),
        "expected_datetime": _iso(order.finish_by),
        "address": (order.address or _place(order)) if full else _place(order),
        "address_id": "",
        "zipcode": "",
        "lat": _rounded(order.latitude, places),
        "long": _rounded(order.longitude, places),
        "media_url": (filing.media_url if filing else "") if full else "",
    }


def _orders(street: Street):
    return Order.objects.filter(street=street).select_related(
        "category", "community", "site__parent", "api_filing"
    )


# --- the endpoints --------------------------------------------------------------------------


@require_GET
def discovery(request, fmt: str):
    if fmt not in FORMATS:
        return _errors("json", 404, _("Ask for .json or .xml."))
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": CHANGESET,
        "contact": _("Your street's office (the console's API page makes keys)."),
        "key_service": request.build_absolute_uri("/console/api/"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base.rstrip("/"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _answer(fmt, data, root="discovery")


@open311_view(["GET"])
def services(request, fmt: str):
    street = _jurisdiction(request.GET)
    rows = Category.objects.filter(street=street, active=True)
    return _answer(fmt, [_service(c) for c in rows], root="services", item="service")


@open311_view(["GET"])
def service_definition(request, code: str, fmt: str):
    street = _jurisdiction(request.GET)
    category = Category.objects.filter(street=street, active=True, code=code[:30]).first()
    if category is None:
        raise Open311Error(404, _("No service “%(code)s”.") % {"code": code[:30]})
    return _answer(fmt, _definition(category, street), root="service_definition")


def _date(params, name: str) -> dt.datetime | None:
    value = (params.get(name) or "").strip()[:40]
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400,
            _("%(name)s must be a W3C date-time, e.g. 2026-03-01T08:00:00+08:00.") % {"name": name},
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@csrf_exempt
@open311_view(["GET", "POST"])
def requests(request, fmt: str):
    if request.method == "POST":
        return _file(request, fmt)
    params = request.GET
    street = _jurisdiction(params)
    token = _token(params, required=False)
    rows = _orders(street)
    ids = (params.get("service_request_id") or "").strip()
    if ids:
        wanted = [parse_id(part) for part in ids.split(",")[:MAX_IDS]]
        rows = rows.filter(pk__in=[pk for pk in wanted if pk is not None])
    else:
        code = (params.get("service_code") or "").strip()
        if code:
            rows = rows.filter(category__code__in=code.split(",")[:50])
        status = (params.get("status") or "").strip()
        if status:
            states = {"open": Order.OPEN_STATES}
            chosen = [s for s in status.split(",") if s in {"open", "closed"}]
            if not chosen:
                raise Open311Error(400, _("status is open or closed."))
            if chosen == ["open"]:
                rows = rows.filter(state__in=states["open"])
            elif chosen == ["closed"]:
                rows = rows.exclude(state__in=states["open"])
        start, end = _date(params, "start_date"), _date(params, "end_date")
        if start is None and end is None:
            start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        if start is not None:
            rows = rows.filter(created_at__gte=start)
        if end is not None:
            rows = rows.filter(created_at__lte=end)
    rows = rows.order_by("-created_at", "-id")[:MAX_REQUESTS]
    return _answer(fmt, [_request(o, token) for o in rows], root="service_requests", item="request")


@open311_view(["GET"])
def request_detail(request, request_id: str, fmt: str):
    street = _jurisdiction(request.GET)
    token = _token(request.GET, required=False)
    pk = parse_id(request_id)
    order = _orders(street).filter(pk=pk).first() if pk else None
    if order is None:
        raise Open311Error(404, _("No request %(id)s.") % {"id": request_id[:20]})
    return _answer(fmt, [_request(order, token)], root="service_requests", item="request")


@open311_view(["GET"])
def token_detail(request, token: str, fmt: str):
    street = _jurisdiction(request.GET)
    filing = (
        ApiOrder.objects.filter(public_token=token[:40], order__street=street)
        .select_related("order")
        .first()
    )
    if filing is None:
        raise Open311Error(404, _("No request with this token."))
    data = [{"service_request_id": str(filing.order_id), "token": filing.public_token}]
    return _answer(fmt, data, root="service_requests", item="request")


def _coordinate(params, name: str, low: int, high: int) -> Decimal | None:
    value = (params.get(name) or "").strip()[:30]
    if not value:
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or not low <= number <= high:
        raise Open311Error(400, _("%(name)s is not a coordinate.") % {"name": name})
    return number.quantize(Decimal("0.000001"))


def _locate(token: ApiToken, params, lat, lng) -> tuple[Community, Site | None]:
    """The community (and the nearest site) of the request: `attribute[community]`, else the
    token's one community, else the site nearest the point, else the site named at the start
    of the address."""
    reach = access.token_communities(token)
    slug = (params.get("attribute[community]") or "").strip()[:50]
    if slug:
        community = reach.filter(slug=slug).first()
        if community is None:
            raise Open311Error(400, _("attribute[community] names no community of this key."))
    else:
        community = reach.first() if token.community_id else None
    sites = list(Site.objects.filter(community__in=[community] if community else reach))
    nearest = None
    if lat is not None and lng is not None and sites:
        distance, nearest = min(
            (haversine_km(float(lat), float(lng), float(s.latitude), float(s.longitude)), s)
            for s in sites
        )
        if distance > NEAREST_SITE_KM:
            nearest = None
    address = (params.get("address_string") or "").strip()
    if nearest is None and address:
        named = [s for s in sites if s.name and address.startswith(s.name)]
        nearest = max(named, key=lambda s: len(s.name), default=None)
    if community is None:
        if nearest is None:
            raise Open311Error(
                400,
                _(
                    "Say where: lat/long near one of the street's sites, an address_string "
                    "starting with a compound's name, or attribute[community]."
                ),
            )
        community = nearest.community
    return community, nearest if nearest and nearest.community_id == community.pk else None


def _file(request, fmt: str):
    params = request.POST
    street = _jurisdiction(params)
    token = _token(params, required=True)
    if token.street_id != street.pk:
        raise Open311Error(403, _("This api_key is for another jurisdiction."))
    if not token.has_scope(Scope.FILE_ORDERS):
        raise Open311Error(403, _("This api_key may not file requests."))
    code = (params.get("service_code") or "").strip()[:30]
    category = Category.objects.filter(street=street, code=code, active=True).first()
    if category is None:
        raise Open311Error(400, _("service_code names no service (see services)."))
    if (params.get("attribute[consent]") or "").strip().lower() not in {"true", "yes", "1"}:
        raise Open311Error(
            400,
            _(
                "attribute[consent]=true is required: the resident must agree to the privacy "
                "notice before a request is filed."
            ),
        )
    lat = _coordinate(params, "lat", -90, 90)
    lng = _coordinate(params, "long", -180, 180)
    if (lat is None) != (lng is None):
        raise Open311Error(400, _("Give both lat and long, or neither."))
    address = (params.get("address_string") or "").strip()[:200]
    if lat is None and not address:
        raise Open311Error(400, _("Give lat and long, or address_string."))
    community, site = _locate(token, params, lat, lng)
    name = " ".join(
        part for part in [params.get("last_name", ""), params.get("first_name", "")] if part
    )
    media_url = (params.get("media_url") or "").strip()[:500]
    if media_url and not media_url.lower().startswith(("http://", "https://")):
        raise Open311Error(400, _("media_url must be an http(s) address."))
    try:
        order = order_file(
            token=token,
            community=community,
            category=category,
            description=(params.get("description") or "")[:1000],
            phone=(params.get("phone") or "")[:20],
            consent=True,
            channel=Order.Channel.API,
            address=address,
            site=site,
            latitude=lat,
            longitude=lng,
            contact_name=name.strip()[:40],
            media_url=media_url,
            key=_idempotency_key(token, params),
        )
    except OrderError as error:
        raise Open311Error(400, str(error)) from None
    filing = ApiOrder.objects.get(order=order)
    data = [
        {
            "service_request_id": str(order.pk),
            "token": filing.public_token,
            "service_notice": "",
            "account_id": "",
        }
    ]
    return _answer(fmt, data, root="service_requests", item="request", status=201)


def _idempotency_key(token: ApiToken, params) -> str:
    """The caller's `attribute[external_id]` (its own ticket number), as the API's."""
    return external_key(token, (params.get("attribute[external_id]") or "").strip()[:100])
