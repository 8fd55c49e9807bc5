"""Being written: see the order-loop issue."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


needs_list = staff_intake = order_detail = order_action = qr_codes = _todo
