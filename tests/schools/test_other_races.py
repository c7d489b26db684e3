"""Rule 10 on PostgreSQL: a headcount save takes the LAO row lock, so it cannot slip in beside a confirm, and two
saves of the same grid queue instead of colliding on the new entries."""

import threading
import time

import pytest
from django.db import connection, transaction

from lec.lib.errors import DomainError
from schools.models import Organisation, OtherSchoolEntry
from schools.services import other_school_headcounts_save
from tests.conftest import require_postgres
from tests.schools.test_other_services import make_round

pytestmark = pytest.mark.django_db(transaction=True)

ENTRY = {"9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 4, "female": 5}]}}


def _run(target, results, key):
    try:
        results[key] = target()
    except Exception as exc:  # noqa: BLE001 — the test reads what each thread ended with
        results[key] = exc
    finally:
        connection.close()


def test_a_save_waits_for_a_confirm_and_is_then_refused(tree):
    require_postgres()
    rnd = make_round()
    locked = threading.Event()
    results = {}

    def confirm():  # what confirmations.services does: the LAO row FOR UPDATE, then the lock, then commit
        with transaction.atomic():
            lao = Organisation.objects.select_for_update().get(pk=tree.lao1.pk)
            locked.set()
            time.sleep(0.6)
            lao.other_schools_locked = True
            lao.save(update_fields=["other_schools_locked"])
        return "confirmed"

    def save():
        locked.wait(5)
        started = time.monotonic()
        try:
            other_school_headcounts_save(
                lao=tree.lao1, round_=rnd, entries=ENTRY, acting_user=tree.users["lao1"]
            )
        finally:
            results["waited"] = time.monotonic() - started
        return "saved"

    threads = [threading.Thread(target=_run, args=(confirm, results, "confirm")),
               threading.Thread(target=_run, args=(save, results, "save"))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results["confirm"] == "confirmed"
    assert isinstance(results["save"], DomainError) and results["save"].code == "confirmed_locked"
    assert results["waited"] >= 0.3  # it queued behind the confirm instead of reading the old flag
    assert not OtherSchoolEntry.objects.exists()


def test_two_saves_of_the_same_grid_queue_instead_of_colliding(tree):
    require_postgres()
    rnd = make_round()
    barrier = threading.Barrier(2)
    results = {}

    def save(n):
        def run():
            barrier.wait(5)
            entries = {
                "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": n, "female": n}]}
            }
            return other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=None)

        return run

    threads = [threading.Thread(target=_run, args=(save(n), results, n)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results == {1: 1, 2: 1}
    entry = OtherSchoolEntry.objects.get()
    assert entry.counts.get().male in (1, 2)
