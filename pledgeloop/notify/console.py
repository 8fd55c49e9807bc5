"""Console page: messages the outbox could not deliver, for the community's admins
(mounted under /console/notifications/ by console/urls.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pledgeloop.lib.masking import mask_phone

from . import access
from .models import Notification
from .selectors import stalled_aggregates, stalled_filter, stalled_from
from .services import notification_retry

State = Notification.State


@login_required
def failed_notifications(request):
    if not access.is_admin(request.user):
        raise PermissionDenied
    scope = access.notifications_administered_by(request.user)
    now = timezone.now()
    stalled = stalled_filter(now)
    counts = scope.aggregate(
        failed=Count("pk", filter=Q(state=State.FAILED)),
        retrying=Count("pk", filter=Q(state=State.WAITING, attempts__gt=0)),
        waiting=Count("pk", filter=Q(state=State.WAITING)),
        **stalled_aggregates(now),
    )
    # Failed, being tried again, or due long ago and not sent by anything.
    troubled = (
        scope.filter(Q(state=State.FAILED) | Q(state=State.WAITING, attempts__gt=0) | stalled)
        .select_related("user", "community")
        .prefetch_related("deliveries")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(troubled, 50).get_page(request.GET.get("page"))
    for notification in page:
        user = notification.user
        notification.recipient = user.name if user else mask_phone(notification.phone)
    return render(
        request,
        "notify/console_failed.html",
        {
            "page": page,
            "counts": counts,
            "stalled": stalled_from(counts),
            "sms_provider": settings.SMS_PROVIDER,
        },
    )


@login_required
@require_POST
def retry(request, pk: int):
    notification = access.get_notification_for_admin(request.user, pk)
    if notification.state != State.FAILED:
        messages.info(request, _("This message is not marked failed; nothing to do."))
    else:
        notification_retry(notification=notification)
        messages.success(request, _("The message will be sent again within a minute."))
    return redirect("console:notifications")
