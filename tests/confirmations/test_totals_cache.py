"""Cached national and provincial totals (confirmations.totals, docs/performance.md) equal the tables after every
confirm and unlock, in the transaction that made them and after it committed."""

import datetime

import pytest

from confirmations import selectors, services, totals
from lec.lib import generations
from tests.conftest import require_postgres, require_redis

from .conftest import confirm, confirm_lao1, counts, enter


@pytest.fixture(params=["redis", "database"])
def cached(request, tree, rnd, settings):
    """Both ways of caching: counters in Redis (a shared cache), and counters in PostgreSQL with a per-process
    cache (the embedded default, no Redis)."""
    require_postgres()
    if request.param == "redis":
        require_redis()
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": f"totals-{request.node.name}"}}  # fmt: skip
    generations._namespace.clear()
    assert totals.cacheable("confirmed_learners")
    assert (generations.namespace() in generations._in_database) == (request.param == "database")
    yield tree
    generations._namespace.clear()


def uncached(rnd, org, **kw):
    """The same figure straight from the tables (the path LAO-level figures always take)."""
    saved = generations.BUMPED
    generations.BUMPED = frozenset()
    try:
        return selectors.headcounts(rnd, org, **kw)
    finally:
        generations.BUMPED = saved


def both(rnd, org, **kw):
    got = selectors.headcounts(rnd, org, **kw)
    assert got == uncached(rnd, org, **kw)
    return got


def test_national_confirmed_totals_follow_confirm_and_unlock(cached, rnd, django_capture_on_commit_callbacks):
    tree = cached
    counts(tree.school1, p1=(3, 2))
    counts(tree.school4, m1=(5, 5))
    enter(rnd, tree.other1, p1=(10, 20))
    assert both(rnd, tree.dept, source="confirmed")["total"] == 0  # cached now, under the current counters
    with django_capture_on_commit_callbacks(execute=True):
        confirm(tree, rnd, "school1")
    assert both(rnd, tree.dept, source="confirmed")["total"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        confirm(tree, rnd, "school4")
        confirm(tree, rnd, "lao1", "other_schools")
    body = both(rnd, tree.dept, source="confirmed", by="child")
    assert [(r["code"], r["total"]) for r in body["rows"]] == [(tree.p2.code, 10), (tree.p1.code, 35)]
    assert both(rnd, tree.p1, source="confirmed", by="child")["total"] == 35
    with django_capture_on_commit_callbacks(execute=True):
        services.confirmation_unlock(
            acting_user=tree.users["lao1"],
            round_id=rnd.pk,
            organisation=tree.school1,
            scope="learners",
            reason="แก้ไข",
        )
    assert both(rnd, tree.dept, source="confirmed")["total"] == 40
    levels = {
        r["class_level"]: (r["male"], r["female"]) for r in both(rnd, tree.p1, source="confirmed")["rows"]
    }
    assert levels == {"p1": (10, 20)}


def test_a_confirm_is_seen_inside_its_own_transaction(cached, rnd):
    """No on-commit callbacks run here (the test's transaction never commits): the immediate bump must do."""
    tree = cached
    counts(tree.school1, p1=(1, 1))
    assert selectors.headcounts(rnd, tree.dept, source="confirmed")["total"] == 0
    confirm(tree, rnd, "school1")
    assert selectors.headcounts(rnd, tree.dept, source="confirmed")["total"] == 2


def test_department_dashboard_totals_match_the_tables(cached, rnd, django_capture_on_commit_callbacks):
    tree = cached
    counts(tree.school1, p1=(3, 2))
    counts(tree.school4, m1=(5, 5))
    selectors.dashboard(rnd, tree.dept)  # warm the cache
    with django_capture_on_commit_callbacks(execute=True):
        confirm(tree, rnd, "school4")
    board = selectors.dashboard(rnd, tree.dept)
    confirmed = {row.org.code: row.confirmed_total for row in board.children}
    assert confirmed == {tree.p1.code: 0, tree.p2.code: 10}
    assert board.confirmed_total == 10


def test_national_live_other_totals_follow_the_entry_save(cached, rnd, django_capture_on_commit_callbacks):
    from schools import services as school_services

    tree = cached
    assert totals.cacheable("live_other")
    assert both(rnd, tree.dept, source="live", scope="other_schools")["total"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        school_services.other_school_headcount_save(
            school=tree.other2, round_=rnd, closed=False, counts=[{"class_level": "p1", "male": 4, "female": 3}],
            acting_user=tree.users["lao2"],
        )  # fmt: skip
    assert both(rnd, tree.dept, source="live", scope="other_schools")["total"] == 7
    with django_capture_on_commit_callbacks(execute=True):
        school_services.other_school_headcount_save(
            school=tree.other2, round_=rnd, closed=True, counts=[], acting_user=tree.users["lao2"]
        )
    body = both(rnd, tree.p1, source="live", scope="other_schools", by="child")
    assert [(r["code"], r["total"]) for r in body["rows"]] == [(tree.lao1.code, 0), (tree.lao2.code, 0)]


def test_national_live_totals_follow_learner_writes(cached, rnd, django_capture_on_commit_callbacks):
    from students import services as learner_services

    tree = cached
    assert totals.cacheable("live_learners")
    before = both(rnd, tree.dept, source="live", scope="learners")["total"]
    payload = {"prefix": "เด็กหญิง", "first_name": "ทดสอบ", "last_name": "แคช", "birth_date": "2018-01-15",
               "class_level": "p2", "national_id": "1101700203450"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        learner = learner_services.learner_create(
            organisation=tree.school4, data=payload, acting_user=tree.users["school4"]
        )
    assert both(rnd, tree.dept, source="live", scope="learners")["total"] == before + 1
    assert both(rnd, tree.p2, source="live", scope="learners", by="child")["total"] == before + 1
    with django_capture_on_commit_callbacks(execute=True):
        learner_services.learner_leave(
            learner_id=learner.pk, reason="dropped_out", left_on=datetime.date.today(), note="",
            acting_user=tree.users["school4"],
        )  # fmt: skip
    assert both(rnd, tree.dept, source="live", scope="learners")["total"] == before


def test_department_progress_follows_lao_confirmations(cached, rnd, django_capture_on_commit_callbacks):
    tree = cached

    def progress(use_cache=True):
        saved = generations.BUMPED
        if not use_cache:
            generations.BUMPED = frozenset()
        try:
            board = selectors.dashboard(rnd, tree.dept)
        finally:
            generations.BUMPED = saved
        return {row.org.code: (row.total, row.done) for row in board.children}, (board.total, board.done)

    assert progress() == progress(use_cache=False)
    enter(rnd, tree.other1, p1=(1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        confirm_lao1(tree, rnd)
        confirm(tree, rnd, "lao1", "other_schools")
    rows, _board = progress()
    assert (rows, _board) == progress(use_cache=False)
    assert rows[tree.p1.code] == (2, 1)  # lao1 confirmed both scopes; lao2 has not


def test_department_dashboard_rows_follow_every_kind_of_write(
    cached, rnd, django_capture_on_commit_callbacks
):
    """The department's rows are one cached entry per province (totals.department_rows), keyed on the province's
    live, other and confirmed counters: each kind of write must show on the next read, as the tables say."""
    from schools import services as school_services
    from students import services as learner_services

    tree = cached

    def rows(use_cache=True):
        saved = generations.BUMPED
        if not use_cache:
            generations.BUMPED = frozenset()
        try:
            board = selectors.dashboard(rnd, tree.dept)
        finally:
            generations.BUMPED = saved
        got = {
            r.org.code: (r.live_total, r.other_total, r.confirmed_total, r.total, r.done)
            for r in board.children
        }
        return got, (board.live_total, board.other_total, board.confirmed_total)

    counts(tree.school4, m1=(5, 5))
    first = rows()  # cached now, under the current counters
    assert first == rows(use_cache=False)
    payload = {"prefix": "เด็กหญิง", "first_name": "ทดสอบ", "last_name": "แคช", "birth_date": "2018-01-15",
               "class_level": "p2", "national_id": "1101700203450"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        learner_services.learner_create(
            organisation=tree.school4, data=payload, acting_user=tree.users["school4"]
        )
    after_learner = rows()
    assert after_learner == rows(use_cache=False) and after_learner[1][0] == first[1][0] + 1
    with django_capture_on_commit_callbacks(execute=True):
        school_services.other_school_headcount_save(
            school=tree.other2, round_=rnd, closed=False, counts=[{"class_level": "p1", "male": 4, "female": 3}],
            acting_user=tree.users["lao2"],
        )  # fmt: skip
    after_entry = rows()
    assert after_entry == rows(use_cache=False) and after_entry[1][1] == first[1][1] + 7
    with django_capture_on_commit_callbacks(execute=True):
        confirm(tree, rnd, "school4")
    after_confirm = rows()
    assert after_confirm == rows(use_cache=False) and after_confirm[1][2] > first[1][2]
