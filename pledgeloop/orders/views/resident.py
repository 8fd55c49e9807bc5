"""Residents' pages (DESIGN.md §3, C2, C12): intake without an account, the sent page and the
tracking page behind an unguessable token. Views are thin: forms check, services change.
"""

import math
import secrets
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.client import client_ip
from pledgeloop.lib.masking import mask_name, normalise_phone
from pledgeloop.lib.params import query_text
from pledgeloop.lib.pinyin import pinyin_keys
from pledgeloop.lib.private import private_page
from pledgeloop.lib.qr import qr_svg
from pledgeloop.lib.urls import reverse_one
from pledgeloop.orgs.models import Community, Site, Street
from pledgeloop.people.notices import NOTICES, current_notice, notice_for
from pledgeloop.service.review_links import review_link_expired, review_link_for

from .. import throttle
from ..desk import DESK_TTL, IntakeDesk, intake_desk, intake_desk_at, revision
from ..forms import HONEYPOT, CancelForm, IntakeForm, ReopenForm, requested_member
from ..models import Order, OrderError, OrderEvent
from ..qr import VIA_QR
from ..services import DeskChanged, order_cancel, order_reopen, order_submit

ELDER_COOKIE = "elder"
ELDER_MAX_AGE = 365 * 24 * 3600
TEMPLATES = "orders/resident/"


def _render(request, template: str, context: dict, status: int = 200):
    context["elder"] = request.COOKIES.get(ELDER_COOKIE) == "1"
    return render(request, TEMPLATES + template, context, status=status)


# --- intake ------------------------------------------------------------------------------


def order_new(request, street: str | None = None, community: str | None = None):
    """/order/new/: choose a community; /order/new/<street>/<community>/: the form."""
    if community is None:
        return _choose_community(request)

    def find(kept: bool):
        desk = intake_desk(street, community, kept=kept)
        return None if desk is None else (desk, None)

    return _intake_found(request, find)


def order_new_at_site(request, site_id: int):
    """/order/site/<id>/: the QR code on a building or compound; the place is filled in."""
    return _intake_found(request, lambda kept: intake_desk_at(site_id, kept=kept))


def _intake_found(request, find):
    """The form at the desk and place that `find(kept)` gives (None: no such place).

    A posted order takes the desk this process keeps without reading its token (`kept`):
    the order's intake read reads the token in its own statement (order_submit's
    `desk_revision`), and a form found wrong reads it before saying so. When a change came
    in between (a category retired, a building or an admin added), nothing was written, and
    the order is taken again at the current desk, read afresh. One query less an order."""
    posted = request.method == "POST"
    found = find(posted)
    if found is not None and posted:
        try:
            return _intake(request, *found, kept=True)
        except DeskChanged:
            found = find(False)
    if found is None:
        return _not_found(request, place=True)
    return _intake(request, *found)


def _choose_community(request):
    member_code = query_text(request.GET, "member")
    member = requested_member(member_code)
    if member is not None and not request.GET.get("choose"):
        # From a member's QR page: most people asking a member live in the member's community.
        url = reverse(
            "orders:new_in_community", args=[member.community.street.slug, member.community.slug]
        )
        return redirect(f"{url}?{request.GET.urlencode()}")
    communities = sorted(
        Community.objects.select_related("street"),
        key=lambda c: (pinyin_keys(c.street.name)[0], c.street_id, pinyin_keys(c.name)[0]),
    )
    streets = [(street, list(items)) for street, items in groupby(communities, lambda c: c.street)]
    query = f"?member={member.code}" if member else ""
    return _render(
        request, "choose_community.html", {"streets": streets, "query": query, "member": member}
    )


def _intake(request, desk: IntakeDesk, site: Site | None = None, kept: bool = False):
    community = desk.community
    initial = {
        "via": query_text(request.GET, "via"),
        "member": query_text(request.GET, "member"),
    }
    if site is not None and site.kind != Site.Kind.CENTRE:
        initial["site"] = site.pk
    if request.method != "POST":
        return _blank_page(request, desk, site, initial)

    ip = client_ip(request)
    if request.POST.get(HONEYPOT, "").strip():
        # A robot: say nothing useful, store nothing, do not even look at the photo.
        form = IntakeForm(desk, request.POST, initial=initial)
        form.add_error(None, _("Sorry, we could not take this order. Please try again later."))
        return _refused(request, form, community, site, ip, keep_photo=False)
    if request.FILES.get("photo") or request.POST.get("photo_kept"):
        # Over a limit? Say so before the costly part (decoding the photo, chosen now or kept
        # from the page before). Without a photo the check inside _submit, or the count of a
        # refusal below, is enough. A photo kept from the page before stays kept for when the
        # resident may send again; one chosen now is not kept (the limit bounds what is).
        refusal = throttle.intake_refusal(ip=ip, phone=normalise_phone(request.POST.get("phone")))
        if refusal:
            form = IntakeForm(desk, request.POST, initial=initial, take_kept=False)
            # The files are not bound (drawing their errors would read them); the page still
            # asks for a photo chosen now to be chosen again.
            form.photo_sent = form.photo_sent or bool(request.FILES.getlist("photo"))
            form.add_error(None, refusal)
            return _intake_page(request, form, community, site, status=429)

    # The form checks the cheap things first and decodes a photo only if they all pass.
    form = IntakeForm(desk, request.POST, request.FILES, initial=initial)
    if form.is_valid():
        try:
            order = _submit(form, ip, desk, kept)
        except throttle.IntakeRefused as error:
            form.add_error(None, str(error))
            return _intake_page(request, form, community, site, status=429)
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            return HttpResponseRedirect(reverse_one("orders:sent", order.tracking_token))
    elif kept and revision() != desk.revision:
        raise DeskChanged  # found wrong by a desk behind a change: taken again at the current one
    return _refused(request, form, community, site, ip)


def _refused(
    request, form: IntakeForm, community: Community, site, ip: str | None, keep_photo=True
):
    """The page again, with what to fix; the refusal counts toward the address's hourly limit,
    so a flood of bad posts meets the same 429 as a flood of orders (issue 12). Under the
    limit, a photo that passed its cheap checks is kept for the next send (lib/photos.py), so
    the raw bytes kept are bounded by the same limit (and pruned after an hour)."""
    over = throttle.intake_refused(ip=ip)
    if over:
        form.add_error(None, over)
        return _intake_page(request, form, community, site, status=429)
    if keep_photo:
        form.photo_keep()
    return _intake_page(request, form, community, site)


def _submit(form: IntakeForm, ip: str | None, desk: IntakeDesk, kept: bool) -> Order:
    """Store the order and count it against the limits, all or nothing: the check and the
    count go with the order's own write (order_submit's `admit`). A desk `kept` has its
    token checked by the order's read (DeskChanged when it moved)."""
    admit = throttle.IntakeAdmission(ip=ip, phone=form.cleaned_data["phone"])
    channel = Order.Channel.QR if form.cleaned_data.get("via") == VIA_QR else Order.Channel.WEB
    return order_submit(
        **form.submit_kwargs(),
        channel=channel,
        admit=admit,
        admins=desk.admins,
        merge_repeats=True,
        desk_revision=desk.revision if kept else None,
    )


def _intake_page(request, form: IntakeForm, community: Community, site, status: int = 200, **extra):
    member = requested_member(form.chosen("member"), community)
    notice = current_notice()
    return _render(
        request,
        "new.html",
        {
            **extra,
            "form": form,
            "community": community,
            "site": site,
            "member_name": mask_name(member.name) if member else "",
            # Drawn only when the fields are not in the cache.
            "map": SimpleLazyObject(lambda: community_map(form.site_groups)),
            "notice": notice,
            "retention_days": community.street.retention_days,
            "fields_cache_key": fields_cache_key(form, notice.version),
            "fields_cache_seconds": DESK_TTL,
        },
        status=status,
    )


# Stand-ins for the two values of a blank form's page that are each visitor's own (the CSRF
# token and the form's submission key) while it is drawn once for the page cache below.
# Random per process, and of the tokens' own alphabet: no text of the page can contain them.
CSRF_HOLE = secrets.token_hex(24)
KEY_HOLE = secrets.token_hex(20)


def _blank_page(request, desk: IntakeDesk, site: Site | None, initial: dict):
    """The blank form (a GET), drawn once per page and kept in Django's cache (issue 17).

    A resident opening the page from a QR code gets it as every other visitor of the same
    page got it, with their own CSRF token (and cookie) and a new submission key put in its
    two holes. Pages with anything of one visitor's are drawn as before: see
    `blank_page_key`."""
    key = blank_page_key(request, desk, site, initial)
    if not key:
        return _intake_page(request, IntakeForm(desk, initial=initial), desk.community, site)
    page = cache.get(key)
    if page is None:
        form = IntakeForm(desk, initial={**initial, "submission": KEY_HOLE})
        drawn = _intake_page(request, form, desk.community, site, csrf_token=CSRF_HOLE)
        page = drawn.content.decode(drawn.charset)
        cache.set(key, page, DESK_TTL)
    # get_token also has the CSRF middleware set the visitor's cookie, as {% csrf_token %} does.
    page = page.replace(CSRF_HOLE, get_token(request))
    return HttpResponse(page.replace(KEY_HOLE, secrets.token_urlsafe(16)))


def blank_page_key(request, desk: IntakeDesk, site: Site | None, initial: dict) -> str:
    """The cache key of this blank form's whole page, or "" when it must be drawn.

    The page is the same for every anonymous visitor of one address (the community's, or a
    building's QR code, with or without `?via=qr`), language and elder mode, under one desk
    revision (its categories, buildings, admins, street) and privacy notice: all in the key.
    It is drawn for a signed-in user (the top bar is theirs), when a message waits to be
    shown, for a member asked for by name (`?member=`), and for any other query string,
    whose values the page would repeat."""
    if not desk.revision or set(request.GET) - {"via"} or initial["via"] not in ("", VIA_QR):
        return ""
    if request.user.is_authenticated or len(messages.get_messages(request)):
        return ""
    parts = [
        "intake-page",
        desk.revision,
        desk.community.pk,
        site.pk if site is not None else "",
        request.get_full_path(),
        get_language(),
        int(request.COOKIES.get(ELDER_COOKIE) == "1"),
        current_notice().version,
    ]
    return ":".join(map(str, parts))


def fields_cache_key(form: IntakeForm, notice_version: str) -> str:
    """The key of the form's fields drawn blank (_intake_fields.html), or "" to draw them.

    Only a blank form (a GET) is cached: what it shows is the desk's (categories, buildings,
    the street's retention), the place a QR code chose, the language and the privacy notice,
    all in the key; the desk's revision changes with any of the desk's data, in every
    process. The per-visitor parts of the page (CSRF token, submission key, member, elder
    mode) are outside the fragment. A form sent back with errors shows the visitor's own
    values, so it is always drawn.
    """
    if form.is_bound or not form.desk.revision:
        return ""
    parts = [form.desk.revision, form.community.pk, get_language(), form.chosen_site]
    return ":".join(map(str, [*parts, notice_version]))


def community_map(groups) -> dict | None:
    """The community's buildings as points in a 100 × 100 box, for the tap-to-place map.

    Drawn by the page itself (an SVG): no outside map service. North is up; east-west is
    scaled by cos(latitude) so that distances look right.
    """
    options = [o for g in groups for o in g.options]
    if not options:
        return None
    lats = [float(o.latitude) for o in options]
    lngs = [float(o.longitude) for o in options]
    mid = (min(lats) + max(lats)) / 2
    squash = math.cos(math.radians(mid))
    pad = 0.0008  # about 90 m around the outermost buildings
    south, north = min(lats) - pad, max(lats) + pad
    west, east = min(lngs) - pad / squash, max(lngs) + pad / squash
    span = max(north - south, (east - west) * squash)
    # Centre the community in a square box.
    south = (south + north) / 2 - span / 2
    west = (west + east) / 2 - span / squash / 2
    points = []
    for group in groups:
        for o in group.options:
            x = (float(o.longitude) - west) * squash / span * 100
            y = (1 - (float(o.latitude) - south) / span) * 100
            label = group.name if o.is_compound else ""
            points.append({"x": round(x, 2), "y": round(y, 2), "option": o, "label": label})
    return {
        "points": points,
        "south": round(south, 6),
        "west": round(west, 6),
        "span": round(span, 6),
        "squash": round(squash, 6),
    }


@private_page
def order_sent(request, token: str):
    order = _order_by_token(token)
    if order is None:
        return _not_found(request)
    url = request.build_absolute_uri(reverse("orders:track", args=[order.tracking_token]))
    return _render(
        request, "sent.html", {"order": order, "track_url": url, "qr": qr_svg(url, scale=5)}
    )


# --- tracking -----------------------------------------------------------------------------


def _order_by_token(token: str) -> Order | None:
    return (
        Order.objects.select_related(
            "category", "community__street", "site__parent", "assigned_member__user", "resident"
        )
        .filter(tracking_token=token)
        .first()
    )


def _not_found(request, *, place: bool = False):
    """404 in plain words: an unknown tracking link, or a QR code for a place that is gone."""
    return _render(request, "not_found.html", {"place": place}, status=404)


def _step_text(event: OrderEvent) -> tuple[str, str]:
    """An event in a resident's words, and the reason when it is the resident's business."""
    who = mask_name(event.by.name) if event.by_id and event.by else ""
    texts = {
        "submit": (_("You sent the order"), ""),
        "triage": (_("The community accepted it"), ""),
        "reject": (_("The community returned it"), event.reason),
        "cancel": (_("You cancelled it"), event.reason),
        "expire": (_("It timed out"), ""),
        "dispatch": (_("The community passed it to a member"), ""),
        "accept": (_("%(name)s took it") % {"name": who or _("A member")}, ""),
        "claim": (_("%(name)s took it") % {"name": who or _("A member")}, ""),
        "decline": (_("The community is finding someone else"), ""),
        "time_out": (_("The community is finding someone else"), ""),
        "hand_back": (_("The community is finding someone else"), ""),
        "transfer": (_("The community is finding someone else"), ""),
        "start": (_("The service started"), ""),
        "finish": (_("The service was done"), ""),
        "reopen": (
            _("You said it is not solved; the community will arrange it again"),
            event.reason,
        ),
        "review": (_("You rated the service"), ""),
        "recategorise": (
            _("The community filed it under “%(category)s”")
            % {"category": event.to_category.name if event.to_category_id else ""},
            "",
        ),
    }
    if event.action == "cancel" and event.source != OrderEvent.Source.WEB:
        texts["cancel"] = (_("It was cancelled"), event.reason)
    return texts.get(event.action, (event.get_to_state_display(), ""))


def _track_page(request, order: Order, *, cancel_form=None, reopen_form=None, error="", status=200):
    events = list(order.events.select_related("by", "to_category"))
    steps = [(event, *_step_text(event)) for event in events]
    member = order.assigned_member
    context = {
        "order": order,
        "steps": steps,
        "member_name": mask_name(member.name) if member else "",
        "cancel_form": cancel_form or CancelForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "can_reopen": order.state in {Order.State.DONE, Order.State.REVIEWED},
        "review_url": _review_url(order),
        "waiting": order.state
        in {Order.State.SUBMITTED, Order.State.TRIAGED, Order.State.DISPATCHED},
        # The time the resident chose is the promise while it is ahead: the category's later
        # deadline beside it read as "maybe in a week" against "tomorrow morning".
        "window_ahead": order.window_end is not None and order.window_end >= timezone.now(),
        "error": error,
    }
    return _render(request, "track.html", context, status=status)


def _review_url(order: Order) -> str:
    """For a done order, the review link (评诺) of its latest service not yet rated."""
    if order.state != Order.State.DONE:
        return ""
    record = order.service_records.filter(review__isnull=True).order_by("-ended_at").first()
    return review_link_for(record) if record and not review_link_expired(record) else ""


@private_page
def track(request, token: str):
    order = _order_by_token(token)
    if order is None:
        return _not_found(request)
    return _track_page(request, order)


def _resident_user(request, order: Order):
    """The signed-in resident who owns the order, to record as the actor; else anonymous."""
    user = request.user
    if user.is_authenticated and order.resident_id and order.resident.user_id == user.pk:
        return user
    return None


@private_page
@require_POST
def track_cancel(request, token: str):
    order = _order_by_token(token)
    if order is None:
        return _not_found(request)
    form = CancelForm(request.POST)
    if not form.is_valid() and order.is_cancellable:
        return _track_page(request, order, cancel_form=form, status=400)
    try:  # one that can no longer be cancelled is refused in its own words (409)
        order_cancel(
            order=order,
            by=_resident_user(request, order),
            reason=form.cleaned_data.get("reason", ""),
        )
    except OrderError as error:
        order.refresh_from_db()
        return _track_page(request, order, cancel_form=form, error=str(error), status=409)
    messages.success(request, _("Your order is cancelled."))
    return redirect("orders:track", token=token)


@private_page
@require_POST
def track_reopen(request, token: str):
    order = _order_by_token(token)
    if order is None:
        return _not_found(request)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _track_page(request, order, reopen_form=form, status=400)
    try:
        order_reopen(
            order=order, by=_resident_user(request, order), reason=form.cleaned_data["reason"]
        )
    except OrderError as error:
        order.refresh_from_db()
        return _track_page(request, order, reopen_form=form, error=str(error), status=409)
    messages.success(
        request, _("Thank you for telling us. The community will arrange the help again.")
    )
    return redirect("orders:track", token=token)


# --- small pages --------------------------------------------------------------------------


def notice_figures(street: Street | None = None) -> dict:
    """The figures the privacy notice states, read from the settings the code runs on (and
    the street's own retention period, when the notice is read from its intake page)."""
    return {
        "retention_days": street.retention_days if street else settings.ORDER_RETENTION_DAYS,
        "contact_days": settings.MEMBER_CONTACT_DAYS_AFTER_DONE,
        "attempt_days": settings.INTAKE_ATTEMPT_RETENTION_DAYS,
        "review_days": settings.REVIEW_LINK_DAYS,
        "deletion_days": settings.DELETION_REQUEST_DAYS,
        "code_minutes": settings.ONE_TIME_CODE_MINUTES,
        "my_url": reverse("privacy:my"),
    }


def privacy(request):
    """The privacy notice in force (what intake asks to agree to), or an older version that
    someone agreed to (?version=1); ?street=<slug> states that street's retention period."""
    current = current_notice()
    notice = notice_for(query_text(request.GET, "version", max_length=20)) or current
    others = [
        n for n in NOTICES if n.version != notice.version and n.effective <= current.effective
    ]
    street = Street.objects.filter(slug=query_text(request.GET, "street", max_length=50)).first()
    context = {"notice": notice, "others": others, "street": street, **notice_figures(street)}
    return _render(request, "privacy.html", context)


@require_POST
def elder_mode(request):
    """长辈模式: larger type on every resident page, remembered on this phone (no pop-ups)."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("orders:new")
    response = HttpResponseRedirect(target)
    if request.COOKIES.get(ELDER_COOKIE) == "1":
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    else:
        response.set_cookie(ELDER_COOKIE, "1", max_age=ELDER_MAX_AGE, samesite="Lax", httponly=True)
    return response
