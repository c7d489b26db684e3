"""The roster's small reads as plain queries (issue 16): the same answers as the ORM queries they replaced, and
the institution's rows carrying the institution itself (no join, no reload)."""

import datetime as dt

import pytest
from django.db.models import Sum

from students import selectors
from students.models import Learner, LearnerCount, Status
from students.services import learner_leave
from tests.factories import make_learner

pytestmark = pytest.mark.django_db


@pytest.fixture
def school(tree):
    make_learner(tree.school1, room="2")
    make_learner(tree.school1, room="10", class_level="p2", prefix="เด็กหญิง")
    make_learner(tree.school1, room="2", class_level="p2")
    make_learner(tree.school1, room="")
    gone = make_learner(tree.school1, room="9")
    learner_leave(learner_id=gone.pk, reason="dropped_out", left_on=dt.date.today(), acting_user=None)
    make_learner(tree.school2, room="7")
    return tree.school1


def test_rooms_are_the_active_learners_rooms_in_order(school):
    orm = list(
        Learner.objects.filter(organisation=school, status=Status.ACTIVE)
        .exclude(room="")
        .values_list("room", flat=True)
        .distinct()
        .order_by("room")
    )
    assert selectors.rooms_of(school) == orm == ["10", "2"]


def test_live_counts_of_an_institution_equal_the_counter_table(school, tree):
    counts = selectors.live_counts(school)
    orm = {
        (level, gender): n
        for level, gender, n in LearnerCount.objects.filter(organisation=school, count__gt=0)
        .values_list("class_level", "gender")
        .annotate(n=Sum("count"))
        .order_by()
    }
    assert {(r["class_level"], g): r[g] for r in counts["rows"] for g in ("male", "female") if r[g]} == orm
    assert (counts["male"], counts["female"], counts["total"]) == (3, 1, 4)
    assert [r["class_level"] for r in counts["rows"]] == ["p1", "p2"]
    area = selectors.live_counts(tree.lao1)  # the subtree path: both schools
    assert area["total"] == 5


def test_an_institutions_roster_rows_carry_the_institution_in_one_query(
    school, tree, django_assert_num_queries
):
    user = tree.users["school1"]
    with django_assert_num_queries(1):
        rows = list(selectors.learner_list(user, school, status="all"))
        assert {r.organisation.pk for r in rows} == {school.pk}
        assert all(r.organisation is school for r in rows)
    assert len(rows) == 5
    area = list(selectors.learner_list(tree.users["lao1"], tree.lao1))
    assert {r.organisation.code for r in area} == {tree.school1.code, tree.school2.code}
