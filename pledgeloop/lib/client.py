"""Who is asking: the client's address, the same way everywhere (intake limits, login lockout,
check-ins, audit rows).

Behind PROXY_HOPS trusted reverse proxies the client is the entry that many places from the
right of X-Forwarded-For; entries further left are whatever the client wrote and can be forged.
With no proxy (the default) it is the connecting peer.
"""

from django.conf import settings


def client_ip(request) -> str | None:
    if request is None:
        return None
    hops = settings.PROXY_HOPS
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None
