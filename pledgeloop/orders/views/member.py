"""The member's side of the order loop (接单), phone first (DESIGN.md §3, C3).

/me/orders/         offers to answer (accept, or decline with a reason) and the orders I hold
/me/orders/nearby/  open orders nearest my home first, with a claim button
/me/orders/<pk>/    one order: start, finish (hours and a note), hand back, ask to transfer;
                    "show full number" (a POST: the audited act) for the member holding it
/me/patrol/         a patrol report (红骑士): what, where, and a photo

Every change goes through orders.services; a refused one comes back as a message.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.moments import format_moment
from pledgeloop.lib.numbers import format_hours
from pledgeloop.notify.viewer import viewer
from pledgeloop.orgs.models import Category, Site
from pledgeloop.orgs.pagecache import signed_in_page
from pledgeloop.people.models import Member
from pledgeloop.people.services import phone_view_record

from .. import access, selectors, services
from ..member_forms import FinishForm, PatrolForm, ReasonForm
from ..models import Dispatch, Order, OrderError, OrderEvent

# Recently finished orders shown under "my orders".
RECENT_DONE = 5


def _member(request) -> Member:
    member = access.member_of(request.user)
    if member is None:
        raise PermissionDenied
    return member


@login_required
def member_orders(request):
    member = _member(request)
    offers = list(selectors.offers_for(member))
    held = list(selectors.orders_held_by(member))
    done = list(
        Order.objects.filter(
            assigned_member=member, state__in=[Order.State.DONE, Order.State.REVIEWED]
        )
        .select_related("category", "community")
        .order_by("-done_at")[:RECENT_DONE]
    )
    context = {"member": member, "offers": offers, "held": held, "done": done}
    return render(request, "orders/member/orders.html", context)


@login_required
@signed_in_page(viewer)
def member_nearby(request):
    member = _member(request)
    context = {
        "member": member,
        "nearby": selectors.open_orders_near(member),
        "has_home": member.home_latitude is not None and member.home_longitude is not None,
    }
    return render(request, "orders/member/nearby.html", context)


def _detail_context(member: Member, order: Order, **extra) -> dict:
    offer = (
        Dispatch.objects.filter(order=order, member=member, state=Dispatch.State.OFFERED)
        .order_by("-offered_at")
        .first()
    )
    mine = order.assigned_member_id == member.pk and order.is_taken
    context = {
        "member": member,
        "order": order,
        "offer": offer,
        "mine": mine,
        # The person (name, address, number) only to whom it is theirs to know.
        "sees_contact": access.member_sees_contact(member, order),
        "contact_days": settings.MEMBER_CONTACT_DAYS_AFTER_DONE,
        # The whole number only after the "show full number" POST, which logs it.
        "may_reveal": access.member_sees_full_phone(member, order),
        "full_phone": "",
        "photo_visible": access.order_photo_visible(member.user, order),
        "can_claim": order.state == Order.State.TRIAGED,
        "can_start": mine and order.state == Order.State.ACCEPTED,
        "hand_back_form": ReasonForm(prefix="back"),
        "transfer_form": ReasonForm(prefix="transfer"),
        "decline_form": ReasonForm(),
    }
    if mine:
        # What the service will accept, said once: the hours since the order was taken, up
        # to a record's most (services.order_finish); none until a quarter hour has passed.
        most = min(services.order_hours_available(order), FinishForm.MAX_HOURS)
        context["hours_most"] = most
        context["can_finish"] = most >= FinishForm.MIN_HOURS
        context["finish_from"] = order.accepted_at + FinishForm.FIRST_QUARTER
        pressed = (
            selectors.service_pressed_at(order) if order.state == Order.State.IN_SERVICE else None
        )
        context["finish_form"] = _finish_form(extra.pop("finish_form", None), most, pressed)
    context.update(extra)
    return context


def _finish_form(form: FinishForm | None, most: Decimal, pressed) -> FinishForm:
    """The finish form (or the one sent back), its hours at most `most`: an hour, or the most
    if that is less (an order taken 30 minutes ago offered 1 h, which was then refused). An
    empty start is explained as the service will count it: from the "start" pressed
    (`pressed`), else back from now."""
    form = form or FinishForm()
    if most >= FinishForm.MIN_HOURS:
        form.initial["hours"] = min(form.fields["hours"].initial, most)
        form.fields["hours"].widget.attrs["max"] = f"{most:f}"
    if pressed is not None:
        form.fields["started_at"].help_text = _(
            "Leave empty to count from when you pressed “Start service” (%(start)s); if the "
            "hours would then end after now, they are counted back from now."
        ) % {"start": format_moment(pressed)}
    return form


@login_required
def member_order_detail(request, pk: int):
    member = _member(request)
    order = access.get_order_for_member(member, pk)
    context = _detail_context(member, order)
    return render(request, "orders/member/detail.html", context)


MEMBER_ACTIONS = {"claim", "start", "finish", "hand_back", "transfer", "phone"}


@login_required
@require_POST
def member_order_action(request, pk: int, action: str):
    if action not in MEMBER_ACTIONS:
        raise Http404
    member = _member(request)
    if action == "claim":
        order = access.get_order_to_claim(member, pk)
    else:
        order = access.get_order_for_member(member, pk)
    if action == "phone":
        return _reveal_phone(request, member, order)
    source = OrderEvent.Source.WEB
    try:
        if action == "claim":
            services.order_claim(order=order, member=member, source=source)
            messages.success(
                request,
                _("Order #%(n)s is yours. Call the resident to agree on a time.") % {"n": order.pk},
            )
        elif action == "start":
            services.order_start(order=order, member=member, source=source)
            messages.success(request, _("Service started. Finish it here when you are done."))
        elif action == "finish":
            form = FinishForm(request.POST)
            if not form.is_valid():
                context = _detail_context(member, order, finish_form=form)
                return render(request, "orders/member/detail.html", context, status=400)
            try:
                services.order_finish(
                    order=order,
                    member=member,
                    hours=form.cleaned_data["hours"],
                    note=form.cleaned_data["note"],
                    started_at=form.cleaned_data["started_at"],
                    source=source,
                )
            except OrderError as error:  # said at the form, with what was typed kept
                form.add_error(None, str(error))
                context = _detail_context(member, order, finish_form=form)
                return render(request, "orders/member/detail.html", context, status=409)
            messages.success(
                request,
                _("Thank you! Order #%(n)s is done and %(h)s hours are recorded.")
                % {"n": order.pk, "h": format_hours(form.cleaned_data["hours"])},
            )
            return redirect("orders:member_orders")
        else:
            transfer = action == "transfer"
            prefix = "transfer" if transfer else "back"
            form = ReasonForm(request.POST, prefix=prefix)
            if not form.is_valid():
                context = _detail_context(member, order, **{f"{action}_form": form})
                return render(request, "orders/member/detail.html", context, status=400)
            services.order_hand_back(
                order=order,
                member=member,
                reason=form.cleaned_data["reason"],
                transfer=transfer,
                source=source,
            )
            messages.success(
                request,
                _("You asked to transfer the order; the community will find someone else.")
                if transfer
                else _("You handed the order back; it is on the needs list again."),
            )
            return redirect("orders:member_orders")
    except OrderError as error:
        messages.error(request, str(error))
        if action == "claim" and not Order.objects.filter(pk=pk, assigned_member=member).exists():
            return redirect("orders:member_nearby")
    return redirect("orders:member_order", pk=order.pk)


def _reveal_phone(request, member: Member, order: Order):
    """POST "show full number": the audited act (DESIGN.md §10). Only the member holding the
    order sees the resident's whole number, to call them; phone_view_record logs the view."""
    if not access.member_sees_full_phone(member, order):
        raise PermissionDenied
    phone_view_record(
        viewer=request.user,
        street_id=order.street_id,
        community_id=order.community_id,
        resident=order.resident,
        name=order.contact_name or (order.resident.name if order.resident else ""),
        phone=order.phone,
        context=f"order #{order.pk} (member)",
        page=reverse("orders:member_order", args=[order.pk]),
    )
    context = _detail_context(member, order, full_phone=order.phone)
    return render(request, "orders/member/detail.html", context)


@login_required
@require_POST
def member_offer_action(request, dispatch_id: int, action: str):
    if action not in {"accept", "decline"}:
        raise Http404
    member = _member(request)
    offer = access.get_offer_for_member(member, dispatch_id)
    try:
        if action == "accept":
            services.dispatch_accept(dispatch=offer, member=member)
            messages.success(
                request,
                _("You accepted order #%(n)s. Call the resident to agree on a time.")
                % {"n": offer.order_id},
            )
            return redirect("orders:member_order", pk=offer.order_id)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Please give a reason for declining."))
            return redirect("orders:member_orders")
        services.dispatch_decline(dispatch=offer, member=member, reason=form.cleaned_data["reason"])
        messages.success(request, _("You declined the order; the community will find someone."))
    except OrderError as error:
        messages.error(request, str(error))
    return redirect("orders:member_orders")


@login_required
def patrol_report(request):
    """A member files what they found on patrol as an order (channel: patrol report)."""
    member = _member(request)
    communities = access.patrol_communities(member)
    categories = Category.objects.filter(street_id=member.street_id, active=True)
    sites = (
        Site.objects.filter(street_id=member.street_id, kind=Site.Kind.COMPOUND)
        .select_related("community")
        .order_by("community__slug", "name")
    )
    form = PatrolForm(
        request.POST or None,
        request.FILES or None,
        communities=communities,
        categories=categories,
        sites=sites,
        initial={"community": member.community_id},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_submit(
                community=data["community"],
                category=data["category"],
                description=data["description"],
                # The reporter is the contact: the community calls them back with questions.
                phone=request.user.phone,
                contact_name=member.name,
                consent=True,
                channel=Order.Channel.PATROL,
                site=data["site"],
                address=data["address"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                photo=data["photo"],
                by=request.user,
                source=OrderEvent.Source.WEB,
            )
        except OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Thank you! Report #%(n)s went to %(c)s, who will take it from here.")
                % {"n": order.pk, "c": order.community.name},
            )
            return redirect("orders:member_orders")
    status = 400 if form.errors else 200
    if form.errors:
        form.photo_keep()
    return render(request, "orders/member/patrol.html", {"form": form}, status=status)
