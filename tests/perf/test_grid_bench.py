"""Benchmark for the closing note of issue 5: saving a 40-school other-affiliation grid on the server.
Not collected by default: LEC_BENCH=1 and PostgreSQL.

    LEC_BENCH=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/lec_c python -m pytest tests/perf/test_grid_bench.py -s -p no:warnings

Prints the median and p95 of (1) the save service alone, (2) the whole browser POST (form parsing, validation,
save, redirect) and (3) the grid page GET, each committed for real (transactional test), with the query counts.
Figures are printed, not asserted as budgets (a loose sanity ceiling only).

Measured 28 Nov 2026 on the shared 2-core machine (load average 6–9 from four other engineers' test runs), 41
schools × 9 levels × 2 genders, PostgreSQL: save service median 42–94 ms (CPU 18–28 ms, 10 queries); browser POST
median 108–234 ms (CPU ~60 ms, 24 queries); grid page GET median 74–218 ms (CPU 70–83 ms, 15 queries)."""

import statistics
import time
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools.models import Kind, OtherSchoolCount, OtherSchoolEntry
from schools.services import other_school_headcounts_save
from tests.conftest import require_postgres
from tests.factories import org
from tests.schools.test_other_services import make_round

pytestmark = [pytest.mark.perf, pytest.mark.django_db(transaction=True)]

SCHOOLS = 40
LEVELS = ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6")  # a typical OBEC primary school: 18 cells
REPEAT = 30


def _timed(fn, repeat=REPEAT) -> tuple[float, float, float, int]:
    """(median ms, p95 ms, median CPU ms of this process, queries). The CPU figure leaves out time spent waiting
    for PostgreSQL and for other processes on a shared machine, so it moves less with the load."""
    fn()  # warm up
    times, cpu, queries = [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            fn()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries = len(ctx)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], statistics.median(cpu), queries


def test_saving_a_40_school_grid(tree, client):
    require_postgres()
    rnd = make_round()
    codes = [f"90519{i:05d}" for i in range(SCHOOLS)]
    for code in codes:
        org(Kind.OTHER_SCHOOL, tree.lao1, code=code)
    user = tree.users["lao1"]
    state = {"n": 0}

    def entries():
        state["n"] += 1
        return {code: {"closed": False, "counts": [{"class_level": lvl, "male": (i + state["n"]) % 40 + 1,
                                                    "female": i % 35 + 1} for i, lvl in enumerate(LEVELS)]}
                for code in codes}  # fmt: skip

    def save():
        other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries(), acting_user=user)

    service = _timed(save)
    assert OtherSchoolEntry.objects.filter(round=rnd).count() == SCHOOLS + 1 - 1  # other1 is not in the grid
    assert OtherSchoolCount.objects.filter(entry__round=rnd).count() == SCHOOLS * len(LEVELS)

    client.force_login(user)
    url = "/o/5010101/other-schools/headcounts/"

    def post():
        state["n"] += 1
        data = {f"{code}.{lvl}.{g}": str((i + state["n"]) % 40 + 1) for code in codes
                for i, lvl in enumerate(LEVELS) for g in ("male", "female")}  # fmt: skip
        data["9050100001.closed"] = "1"
        # As a browser sends a form (urlencoded), not the test client's default multipart encoding.
        r = client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")
        assert r.status_code == 302, r.content[:500]

    page_post = _timed(post, repeat=20)

    def get():
        assert client.get(url).status_code == 200

    page_get = _timed(get, repeat=20)
    print()
    print(f"grid of {SCHOOLS + 1} schools × {len(LEVELS)} levels × 2 genders on {connection.vendor}:")
    for name, (median, p95, cpu, queries) in (
        ("save service", service),
        ("page POST (parse, save, redirect)", page_post),
        ("page GET", page_get),
    ):
        print(
            f"  {name:<36} median {median:7.1f} ms   p95 {p95:7.1f} ms   CPU {cpu:6.1f} ms   {queries} queries"
        )
    assert service[0] < 2000 and page_post[0] < 5000
