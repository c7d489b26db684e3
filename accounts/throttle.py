"""Login failure limits beyond axes' username+address lockout (issue 12, hole 3).

axes locks one username at one address after 5 failures (api.md). Spraying one password over many usernames
from one address, or from many addresses at once, never trips that; these counters do: failures per client
address and failures everywhere, in fixed windows kept in the cache (Redis in production, shared by all nodes).
Every failed sign-in (the login page and POST /auth/token both go through `authenticate`) is counted by the
`user_login_failed` receiver below.
"""

import time

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver

from lec.lib.net import client_ip


def _window() -> tuple[int, int]:
    """(window number, seconds until it ends)."""
    size = settings.LEC_LOGIN_WINDOW_SECONDS
    now = int(time.time())
    return now // size, size - now % size


def _keys(ip: str) -> tuple[str, str]:
    number, _left = _window()
    return f"lec:loginfail:ip:{ip}:{number}", f"lec:loginfail:all:{number}"


def _bump(key: str) -> int:
    if cache.add(key, 1, timeout=settings.LEC_LOGIN_WINDOW_SECONDS + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LEC_LOGIN_WINDOW_SECONDS + 5)
        return 1


def record_failure(request) -> None:
    ip_key, all_key = _keys(client_ip(request) if request is not None else "")
    _bump(ip_key)
    _bump(all_key)


def retry_after(request) -> int:
    """Seconds the caller must wait because its address or everybody failed too often; 0 when free."""
    ip_key, all_key = _keys(client_ip(request))
    counts = cache.get_many([ip_key, all_key])
    if (
        counts.get(ip_key, 0) >= settings.LEC_LOGIN_ADDRESS_FAILURES
        or counts.get(all_key, 0) >= settings.LEC_LOGIN_GLOBAL_FAILURES
    ):
        return _window()[1]
    return 0


@receiver(user_login_failed)
def _count_failure(sender, credentials=None, request=None, **kwargs):
    if request is not None:
        record_failure(request)


def forget(ips=("127.0.0.1",)) -> None:
    """Drop the current window's counts for `ips` and the global count (the test suite, between tests)."""
    number, _left = _window()
    cache.delete_many([f"lec:loginfail:ip:{ip}:{number}" for ip in ips] + [f"lec:loginfail:all:{number}"])
