from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .links import short_link_target
from .models import Notification
from .services import notification_mark_read, notifications_mark_all_read


@login_required
def inbox(request):
    notifications = Notification.objects.filter(user=request.user)
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@login_required
@require_POST
def open_notification(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notification_mark_read(notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(notification.url, {request.get_host()}):
        return redirect(notification.url)
    return redirect("notify:inbox")


@login_required
@require_POST
def mark_all_read(request):
    notifications_mark_all_read(user=request.user)
    return redirect("notify:inbox")


@never_cache
def short_link(request, code: str):
    """/t/<code>/ from a text: a plain 302 to the page on this same host, which WeChat's
    in-app browser follows like any other (no script, no interstitial)."""
    path = short_link_target(code)
    if path is None:
        raise Http404
    response = HttpResponseRedirect(path)
    response["X-Robots-Tag"] = "noindex"
    return response
