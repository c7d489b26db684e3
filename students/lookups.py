"""Lookups of a learner by identity (issue 12, holes 4 and 5): throttled per user and audited.

An identity search (the find page, the API's `search=` with an identity) tells who holds an ID; so does a 409
`identity_active_elsewhere` and a transfer request (institution staff need the holder named, so it stays named).
Each is counted per user in a fixed window kept in the cache (Redis in production, shared by every node): past
LEC_IDENTITY_LOOKUPS (30) in LEC_IDENTITY_LOOKUP_WINDOW (600 s) the caller gets 429 `throttled` instead of an
answer. Each is audited (who, when, address, the identity masked, what was learned)."""

import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.services import audit
from lec.lib.errors import Code, DomainError, Throttled

from . import identity


def _limits() -> tuple[int, int]:
    return (
        getattr(settings, "LEC_IDENTITY_LOOKUPS", 30),
        getattr(settings, "LEC_IDENTITY_LOOKUP_WINDOW", 600),
    )


def _key(user) -> tuple[str, int]:
    _limit, window = _limits()
    now = int(time.time())
    return f"lec:idlookup:{user.pk}:{now // window}", window - now % window


def check(user) -> None:
    """Refuse (429) a user who has used up this window's identity lookups."""
    if not getattr(user, "pk", None):
        return
    limit, _window = _limits()
    key, left = _key(user)
    if (cache.get(key) or 0) >= limit:
        raise Throttled(
            _("Too many searches by national ID or G-Code. Try again in %(minutes)s minutes.")
            % {"minutes": max(1, (left + 59) // 60)},
            retry_after=left,
        )


def record(
    user, *, purpose: str, value: str | None, organisation=None, ip: str | None = None, **detail
) -> None:
    """Count one lookup against the user's window and write its audit row (the identity masked)."""
    if not getattr(user, "pk", None):
        return
    key, left = _key(user)
    if not cache.add(key, 1, timeout=left + 5):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=left + 5)
    shown = identity.mask(identity.normalise(value or "")) or ""
    audit(acting_user=user, action="identity_lookup", organisation=organisation, object_ref=shown, ip=ip,
          purpose=purpose, **detail)  # fmt: skip


def looks_like_identity(text: str | None) -> bool:
    key = identity.normalise(text or "")
    return bool(key) and bool(identity.NATIONAL_ID_RE.match(key) or identity.G_CODE_RE.match(key))


@contextmanager
def holder_lookup(user, *, purpose: str, value: str | None, organisation=None, ip: str | None = None,
                  every_attempt: bool = False):  # fmt: skip
    """Around a write that may name who holds an identity (a 409 `identity_active_elsewhere`; a transfer request,
    which names the holder and tells the child's age): refused with 429 once the user's window is used up; each
    answer naming a holder (with every_attempt, each attempt) is counted and audited."""
    check(user)
    try:
        yield
    except DomainError as exc:
        if every_attempt or exc.code == Code.IDENTITY_ACTIVE_ELSEWHERE:
            holder = (exc.extra.get("holder") or {}).get("code")  # what the answer disclosed
            record(user, purpose=purpose, value=value, organisation=organisation, ip=ip, outcome=exc.code,
                   **({"holder": holder} if holder else {}))  # fmt: skip
        raise
    if every_attempt:
        record(user, purpose=purpose, value=value, organisation=organisation, ip=ip, outcome="ok")
