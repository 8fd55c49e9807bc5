"""Senders behind one interface: email, the SMS gateways (sms.py), and a logging SMS sender
for when no gateway is configured.

settings.NOTIFY_SENDERS lists dotted paths of classes with

    channel: str
    address_for(notification) -> str          "": nothing to send it to (nothing is recorded)
    send(notification, *, key) -> Outcome
    skips(notification) -> Outcome | None                           (optional)
    look_up(notification, *, key, since) -> Outcome | None          (optional)
    reaches_nobody: bool                                            (optional)

`key` is the message's idempotency key (settings.NOTIFY_KEY_PREFIX + the notification's id),
passed to the gateway where it carries one. `look_up` asks the gateway whether a message
with that key was accepted since `since`; the outbox calls it before sending again a message
whose last attempt ended without a known outcome (the worker died, or the call timed out),
so a retry does not text anyone twice where the gateway can tell. `skips` gives the outcome
of a message the sender will not hand over (a gateway's kind without a template: "skipped"),
or None; the outbox asks it first and records that outcome without marking the message
"sending" or taking a write of its own (send() still answers the same for it).
`reaches_nobody` says that sending a message again reaches no one (the logging sender): the
outbox sends its messages with no "sending" written first, their outcomes with the batch's
end (services.py). A message of a sender that can look up may be left "sending" without
harm, so the outbox writes the "sending" of a whole batch's messages to it at once.

A sender returns its real outcome: the logging sender's is "logged, not sent", never
"accepted".
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from pledgeloop.lib.masking import mask_phone

from .kinds import PARAM_MOST, TEXTS
from .links import short_link_make
from .models import Delivery

log = logging.getLogger("pledgeloop.notify")
# The texts the logging sender "sends", at INFO: shown by `make run` (settings.LOGGING gives
# this logger a handler of its own) whatever LOG_LEVEL says, so a demo shows what residents
# would receive.
sms_log = logging.getLogger("pledgeloop.notify.sms")

Status = Delivery.Status


@dataclass(frozen=True)
class Outcome:
    status: str  # a Delivery.Status; SENDING: the gateway may or may not have it
    address: str
    detail: str = ""
    gateway_id: str = ""


def idempotency_key(notification) -> str:
    return f"{settings.NOTIFY_KEY_PREFIX}{notification.pk}"


def short_code(notification) -> str:
    """The short-link code of the notification's page: made for a whole batch at once when
    the outbox claimed it (services.notifications_claim), else now."""
    code = getattr(notification, "short_code", "")
    return code or short_link_make(path=notification.url)


def link_for_text(notification) -> str:
    """The notification's link, absolute: a short link for the texts residents get (a text's
    link must be short), the page itself otherwise."""
    url = notification.url
    if not url or not url.startswith("/"):
        return url
    if notification.kind in TEXTS:
        url = f"/t/{short_code(notification)}/"
    return f"{settings.SITE_URL.rstrip('/')}{url}"


def text_params(notification) -> dict[str, str]:
    """The values of the kind's template parameters, `link` made into a short-link code, each
    cut to PARAM_MOST characters (… its last), which a gateway refuses past.

    Raises KeyError for a parameter the notification does not carry (a programming error,
    recorded as a failure rather than sent with a hole in it)."""
    values = {}
    for name in TEXTS[notification.kind].params:
        if name == "link":
            values[name] = short_code(notification)
        else:
            value = str(notification.params[name])
            values[name] = value if len(value) <= PARAM_MOST else value[: PARAM_MOST - 1] + "…"
    return values


class EmailSender:
    channel = "email"

    def address_for(self, notification) -> str:
        return notification.user.email if notification.user else ""

    def send(self, notification, *, key):
        address = self.address_for(notification)
        link = link_for_text(notification)
        send_mail(notification.title, f"{notification.body}\n\n{link}".strip(), None, [address])
        return Outcome(Status.ACCEPTED, address, "handed to the mail server")


class LoggingSmsSender:
    """Writes the text it would send to the log: nothing reaches the phone. Its outcome says
    so ("logged, not sent"); configure SMS_PROVIDER for real texts. Like a gateway it sends
    only the kinds that can go out by SMS (kinds.TEXTS): the others are "skipped", as a
    gateway skips them for want of a template, so the log shows what residents would get."""

    channel = "sms"
    # Writing a text to the log again reaches no one: its messages go "sending" a batch at
    # once.
    reaches_nobody = True

    def address_for(self, notification) -> str:
        return notification.address_phone

    def skips(self, notification) -> Outcome | None:
        if notification.kind in TEXTS:
            return None
        return Outcome(
            Status.SKIPPED,
            mask_phone(notification.address_phone),
            f"no SMS text for “{notification.kind}” (notify/kinds.py)",
        )

    def send(self, notification, *, key):
        if skipped := self.skips(notification):
            return skipped
        phone = notification.address_phone
        text = " ".join(part for part in (notification.title, link_for_text(notification)) if part)
        sms_log.info(
            "SMS logged, NOT sent (no SMS gateway configured) to %s [%s]: %s",
            mask_phone(phone),
            notification.kind,
            text,
        )
        return Outcome(Status.LOGGED, mask_phone(phone), "logged, not sent")


def configured_senders() -> list:
    return [import_string(path)() for path in settings.NOTIFY_SENDERS]
