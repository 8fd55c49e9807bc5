"""/healthz/worker: whether the tasks worker runs, for monitoring."""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from pledgeloop.notify.models import Notification
from pledgeloop.notify.selectors import outbox_stalled

from .tasks import schedule_late


@never_cache
def worker_health(request):
    """ "ok" while a tasks worker runs the schedule and sends the outbox; else 503 with one
    word: "unscheduled", "late" (tasks.schedule_late) or "stalled" (messages due long ago and
    not sent, notify/selectors.py). Apart from /healthz on purpose: a load balancer reading
    /healthz must not take a working web server out because the worker is down."""
    problem = schedule_late() or ("stalled" if outbox_stalled(Notification.objects.all()) else None)
    if problem:
        return HttpResponse(problem, status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
