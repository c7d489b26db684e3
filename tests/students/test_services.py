"""Services: counters, the edit lock on every write path, promotion preview/apply/undo, verify_counts."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from lec.lib.errors import DomainError, Invalid
from students import services
from students.models import Learner, LearnerCount, PromotionBatch, Status, Transfer
from tests.students.helpers import learner_input, nid

pytestmark = pytest.mark.django_db


def make(org, **kw):
    return services.learner_create(organisation=org, data=learner_input(**kw), acting_user=None)


def counts(org):
    return {
        (c.class_level, c.gender): c.count for c in LearnerCount.objects.filter(organisation=org) if c.count
    }


def test_create_leave_and_transfer_keep_counters(tree):
    a = make(tree.school1)
    make(tree.school1, prefix="เด็กหญิง")
    assert counts(tree.school1) == {("p1", "male"): 1, ("p1", "female"): 1}
    services.learner_leave(learner_id=a.pk, reason="deceased", left_on=dt.date.today(), acting_user=None)
    assert counts(tree.school1) == {("p1", "female"): 1}


def test_locked_institution_refuses_every_write_and_writes_nothing(tree):
    learner = make(tree.school1)
    other = make(tree.school2, national_id=nid(90))
    pending = services.transfer_request(
        identity_value=nid(90), to_organisation=tree.school1, class_level="p1", acting_user=None
    )
    tree.school1.learners_locked = True
    tree.school1.save()
    before = (Learner.history.count(), list(LearnerCount.objects.values_list("count", flat=True)))
    attempts = [
        lambda: make(tree.school1),
        lambda: services.learner_update(
            learner_id=learner.pk, data={"room": "9"}, version=1, acting_user=None
        ),
        lambda: services.learner_leave(
            learner_id=learner.pk, reason="dropped_out", left_on=dt.date.today(), acting_user=None
        ),
        lambda: services.transfer_approve(transfer_id=pending.pk, acting_user=None),
        lambda: services.promotion_apply(organisation=tree.school1, acting_user=None),
        lambda: services.learners_bulk_upsert(organisation=tree.school1, items=[], acting_user=None),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as exc:
            attempt()
        assert exc.value.code == "confirmed_locked"
    assert (Learner.history.count(), list(LearnerCount.objects.values_list("count", flat=True))) == before
    learner.refresh_from_db()
    other.refresh_from_db()
    assert (
        learner.version == 1 and learner.status == Status.ACTIVE and other.organisation_id == tree.school2.pk
    )
    assert Transfer.objects.get(pk=pending.pk).state == "pending"


def test_update_identity_to_one_active_elsewhere_is_refused(tree):
    make(tree.school2, national_id=nid(91))
    learner = make(tree.school1, national_id=nid(92))
    with pytest.raises(DomainError) as exc:
        services.learner_update(
            learner_id=learner.pk, data={"national_id": nid(91)}, version=1, acting_user=None
        )
    assert exc.value.code == "identity_active_elsewhere"
    assert exc.value.extra["holder"]["code"] == tree.school2.code
    learner.refresh_from_db()
    assert learner.national_id == nid(92) and learner.version == 1


def test_unchanged_update_keeps_the_version(tree):
    learner = make(tree.school1)
    same = services.learner_update(
        learner_id=learner.pk, data={"room": learner.room}, version=1, acting_user=None
    )
    assert same.version == 1


def test_leaving_cancels_a_pending_transfer(tree):
    learner = make(tree.school2, national_id=nid(93))
    t = services.transfer_request(
        identity_value=nid(93), to_organisation=tree.school1, class_level="p1", acting_user=None
    )
    services.learner_leave(
        learner_id=learner.pk, reason="deceased", left_on=dt.date.today(), acting_user=None
    )
    assert Transfer.objects.get(pk=t.pk).state == "rejected"


def _school_with_levels(tree):
    make(tree.school1, class_level="k3", level="k3")
    make(tree.school1, class_level="p5", level="p5", prefix="เด็กหญิง")
    make(tree.school1, class_level="p6", level="p6")
    make(tree.school1, class_level="m3", level="m3")
    make(tree.school1, class_level="m6", level="m6", prefix="นาย")


def test_promotion_preview(tree):
    _school_with_levels(tree)
    preview = services.promotion_preview(organisation=tree.school1)
    rows = {(r["from"], r["to"]): r["count"] for r in preview["rows"]}
    # the school has secondary learners, so ป.6 moves up to ม.1 by default
    assert rows == {
        ("k3", "p1"): 1,
        ("p5", "p6"): 1,
        ("p6", "m1"): 1,
        ("m3", "m4"): 1,
        ("m6", "graduated"): 1,
    }
    rows = {
        (r["from"], r["to"])
        for r in services.promotion_preview(organisation=tree.school1, p6_to_m1=False)["rows"]
    }
    assert ("p6", "graduated") in rows
    assert not PromotionBatch.objects.exists()


def test_promotion_apply_then_undo_restores_exactly(tree):
    _school_with_levels(tree)
    before = sorted(Learner.objects.values_list("id", "class_level", "status", "left_on"))
    counts_before = counts(tree.school1)
    batch = services.promotion_apply(
        organisation=tree.school1, acting_user=tree.users["school1"], p6_to_m1=False
    )
    after = sorted(Learner.objects.values_list("class_level", flat=True))
    assert after == ["m4", "m6", "p1", "p6", "p6"]  # graduates keep their last level
    assert Learner.objects.filter(status=Status.GRADUATED).count() == 2
    assert counts(tree.school1) == {("p1", "male"): 1, ("p6", "female"): 1, ("m4", "male"): 1}
    with pytest.raises(DomainError):
        services.promotion_apply(organisation=tree.school1, acting_user=None)
    services.promotion_undo(batch_id=batch.pk, acting_user=tree.users["school1"])
    assert sorted(Learner.objects.values_list("id", "class_level", "status", "left_on")) == before
    assert counts(tree.school1) == counts_before
    with pytest.raises(DomainError) as exc:
        services.promotion_undo(batch_id=batch.pk, acting_user=None)
    assert exc.value.code == "already_decided"


def test_promotion_undo_refused_after_a_learner_changed(tree):
    learner = make(tree.school1, class_level="p2", level="p2")
    batch = services.promotion_apply(organisation=tree.school1, acting_user=None)
    services.learner_update(learner_id=learner.pk, data={"room": "5"}, version=2, acting_user=None)
    with pytest.raises(DomainError) as exc:
        services.promotion_undo(batch_id=batch.pk, acting_user=None)
    assert exc.value.code == "invalid_transition"
    assert Learner.objects.get(pk=learner.pk).class_level == "p3"


def test_cdc_promotion_graduates_five_year_olds(tree):
    make(tree.cdc1, class_level="cdc4", level="cdc4")
    make(tree.cdc1, class_level="cdc5", level="cdc5")
    services.promotion_apply(organisation=tree.cdc1, acting_user=None)
    assert sorted(Learner.objects.values_list("class_level", "status")) == [
        ("cdc5", "active"),
        ("cdc5", "graduated"),
    ]


def test_verify_counts_command(tree, capsys):
    make(tree.school1)
    call_command("verify_counts")
    assert "counts verified:" in capsys.readouterr().out
    LearnerCount.objects.filter(organisation=tree.school1).update(count=5)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_counts")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert f"{tree.school1.code} p1 male: counter 5, learners 1" in out
    LearnerCount.objects.filter(organisation=tree.school1).update(count=1)


def test_leave_reason_validation(tree):
    learner = make(tree.school1)
    with pytest.raises(Invalid) as exc:
        services.learner_leave(
            learner_id=learner.pk, reason="transferred", left_on=dt.date.today(), acting_user=None
        )
    assert "reason" in exc.value.errors


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_the_same_identity_one_wins(tree):
    from tests.conftest import require_postgres

    require_postgres()
    barrier = threading.Barrier(2)
    results = {}

    def create(org):
        try:
            barrier.wait()
            learner = services.learner_create(
                organisation=org, data=learner_input(national_id=nid(4242)), acting_user=None
            )
            results[org.code] = ("ok", learner.pk)
        except DomainError as exc:
            results[org.code] = (exc.code, exc.extra.get("holder"))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(org,)) for org in (tree.school1, tree.school3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(r[0] for r in results.values())
    assert outcomes == ["identity_active_elsewhere", "ok"], results
    winner = next(code for code, r in results.items() if r[0] == "ok")
    loser = next(r for r in results.values() if r[0] != "ok")
    assert loser[1]["code"] == winner
    assert Learner.objects.filter(national_id=nid(4242), status="active").count() == 1


def test_nightly_task_reports_differences(tree):
    from lec.tasks import verify_counts

    make(tree.school1)
    assert verify_counts.delay().get()["differences"] == []
    LearnerCount.objects.filter(organisation=tree.school1).update(count=2)
    assert len(verify_counts.delay().get()["differences"]) == 1
    LearnerCount.objects.filter(organisation=tree.school1).update(count=1)


def test_transfer_request_checks_the_age_for_the_new_level(tree):
    make(tree.school2, national_id=nid(94))
    with pytest.raises(Invalid) as exc:
        services.transfer_request(
            identity_value=nid(94), to_organisation=tree.school1, class_level="m6", acting_user=None
        )
    assert "class_level" in exc.value.errors
    assert not Transfer.objects.exists()


# Written for mutation testing (docs/testing.md "Mutation testing"): on SQLite neither the row lock's mode nor the
# cached-totals counters leave a trace, so these check what counters.py asks for.
def test_the_institution_lock_is_for_no_key_update(tree, monkeypatch):
    """Design.md rule 10: shared with other learner writes (FOR NO KEY UPDATE), exclusive against a confirm."""
    from django.db.models import QuerySet

    from schools.models import Organisation

    asked = []
    real = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        asked.append((self.model, args, kwargs))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    assert services.lock_institution(tree.school1.pk) == tree.school1
    assert asked == [(Organisation, (), {"no_key": True})]


def test_counters_void_the_cached_live_totals_of_their_province(tree, monkeypatch):
    from collections import Counter

    from lec.lib import generations

    bumped = []
    monkeypatch.setattr(generations, "bump", lambda kind, provinces: bumped.append((kind, list(provinces))))
    make(tree.school1)
    assert [b for b in bumped if b[0] == "live"] == [("live", [tree.school1.province_id])]
    bumped.clear()
    services.counts_apply(Counter({(tree.school1.pk, "p1", "male"): 0}))  # nothing changes: nothing voided
    assert bumped == []
