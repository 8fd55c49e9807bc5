"""The address a member's QR code opens; lib.qr draws it."""

from django.urls import reverse


def member_url(request, member) -> str:
    """The absolute address a member's QR code opens."""
    return request.build_absolute_uri(reverse("pledges:member_page", args=[member.code]))
