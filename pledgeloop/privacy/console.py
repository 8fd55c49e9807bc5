"""Console pages of personal data (mounted under /console/privacy/ by console/urls.py):
deletion requests with their deadline, and activation texts for imported members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.client import client_ip
from pledgeloop.people.access import communities_administered, is_admin
from pledgeloop.people.models import Member

from .accounts import activation_send, awaiting_activation
from .models import DeletionRequest
from .services import RightsError, deletion_complete


def _admin_communities(user):
    if not is_admin(user):
        raise PermissionDenied
    return communities_administered(user)


@login_required
def deletion_requests(request):
    communities = _admin_communities(request.user)
    requests = DeletionRequest.objects.filter(community__in=communities).select_related(
        "community", "completed_by"
    )
    return render(
        request,
        "privacy/console_deletions.html",
        {
            "open": requests.filter(completed_at__isnull=True).order_by("due_by"),
            "done": requests.filter(completed_at__isnull=False).order_by("-completed_at")[:50],
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def deletion_request_complete(request, pk: int):
    communities = _admin_communities(request.user)
    found = DeletionRequest.objects.filter(pk=pk, community__in=communities).first()
    if found is None:
        raise Http404
    try:
        deletion_complete(request=found, by=request.user)
    except RightsError as error:
        messages.info(request, str(error))
    else:
        messages.success(request, _("The person's data in this community is now anonymous."))
    return redirect("console:deletion_requests")


@login_required
def activations(request):
    communities = _admin_communities(request.user)
    waiting = awaiting_activation(Member.objects.filter(community__in=communities))
    if request.method == "POST":
        sent = 0
        for member in waiting:
            if activation_send(member=member, ip=client_ip(request)):
                sent += 1
        messages.success(request, _("Activation texts sent to %(n)s members.") % {"n": sent})
        return redirect("console:activations")
    return render(request, "privacy/console_activations.html", {"waiting": waiting})
