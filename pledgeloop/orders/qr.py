"""The addresses that printed intake QR codes open (DESIGN.md C2); lib.qr draws them.

    url = intake_url_for_site(request, site)        # https://host/order/site/42/?via=qr

`?via=qr` marks the order's channel as "QR code" when it is filed from the printed code.
"""

from django.urls import reverse

from pledgeloop.orgs.models import Community, Site

VIA_QR = "qr"


def intake_url_for_community(request, community: Community) -> str:
    path = reverse("orders:new_in_community", args=[community.street.slug, community.slug])
    return request.build_absolute_uri(f"{path}?via={VIA_QR}")


def intake_url_for_site(request, site: Site) -> str:
    path = reverse("orders:new_at_site", args=[site.pk])
    return request.build_absolute_uri(f"{path}?via={VIA_QR}")
