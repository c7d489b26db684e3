"""Threaded races on PostgreSQL (design.md rule 9): racing confirms and unlocks cannot break the invariant, and
twenty confirms of one institution make one transition and one event."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from confirmations import rounds, services
from confirmations.models import Confirmation, ConfirmationEvent, HeadcountSnapshot
from lec.lib.errors import DomainError
from schools.models import Round
from tests.conftest import require_postgres
from tests.factories import OrgTree, RoundFactory

from .conftest import counts
from .test_state_machine import check_invariant


def run_threads(n, target):
    barrier = threading.Barrier(n)
    outcomes = []

    def body(i):
        try:
            barrier.wait()
            outcomes.append(("ok", target(i)))
        except DomainError as exc:
            outcomes.append((exc.code, None))
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def open_round():
    now = timezone.now()
    return RoundFactory(opens_at=now, closes_at=now + datetime.timedelta(days=9))


@pytest.mark.django_db(transaction=True)
def test_twenty_confirms_of_one_institution_make_one_transition():
    require_postgres()
    tree = OrgTree.build()
    rnd = open_round()
    counts(tree.school1, p1=(3, 4))
    outcomes = run_threads(20, lambda i: services.confirmation_confirm(
        acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1, scope="learners"))  # fmt: skip
    assert sorted(code for code, _ in outcomes) == ["already_confirmed"] * 19 + ["ok"]
    assert ConfirmationEvent.objects.filter(action="confirm").count() == 1
    assert HeadcountSnapshot.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_lao_confirm_racing_institution_unlocks_keeps_the_invariant():
    require_postgres()
    tree = OrgTree.build()
    rnd = open_round()
    for name in ("school1", "school2", "cdc1"):
        services.confirmation_confirm(acting_user=tree.users[name], round_id=rnd.pk, organisation=getattr(tree, name),
                                      scope="learners")  # fmt: skip
    targets = ["school1", "school2", "cdc1"]

    def act(i):
        if i % 2 == 0:
            return services.confirmation_confirm(acting_user=tree.users["lao1"], round_id=rnd.pk, organisation=tree.lao1,
                                                 scope="learners")  # fmt: skip
        name = targets[i % 3]
        return services.confirmation_unlock(acting_user=tree.users["lao1"], round_id=rnd.pk,
                                            organisation=getattr(tree, name), scope="learners", reason="race")  # fmt: skip

    outcomes = run_threads(20, act)
    assert len(outcomes) == 20
    codes = {code for code, _ in outcomes}
    assert codes <= {"ok", "already_confirmed", "children_not_confirmed", "parent_confirmed", "not_confirmed"}
    check_invariant(rnd)
    lao = Confirmation.objects.filter(round=rnd, organisation=tree.lao1, state="confirmed").exists()
    open_children = Confirmation.objects.filter(
        round=rnd, organisation__parent=tree.lao1, state="open"
    ).exists()
    assert not (lao and open_children)


@pytest.mark.django_db(transaction=True)
def test_twenty_unlock_requests_leave_one_pending():
    require_postgres()
    tree = OrgTree.build()
    rnd = open_round()
    services.confirmation_confirm(acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1,
                                  scope="learners")  # fmt: skip
    outcomes = run_threads(20, lambda i: services.unlock_request_create(
        acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1, scope="learners",
        reason=f"คำขอ {i}"))  # fmt: skip
    assert sorted(code for code, _ in outcomes) == ["already_pending"] * 19 + ["ok"]


@pytest.mark.django_db(transaction=True)
def test_closing_while_institutions_confirm_leaves_no_lock_behind():
    require_postgres()
    tree = OrgTree.build()
    rnd = open_round()
    names = ["school1", "school2", "cdc1", "school3", "school4", "cdc2"]

    def act(i):
        if i == 3:
            return rounds.round_close(acting_user=tree.users["dept"], round_id=rnd.pk)
        name = names[i % len(names)]
        return services.confirmation_confirm(acting_user=tree.users[name], round_id=rnd.pk,
                                             organisation=getattr(tree, name), scope="learners")  # fmt: skip

    outcomes = run_threads(12, act)
    assert {code for code, _ in outcomes} <= {"ok", "already_confirmed", "round_not_open"}
    assert Round.objects.get(pk=rnd.pk).state == "closed"
    from schools.models import Organisation

    assert not Organisation.objects.filter(learners_locked=True).exists()
