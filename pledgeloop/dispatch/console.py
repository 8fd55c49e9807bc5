"""The community console's order pages, the dispatch desk (DESIGN.md C2, C3, C12).

They live in the dispatch app because the order page offers the dispatch picker and the
engine's suggestions; console/urls.py mounts them under /console/.

The needs list (需求清单) with filters and counts, triage one by one or several at once,
dispatch to a member with a response deadline, staff intake of orders taken by phone or on
a door-to-door visit, each order's full history, and printable intake QR codes. Views are
thin: access through orders.access, changes through orders.services.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pledgeloop.lib.moments import format_moment
from pledgeloop.lib.params import query_id, query_ids
from pledgeloop.lib.qr import qr_svg
from pledgeloop.notify.viewer import viewer
from pledgeloop.orders import access, selectors, services
from pledgeloop.orders.models import Order, OrderError, OrderEvent
from pledgeloop.orders.qr import intake_url_for_community, intake_url_for_site
from pledgeloop.orgs.models import Category, Site
from pledgeloop.orgs.pagecache import signed_in_page
from pledgeloop.people import access as people_access
from pledgeloop.people.models import Member
from pledgeloop.people.services import phone_view_record

from .forms import (
    ALL,
    OPEN,
    BulkTriageForm,
    DispatchForm,
    NeedsFilterForm,
    ReasonForm,
    RecategoriseForm,
    RejectForm,
    StaffIntakeForm,
)
from .selectors import PICKER_LIMIT, dispatch_candidates
from .suggestions import candidates_for_order

PAGE_SIZE = 50
# The member picker shows this many first; the rest fold away under "more members".
PICKER_FIRST = 12
Source = OrderEvent.Source
# What each recorded action (OrderEvent.action, written by orders.services) is called.
ACTION_LABELS = {
    "submit": gettext_lazy("Filed"),
    "triage": gettext_lazy("Accepted onto the needs list"),
    "reject": gettext_lazy("Returned to the resident"),
    "cancel": gettext_lazy("Cancelled"),
    "expire": gettext_lazy("Closed as expired"),
    "dispatch": gettext_lazy("Dispatched"),
    "accept": gettext_lazy("Accepted by the member"),
    "decline": gettext_lazy("Declined by the member"),
    "time_out": gettext_lazy("Offer timed out"),
    "claim": gettext_lazy("Claimed from the open list"),
    "start": gettext_lazy("Service started"),
    "finish": gettext_lazy("Finished"),
    "hand_back": gettext_lazy("Handed back"),
    "transfer": gettext_lazy("Transfer asked for"),
    "reopen": gettext_lazy("Reopened: not solved"),
    "review": gettext_lazy("Reviewed by the resident"),
    "recategorise": gettext_lazy("Category corrected"),
}


def _require_admin(user) -> None:
    if not people_access.is_admin(user):
        raise PermissionDenied


# --- the needs list ----------------------------------------------------------------------


@login_required
@signed_in_page(viewer)
def needs_list(request):
    _require_admin(request.user)
    communities = list(people_access.communities_administered(request.user).order_by("slug"))
    street_ids = {c.street_id for c in communities}
    categories = list(Category.objects.filter(street_id__in=street_ids))
    form = NeedsFilterForm(request.GET or None, communities=communities, categories=categories)
    filters = form.filters()
    base = access.orders_administered_by(request.user)
    # Counts follow every filter except the state and overdue ones, so that each count says
    # what clicking it will show.
    scoped = selectors.needs_list(
        base,
        category=filters["category"],
        community=filters["community"],
        channel=filters["channel"],
        search=filters["q"],
    )
    now = timezone.now()
    counts = selectors.state_counts(scoped.order_by(), now=now)
    listed = scoped
    if filters["state"] == OPEN:
        listed = listed.filter(state__in=list(Order.OPEN_STATES))
    elif filters["state"] != ALL:
        listed = listed.filter(state=filters["state"])
    if filters["overdue"]:
        listed = listed.filter(Order.overdue_q(now))
    paginator = Paginator(selectors.with_offered_to(listed), PAGE_SIZE)
    # The counts above already hold how many the list has (no second count of the same
    # orders), except for an overdue filter on one state.
    listed_count = _listed_count(filters, counts)
    if listed_count is not None:
        paginator.count = listed_count
    page = paginator.get_page(request.GET.get("page"))
    chips = [
        {
            "state": state,
            "label": label,
            "count": counts.get(state, 0),
            "url": _needs_url(filters, state=state, overdue=False),
            "active": filters["state"] == state and not filters["overdue"],
        }
        for state, label in Order.State.choices
    ]
    open_count = sum(counts.get(s, 0) for s in Order.OPEN_STATES)
    context = {
        "form": form,
        "page": page,
        "chips": chips,
        "open_count": open_count,
        "open_url": _needs_url(filters, state=OPEN, overdue=False),
        "open_active": filters["state"] == OPEN and not filters["overdue"],
        "overdue_count": counts["overdue"],
        "overdue_url": _needs_url(filters, state=OPEN, overdue=True),
        "overdue_active": filters["overdue"],
        "page_query": urlencode(_query(filters)),
        "show_community": len(communities) > 1,
        "next": request.get_full_path(),
    }
    return render(request, "console/orders/needs.html", context)


def _listed_count(filters: dict, counts: dict) -> int | None:
    """How many orders the list shows, from the state counts (which follow every other
    filter); None when they cannot say (overdue orders of one state)."""
    if filters["overdue"]:
        # Every overdue order is open (Order.DEADLINES run in open states only).
        return counts["overdue"] if filters["state"] == OPEN else None
    if filters["state"] == OPEN:
        return sum(counts.get(s, 0) for s in Order.OPEN_STATES)
    if filters["state"] == ALL:
        return sum(counts.get(s, 0) for s in Order.State.values)
    return counts.get(filters["state"], 0)


def _query(filters: dict) -> dict:
    query = {k: v for k, v in filters.items() if v and k != "overdue"}
    if filters["overdue"]:
        query["overdue"] = "on"
    return query


def _needs_url(filters: dict, **changes) -> str:
    return reverse("console:needs") + "?" + urlencode(_query({**filters, **changes}))


def _back_to_list(request):
    target = request.POST.get("next", "")
    if target.startswith(reverse("console:needs")):
        return redirect(target)
    return redirect("console:needs")


@login_required
@require_POST
def needs_bulk(request):
    """Accept several selected orders onto the needs list, or return them with one reason."""
    _require_admin(request.user)
    selected = query_ids(request.POST, "ids")
    orders = list(access.orders_administered_by(request.user).filter(pk__in=selected))
    # Orders outside the admin's scope are dropped, never acted on.
    data = request.POST.copy()
    data.setlist("ids", [str(o.pk) for o in orders])
    form = BulkTriageForm(data, order_ids=[o.pk for o in orders])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back_to_list(request)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    done, refused = [], []
    for order in orders:
        try:
            if action == "triage":
                services.order_triage(order=order, by=request.user, source=Source.CONSOLE)
            else:
                services.order_reject(
                    order=order, by=request.user, reason=reason, source=Source.CONSOLE
                )
        except OrderError as error:
            refused.append(_("#%(n)s: %(reason)s") % {"n": order.pk, "reason": error})
        else:
            done.append(order.pk)
    if done:
        text = (
            _("Accepted %(n)s orders onto the needs list.")
            if action == "triage"
            else _("Returned %(n)s orders to the residents.")
        )
        messages.success(request, text % {"n": len(done)})
    for line in refused:
        messages.error(request, line)
    return _back_to_list(request)


# --- one order -----------------------------------------------------------------------------


def _detail_context(request, order: Order, **extra) -> dict:
    events = list(order.events.select_related("from_category", "to_category").order_by("at", "id"))
    for event in events:
        event.action_label = ACTION_LABELS.get(event.action, event.action)
    dispatches = order.dispatches.select_related("member__user", "team", "offered_by").order_by(
        "offered_at", "id"
    )
    records = order.service_records.prefetch_related(
        Prefetch("members", queryset=Member.objects.select_related("user"))
    ).order_by("started_at")
    context = {
        "order": order,
        "events": events,
        "dispatches": dispatches,
        "records": records,
        "may_reveal": access.admin_sees_full_phone(request.user, order),
        "can_triage": order.state == Order.State.SUBMITTED,
        "can_reject": order.can_transition_to(Order.State.REJECTED),
        "can_dispatch": order.state == Order.State.TRIAGED,
        "can_cancel": order.is_cancellable,
        "reject_form": RejectForm(),
        "cancel_form": ReasonForm(),
        "recategorise_form": RecategoriseForm(order=order),
        # The resident's reviews of the order's services (reviews.Review.order, read through
        # the reverse relation: the reviews app sits above this one).
        "reviews": order.reviews.select_related("record").order_by("created_at", "id"),
    }
    if context["can_dispatch"]:
        # A street holds thousands of members: the picker offers the first PICKER_LIMIT in
        # its order, and a search (GET, by name or member code) finds anyone else.
        search = request.GET.get("q", "").strip()[:50]
        candidates = dispatch_candidates(order, search=search)
        context["search"] = search
        context["picker_limit"] = PICKER_LIMIT
        context["candidates"] = candidates
        context["picker_first"] = PICKER_FIRST
        context["candidates_first"] = candidates[:PICKER_FIRST]
        context["candidates_more"] = candidates[PICKER_FIRST:]
        context["dispatch_form"] = DispatchForm(member_ids=[c.member.pk for c in candidates])
        context["suggested_candidates"] = candidates_for_order(order)
    context.update(extra)
    return context


@login_required
@signed_in_page(viewer)
def order_detail(request, pk: int):
    order = access.get_order_for_admin(request.user, pk)
    return render(request, "console/orders/detail.html", _detail_context(request, order))


ACTIONS = {"triage", "reject", "dispatch", "cancel", "phone", "recategorise"}


@login_required
@require_POST
def order_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    order = access.get_order_for_admin(request.user, pk)
    if action == "phone":
        return _reveal_phone(request, order)
    try:
        if action == "triage":
            services.order_triage(order=order, by=request.user, source=Source.CONSOLE)
            messages.success(request, _("The order is on the needs list."))
        elif action == "reject":
            form = RejectForm(request.POST)
            if not form.is_valid():
                return _detail_again(request, order, reject_form=form)
            services.order_reject(
                order=order,
                by=request.user,
                reason=form.cleaned_data["reason"],
                source=Source.CONSOLE,
            )
            messages.success(request, _("The order was returned; the resident sees your reason."))
        elif action == "cancel":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                return _detail_again(request, order, cancel_form=form)
            services.order_cancel(
                order=order,
                by=request.user,
                reason=form.cleaned_data["reason"],
                source=Source.CONSOLE,
            )
            messages.success(request, _("The order was cancelled for the resident."))
        elif action == "dispatch":
            return _dispatch(request, order)
        elif action == "recategorise":
            form = RecategoriseForm(request.POST, order=order)
            if not form.is_valid():
                return _detail_again(request, order, recategorise_form=form)
            before = order.category.name
            services.order_recategorise(
                order=order,
                category=form.cleaned_data["category"],
                by=request.user,
                source=Source.CONSOLE,
            )
            messages.success(
                request,
                _("The category was corrected from “%(before)s” to “%(after)s”.")
                % {"before": before, "after": form.cleaned_data["category"].name},
            )
    except OrderError as error:
        messages.error(request, str(error))
    return redirect("console:order_detail", pk=order.pk)


def _detail_again(request, order: Order, **forms):
    """Show the page again with the form that failed, and its errors."""
    order.refresh_from_db()
    context = _detail_context(request, order, **forms)
    return render(request, "console/orders/detail.html", context, status=400)


def _dispatch(request, order: Order):
    member_ids = list(
        Member.objects.filter(street_id=order.street_id, active=True).values_list("pk", flat=True)
    )
    form = DispatchForm(request.POST, member_ids=member_ids)
    if not form.is_valid():
        return _detail_again(request, order, dispatch_form=form)
    member = Member.objects.select_related("user").get(pk=form.cleaned_data["member"])
    respond_by = services.reply_deadline(
        timezone.now(), timedelta(hours=form.cleaned_data["hours"])
    )
    services.order_dispatch(
        order=order, member=member, by=request.user, respond_by=respond_by, source=Source.CONSOLE
    )
    messages.success(
        request,
        _("Sent to %(name)s, who must answer by %(time)s.")
        % {"name": member.name, "time": format_moment(respond_by)},
    )
    return redirect("console:order_detail", pk=order.pk)


def _reveal_phone(request, order: Order):
    """POST "show full number": the audited act. Shows the whole number once, to an admin of
    the community; people.services.phone_view_record logs that it was seen."""
    if not access.admin_sees_full_phone(request.user, order):
        raise PermissionDenied
    phone_view_record(
        viewer=request.user,
        street_id=order.street_id,
        community_id=order.community_id,
        resident=order.resident,
        name=order.contact_name or (order.resident.name if order.resident else ""),
        phone=order.phone,
        context=f"order #{order.pk}",
        page=reverse("console:order_detail", args=[order.pk]),
    )
    context = _detail_context(request, order, full_phone=order.phone)
    return render(request, "console/orders/detail.html", context)


# --- staff intake --------------------------------------------------------------------------


@login_required
def staff_intake(request):
    """An order taken by phone or on a door-to-door visit (channel phone/visit)."""
    _require_admin(request.user)
    communities = people_access.communities_administered(request.user).order_by("slug")
    street_ids = set(communities.values_list("street_id", flat=True))
    categories = Category.objects.filter(street_id__in=street_ids, active=True)
    sites = (
        Site.objects.filter(
            community__in=communities, kind__in=[Site.Kind.COMPOUND, Site.Kind.BUILDING]
        )
        .select_related("community", "parent")
        .order_by("community__slug", "parent__name", "name")
    )
    form = StaffIntakeForm(
        request.POST or None, communities=communities, categories=categories, sites=sites
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_submit(
                community=data["community"],
                category=data["category"],
                description=data["description"],
                phone=data["phone"],
                consent=data["consent"],
                channel=data["channel"],
                address=data["address"],
                site=data["site"],
                window_start=data["window_start"],
                window_end=data["window_end"],
                contact_name=data["contact_name"],
                by=request.user,
                source=Source.CONSOLE,
            )
            if data["triage_now"]:
                order = services.order_triage(order=order, by=request.user, source=Source.CONSOLE)
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Order #%(n)s was taken.") % {"n": order.pk})
            return redirect("console:order_detail", pk=order.pk)
    status = 400 if form.errors else 200
    return render(request, "console/orders/intake.html", {"form": form}, status=status)


# --- QR codes ------------------------------------------------------------------------------


@login_required
def qr_codes(request):
    """Printable intake QR codes (A4): one for the community, one per service centre,
    compound and building."""
    _require_admin(request.user)
    communities = list(people_access.communities_administered(request.user).order_by("slug"))
    if not communities:
        raise PermissionDenied
    chosen = query_id(request.GET, "community")
    community = next((c for c in communities if c.pk == chosen), communities[0])
    cards = [
        {
            "title": community.name,
            "subtitle": _("Any address in the community"),
            "url": (url := intake_url_for_community(request, community)),
            "svg": qr_svg(url, title=community.name),
        }
    ]
    sites = (
        Site.objects.filter(community=community)
        .select_related("parent")
        .order_by("kind", "parent__name", "name")
    )
    kinds = {Site.Kind.CENTRE: 0, Site.Kind.COMPOUND: 1, Site.Kind.BUILDING: 2}
    for site in sorted(sites, key=lambda s: (kinds.get(s.kind, 3), str(s))):
        url = intake_url_for_site(request, site)
        cards.append(
            {
                "title": str(site),
                "subtitle": site.get_kind_display(),
                "url": url,
                "svg": qr_svg(url, title=str(site)),
            }
        )
    return render(
        request,
        "console/orders/qr.html",
        {"community": community, "communities": communities, "cards": cards},
    )
