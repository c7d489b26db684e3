"""Report reads on the hot standby, everything else on the primary (api.md "Environment": DATABASE_REPLICA_URL).

A read goes to the `replica` alias only when all of these hold:
- it happens inside `reporting()` (report pages and API calls opt in through `ReplicaMiddleware.REPORT_ROUTES`;
  code can also say `with reporting():` or decorate a function with `@reporting()`);
- it is not a write, a lock (`select_for_update` routes as a write) or a read inside a transaction on the
  primary (the checks a transition depends on run in `transaction.atomic()`), and not of an identity or
  security model (users, sessions, tokens, lockouts, permissions, jobs), whose freshness a sign-in needs;
- the user did not write in the last `LEC_REPLICA_PIN_SECONDS` (read-your-writes: `ReplicaMiddleware` pins a
  user to the primary after any unsafe request or any write, in the shared cache, so every web node agrees);
- the standby answers and replays within `LEC_REPLICA_MAX_LAG` seconds of the primary (checked at most every
  `LEC_REPLICA_CHECK_SECONDS` per process and cached).
Otherwise the read goes to the primary. A report request that fails on the standby (it died between two
checks) is answered again from the primary, once.
"""

import contextlib
import contextvars
import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.urls import Resolver404, resolve

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY = "default"
# Never read from the standby: a sign-in, token or lockout written a moment ago on the primary must be seen.
PRIMARY_ONLY_APPS = frozenset(
    {"accounts", "auth", "sessions", "axes", "guardian", "admin", "contenttypes", "otp_totp", "otp_static",
     "django_otp", "two_factor", "health_check", "django_celery_beat", "django_celery_results"}
)  # fmt: skip
PRIMARY_ONLY_MODELS = frozenset({"lec.job"})


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def replica_configured() -> bool:
    return REPLICA in connections.settings


# --- the request's routing state ----------------------------------------------------------------------------


@dataclass
class _State:
    reporting: bool = False
    user_id: int | None = None
    request: object = None
    pinned: bool | None = None  # looked up once per request, on the first report read
    used_replica: bool = False
    wrote: bool = False
    aliases: list = field(default_factory=list)


_state: contextvars.ContextVar[_State | None] = contextvars.ContextVar("lec_db_route", default=None)


def _current() -> _State:
    state = _state.get()
    if state is None:
        state = _State()
        _state.set(state)
    return state


@contextlib.contextmanager
def reporting(enabled: bool = True):
    """Reads inside may be served by the standby (see the module's rules). Also usable as a decorator."""
    state = _current()
    before = state.reporting
    state.reporting = enabled
    try:
        yield state
    finally:
        state.reporting = before


@contextlib.contextmanager
def primary_only():
    """Every read inside goes to the primary, whatever the caller opted into."""
    with reporting(False) as state:
        yield state


def _pin_key(user_id) -> str:
    return f"lec:db-pin:{user_id}"


def pin_to_primary(user_id) -> None:
    """The user wrote: their reads go to the primary until the standby has surely replayed it."""
    if user_id is None:
        return
    seconds = _setting("LEC_REPLICA_PIN_SECONDS", 15)
    try:
        cache.set(_pin_key(user_id), time.time() + seconds, timeout=int(seconds) + 1)
    except Exception:  # noqa: BLE001 (a cache outage must not fail the write that already committed)
        logger.warning("could not record the read-your-writes pin for user %s", user_id)


def _user_id(state: _State):
    user = getattr(state.request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return state.user_id


def _is_pinned(state: _State) -> bool:
    if state.pinned is None:
        uid = _user_id(state)
        if uid is None:
            return False  # an anonymous read has no writes of its own to see (and may learn the user later)
        try:
            until = cache.get(_pin_key(uid))
        except Exception:  # noqa: BLE001 (cannot tell: the primary is always right)
            return True
        state.pinned = bool(until and until > time.time())
    return state.pinned


# --- the standby's health, cached per process ---------------------------------------------------------------

_health_lock = threading.Lock()
_health = {"checked": 0.0, "ok": False, "lag": None}

LAG_SQL = """
SELECT pg_is_in_recovery(),
       COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver), false),
       pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
"""


def replica_lag() -> float | None:
    """Seconds the standby is behind (0 when it streams and has replayed all it received); None when it is
    not a standby or does not answer."""
    conn = connections[REPLICA]
    try:
        with conn.cursor() as cur:
            cur.execute(LAG_SQL)
            in_recovery, streaming, replayed_all, since_last = cur.fetchone()
    except DatabaseError:
        conn.close()
        return None
    if not in_recovery:
        return None
    if streaming and replayed_all:
        return 0.0
    return float(since_last) if since_last is not None else None


def replica_healthy(*, fresh: bool = False) -> bool:
    now = time.monotonic()
    every = _setting("LEC_REPLICA_CHECK_SECONDS", 2)
    if not fresh and now - _health["checked"] < every:
        return _health["ok"]
    with _health_lock:
        if not fresh and now - _health["checked"] < every:
            return _health["ok"]
        lag = replica_lag()
        ok = lag is not None and lag <= _setting("LEC_REPLICA_MAX_LAG", 5)
        if ok != _health["ok"]:
            logger.warning("read replica %s (lag %s s)", "back in use" if ok else "not used", lag)
        _health.update(checked=time.monotonic(), ok=ok, lag=lag)
        return ok


def mark_replica_down() -> None:
    _health.update(checked=time.monotonic(), ok=False, lag=None)
    connections[REPLICA].close()


def reset_health() -> None:
    """Forget the cached check (tests, and the drill's stop/start of the standby)."""
    _health.update(checked=0.0, ok=False, lag=None)


# --- the router ----------------------------------------------------------------------------------------------


def _primary_only_model(model) -> bool:
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS


class ReplicaRouter:
    """DATABASE_ROUTERS entry; a no-op (everything on the primary) when no `replica` alias is configured."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None or not state.reporting or not replica_configured() or _primary_only_model(model):
            return PRIMARY
        if connections[PRIMARY].in_atomic_block or _is_pinned(state) or not replica_healthy():
            return PRIMARY
        state.used_replica = True
        return REPLICA

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None and not _primary_only_model(model):
            state.wrote = True  # (an audit row or a session refresh is not a write the user reads back)
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the standby is a copy of the same database

    def allow_migrate(self, db, app_label, **hints):
        return db == PRIMARY


# --- the middleware ------------------------------------------------------------------------------------------

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReplicaMiddleware:
    """Opts report routes into the standby, pins a user who wrote to the primary, and answers a report again from
    the primary when the standby failed under it."""

    # URL names (namespace:name) of report reads; a name containing one of REPORT_WORDS counts too.
    REPORT_ROUTES = frozenset(
        {"api:headcounts", "api:export_headcounts", "api:export_learners", "confirmations:dashboard",
         "confirmations:report", "schools:organisation", "schools:other_headcounts",
         "students_io:export_headcounts", "students_io:export_learners"}
    )  # fmt: skip
    REPORT_WORDS = ("budget", "national", "headcount")
    # Signing in writes only sessions, tokens and lockouts, which are always read from the primary: no pin.
    SIGN_IN_ROUTES = frozenset({"login", "logout", "api:create_token", "api:revoke_token"})

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def route_name(request) -> str:
        try:
            return resolve(request.path_info).view_name
        except Resolver404:
            return ""

    @classmethod
    def is_report(cls, request) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        name = cls.route_name(request)
        return bool(name) and (name in cls.REPORT_ROUTES or any(word in name for word in cls.REPORT_WORDS))

    @classmethod
    def pins(cls, request, state: _State) -> bool:
        """Whether this request makes its user read from the primary for a while (read-your-writes)."""
        if state.wrote:
            return True
        return request.method not in SAFE_METHODS and cls.route_name(request) not in cls.SIGN_IN_ROUTES

    def __call__(self, request):
        state = _State(request=request)
        token = _state.set(state)
        try:
            report = replica_configured() and self.is_report(request)
            with reporting(report):
                response = self.get_response(request)
            if (
                report
                and state.used_replica
                and response.status_code >= 500
                and not replica_healthy(fresh=True)
            ):
                logger.warning("report answered from the primary: the standby failed during %s", request.path)
                mark_replica_down()
                state.used_replica = False
                with primary_only():
                    response = self.get_response(request)
            if self.pins(request, state):
                pin_to_primary(_user_id(state))
            if report:  # for operators and the drills: did the standby serve this report?
                response["X-DB-Route"] = "replica" if state.used_replica else "primary"
            return response
        finally:
            _state.reset(token)
