"""Exact query counts (run with -v to list the queries when one changes) where a page's budget matters (style.md "Tests"): with several rows, so an N+1 fails, and
exact, so a query that silently disappears (a permission check, the edit lock, an audit row) fails too."""

import pytest
from django.core.cache import cache

from tests.factories import RoundFactory, make_confirmation, make_learner

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree):
    # Start from an empty cache, so the warm-up request fills the same entries whatever ran before (in the whole
    # suite another test may have left a cached value this count would otherwise depend on).
    cache.clear()
    round_ = RoundFactory()
    for n in range(12):
        make_learner(tree.school1, class_level="p1" if n % 2 else "p2", room=str(n % 3))
        make_learner(tree.school2, class_level="p3")
    for _ in range(3):
        make_learner(tree.cdc1, class_level="cdc2")
    make_confirmation(tree.school2, round_)
    return tree, round_


def test_roster_page(world, client, django_assert_num_queries):
    tree, _round = world
    client.force_login(tree.users["school1"])
    client.get(f"/o/{tree.school1.code}/learners/")  # warm the session and caches
    # 14 before issue 16: the two-factor gate reads a flag on the user row, pending transfers are one query, and
    # the list count comes from the live counts the page reads anyway, the menu reuses the organisation row
    with django_assert_num_queries(9):
        assert client.get(f"/o/{tree.school1.code}/learners/").status_code == 200


def test_lao_dashboard(world, client, django_assert_num_queries):
    tree, round_ = world
    client.force_login(tree.users["lao1"])
    client.get(f"/confirm/{tree.lao1.code}/")
    # 21 before issue 16's second pass: the children and every per-child fact are one query now
    with django_assert_num_queries(11):  # 12 until the menu reused the organisation row the page loaded
        assert client.get(f"/confirm/{tree.lao1.code}/").status_code == 200


def test_headcounts_api(world, api, django_assert_num_queries):
    tree, round_ = world
    user = tree.users["lao1"]
    path = f"/api/v1/headcounts?round={round_.pk}&organisation={tree.lao1.code}&source=live"
    api.get(path, user=user)
    with django_assert_num_queries(7):
        assert api.get(path, user=user).status_code == 200


def test_learners_api_list(world, api, django_assert_num_queries):
    tree, _round = world
    user = tree.users["lao1"]
    path = f"/api/v1/organisations/{tree.lao1.code}/learners?page_size=50"
    api.get(path, user=user)
    # the 7th: the audit row of a full-record list read above the institution
    with django_assert_num_queries(7):
        r = api.get(path, user=user)
    assert r.status_code == 200 and r.json()["count"] == 27
