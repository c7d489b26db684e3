"""Generation counters that key cached aggregates (docs/performance.md "Cached totals").

A write that changes what an aggregate counts bumps the counter of its kind for the province it happened in:
at once (so the writer's own transaction, and tests, read fresh values) and again after commit (so a reader that
computed the aggregate between the first bump and the commit, and cached the old state under the new counter,
is invalidated). A reader keys its cache on the counters it depends on, so a stale entry is never read; it is
simply never asked for again and expires. Kinds: `live` (learner counters), `other` (other-affiliation entries),
`confirmed` (confirmations and their snapshots), and `epoch` (province 0: the tree itself moved; everything).

Caching is on only with PostgreSQL and a shared cache (Redis): the namespace includes the database's OID, so a
recreated database (tests, CI, a fresh bench) never meets an older one's entries.
"""

import secrets
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction

KINDS = ("live", "other", "confirmed", "epoch")
# The kinds whose every writer bumps its counter; only their aggregates may be cached. `confirmed`: the
# confirmations services (confirm, unlock); `other`: schools.services._write_entries, the one writer of
# other-affiliation entries; `live`: students.services.counts_apply, the one writer of the learner counters.
BUMPED = frozenset({"confirmed", "other", "live"})
_namespace: dict[str, str | None] = {}


def namespace() -> str | None:
    """A prefix unique to this database's lifetime, or None when aggregates are not cached here."""
    from django.conf import settings

    alias = connection.settings_dict.get("NAME")
    if alias in _namespace:
        return _namespace[alias]
    ns = None
    backend = settings.CACHES["default"]["BACKEND"]
    if (
        connection.vendor == "postgresql"
        and "locmem" not in backend.lower()
        and "dummy" not in backend.lower()
    ):
        with connection.cursor() as cur:
            cur.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            ns = f"lec:{alias}:{cur.fetchone()[0]}"
    _namespace[alias] = ns
    return ns


def _key(ns: str, kind: str, province_id: int) -> str:
    return f"{ns}:gen:{kind}:{province_id}"


def _incr(keys: list[str]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # never read, or evicted: any fresh value will do
            cache.add(key, secrets.randbelow(2**62), None)


def bump(kind: str, province_ids: Iterable[int | None]) -> None:
    """Invalidate `kind` aggregates of these provinces: now, and again once the transaction commits."""
    ns = namespace()
    if ns is None:
        return
    keys = [_key(ns, kind, p) for p in {p for p in province_ids if p}]
    if not keys:
        return
    _incr(keys)
    transaction.on_commit(lambda: _incr(keys))


def bump_everything() -> None:
    """The tree changed (an organisation moved, was loaded or seeded): every cached aggregate is void."""
    bump("epoch", [0])


def current(kind: str, province_ids: Iterable[int]) -> dict[int, int]:
    """The counters of `kind` for these provinces (creating missing ones), in one round trip when all exist."""
    ns = namespace()
    keys = {_key(ns, kind, p): p for p in province_ids}
    found = cache.get_many(list(keys))
    for key in keys.keys() - found.keys():
        cache.add(key, secrets.randbelow(2**62), None)
        found[key] = cache.get(key)
    return {keys[k]: v for k, v in found.items()}
