"""`make bench`: server-side timings of LEC's key pages and endpoints on a seeded national-shaped data set.

    python -m tests.perf.bench [--fraction 0.01] [--repeat 20] [--smoke] [--json OUT] [--compare OLD.json]

Seeds (or reuses) its own PostgreSQL database `lec_bench_<fraction>` on the server DATABASE_URL points at
(never the developer's database), then for each target prints the median and p95 over repeated requests made
in-process with Django's test Client, the query count, and for dashboards and headcounts the SQL floor (the
underlying aggregate timed alone) and the ratio page ÷ floor. A target whose URL does not exist yet prints
"n/a". --smoke: few repeats, exit status 1 only when a target fails (a wrong status, an exception, a broken
invariant), never on a budget. Budgets are issue 7's, judged at F = 1.0.
"""

import argparse
import csv
import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


# --- database selection (before Django is set up) ----------------------------------------------------------


def bench_database_url(fraction: float, name: str | None) -> str:
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(
            "bench needs PostgreSQL: set DATABASE_URL=postgres://… (its database name is replaced)"
        )
    dbname = name or "lec_bench_" + f"{fraction:g}".replace(".", "_")
    if base != "postgres://postgres@127.0.0.1:5432/postgres" and parts.path.lstrip("/") == dbname:
        raise SystemExit(f"refusing to bench in {dbname}: it is the database DATABASE_URL names")
    return urlunsplit(parts._replace(path="/" + dbname)), dbname


def ensure_database(url: str, dbname: str, fresh: bool = False) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lec.settings")
    os.environ["DEBUG"] = "0"  # no query log growing in memory; production-like templates
    os.environ.setdefault("LEC_ENV", "")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    # Tasks (notifications after a confirm, imports, exports) run in this process, inside the timed request: an
    # upper bound of what the request costs, and the smoke run exercises them. Mail stays in memory.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    from lec.celery import app

    app.conf.task_always_eager = True


def seed(fraction: float, out) -> None:
    from django.core.management import call_command

    from accounts.models import AuditLog

    call_command("migrate", verbosity=0, interactive=False)
    if AuditLog.objects.filter(action="bench_seeded", detail__fraction=fraction).exists():
        out.write(f"reusing the data set of fraction {fraction}\n")
        return
    t0 = time.monotonic()
    call_command("seed_scale", fraction=fraction, verbosity=1, stdout=out)
    AuditLog.objects.create(action="bench_seeded", detail={"fraction": fraction})
    out.write(f"seeded fraction {fraction} in {time.monotonic() - t0:.1f} s\n")


# --- the context: which organisations and users the targets use -------------------------------------------


@dataclasses.dataclass
class Ctx:
    round: object
    school: object  # the largest open school: roster, create, search
    confirm_inst: object  # an open institution under an open LAO: confirm, then unlock
    lao: object  # the LAO with the most institutions: dashboard
    lao_ready: object | None  # an LAO whose institutions all confirmed: LAO confirm, then unlock
    province: object  # the province with the most LAOs
    dept: object
    identity: str
    other_lao: object = None  # the LAO with the most other-affiliation schools
    tokens: dict = dataclasses.field(default_factory=dict)
    users: dict = dataclasses.field(default_factory=dict)
    counter: int = 0

    def user(self, org):
        from accounts.models import User

        if org.code not in self.users:
            self.users[org.code] = User.objects.select_related("organisation").get(username=f"u{org.code}")
        return self.users[org.code]

    def token(self, org) -> str:
        from accounts.services import token_create

        if org.code not in self.tokens:
            self.tokens[org.code] = token_create(user=self.user(org))[0]
        return self.tokens[org.code]


def build_context() -> Ctx:
    from django.db.models import Count, Q

    from confirmations.models import Confirmation
    from schools.models import Kind, Organisation, Round
    from students.models import Learner, LearnerCount

    rnd = Round.objects.get(state="open")
    confirmed = set(
        Confirmation.objects.filter(round=rnd, state="confirmed", scope="learners").values_list(
            "organisation_id", flat=True
        )
    )
    sizes = dict(
        LearnerCount.objects.values("organisation_id")
        .annotate(n=models_sum("count"))
        .values_list("organisation_id", "n")
    )
    insts = list(
        Organisation.objects.filter(kind__in=[Kind.SCHOOL, Kind.CDC], is_active=True).exclude(
            code="BENCH-IMPORT"
        )
    )
    open_inst = [
        o
        for o in insts
        if o.id not in confirmed and o.lao_id not in confirmed and o.province_id not in confirmed
    ]
    school = max(
        (o for o in open_inst if o.kind == Kind.SCHOOL), key=lambda o: sizes.get(o.id, 0), default=None
    )
    school = school or max(open_inst, key=lambda o: sizes.get(o.id, 0))
    confirm_inst = sorted(open_inst, key=lambda o: -sizes.get(o.id, 0))[min(1, len(open_inst) - 1)]
    lao = (
        Organisation.objects.filter(kind=Kind.LAO)
        .annotate(
            n=Count("children", filter=Q(children__kind__in=[Kind.SCHOOL, Kind.CDC, Kind.OTHER_SCHOOL]))
        )
        .order_by("-n", "code")
        .first()
    )
    lao_ready = (
        Organisation.objects.filter(kind=Kind.LAO, id__in=confirmed)
        .exclude(province_id__in=confirmed)
        .annotate(n=Count("children"))
        .order_by("-n", "code")
        .first()
    )
    province = (
        Organisation.objects.filter(kind=Kind.PROVINCE)
        .annotate(n=Count("children"))
        .order_by("-n", "code")
        .first()
    )
    dept = Organisation.objects.get(code="DLA")
    identity = (
        Learner.objects.filter(organisation=school, national_id__isnull=False)
        .order_by("id")
        .values_list("national_id", flat=True)[:1][0]
    )
    other_lao = (
        Organisation.objects.filter(kind=Kind.LAO)
        .annotate(n=Count("children", filter=Q(children__kind=Kind.OTHER_SCHOOL)))
        .order_by("-n", "code")
        .first()
    )
    return Ctx(rnd, school, confirm_inst, lao, lao_ready, province, dept, identity, other_lao)


def models_sum(field):
    from django.db.models import Sum

    return Sum(field)


# --- targets ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Target:
    name: str
    path: object  # fn(ctx) -> str, or None when the URL does not exist yet
    actor: object  # fn(ctx) -> Organisation whose user makes the request
    api: bool = True
    method: str = "get"
    body: object = None  # fn(ctx) -> dict
    after: object = None  # fn(ctx, client) restores the state after each request (untimed)
    before: object = None  # fn(ctx, client) prepares each request (untimed)
    once: object = None  # fn(ctx) prepares the target once (untimed)
    floor: object = None  # fn(ctx) -> [(sql, params)]: the aggregates the page needs, timed alone
    budget_ms: float | None = None
    expect: tuple = (200,)


def _page(name: str, *args):
    """The path of a named URL, or None when that page is not there (yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _first_page(names, *args):
    for name in names:
        path = _page(name, *args)
        if path:
            return path
    return None


def _api_exists(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return False
    return (
        getattr(match.func, "__name__", "") != "not_found_view"
    )  # lec/urls.py's JSON 404 for unknown routes


def new_identity(ctx) -> str:
    from lec.management.commands._scale.plan import national_id

    ctx.counter += 1
    return national_id(1, f"99{os.getpid() % 1000:03d}{int(time.time()) % 100:02d}{ctx.counter:04d}")


def learner_body(ctx) -> dict:
    census = ctx.round.census_date
    age, level = (3, "cdc3") if ctx.school.kind == "cdc" else (8, "p2")
    return {
        "prefix": "เด็กหญิง",
        "first_name": "ทดสอบ",
        "last_name": "ความเร็ว",
        "birth_date": dt.date(census.year - age, 1, 15).isoformat(),
        "class_level": level,
        "national_id": new_identity(ctx),
        "room": "1",
    }


def unlock(path_code_attr: str, parent_attr: str):
    def restore(ctx, client):
        org = getattr(ctx, path_code_attr)
        parent = getattr(ctx, parent_attr)()
        resp = api_call(
            client, ctx, "post", f"/api/v1/organisations/{org.code}/unlock", parent,
            {"round": ctx.round.id, "scope": "learners", "reason": "bench restores the state"},
        )  # fmt: skip
        if resp.status_code != 200:
            raise RuntimeError(f"unlock of {org.code} answered {resp.status_code}: {resp.content[:300]!r}")

    return restore


def api_call(client, ctx, method, path, org, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {ctx.token(org)}", "HTTP_ACCEPT_LANGUAGE": "th"}
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **headers)


def _parent(org_attr):
    def get(ctx):
        from schools.models import Organisation

        return Organisation.objects.get(pk=getattr(ctx, org_attr).parent_id)

    return get


def floor_headcounts(source: str):
    """api.md's national headcounts with scope=all: the learners' counters (or confirmed snapshots) and the
    other-affiliation entries (or their confirmed snapshots), each summed once over the subtree."""

    def sql(ctx):
        sub = "(o.path = %s OR o.path LIKE %s)"
        path = [ctx.dept.path, ctx.dept.path + "/%"]
        if source == "live":
            return [
                (
                    "SELECT lc.class_level, lc.gender, SUM(lc.count) FROM students_learnercount lc "
                    f"JOIN schools_organisation o ON o.id = lc.organisation_id WHERE {sub} GROUP BY 1, 2",
                    path,
                ),
                (
                    "SELECT c.class_level, SUM(c.male), SUM(c.female) FROM schools_otherschoolcount c "
                    "JOIN schools_otherschoolentry e ON e.id = c.entry_id "
                    f"JOIN schools_organisation o ON o.id = e.school_id WHERE e.round_id = %s AND {sub} GROUP BY 1",
                    [ctx.round.id, *path],
                ),
            ]
        return [
            (
                "SELECT s.class_level, s.gender, SUM(s.count) FROM confirmations_headcountsnapshot s "
                "JOIN confirmations_confirmation c ON c.id = s.confirmation_id "
                "JOIN schools_organisation o ON o.id = s.school_id "
                f"WHERE c.round_id = %s AND c.state = 'confirmed' AND {sub} GROUP BY 1, 2",
                [ctx.round.id, *path],
            )
        ]

    return sql


def floor_dashboard(level: str):
    """What a dashboard must aggregate per child, each once: institutions confirmed of all, live learner totals,
    confirmed (snapshot) totals and other-affiliation totals."""

    def sql(ctx):
        org = {"lao": ctx.lao, "province": ctx.province, "department": ctx.dept}[level]
        group = {"lao": "o.id", "province": "o.lao_id", "department": "o.province_id"}[level]
        sub, path, rnd = "(o.path LIKE %s)", [org.path + "/%"], ctx.round.id
        return [
            (
                f"SELECT {group}, COUNT(*) FILTER (WHERE c.state = 'confirmed'), COUNT(*) "
                "FROM schools_organisation o LEFT JOIN confirmations_confirmation c ON c.organisation_id = o.id "
                f"AND c.round_id = %s AND c.scope = 'learners' WHERE {sub} AND o.kind IN ('school', 'cdc') "
                "AND o.is_active GROUP BY 1",
                [rnd, *path],
            ),
            (
                f"SELECT {group}, SUM(lc.count) FROM students_learnercount lc "
                f"JOIN schools_organisation o ON o.id = lc.organisation_id WHERE {sub} GROUP BY 1",
                path,
            ),
            (
                f"SELECT {group}, SUM(s.count) FROM confirmations_headcountsnapshot s "
                "JOIN confirmations_confirmation c ON c.id = s.confirmation_id "
                "JOIN schools_organisation o ON o.id = s.school_id "
                f"WHERE c.round_id = %s AND c.state = 'confirmed' AND {sub} GROUP BY 1",
                [rnd, *path],
            ),
            (
                f"SELECT {group}, SUM(c.male + c.female) FROM schools_otherschoolcount c "
                "JOIN schools_otherschoolentry e ON e.id = c.entry_id "
                f"JOIN schools_organisation o ON o.id = e.school_id WHERE e.round_id = %s AND {sub} GROUP BY 1",
                [rnd, *path],
            ),
        ]

    return sql


def targets() -> list[Target]:
    T = Target

    def org_page(attr):
        return lambda ctx: _first_page(  # noqa: E731
            ["confirmations:dashboard", "schools:organisation"], getattr(ctx, attr).code
        )

    return [
        T("roster page (school)", lambda c: _first_page(["students:roster", "students:learners"], c.school.code),
          lambda c: c.school, api=False, budget_ms=60),
        T("institution home page (school)", lambda c: _page("schools:organisation", c.school.code),
          lambda c: c.school, api=False),
        T("other-schools page (LAO)", lambda c: c.other_lao and _page("schools:other_schools", c.other_lao.code),
          lambda c: c.other_lao, api=False, budget_ms=100),
        T("roster API (school, page 1)", lambda c: f"/api/v1/organisations/{c.school.code}/learners?page=1",
          lambda c: c.school, budget_ms=60),
        T("learner create API", lambda c: f"/api/v1/organisations/{c.school.code}/learners", lambda c: c.school,
          method="post", body=learner_body, expect=(201,)),
        T("institution confirm API", lambda c: f"/api/v1/organisations/{c.confirm_inst.code}/confirm",
          lambda c: c.confirm_inst, method="post", body=lambda c: {"round": c.round.id, "scope": "learners"},
          after=unlock("confirm_inst", "_lao_of_confirm_inst")),
        T("LAO dashboard page", org_page("lao"), lambda c: c.lao, api=False, floor=floor_dashboard("lao"),
          budget_ms=100),
        T("LAO dashboard API", lambda c: f"/api/v1/organisations/{c.lao.code}/confirmation?round={c.round.id}",
          lambda c: c.lao, floor=floor_dashboard("lao"), budget_ms=100),
        T("LAO confirm API", lambda c: c.lao_ready and f"/api/v1/organisations/{c.lao_ready.code}/confirm",
          lambda c: c.lao_ready, method="post", body=lambda c: {"round": c.round.id, "scope": "learners"},
          once=lambda c: _make_lao_ready(c), after=unlock("lao_ready", "_province_of_lao_ready")),
        T("province dashboard page", org_page("province"), lambda c: c.province, api=False,
          floor=floor_dashboard("province"), budget_ms=150),
        T("province dashboard API",
          lambda c: f"/api/v1/organisations/{c.province.code}/confirmation?round={c.round.id}",
          lambda c: c.province, floor=floor_dashboard("province"), budget_ms=150),
        T("department dashboard page", org_page("dept"), lambda c: c.dept, api=False,
          floor=floor_dashboard("department"), budget_ms=250),
        T("department dashboard API",
          lambda c: f"/api/v1/organisations/{c.dept.code}/confirmation?round={c.round.id}",
          lambda c: c.dept, floor=floor_dashboard("department"), budget_ms=250),
        T("national headcounts confirmed",
          lambda c: f"/api/v1/headcounts?round={c.round.id}&organisation=DLA&source=confirmed",
          lambda c: c.dept, floor=floor_headcounts("confirmed"), budget_ms=50),
        T("national headcounts live",
          lambda c: f"/api/v1/headcounts?round={c.round.id}&organisation=DLA&source=live",
          lambda c: c.dept, floor=floor_headcounts("live"), budget_ms=50),
        T("national headcounts by province",
          lambda c: f"/api/v1/headcounts?round={c.round.id}&organisation=DLA&source=live&by=child",
          lambda c: c.dept, floor=floor_headcounts("live"), budget_ms=50),
        T("learner search by identity (LAO)",
          lambda c: f"/api/v1/organisations/{c.school.lao.code}/learners?search={c.identity}",
          lambda c: c.school.lao, budget_ms=60),
        T("national budget estimate",
          lambda c: f"/api/v1/budget?round={c.round.id}&organisation=DLA", lambda c: c.dept,
          once=lambda c: _budget_rates(c), floor=floor_headcounts("confirmed"), budget_ms=100),
        T("national budget by province",
          lambda c: f"/api/v1/budget?round={c.round.id}&organisation=DLA&by=child", lambda c: c.dept,
          once=lambda c: _budget_rates(c), floor=floor_headcounts("confirmed"), budget_ms=100),
        T("province budget page", lambda c: _page("budget:estimate", c.province.code), lambda c: c.province,
          api=False, once=lambda c: _budget_rates(c)),
    ]  # fmt: skip


def _budget_rates(ctx) -> None:
    """The budget targets price with the example rates (budget/data), loaded for the round's fiscal year."""
    from budget.models import BudgetRate
    from budget.selectors import fiscal_year_of
    from budget.services import rates_load

    year = fiscal_year_of(ctx.round)
    if not BudgetRate.objects.filter(fiscal_year=year).exists():
        text = (ROOT / "budget" / "data" / "rates_fy2570.csv").read_text(encoding="utf-8")
        rates_load(data=text.replace("\n2570,", f"\n{year},").encode())


def _make_lao_ready(ctx) -> None:
    """The LAO-confirm target needs an LAO whose institutions all confirmed and which is itself open."""
    from confirmations.models import Confirmation

    if ctx.lao_ready is None:
        return
    if Confirmation.objects.filter(
        round=ctx.round, organisation=ctx.lao_ready, scope="learners", state="confirmed"
    ).exists():
        from django.test import Client

        unlock("lao_ready", "_province_of_lao_ready")(ctx, Client())


Ctx._lao_of_confirm_inst = lambda self: self.confirm_inst.lao
Ctx._province_of_lao_ready = lambda self: self.lao_ready.province


# --- measuring ----------------------------------------------------------------------------------------------


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


def run_export(ctx: Ctx, smoke: bool, fmt: str = "csv") -> Result:
    """An export (CSV or xlsx) of the largest province as its officer (masked), in a forked child so its peak memory
    is its own."""
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
            import resource

            from django.test import Client

            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0, c0 = time.perf_counter(), time.process_time()
            resp = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
            rows, size = 0, 0
            chunks = resp.streaming_content if getattr(resp, "streaming", False) else [resp.content]
            for chunk in chunks:
                rows += chunk.count(b"\n")
                size += len(chunk)
            if fmt != "csv":  # zipped: the audit row of the export says how many rows it wrote
                from accounts.models import AuditLog

                rows = 1 + AuditLog.objects.filter(action="export_learners").latest("id").detail.get(
                    "rows", 0
                )
            out = {
                "status": resp.status_code,
                "seconds": time.perf_counter() - t0,
                "cpu_seconds": time.process_time() - c0,
                "rows": max(0, rows - 1),
                "bytes": size,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "base_mb": base / 1024,
            }
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
    res.cpu_ms = out["cpu_seconds"] * 1000
    rate = out["rows"] / out["seconds"] if out["seconds"] else 0
    cpu_rate = out["rows"] / out["cpu_seconds"] if out["cpu_seconds"] else 0
    res.note = (
        f"{out['rows']:,} rows, {rate:,.0f} rows/s ({cpu_rate:,.0f} per CPU second), {out['bytes'] / 1e6:.1f} MB, "
        f"peak RSS {out['peak_mb']:.0f} MB (process before: {out['base_mb']:.0f} MB)"
    )
    res.extra = out
    return res


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


def check_invariants(out) -> list[str]:
    from django.core.management import call_command, get_commands
    from django.db import connection

    problems = []
    if "verify_counts" in get_commands():
        import io

        buf = io.StringIO()
        try:
            call_command("verify_counts", stdout=buf, stderr=buf)
        except SystemExit as exc:
            if exc.code:
                problems.append("verify_counts: " + buf.getvalue()[-600:])
        out.write(buf.getvalue().strip().splitlines()[-1] + "\n" if buf.getvalue().strip() else "")
    with connection.cursor() as cur:
        # A confirmed LAO (or province) never has an open participating child.
        cur.execute(
            "SELECT p.code, o.code FROM confirmations_confirmation pc "
            "JOIN schools_organisation p ON p.id = pc.organisation_id "
            "JOIN schools_organisation o ON o.parent_id = p.id AND o.is_active "
            "AND o.kind IN ('school', 'cdc', 'lao') "
            "JOIN confirmations_round r ON r.id = pc.round_id AND r.state = 'open' "
            "LEFT JOIN confirmations_confirmation oc ON oc.organisation_id = o.id AND oc.round_id = pc.round_id "
            "AND oc.scope = 'learners' AND oc.state = 'confirmed' "
            "WHERE pc.scope = 'learners' AND pc.state = 'confirmed' AND p.kind = 'lao' AND oc.id IS NULL LIMIT 5"
        )
        for parent, child in cur.fetchall():
            problems.append(f"invariant: {parent} is confirmed while {child} is open")
        cur.execute(
            "SELECT o.code FROM schools_organisation o WHERE o.learners_locked AND NOT EXISTS ("
            "SELECT 1 FROM confirmations_confirmation c JOIN confirmations_round r ON r.id = c.round_id "
            "AND r.state = 'open' WHERE c.organisation_id = o.id AND c.scope = 'learners' "
            "AND c.state = 'confirmed') LIMIT 5"
        )
        for (code,) in cur.fetchall():
            problems.append(f"invariant: {code} is locked without a confirmation")
    return problems


# --- output -------------------------------------------------------------------------------------------------


def fmt(x, spec=".1f"):
    return "" if x is None else format(x, spec)


def print_table(results: list[Result], fraction: float, compare: dict | None, out) -> None:
    head = (
        f"{'target':<36} {'median':>8} {'p95':>8} {'CPU':>7} {'DB CPU':>7} {'queries':>7} {'SQL floor':>9} "
        f"{'page/SQL':>8} {'budget':>7}"
    )
    if compare:
        head += f" {'vs old':>7}"
    out.write(head + "\n" + "-" * len(head) + "\n")
    for r in results:
        if r.note == "n/a":
            out.write(f"{r.name:<36} {'n/a':>8}\n")
            continue
        if r.error:
            out.write(f"{r.name:<36} ERROR {r.error.splitlines()[-1][:200] if r.error else ''}\n")
            continue
        verdict = ""
        if r.budget_ms is not None and r.p95_ms is not None:
            verdict = f"{'≤' if r.p95_ms <= r.budget_ms else '>'}{r.budget_ms:g}"
        line = (
            f"{r.name:<36} {fmt(r.median_ms):>8} {fmt(r.p95_ms):>8} {fmt(r.cpu_ms):>7} {fmt(r.db_cpu_ms):>7} "
            f"{fmt(r.queries, 'd'):>7} "
            f"{fmt(r.floor_ms, '.2f'):>9} {fmt(r.ratio, '.1f'):>8} {verdict:>7}"
        )
        if compare and r.name in compare and compare[r.name].get("median_ms") and r.median_ms:
            line += f" {r.median_ms / compare[r.name]['median_ms']:>6.2f}×"
            if r.cpu_ms and compare[r.name].get("cpu_ms"):
                line += f" (CPU {r.cpu_ms / compare[r.name]['cpu_ms']:.2f}×)"
        out.write(line + ("  " + r.note if r.note else "") + "\n")
    out.write(
        "times in ms, server side (in-process test client); budgets are p95 at F = 1.0; CPU = median process CPU "
        "(user + system) of the server per request, DB CPU = mean CPU of its PostgreSQL backend per request "
        f"(10 ms ticks, averaged); {load_average()}\n"
    )


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip
    except Exception:
        return "unknown"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fraction", type=float, default=0.01)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--smoke", action="store_true", help="CI: fail only on errors, never on budgets")
    p.add_argument("--database", help="database name (default lec_bench_<fraction>)")
    p.add_argument("--reuse", action="store_true", help="with --smoke: keep the data set of an earlier run")
    p.add_argument("--only", help="comma-separated substrings of target names")
    p.add_argument(
        "--import-rows", type=int, default=None, help="rows for the import target (10,000; smoke 500)"
    )
    p.add_argument("--json", help="write the results here")
    p.add_argument(
        "--compare", help="a JSON file of an earlier run (e.g. F = 0.01) to show the ratio against"
    )
    args = p.parse_args(argv)
    out = sys.stdout
    url, dbname = bench_database_url(args.fraction, args.database)
    ensure_database(url, dbname, fresh=args.smoke and not args.reuse)
    setup_django(url)
    seed(args.fraction, out)
    ctx = build_context()
    out.write(
        f"bench on {dbname}, commit {git_commit()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"repeat {args.repeat}; school {ctx.school.code}, LAO {ctx.lao.code}, province {ctx.province.code}; "
        f"{load_average()}\n"
    )
    only = [s.strip().lower() for s in args.only.split(",")] if args.only else None
    results: list[Result] = []
    for t in targets():
        if only and not any(s in t.name.lower() for s in only):
            continue
        try:
            results.append(run_target(t, ctx, args.repeat))
        except Exception:
            results.append(Result(t.name, error=traceback.format_exc()))
    if not only or any(s in "export" for s in only):
        try:
            results.append(run_export(ctx, args.smoke))
            results.append(run_export(ctx, args.smoke, "xlsx"))
        except Exception:
            results.append(Result("export (province)", error=traceback.format_exc()))
    if not only or any(s in "import" for s in only):
        rows = args.import_rows or (500 if args.smoke else 10000)
        try:
            results.append(run_import(ctx, rows))
        except Exception:
            results.append(Result(f"import {rows:,} rows (CSV)", error=traceback.format_exc()))
    compare = None
    if args.compare:
        compare = {r["name"]: r for r in json.loads(Path(args.compare).read_text())["results"]}
    print_table(results, args.fraction, compare, out)
    problems = check_invariants(out)
    for r in results:
        if r.error:
            out.write(f"\n--- {r.name} failed:\n{r.error}\n")
    for problem in problems:
        out.write(problem + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "fraction": args.fraction, "commit": git_commit(), "at": dt.datetime.now(dt.UTC).isoformat(),
            "load": load_average(),
            "results": [dataclasses.asdict(r) | {"ratio": r.ratio} for r in results],
        }, indent=1, ensure_ascii=False))  # fmt: skip
    failed = [r for r in results if r.error] or problems
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
