"""Import/export benchmarks for the closing note (issue 6). Not collected by default: LEC_BENCH=1 and PostgreSQL.

    LEC_BENCH=1 DATABASE_URL=postgres://... python -m pytest tests/perf/test_io_bench.py -s -p no:warnings

Targets: a 10,000-row xlsx dry run + import within 15 s on the 2-core machine with bounded memory; an export of
100,000 learners at ≥ 50,000 rows/s with peak memory < 300 MB. Figures are printed, not asserted as budgets."""

import datetime as dt
import io
import resource
import statistics
import time
import tracemalloc

import openpyxl
import pytest

from students.exporting import learners_export
from students.importing import learners_import
from students.models import Learner
from tests.students.helpers import birth_for, nid

pytestmark = [pytest.mark.perf]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _xlsx(n: int, offset: int = 900_000) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("นักเรียน")
    ws.append(["ลำดับที่", "เลขประจำตัวนักเรียน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ",
               "วันเดือนปีเกิด", "ระดับชั้น", "ห้องเรียน", "เชื้อชาติ", "สัญชาติ", "ศาสนา"])  # fmt: skip
    birth = birth_for("p3")
    be = f"{birth.day:02d}/{birth.month:02d}/{birth.year + 543}"
    for i in range(n):
        ws.append([i + 1, f"{i:06d}", nid(offset + i), "เด็กชาย", f"ชื่อ{i}", f"นามสกุล{i}", "ชาย", be,
                   "ประถมศึกษาปีที่ 3", str(i % 5 + 1), "ไทย", "ไทย", "พุทธ"])  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_import_10000_rows_dry_run_then_import(tree):
    data = _xlsx(10_000)
    rss0 = _rss_mb()
    started = time.perf_counter()
    preview = learners_import(organisation=tree.school1, source=io.BytesIO(data), filename="big.xlsx",
                              acting_user=None, dry_run=True)  # fmt: skip
    t_dry = time.perf_counter() - started
    assert preview.ok and preview.created == 10_000
    started = time.perf_counter()
    done = learners_import(organisation=tree.school1, source=io.BytesIO(data), filename="big.xlsx",
                           acting_user=None)  # fmt: skip
    t_import = time.perf_counter() - started
    assert done.written and Learner.objects.filter(organisation=tree.school1).count() == 10_000
    started = time.perf_counter()
    again = learners_import(organisation=tree.school1, source=io.BytesIO(data), filename="big.xlsx",
                            acting_user=None, dry_run=True)  # fmt: skip
    t_again = time.perf_counter() - started
    assert again.unchanged == 10_000
    # where the time goes: reading, the per-row learner rules, and the service's bulk write
    from students.importing import read_table
    from students.services import age_reference_date, learner_clean, learners_bulk_upsert

    other = _xlsx(10_000, offset=5_000_000)
    t0, c0 = time.perf_counter(), time.process_time()
    table = read_table(io.BytesIO(other), "other.xlsx")
    t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
    on = age_reference_date()
    t0, c0 = time.perf_counter(), time.process_time()
    items = [learner_clean(organisation=tree.school2, data=r.data, on=on)[0] for r in table.rows]
    t_clean, c_clean = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    learners_bulk_upsert(organisation=tree.school2, items=items, acting_user=None, dry_run=True)
    t_dry_bulk, c_dry_bulk = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    learners_bulk_upsert(organisation=tree.school2, items=items, acting_user=None)
    t_bulk, c_bulk = time.perf_counter() - t0, time.process_time() - c0
    print(f"\nBREAKDOWN (wall / CPU of this process): read {t_read:.2f}/{c_read:.2f} s, learner_clean × 10,000 "
          f"{t_clean:.2f}/{c_clean:.2f} s, learners_bulk_upsert dry run {t_dry_bulk:.2f}/{c_dry_bulk:.2f} s, "
          f"learners_bulk_upsert write of 10,000 new {t_bulk:.2f}/{c_bulk:.2f} s")  # fmt: skip
    tracemalloc.start()
    learners_import(organisation=tree.school1, source=io.BytesIO(data), filename="big.xlsx", acting_user=None,
                    dry_run=True)  # fmt: skip
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\nIMPORT 10,000 rows ({len(data) / 1e6:.1f} MB xlsx): dry run {t_dry:.2f} s, import {t_import:.2f} s, "
          f"total {t_dry + t_import:.2f} s; re-check of the same file {t_again:.2f} s; "
          f"Python peak during a dry run {peak / 1e6:.0f} MB; process max RSS {rss0:.0f} → {_rss_mb():.0f} MB")  # fmt: skip


def _seed(org, n: int) -> None:
    today = dt.date.today()
    batch = []
    for i in range(n):
        batch.append(Learner(organisation=org, national_id=nid(2_000_000 + i), prefix="เด็กหญิง", first_name=f"ชื่อ{i}",
                             last_name=f"สกุล{i}", gender="female", birth_date=birth_for("p4"), class_level="p4",
                             level_order=8, room=str(i % 9), enrolled_on=today, race="ไทย", nationality="ไทย",
                             religion="พุทธ", student_number=f"{i:06d}"))  # fmt: skip
        if len(batch) == 5000:
            Learner.objects.bulk_create(batch)
            batch = []
    Learner.objects.bulk_create(batch)


@pytest.fixture
def many_learners(tree):
    _seed(tree.school1, 100_000)
    yield tree
    # the bulk seed bypassed the counters: leave no learners for the counter check
    Learner.objects.all().delete()


# Committed rows (a transactional test), as in production: an export outside a transaction streams its rows on a
# connection of its own (lec.lib.streamed); inside the test's transaction it would read through a cursor instead.
@pytest.mark.django_db(transaction=True)
def test_export_100000_learners(many_learners):
    """Each format exported four times: the first (cold: PostgreSQL's first read of 100,000 fresh rows sets their
    hint bits, autovacuum may be analysing them) printed apart, the median of the other three is the figure."""
    tree = many_learners
    user = tree.users["lao1"]
    for fmt in ("csv", "xlsx"):
        rss0 = _rss_mb()
        walls, cpus = [], []
        for _ in range(4):
            started, cpu = time.perf_counter(), time.process_time()
            response = learners_export(acting_user=user, organisation=tree.lao1, fmt=fmt, status="active")
            size = sum(len(chunk) for chunk in response.streaming_content)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
        elapsed, cpu = statistics.median(walls[1:]), statistics.median(cpus[1:])
        print(f"\nEXPORT 100,000 learners as {fmt}: {elapsed:.2f} s = {100_000 / elapsed:,.0f} rows/s "
              f"(median of 3 after a first, cold one of {walls[0]:.2f} s = {100_000 / walls[0]:,.0f} rows/s; "
              f"CPU of this process {cpu:.2f} s = {100_000 / cpu:,.0f} rows per CPU-second), "
              f"{size / 1e6:.1f} MB, process max RSS {rss0:.0f} → {_rss_mb():.0f} MB")  # fmt: skip
