"""The read-replica router (lec/db_router.py): report reads on a REAL streaming standby, everything else and
every read after a write on the primary, and the primary when the standby is down."""

import pytest
from django.db import connection, connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from lec import db_router
from schools.models import Organisation
from tests.confirmations.conftest import make_round
from tests.factories import ApiClient, OrgTree
from tests.students.helpers import learner_input

pytestmark = pytest.mark.postgres


def _sync(standby) -> None:
    """Wait until everything committed on the primary so far is visible on the standby."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()")
        standby.caught_up(cur.fetchone()[0])


def _in_recovery(alias: str) -> bool:
    with connections[alias].cursor() as cur:
        cur.execute("SELECT pg_is_in_recovery()")
        return cur.fetchone()[0]


def _replica_selects(ctx) -> list[str]:
    """Queries the request ran on the standby, without the router's own lag check."""
    return [q["sql"] for q in ctx.captured_queries if "pg_is_in_recovery" not in q["sql"]]


def _headcounts(api, rnd, org, user):
    return api.get(f"/api/v1/headcounts?round={rnd.id}&organisation={org.code}&source=live", user)


# --- the rules, without a standby --------------------------------------------------------------------------------


def test_without_reporting_every_read_goes_to_the_primary(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    monkeypatch.setattr(db_router, "replica_healthy", lambda **kw: True)
    r = db_router.ReplicaRouter()
    assert r.db_for_read(Organisation) == "default"
    with db_router.reporting():
        assert r.db_for_read(Organisation) == "replica"
        assert r.db_for_read(User) == "default"  # identity and security models always read the primary
        assert r.db_for_write(Organisation) == "default"
        with db_router.primary_only():
            assert r.db_for_read(Organisation) == "default"
    assert r.db_for_read(Organisation) == "default"


def test_a_total_about_to_be_cached_is_computed_on_the_primary(monkeypatch):
    """A figure cached under the counter read now must be today's: computed on a standby that lags, it would be
    served as current until the province's next write (hours)."""
    from confirmations import totals
    from lec.lib import generations

    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    monkeypatch.setattr(db_router, "replica_healthy", lambda **kw: True)
    monkeypatch.setattr(generations, "namespace", lambda: "lec:test-replica")
    monkeypatch.setattr(generations, "current", lambda kind, ids: dict.fromkeys(ids, 7))
    seen = []

    def compute(part, round_, province_ids):
        seen.append(db_router.ReplicaRouter().db_for_read(Organisation))
        return {p: {"levels": {}, "sum": [0, 0], "laos": {}} for p in province_ids}

    monkeypatch.setattr(totals, "_compute", compute)
    with db_router.reporting():
        assert db_router.ReplicaRouter().db_for_read(Organisation) == "replica"
        totals.province_parts("live_learners", 999, [990001, 990002])
        progress = totals.province_progress(type("Round", (), {"pk": 999})(), [990003], _progress(seen))
    assert seen == ["default", "default"]
    assert progress == {990003: (1, 0)}


def _progress(seen):
    def compute(round_, province_ids):
        seen.append(db_router.ReplicaRouter().db_for_read(Organisation))
        return dict.fromkeys(province_ids, (1, 0))

    return compute


@pytest.mark.django_db
def test_locks_and_reads_inside_a_transaction_stay_on_the_primary(monkeypatch, settings):
    settings.DATABASE_ROUTERS = ["lec.db_router.ReplicaRouter"]
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    monkeypatch.setattr(db_router, "replica_healthy", lambda **kw: True)
    with db_router.reporting():
        assert Organisation.objects.select_for_update().db == "default"  # a lock routes as a write
        with transaction.atomic():
            # the checks a transition depends on read inside its transaction
            assert router.db_for_read(Organisation) == "default"


def test_an_unhealthy_or_lagging_standby_is_not_used(monkeypatch, settings):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)
    settings.LEC_REPLICA_MAX_LAG = 5
    settings.LEC_REPLICA_CHECK_SECONDS = 60
    for lag, expected in ((None, "default"), (12.0, "default"), (0.4, "replica")):
        db_router.reset_health()
        monkeypatch.setattr(db_router, "replica_lag", lambda lag=lag: lag)
        with db_router.reporting():
            assert db_router.ReplicaRouter().db_for_read(Organisation) == expected, lag
    # the answer is cached per process: a lag appearing now is seen at the next check, not on every read
    monkeypatch.setattr(db_router, "replica_lag", lambda: 30.0)
    with db_router.reporting():
        assert db_router.ReplicaRouter().db_for_read(Organisation) == "replica"
    db_router.reset_health()


# --- with a real standby -----------------------------------------------------------------------------------------

on_standby = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@on_standby
def test_a_report_read_is_served_by_the_standby(replica_alias, api):
    tree = OrgTree.build()
    rnd = make_round()
    _sync(replica_alias)
    with db_router.reporting():
        alias = router.db_for_read(Organisation)
        assert alias == "replica" and _in_recovery(alias) is True
        assert Organisation.objects.count() == Organisation.objects.using("default").count()
    assert router.db_for_read(Organisation) == "default" and _in_recovery("default") is False

    user = tree.users["p1"]
    api.token(user)  # signing in writes only a token (read from the primary anyway): it does not pin
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        r = _headcounts(api, rnd, tree.p1, user)
    assert r.status_code == 200, r.content
    assert _replica_selects(on_replica), "the headcounts report did not read the standby"
    assert r["X-DB-Route"] == "replica"
    # a page that is not a report never touches the standby
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert (
            api.get(f"/api/v1/organisations/{tree.school1.code}/learners", tree.users["school1"]).status_code
            == 200
        )
    assert not _replica_selects(on_replica)


@on_standby
def test_a_user_who_wrote_reads_the_primary(replica_alias, api):
    tree = OrgTree.build()
    rnd = make_round()
    staff, other = tree.users["school1"], tree.users["lao1"]
    for user in (staff, other):
        api.token(user)
    _sync(replica_alias)
    r = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", learner_input(), staff)
    assert r.status_code == 201, r.content
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        r = _headcounts(api, rnd, tree.school1, staff)
    assert r.status_code == 200 and r.json()["total"] == 1, r.content
    assert not _replica_selects(on_replica), "read-your-writes: the writer's report went to the standby"
    # someone else, who wrote nothing, is served by the standby
    _sync(replica_alias)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        r = _headcounts(api, rnd, tree.school1, other)
    assert r.status_code == 200 and r.json()["total"] == 1
    assert _replica_selects(on_replica)


@on_standby
def test_a_stopped_standby_falls_back_to_the_primary(replica_alias, settings):
    # as a server does: a view's exception becomes a 500 response (which the middleware answers again)
    api = ApiClient(Client(raise_request_exception=False))
    tree = OrgTree.build()
    rnd = make_round()
    user = tree.users["p1"]
    api.token(user)
    _sync(replica_alias)
    assert _headcounts(api, rnd, tree.p1, user).status_code == 200
    try:
        # the standby dies between two health checks: the report is answered again from the primary
        settings.LEC_REPLICA_CHECK_SECONDS = 3600
        assert db_router.replica_healthy(fresh=True)
        replica_alias.stop()
        r = _headcounts(api, rnd, tree.p1, user)
        assert r.status_code == 200, r.content
        assert db_router._health["ok"] is False
        # and with the standby known down, reports go straight to the primary, without errors
        settings.LEC_REPLICA_CHECK_SECONDS = 0
        for _ in range(3):
            with CaptureQueriesContext(connections["default"]) as on_primary:
                r = _headcounts(api, rnd, tree.p1, user)
            assert r.status_code == 200 and r["X-DB-Route"] == "primary"
            assert on_primary.captured_queries
        assert router.db_for_read(Organisation) == "default"
    finally:
        replica_alias.start()
    db_router.reset_health()
    with db_router.reporting():
        assert router.db_for_read(Organisation) == "replica"  # it is used again once it streams
