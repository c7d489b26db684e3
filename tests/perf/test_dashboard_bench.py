"""Benchmark (not a timed test): each confirmation dashboard's query count and server time with 500 children per
level. Run: LEC_BENCH=1 DATABASE_URL=… pytest tests/perf/test_dashboard_bench.py -s

Measured 2026-11-28 on PostgreSQL, 2 shared cores (best of 3, 100 rows rendered per page):
  LAO dashboard 22 queries 215 ms · province 22 queries 351 ms · department 21 queries 184 ms
  (the dashboard selector alone ~100 ms); GET /headcounts by child: 11 queries, 40–55 ms.
"""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from confirmations.models import Confirmation
from schools.models import Kind, Organisation, Round
from schools.tree import derived_fields
from students.models import LearnerCount
from tests.factories import OrgTree

N = 500


def bulk_orgs(kind, parents, per_parent, prefix):
    rows = []
    for p in parents:
        for i in range(per_parent):
            code = f"{prefix}{p.pk:05d}{i:04d}"
            o = Organisation(kind=kind, code=code, name_th=f"หน่วยงาน {code}", parent=p,
                             lao_type="sao" if kind == Kind.LAO else "")  # fmt: skip
            for f, v in derived_fields(kind, p, code).items():
                setattr(o, f, v)
            rows.append(o)
    made = Organisation.objects.bulk_create(rows, batch_size=2000)
    if kind == Kind.LAO:
        for o in made:
            o.lao = o
        Organisation.objects.bulk_update(made, ["lao"], batch_size=2000)
    return made


@pytest.mark.django_db
def test_dashboards_with_500_children(client):
    tree = OrgTree.build()
    now = timezone.now()
    rnd = Round.objects.create(academic_year=2569, term=2, census_date=datetime.date(2026, 11, 10),
                               opens_at=now, closes_at=now + datetime.timedelta(days=9), state="open")  # fmt: skip
    provinces = bulk_orgs(Kind.PROVINCE, [tree.dept], N, "P")
    laos = bulk_orgs(Kind.LAO, [tree.p1], N, "L")
    schools = bulk_orgs(Kind.CDC, [tree.lao1], N, "C")
    more = bulk_orgs(Kind.CDC, laos, 2, "D")
    LearnerCount.objects.bulk_create(
        [LearnerCount(organisation=o, class_level="cdc3", gender=g, count=7) for o in schools + more for g in ("male", "female")],
        batch_size=5000,
    )  # fmt: skip
    Confirmation.objects.bulk_create(
        [Confirmation(round=rnd, organisation=o, scope="learners", state="confirmed") for o in (schools + more)[::2]]
        + [Confirmation(round=rnd, organisation=o, scope="learners", state="confirmed") for o in laos[::3]],
        batch_size=5000,
    )  # fmt: skip
    del provinces
    print()
    for name, org, user in (
        ("LAO", tree.lao1, "lao1"),
        ("province", tree.p1, "p1"),
        ("department", tree.dept, "dept"),
    ):
        client.force_login(tree.users[user])
        client.get(f"/confirm/{org.code}/")
        best = None
        for _ in range(3):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                r = client.get(f"/confirm/{org.code}/")
                ms = (time.perf_counter() - t0) * 1000
            assert r.status_code == 200
            best = ms if best is None else min(best, ms)
        print(f"{name} dashboard, {N} children: {len(ctx.captured_queries)} queries, {best:.0f} ms")
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            client.get(f"/api/v1/headcounts?organisation={org.code}&by=child&source=live")
            ms = (time.perf_counter() - t0) * 1000
        print(f"{name} headcounts API by child: {len(ctx.captured_queries)} queries, {ms:.0f} ms")
