"""The client address, trusting exactly TRUSTED_PROXY_COUNT X-Forwarded-For hops."""

from django.conf import settings


def client_ip(request) -> str:
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if count <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    hops = forwarded + [remote]
    # The right-most `count` addresses were added by our own proxies; the one before them is the client.
    index = len(hops) - 1 - count
    return hops[index] if index >= 0 else hops[0]
