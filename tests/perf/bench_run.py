"""Running one bench target: wall and CPU time per request (the server's process and its database backend), the
export and import runs."""

import csv
import dataclasses
import datetime as dt
import json
import os
import statistics
import tempfile
import time
import traceback
from pathlib import Path

from tests.perf.bench_targets import Ctx, Target, _api_exists, api_call


@dataclasses.dataclass
class Result:
    name: str
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    floor_ms: float | None = None
    budget_ms: float | None = None
    cpu_ms: float | None = None  # median process CPU (user + system) of the server side, per request
    db_cpu_ms: float | None = None  # mean CPU of the PostgreSQL backend serving the requests, per request
    note: str = ""
    error: str = ""
    extra: dict = dataclasses.field(default_factory=dict)

    @property
    def ratio(self):
        if self.median_ms is None or not self.floor_ms:
            return None
        return self.median_ms / self.floor_ms


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(0.95 * len(xs) + 0.5) - 1))]


def _consume(resp) -> bytes:
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content)
    return resp.content


# --- CPU: process time, not wall time (the box is shared; CPU per request does not queue behind others) ---------

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_seconds(pid: int, children: bool = False) -> float:
    """utime + stime of a process from /proc/<pid>/stat (and of its reaped children with `children`); 0 when the
    process is gone or /proc is not there."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0], utime is stat field 14
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def db_backend_pid() -> int | None:
    """The pid of the PostgreSQL backend of the default connection (same host: its CPU is in /proc)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def load_average() -> str:
    try:
        return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def time_sql(queries, repeat: int) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cur:
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            for sql, params in queries:
                cur.execute(sql, params)
                cur.fetchall()
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[1:])


def _second_factor_given(client, user) -> None:
    """A user with a device (the load test gives department and province officers one, as production has) is
    sent to the code page until the session gave its code: the prepared session is one that did, as in
    tests.perf.loadtest (django-otp keeps the verified device in the session)."""
    from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user

    device = next(iter(devices_for_user(user)), None)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def run_target(t: Target, ctx: Ctx, repeat: int) -> Result:
    from django.core import mail
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    res = Result(t.name, budget_ms=t.budget_ms)
    path = t.path(ctx)
    if not path or (t.api and not _api_exists(path)):
        res.note = "n/a"
        return res
    actor = t.actor(ctx)
    client = Client()
    if not t.api:
        client.force_login(ctx.user(actor))
        _second_factor_given(client, ctx.user(actor))
    if t.once:
        t.once(ctx)

    def one():
        if t.before:
            t.before(ctx, client)
        body = t.body(ctx) if t.body else None
        t0, c0 = time.perf_counter(), time.process_time()
        if t.api:
            resp = api_call(client, ctx, t.method, path, actor, body)
        else:
            resp = getattr(client, t.method)(path, data=body or {}, HTTP_ACCEPT_LANGUAGE="th")
        content = _consume(resp)
        elapsed = (time.perf_counter() - t0) * 1000
        cpu.append((time.process_time() - c0) * 1000)
        if resp.status_code not in t.expect:
            raise RuntimeError(f"{t.method.upper()} {path} answered {resp.status_code}: {content[:400]!r}")
        if t.after:
            t.after(ctx, client)
        mail.outbox = []
        return elapsed

    cpu: list[float] = []
    one()  # warm-up: templates, caches, the token lookup
    with CaptureQueriesContext(connection) as q:
        one()
    res.queries = len(q.captured_queries)
    del cpu[:]
    backend = db_backend_pid()
    db0 = proc_cpu_seconds(backend) if backend else None
    times = [one() for _ in range(repeat)]
    if backend and db_backend_pid() == backend:  # the same connection served every timed request
        res.db_cpu_ms = (proc_cpu_seconds(backend) - db0) * 1000 / repeat
    res.median_ms, res.p95_ms = statistics.median(times), p95(times)
    res.cpu_ms = statistics.median(cpu)
    if t.floor:
        res.floor_ms = time_sql(t.floor(ctx), max(3, repeat // 2))
    return res


def run_export(ctx: Ctx, smoke: bool, fmt: str = "csv", repeat: int = 1) -> Result:
    """An export (CSV or xlsx) of the largest province as its officer (masked), in a forked child so its peak memory
    is its own. Like every target: the first (cold) request, then `repeat` more whose median is the figure; the
    first one's time is in the note (a fresh process and a fresh database connection)."""
    res = Result(f"export {fmt if fmt == 'xlsx' else fmt.upper()} (province)", note="")
    org = ctx.province
    path = f"/api/v1/organisations/{org.code}/learners/export?format={fmt}&status=active"
    if not _api_exists(path):
        res.note = "n/a"
        return res
    from django.db import connections

    token = ctx.token(org)
    connections.close_all()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        out = {}
        try:
            out = _export_runs(path, token, fmt, repeat)
        except Exception:
            out = {"error": traceback.format_exc()[-1500:]}
        os.write(w, json.dumps(out).encode())
        os.close(w)
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    out = json.loads(data or b"{}")
    if "error" in out or out.get("status") != 200:
        res.error = out.get("error") or f"status {out.get('status')}"
        return res
    res.median_ms = out["seconds"] * 1000
    res.p95_ms = out["p95_seconds"] * 1000
    res.cpu_ms = out["cpu_seconds"] * 1000
    rate = out["rows"] / out["seconds"] if out["seconds"] else 0
    cpu_rate = out["rows"] / out["cpu_seconds"] if out["cpu_seconds"] else 0
    res.note = (
        f"{out['rows']:,} rows, {rate:,.0f} rows/s ({cpu_rate:,.0f} per CPU second; the first, cold: "
        f"{out['rows'] / out['first_seconds']:,.0f} rows/s), {out['bytes'] / 1e6:.1f} MB, "
        f"peak RSS {out['peak_mb']:.0f} MB (process before: {out['base_mb']:.0f} MB)"
    )
    res.extra = out
    return res


def _export_runs(path: str, token: str, fmt: str, repeat: int) -> dict:
    """In the forked child: the export requested 1 + `repeat` times; wall and CPU of each, rows of the last."""
    import resource

    from django.test import Client

    from accounts.models import AuditLog

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    walls, cpus = [], []
    status, rows, size = 0, 0, 0
    for _ in range(1 + repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        resp = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        rows, size = 0, 0
        chunks = resp.streaming_content if getattr(resp, "streaming", False) else [resp.content]
        for chunk in chunks:
            rows += chunk.count(b"\n")
            size += len(chunk)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        status = resp.status_code
        if status != 200:
            break
    if fmt != "csv":  # zipped: the audit row of the export says how many rows it wrote
        rows = 1 + AuditLog.objects.filter(action="export_learners").latest("id").detail.get("rows", 0)
    timed = walls[1:] or walls
    return {
        "status": status,
        "seconds": statistics.median(timed),
        "p95_seconds": p95(timed),
        "first_seconds": walls[0],
        "cpu_seconds": statistics.median(cpus[1:] or cpus),
        "rows": max(0, rows - 1),
        "bytes": size,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "base_mb": base / 1024,
    }


def run_import(ctx: Ctx, rows: int) -> Result:
    """`manage.py import_learners` of `rows` new learners into a school made for the purpose (emptied first)."""
    from django.core.management import call_command, get_commands

    res = Result(f"import {rows:,} rows (CSV)", budget_ms=15000 if rows >= 10000 else None)
    if "import_learners" not in get_commands():
        res.note = "n/a"
        return res
    target = _import_school(ctx)
    census = ctx.round.census_date
    with tempfile.NamedTemporaryFile(
        "w", suffix=".csv", delete=False, encoding="utf-8-sig", newline=""
    ) as fh:
        w = csv.writer(fh)
        w.writerow(["ลำดับที่", "เลขประจำตัวนักเรียน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ",
                    "วันเดือนปีเกิด", "ระดับชั้น", "ห้องเรียน", "เชื้อชาติ", "สัญชาติ", "ศาสนา"])  # fmt: skip
        from lec.management.commands._scale.plan import national_id

        for i in range(rows):
            age = 6 + i % 6
            birth = dt.date(census.year - age, 1, 1) + dt.timedelta(days=i % 300)
            w.writerow([i + 1, f"{i + 1:05d}", national_id(7, f"77{target.id % 10000:04d}{i:05d}"),
                        "เด็กชาย" if i % 2 else "เด็กหญิง", "นำเข้า", f"ทดสอบ{i % 97}", "ชาย" if i % 2 else "หญิง",
                        f"{birth.day:02d}/{birth.month:02d}/{birth.year + 543}", f"ประถมศึกษาปีที่ {age - 5}",
                        str(1 + i % 9), "ไทย", "ไทย", "พุทธ"])  # fmt: skip
        name = fh.name
    try:
        import io

        out = io.StringIO()
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            call_command("import_learners", target.code, name, stdout=out, stderr=out)
        except SystemExit as exc:
            if exc.code:
                res.error = out.getvalue()[-800:]
                return res
        except Exception:
            res.error = out.getvalue()[-400:] + traceback.format_exc()[-800:]
            return res
        res.median_ms = (time.perf_counter() - t0) * 1000
        res.cpu_ms = (time.process_time() - c0) * 1000
        res.note = out.getvalue().strip().splitlines()[-1] if out.getvalue().strip() else ""
    finally:
        os.unlink(name)
        _import_school(ctx)  # empty again: the data set stays as seeded
    return res


def _import_school(ctx: Ctx):
    """A school only the bench uses, under the open LAO of the roster school; emptied before each import."""
    from django.db import connection, transaction

    from schools.models import Kind, Organisation
    from schools.tree import derived_fields
    from students.models import LearnerCount

    lao = ctx.school.lao
    code = "BENCH-IMPORT"
    org = Organisation.objects.filter(code=code).first()
    if org is None:
        org = Organisation(kind=Kind.SCHOOL, code=code, name_th="โรงเรียนทดสอบการนำเข้า", parent=lao,
                           **derived_fields(Kind.SCHOOL, lao, code))  # fmt: skip
        org.save()
    with transaction.atomic(), connection.cursor() as cur:
        for table in ("students_historicallearner", "students_learner"):
            cur.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_name = %s",
                [table],  # noqa: S608
            )
            if cur.fetchone():
                cur.execute(f"DELETE FROM {table} WHERE organisation_id = %s", [org.id])  # noqa: S608
        LearnerCount.objects.filter(organisation=org).delete()
        from lec.lib import generations

        generations.bump("live", [org.province_id])  # counters changed around the services
    return org


# --- invariants (the smoke run fails on these) ------------------------------------------------------------
