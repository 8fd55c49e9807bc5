"""Pages for members (write, submit, withdraw pledges) and admins (审诺, 跟踪问效)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pledgeloop.lib.params import query_ids, query_text
from pledgeloop.orders.models import Order
from pledgeloop.people.access import communities_administered, is_admin

from . import access, services
from .anniversaries import next_anniversary, party_years
from .forms import PledgeForm, ReturnForm, WithdrawForm
from .models import Pledge, PledgeError
from .recurrence import describe_rule
from .selectors import follow_up as follow_up_selector
from .selectors import visits_loggable_by, with_visit_counts

# A reviewer's comment on a pledge: a few sentences, never a document.
COMMENT_LENGTH = 2000


def _signed_in_member(request):
    member = access.member_of(request.user)
    if member is None:
        raise PermissionDenied
    return member


def anniversary_context(member, today) -> dict:
    if not member.party_join_date:
        return {}
    day = next_anniversary(member.party_join_date, today)
    return {
        "anniversary": day,
        "anniversary_days": (day - today).days,
        "anniversary_years": party_years(member.party_join_date, day),
    }


@login_required
def my_pledges(request):
    member = _signed_in_member(request)
    today = timezone.localdate()
    pledges = (
        with_visit_counts(member.pledges.all(), today)
        .select_related("category")
        .order_by("-created_at", "-pk")
    )
    context = {
        "member": member,
        "pledges": pledges,
        "due_visits": visits_loggable_by(member),
        **anniversary_context(member, today),
    }
    return render(request, "pledges/mine.html", context)


@login_required
def pledge_new(request):
    member = _signed_in_member(request)
    today = timezone.localdate()
    blank = Pledge(member=member, street_id=member.street_id, community=member.community)
    # A year from today: long enough to be worth pledging, short enough to review (年度评议).
    initial = {"starts_on": today, "ends_on": today + dt.timedelta(days=364), "public": True}
    form = PledgeForm(request.POST or None, instance=blank, initial=initial)
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            pledge = services.pledge_create(
                member=member, by=request.user, submit=submit, **form.pledge_fields()
            )
        except PledgeError as refusal:
            form.add_error(None, str(refusal))
        else:
            if submit:
                messages.success(request, _("Your pledge is submitted for approval."))
            else:
                messages.success(request, _("Your pledge is saved as a draft."))
            return redirect("pledges:detail", pk=pledge.pk)
    status = 400 if form.errors else 200
    return render(request, "pledges/form.html", {"form": form, "new": True}, status=status)


@login_required
def pledge_edit(request, pk: int):
    pledge = access.get_own_pledge(request.user, pk)
    if not pledge.is_editable:
        messages.error(request, _("This pledge can no longer be changed."))
        return redirect("pledges:detail", pk=pk)
    form = PledgeForm(request.POST or None, instance=pledge)
    if request.method == "POST" and form.is_valid():
        try:
            pledge = services.pledge_update(pledge=pledge, by=request.user, **form.pledge_fields())
            if "submit" in request.POST:
                pledge = services.pledge_submit(pledge=pledge, by=request.user)
        except PledgeError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Your pledge is saved."))
            return redirect("pledges:detail", pk=pk)
    status = 400 if form.errors else 200
    context = {"form": form, "pledge": pledge, "new": False}
    return render(request, "pledges/form.html", context, status=status)


@login_required
def pledge_detail(request, pk: int):
    pledge = access.get_pledge_for_user(request.user, pk)
    today = timezone.localdate()
    visits = list(pledge.visits.order_by("scheduled_at"))
    own = pledge.member.user_id == request.user.pk
    context = {
        "pledge": pledge,
        "own": own,
        "events": pledge.events.select_related("by"),
        "past_visits": [v for v in visits if v.due_on < today][-12:],
        "next_visits": [v for v in visits if v.due_on >= today][:12],
        "may_review": pledge.state == Pledge.State.SUBMITTED
        and access.review_refusal(request.user, pledge) is None,
        "may_withdraw": pledge.is_open and access.may_withdraw(request.user, pledge),
        "return_form": ReturnForm(),
        "withdraw_form": WithdrawForm(),
    }
    return render(request, "pledges/detail.html", context)


@login_required
@require_POST
def pledge_submit(request, pk: int):
    pledge = access.get_own_pledge(request.user, pk)
    try:
        services.pledge_submit(pledge=pledge, by=request.user)
    except PledgeError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your pledge is submitted for approval."))
    return redirect("pledges:detail", pk=pk)


@login_required
@require_POST
def pledge_withdraw(request, pk: int):
    pledge = access.get_pledge_for_user(request.user, pk)
    if not access.may_withdraw(request.user, pledge):
        raise PermissionDenied
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.pledge_withdraw(pledge=pledge, by=request.user, reason=reason)
    except PledgeError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("The pledge is withdrawn."))
    return redirect("pledges:detail", pk=pk)


@login_required
@require_POST
def pledge_review(request, pk: int):
    """Approve or return one pledge (审诺)."""
    pledge = access.get_pledge_for_user(request.user, pk)
    if not access.is_reviewer_of(request.user, pledge):
        raise PermissionDenied
    action = request.POST.get("action")
    comment = query_text(request.POST, "comment", max_length=COMMENT_LENGTH)
    try:
        if action == "approve":
            services.pledge_approve(pledge=pledge, by=request.user, comment=comment)
            messages.success(request, _("The pledge is approved."))
        elif action == "return":
            services.pledge_return(pledge=pledge, by=request.user, comment=comment)
            messages.success(request, _("The pledge is returned to its member."))
        else:
            messages.error(request, _("Choose whether to approve or return the pledge."))
    except PledgeError as refusal:
        messages.error(request, str(refusal))
    return redirect("pledges:detail", pk=pk)


@login_required
def review_queue(request):
    """审诺: submitted pledges of the admin's communities, approved or returned in bulk."""
    if not is_admin(request.user):
        raise PermissionDenied
    queue = access.pledges_to_review(request.user).select_related(
        "member__user", "community", "category", "beneficiary_resident", "beneficiary_site"
    )
    if request.method == "POST":
        chosen = queue.filter(pk__in=query_ids(request.POST, "pledge"))
        action = request.POST.get("action")
        comment = query_text(request.POST, "comment", max_length=COMMENT_LENGTH)
        if not chosen:
            messages.error(request, _("Tick the pledges to approve or return first."))
        elif action not in {"approve", "return"}:
            messages.error(request, _("Choose whether to approve or return the pledges."))
        else:
            outcome = services.pledges_review(
                pledges=list(chosen), by=request.user, approve=action == "approve", comment=comment
            )
            if outcome.done:
                n = len(outcome.done)
                if action == "approve":
                    text = ngettext("%(n)s pledge approved.", "%(n)s pledges approved.", n)
                else:
                    text = ngettext("%(n)s pledge returned.", "%(n)s pledges returned.", n)
                messages.success(request, text % {"n": n})
            for pledge, reason in outcome.refused:
                messages.error(
                    request,
                    _("%(who)s · %(pledge)s: %(reason)s")
                    % {"who": pledge.member.name, "pledge": pledge.title, "reason": reason},
                )
        return redirect("pledges:review")
    pledges = list(queue.order_by("community__slug", "created_at"))
    for pledge in pledges:
        pledge.own = pledge.member.user_id == request.user.pk
    return render(request, "pledges/review.html", {"pledges": pledges})


@login_required
def follow_up_home(request):
    community = communities_administered(request.user).order_by("street__slug", "slug").first()
    if community is None:
        raise PermissionDenied
    return redirect("pledges:follow_up", community_id=community.pk)


@login_required
def follow_up(request, community_id: int):
    """跟踪问效: who is falling behind on their pledges, per member and per visit."""
    community = access.get_community_for_admin(request.user, community_id)
    show_all = request.GET.get("all") == "1"
    report = follow_up_selector(community, only_behind=not show_all)
    context = {
        "community": community,
        "communities": communities_administered(request.user).order_by("street__slug", "slug"),
        "report": report,
        "show_all": show_all,
    }
    return render(request, "pledges/follow_up.html", context)


@login_required
def needs(request):
    """认领: recurring needs of the member's community that wait on the needs list."""
    member = _signed_in_member(request)
    open_needs = (
        Order.objects.filter(community=member.community, state=Order.State.TRIAGED)
        .exclude(recurrence="")
        .select_related("category", "site")
        .order_by("created_at")
    )
    for order in open_needs:
        order.frequency_text = describe_rule(order.recurrence)
    return render(request, "pledges/needs.html", {"needs": open_needs})


@login_required
@require_POST
def need_claim(request, order_id: int):
    member = _signed_in_member(request)
    order = get_object_or_404(Order, pk=order_id, community=member.community)
    try:
        pledge = services.pledge_claim_need(member=member, order=order)
    except PledgeError as refusal:
        messages.error(request, str(refusal))
        return redirect("pledges:needs")
    messages.success(request, _("The need is yours: your pledge is submitted for approval."))
    return redirect("pledges:detail", pk=pledge.pk)
