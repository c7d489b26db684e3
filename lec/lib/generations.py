"""Generation counters that key cached aggregates (docs/performance.md "Cached totals").

A write that changes what an aggregate counts bumps the counter of its kind for the province it happened in:
at once (so the writer's own transaction, and tests, read fresh values) and again after commit (so a reader that
computed the aggregate between the first bump and the commit, and cached the old state under the new counter,
is invalidated). A reader keys its cache on the counters it depends on, so a stale entry is never read; it is
simply never asked for again and expires. Kinds: `live` (learner counters), `other` (other-affiliation entries),
`confirmed` (confirmations and their snapshots), and `epoch` (province 0: the tree itself moved; everything).

Caching is on only with PostgreSQL: the namespace includes the database's OID, so a recreated database (tests,
CI, a fresh bench) never meets an older one's entries. With a shared cache (Redis) the counters live in it. Without
one (the embedded default, a per-process cache) they live in PostgreSQL (lec.models.Generation), read in one
query per kind: each process caches the totals for itself, and a bump, written once the transaction commits,
is seen by every process at once. Inside the writer's transaction, before that, the provinces it bumped are read
uncached (a fresh value no entry was ever stored under).
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
_in_database: set[str] = set()  # namespaces whose counters live in PostgreSQL (no shared cache)


def namespace() -> str | None:
    """A prefix unique to this database's lifetime, or None when aggregates are not cached here."""
    from django.conf import settings

    alias = connection.settings_dict.get("NAME")
    if alias in _namespace:
        return _namespace[alias]
    ns = None
    backend = settings.CACHES["default"]["BACKEND"].lower()
    if connection.vendor == "postgresql" and "dummy" not in backend:
        with connection.cursor() as cur:
            cur.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            ns = f"lec:{alias}:{cur.fetchone()[0]}"
        if "locmem" in backend:
            ns += ":db"
            _in_database.add(ns)
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
    ids = {p for p in province_ids if p is not None}  # 0 is the epoch's
    if not ids:
        return
    if ns in _in_database:
        _dirty().update((kind, p) for p in ids)
        transaction.on_commit(lambda: _db_bump(kind, ids))
        return
    keys = [_key(ns, kind, p) for p in ids]
    _incr(keys)
    transaction.on_commit(lambda: _incr(keys))


def bump_everything() -> None:
    """The tree changed (an organisation moved, was loaded or seeded): every cached aggregate is void."""
    bump("epoch", [0])


def current(kind: str, province_ids: Iterable[int]) -> dict[int, int]:
    """The counters of `kind` for these provinces (creating missing ones), in one round trip when all exist."""
    ns = namespace()
    if ns in _in_database:
        return _db_current(kind, list(province_ids))
    keys = {_key(ns, kind, p): p for p in province_ids}
    found = cache.get_many(list(keys))
    for key in keys.keys() - found.keys():
        cache.add(key, secrets.randbelow(2**62), None)
        found[key] = cache.get(key)
    return {keys[k]: v for k, v in found.items()}


def current_many(wanted: dict[str, Iterable[int]]) -> dict[str, dict[int, int]]:
    """current(kind, ids) for several kinds at once ({kind: ids} → {kind: {id: counter}}): one query, or one cache
    round trip, instead of one per kind (a dashboard reads four kinds on every request)."""
    ns = namespace()
    wanted = {kind: list(ids) for kind, ids in wanted.items()}
    if ns in _in_database:
        return _db_current_many(wanted)
    keys = {_key(ns, kind, p): (kind, p) for kind, ids in wanted.items() for p in ids}
    found = cache.get_many(list(keys))
    for key in keys.keys() - found.keys():
        cache.add(key, secrets.randbelow(2**62), None)
        found[key] = cache.get(key)
    out: dict[str, dict[int, int]] = {kind: {} for kind in wanted}
    for key, (kind, p) in keys.items():
        out[kind][p] = found[key]
    return out


# --- counters in PostgreSQL (no shared cache) -------------------------------------------------------------------

_TABLE = "lec_generation"


def _dirty() -> set[tuple[str, int]]:
    """(kind, province) bumped by the open transaction on this connection and not yet committed."""
    dirty = getattr(connection, "_lec_generations_dirty", None)
    if dirty is None or not connection.in_atomic_block:
        dirty = connection._lec_generations_dirty = set()
    return dirty


def _db_bump(kind: str, ids: set[int]) -> None:
    """A fresh random value for each counter (never +1: a value rolled back with a test's transaction must not come
    again), written in its own short statement after the writer committed."""
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {_TABLE} (kind, province_id, value) "  # noqa: S608
            "SELECT %s, p, (random() * 9.2e18)::bigint FROM unnest(%s::integer[]) AS p "
            "ON CONFLICT (kind, province_id) DO UPDATE SET value = EXCLUDED.value",
            [kind, sorted(ids)],
        )
    dirty = getattr(connection, "_lec_generations_dirty", None)
    if dirty:
        dirty.difference_update((kind, p) for p in ids)


def _db_current(kind: str, ids: list[int]) -> dict[int, int]:
    sql = f"SELECT province_id, value FROM {_TABLE} WHERE kind = %s AND province_id = ANY(%s)"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [kind, ids])
        found = dict(cur.fetchall())
        missing = [p for p in ids if p not in found]
        if missing:
            cur.execute(
                f"INSERT INTO {_TABLE} (kind, province_id, value) "  # noqa: S608
                "SELECT %s, p, (random() * 9.2e18)::bigint FROM unnest(%s::integer[]) AS p "
                "ON CONFLICT (kind, province_id) DO NOTHING",
                [kind, missing],
            )
            cur.execute(sql, [kind, missing])
            found.update(cur.fetchall())
    dirty = _dirty()
    for p in ids:
        if (kind, p) in dirty:
            found[p] = secrets.randbelow(2**62)  # this transaction's own writes: no entry was stored under it
    return found


def _db_current_many(wanted: dict[str, list[int]]) -> dict[str, dict[int, int]]:
    kinds = [k for k, ids in wanted.items() if ids]
    out: dict[str, dict[int, int]] = {kind: {} for kind in wanted}
    if not kinds:
        return out
    where = " OR ".join(["(kind = %s AND province_id = ANY(%s))"] * len(kinds))
    params = [x for kind in kinds for x in (kind, wanted[kind])]
    with connection.cursor() as cur:
        cur.execute(f"SELECT kind, province_id, value FROM {_TABLE} WHERE {where}", params)  # noqa: S608
        for kind, p, value in cur.fetchall():
            out[kind][p] = value
    dirty = _dirty()
    for kind in kinds:
        missing = [p for p in wanted[kind] if p not in out[kind]]
        if missing:  # created (and the open transaction's own bumps applied) by the one-kind read
            out[kind].update(_db_current(kind, missing))
        for p in wanted[kind]:
            if (kind, p) in dirty:
                out[kind][p] = secrets.randbelow(2**62)  # as _db_current: no entry was stored under it
    return out
