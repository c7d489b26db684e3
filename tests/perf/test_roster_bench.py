"""Benchmark (not collected by default; LEC_BENCH=1): the roster page of one institution with 2,000 learners —
its query count and server time, first page and a later page, plus the list endpoint.

LEC_BENCH=1 DATABASE_URL=postgres://… .venv/bin/python -m pytest tests/perf/test_roster_bench.py -s -p no:warnings
"""

import datetime as dt
import os
import statistics
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from students.identity import make_national_id
from students.services import learner_clean, learners_bulk_upsert

N = 2000
RUNS = 15


def _seed(org):
    today = dt.date.today()
    levels = ["k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6"]
    items = []
    for i in range(N):
        level = levels[i % len(levels)]
        from lec.lib.levels import BY_CODE

        data = {
            "national_id": make_national_id(f"1{org.pk:04d}{i:07d}"),
            "prefix": "เด็กชาย" if i % 2 else "เด็กหญิง",
            "first_name": f"ชื่อ{i:04d}",
            "last_name": f"นามสกุล{i % 97:02d}",
            "birth_date": dt.date(today.year - BY_CODE[level].typical_age, 2, 1),
            "class_level": level,
            "room": str(1 + i % 3),
        }
        cleaned, errors = learner_clean(organisation=org, data=data, on=today)
        assert not errors
        items.append(cleaned)
    started = time.perf_counter()
    learners_bulk_upsert(organisation=org, items=items, acting_user=None)
    return time.perf_counter() - started


def _measure(client, path):
    client.get(path)  # warm caches (templates, grants)
    times, db, queries = [], [], 0
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200
        queries = len(ctx.captured_queries)
        db.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
    return queries, statistics.median(times), max(times), statistics.median(db)


@pytest.mark.django_db
def test_roster_with_2000_learners(tree, client, api):
    seconds = _seed(tree.school1)
    client.force_login(tree.users["school1"])
    rows = [("bulk upsert of 2,000 learners", f"{seconds:.2f} s", "", "")]
    for label, path in (
        ("roster page 1", f"/o/{tree.school1.code}/learners/"),
        ("roster page 30", f"/o/{tree.school1.code}/learners/?page=30"),
        ("roster name search", f"/o/{tree.school1.code}/learners/?q=ชื่อ19"),
        ("LAO subtree list", f"/o/{tree.lao1.code}/learners/"),
    ):
        if label.startswith("LAO"):
            client.force_login(tree.users["lao1"])
        q, median, worst, db = _measure(client, path)
        rows.append(
            (
                label,
                f"{q} queries ({db:.1f} ms in the database)",
                f"median {median:.1f} ms",
                f"max {worst:.1f} ms",
            )
        )
    user = tree.users["school1"]
    api.token(user)
    q, median, worst, db = _measure(
        api.client.__class__(HTTP_AUTHORIZATION=f"Bearer {api.token(user)}"),
        f"/api/v1/organisations/{tree.school1.code}/learners?page_size=500",
    )
    rows.append(("API list, 500 per page", f"{q} queries ({db:.1f} ms in the database)", f"median {median:.1f} ms",
                 f"max {worst:.1f} ms"))  # fmt: skip
    print(f"\nload average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"\nroster benchmark on {connection.vendor}, {N} learners in one institution:")
    for row in rows:
        print("  " + " · ".join(x for x in row if x))
