"""Being written: see the order-loop issue."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


member_orders = member_nearby = member_order_detail = member_order_action = _todo
member_offer_action = patrol_report = _todo
