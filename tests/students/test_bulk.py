"""learners_bulk_upsert: the interface the import uses."""

import datetime as dt

import pytest

from lec.lib.errors import DomainError
from students.models import Learner, LearnerCount, Status
from students.services import learner_clean, learner_create, learners_bulk_upsert
from tests.students.helpers import learner_input, nid

pytestmark = pytest.mark.django_db


def cleaned(org, **kw):
    data, errors = learner_clean(organisation=org, data=learner_input(**kw), on=dt.date.today())
    assert errors == {}
    return data


def count(org, level="p1", gender="male"):
    row = LearnerCount.objects.filter(organisation=org, class_level=level, gender=gender).first()
    return row.count if row else 0


def test_create_update_unchanged_and_reactivate(tree):
    user = tree.users["school1"]
    items = [cleaned(tree.school1, national_id=nid(i)) for i in range(1, 6)]
    result = learners_bulk_upsert(organisation=tree.school1, items=items, acting_user=user)
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert count(tree.school1) == 5
    assert Learner.history.filter(history_type="+").count() == 5
    # one changed, one left then re-imported, three unchanged
    Learner.objects.filter(national_id=nid(2)).update(status=Status.DROPPED_OUT)
    LearnerCount.objects.filter(organisation=tree.school1, class_level="p1", gender="male").update(count=4)
    items[0] = {**items[0], "room": "2"}
    result = learners_bulk_upsert(organisation=tree.school1, items=items, acting_user=user)
    assert (result.created, result.updated, result.unchanged) == (0, 2, 3)
    assert Learner.objects.get(national_id=nid(1)).room == "2"
    assert Learner.objects.get(national_id=nid(2)).status == Status.ACTIVE
    assert count(tree.school1) == 5


def test_dry_run_writes_nothing(tree):
    items = [cleaned(tree.school1, national_id=nid(i)) for i in range(10, 13)]
    result = learners_bulk_upsert(organisation=tree.school1, items=items, acting_user=None, dry_run=True)
    assert result.created == 3
    assert not Learner.objects.exists() and count(tree.school1) == 0


def test_identity_active_elsewhere_writes_nothing(tree):
    learner_create(organisation=tree.school2, data=learner_input(national_id=nid(20)), acting_user=None)
    items = [cleaned(tree.school1, national_id=nid(i)) for i in (20, 21)]
    with pytest.raises(DomainError) as exc:
        learners_bulk_upsert(organisation=tree.school1, items=items, acting_user=None)
    assert exc.value.code == "identity_active_elsewhere"
    assert exc.value.extra["conflicts"] == {nid(20): (tree.school2.code, tree.school2.name_th)}
    assert not Learner.objects.filter(organisation=tree.school1).exists()


def test_locked_institution_refuses(tree):
    tree.school1.learners_locked = True
    tree.school1.save()
    with pytest.raises(DomainError) as exc:
        learners_bulk_upsert(organisation=tree.school1, items=[cleaned(tree.school1)], acting_user=None)
    assert exc.value.code == "confirmed_locked"
    assert not Learner.objects.exists()
