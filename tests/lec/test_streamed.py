"""lec.lib.streamed: a long read streamed on a PostgreSQL connection of its own. The rows must be the queryset's own,
in order; Django's connection must stay free while a stream is open (a stream locks its connection, so an audit
row written on the same one would wait forever); a stream stopped early leaves no connection or query behind."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL

from accounts.models import AuditLog
from accounts.services import audit
from lec.lib.streamed import streamed_rows
from schools.models import Organisation
from students.exporting import EXPORT_WORK_MEM, learner_rows, learner_rows_queryset
from students.models import Learner
from students.services import learner_clean, learners_bulk_upsert
from tests.conftest import require_postgres
from tests.students.helpers import learner_input

pytestmark = pytest.mark.django_db(transaction=True)


def backends() -> list[tuple[int, str]]:
    """(pid, query) of the other sessions on this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


def test_rows_are_the_querysets_own_in_order(tree):
    require_postgres()
    items = []
    for i in range(7):
        data = learner_input(
            first_name=f"ชื่อ{i}", last_name=f"สกุล{7 - i}", room=str(i % 2), student_number=f"{i:05d}"
        )
        cleaned, errors = learner_clean(organisation=tree.school1, data=data)
        assert not errors, errors
        items.append(cleaned)
    learners_bulk_upsert(organisation=tree.school1, items=items, acting_user=None)
    Learner.objects.filter(first_name="ชื่อ3").update(
        weight_kg="25.5", shortages=["books"], father={"first_name": "พ่อ", "income": 15000}
    )
    assert not connection.in_atomic_block  # so the stream, not the cursor, is what is read
    qs = learner_rows_queryset(tree.p1, "active")
    streamed = list(learner_rows(qs))
    assert len(streamed) == 7 and streamed == list(qs.iterator())
    assert {type(v) for r in streamed for v in r} >= {str, dt.date}


def test_djangos_connection_stays_free_while_a_stream_is_open(tree):
    require_postgres()
    qs = Organisation.objects.order_by("code").values_list("code")
    rows = streamed_rows(qs, size=1)
    assert next(rows) == qs.first()
    streaming = [pid for pid, query in backends() if "schools_organisation" in query]
    assert len(streaming) == 1  # a session of its own runs the query
    audit(acting_user=None, action="export_learners", organisation=tree.p1, object_ref=tree.p1.code)
    assert AuditLog.objects.filter(action="export_learners").count() == 1
    rows.close()


def test_work_mem_is_the_streams_own_and_djangos_connection_keeps_its_default(tree):
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        default = cursor.fetchone()[0]
    assert default != EXPORT_WORK_MEM
    setting = Organisation.objects.annotate(wm=RawSQL("current_setting('work_mem')", [])).values_list("wm")
    rows = streamed_rows(setting, work_mem=EXPORT_WORK_MEM)
    assert next(rows) == (EXPORT_WORK_MEM,)
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == default
    rows.close()


def test_the_streams_time_zone_is_djangos(tree):
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute("SHOW TimeZone")
        ours = cursor.fetchone()[0]
    setting = Organisation.objects.annotate(tz=RawSQL("current_setting('TimeZone')", [])).values_list("tz")
    assert next(streamed_rows(setting)) == (ours,)


def test_a_stream_stopped_early_leaves_no_session_behind(tree):
    require_postgres()
    before = len(backends())
    rows = streamed_rows(Organisation.objects.values_list("code"), size=1)
    next(rows)
    assert len(backends()) == before + 1
    rows.close()
    assert len(backends()) == before


def test_in_a_transaction_the_callers_connection_reads_its_own_rows(tree):
    """Uncommitted rows show only on the caller's connection: inside atomic() the queryset's iterator is used."""
    require_postgres()
    from django.db import transaction

    with transaction.atomic():
        Organisation.objects.filter(pk=tree.school1.pk).update(name_th="ยังไม่บันทึก")
        names = [
            n
            for (n,) in streamed_rows(Organisation.objects.filter(pk=tree.school1.pk).values_list("name_th"))
        ]
        assert names == ["ยังไม่บันทึก"]
