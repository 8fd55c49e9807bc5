"""Senders behind one interface: email now, an SMS sender that logs (ready for a gateway).

settings.NOTIFY_SENDERS lists dotted paths of classes with `channel` and
`send(notification) -> (address, ok, detail) | None` (None: nothing to send to).
"""

import logging

from django.core.mail import send_mail
from django.utils.module_loading import import_string

from pledgeloop.lib.masking import mask_phone

log = logging.getLogger("pledgeloop.notify")


class EmailSender:
    channel = "email"

    def send(self, notification):
        address = notification.user.email
        if not address:
            return None
        send_mail(
            notification.title,
            f"{notification.body}\n\n{notification.url}".strip(),
            None,
            [address],
        )
        return address, True, ""


class LoggingSmsSender:
    """Writes the SMS it would send to the log; swap in a gateway class with the same shape."""

    channel = "sms"

    def send(self, notification):
        phone = notification.user.phone
        log.info("SMS to %s: %s", mask_phone(phone), notification.title)
        return mask_phone(phone), True, "logged"


def configured_senders():
    from django.conf import settings

    return [import_string(path)() for path in settings.NOTIFY_SENDERS]
