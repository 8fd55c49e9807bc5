"""Being written: see the order-loop issue."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


order_new = order_new_at_site = order_sent = track = track_cancel = track_reopen = _todo
