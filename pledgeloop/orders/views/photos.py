"""/photos/<kind>/<id>/: a stored photo, for those who may see it (orders/access.py).

    /photos/order/<order id>/          the photo sent with an order or a patrol report
    /photos/service/<photo id>/        a photo of a service
    ...?track=<tracking token>         the resident, through their tracking link

Everyone else gets a 404, whether or not the photo exists. MEDIA_ROOT has no URL of its own.
"""

from django.http import Http404
from django.views.decorators.http import require_GET

from pledgeloop.lib.photos import photo_response
from pledgeloop.service.models import ServicePhoto

from .. import access
from ..models import Order


@require_GET
def photo(request, kind: str, pk: int):
    token = request.GET.get("track", "")
    if kind == "order":
        order = Order.objects.select_related("resident", "assigned_member").filter(pk=pk).first()
        if order is None or not access.order_photo_visible(request.user, order, token=token):
            raise Http404
        return photo_response(order.photo)
    if kind == "service":
        item = ServicePhoto.objects.select_related("record__order").filter(pk=pk).first()
        if item is None or not access.service_photo_visible(request.user, item, token=token):
            raise Http404
        return photo_response(item.image)
    raise Http404
