"""`make loadtest`: a deadline-day load test — locust, headless, against gunicorn in production mode on 127.0.0.1.

    python -m tests.perf.loadtest [--fraction 0.01] [--users 200] [--time 60] [--max-requests 20000]
        [--wait 3,10] [--hog N] [--find-saturation] [--profile OUT.txt]

Uses the bench database of the fraction (seeding it when missing, see tests/perf/bench.py) with PostgreSQL and
Redis (REDIS_URL, default redis://127.0.0.1:6379/0), starts gunicorn with LEC_ENV=production, DEBUG=0,
SECURE_SSL_REDIRECT=0 and ALLOWED_HOSTS=127.0.0.1 bound to loopback only, runs tests/perf/locustfile.py for the
given number of users, bounded in time and in requests, and prints p50/p95/p99, throughput and the error rate.
Sessions and API tokens are made beforehand, so the run measures the work, not PBKDF2 at login.

Next to the times it prints the app servers' CPU per request: utime + stime of the gunicorn master and its
workers (/proc/<pid>/stat) before and after the run, divided by the requests served. Unlike the times, that ratio
does not depend on who else (locust, PostgreSQL, other people's test suites) shares the cores. The load average
and the box's busy cores during the run are printed with it.

--find-saturation keeps gunicorn up and runs steps of --step-time seconds, each offering about 1.5× the load
of the one before (more users from --start-users up to --users at the given think time, then shorter think
time, then more users again), until p95 passes 500 ms or errors appear; the
saturation point is the throughput of the last step still within 500 ms. --hog N runs N CPU-bound processes
during the load (deadline day never has the machine to itself). --profile OUT samples the gunicorn workers
with py-spy during the (first) run (samples that hold the GIL: Python on the CPU, not waiting) and prints
where their CPU goes.
"""

import argparse
import collections
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.perf import bench, bench_run, bench_targets

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


# The server runs in production mode, whose session cookie is `__Host-sessionid` (lec/settings.py); the prepared
# sessions are made in this process (development settings, cookie `sessionid`) and sent under the server's name.
PRODUCTION_SESSION_COOKIE = "__Host-sessionid"


def prepare(ctx_limit: int, out) -> dict:
    """Sessions, tokens and targets for the simulated officers: institutions under open LAOs only, so every
    confirm can be followed by its LAO's unlock."""
    from django.contrib.auth import SESSION_KEY
    from django.db.models import Sum
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import two_factor
    from accounts.models import AuditLog
    from confirmations.models import Confirmation
    from schools.models import Kind, Organisation, Round
    from students.models import LearnerCount

    rnd = Round.objects.get(state="open")
    confirmed = set(
        Confirmation.objects.filter(round=rnd, state="confirmed", scope="learners").values_list(
            "organisation_id", flat=True
        )
    )
    sizes = dict(
        LearnerCount.objects.values("organisation_id")
        .annotate(n=Sum("count"))
        .values_list("organisation_id", "n")
    )
    insts = [
        o
        for o in Organisation.objects.filter(kind__in=[Kind.SCHOOL, Kind.CDC], is_active=True)
        .exclude(code="BENCH-IMPORT")
        .select_related("lao", "province")
        .order_by("-id")
        if o.id not in confirmed and o.lao_id not in confirmed and o.province_id not in confirmed
    ][:ctx_limit]
    laos = list(Organisation.objects.filter(kind=Kind.LAO, id__in={o.lao_id for o in insts}))[:ctx_limit]
    provinces = list(Organisation.objects.filter(kind=Kind.PROVINCE))[:ctx_limit]
    dept = Organisation.objects.get(code="DLA")
    ctx = bench_targets.Ctx(rnd, None, None, None, None, None, dept, "")
    census = rnd.census_date

    def session_of(org) -> str:
        client = Client()
        user = ctx.user(org)
        client.force_login(user)
        assert client.session.get(SESSION_KEY)
        if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE) or two_factor.has_device(user):
            # Department and province officers sign in with a second factor in production (LEC_REQUIRE_2FA, off
            # in this process): the prepared session is one that gave its code (django-otp keeps the verified
            # device's id in the session).
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            device = device or TOTPDevice.objects.create(user=user, name="loadtest", confirmed=True)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client.cookies["sessionid"].value

    def dashboard(org):
        return bench_targets._first_page(["confirmations:dashboard", "schools:organisation"], org.code)

    def officer(org, **extra):
        return {
            "code": org.code,
            "token": ctx.token(org),
            "session": session_of(org),
            "dashboard": dashboard(org),
        }

    tag = AuditLog.objects.filter(action="loadtest_run").count() % 1000
    AuditLog.objects.create(action="loadtest_run", detail={"tag": tag})
    data = {"round": rnd.id, "tag": tag, "institutions": [], "laos": [], "provinces": [],
            "session_cookie": PRODUCTION_SESSION_COOKIE}  # fmt: skip
    for i, o in enumerate(insts):
        cdc = o.kind == Kind.CDC
        age, level = (3, "cdc3") if cdc else (8, "p2")
        data["institutions"].append(
            officer(o)
            | {
                "index": i,
                "lao_token": ctx.token(o.lao),
                "pages": max(1, sizes.get(o.id, 0) // 50),
                "roster_page": bench_targets._first_page(["students:roster", "students:learners"], o.code),
                "learner": {
                    "prefix": "เด็กชาย",
                    "first_name": "ทดสอบ",
                    "last_name": "โหลด",
                    "class_level": level,
                    "birth_date": f"{census.year - age}-01-15",
                    "room": "1",
                },  # fmt: skip
            }
        )
    data["laos"] = [officer(o) for o in laos]
    data["provinces"] = [officer(o) for o in provinces]
    data["department"] = officer(dept)
    out.write(
        f"{len(data['institutions'])} institutions, {len(laos)} LAOs, {len(provinces)} provinces prepared "
        f"(round {rnd.id}, run tag {tag})\n"
    )
    return data


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 (loopback)
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds:.0f} s")


def warm_up(base: str, data: dict, n: int) -> None:
    """A few requests per worker before the clock starts: templates, URL resolvers and catalogues load lazily."""
    inst, lao = data["institutions"][0], data["laos"][0]
    paths = [
        (f"/api/v1/organisations/{inst['code']}/learners?page=1", inst["token"], None),
        (f"/api/v1/organisations/{lao['code']}/confirmation?round={data['round']}", lao["token"], None),
        (inst.get("roster_page"), None, inst["session"]),
        (lao.get("dashboard"), None, lao["session"]),
    ]
    for _ in range(n):
        for path, token, session in paths:
            if not path:
                continue
            cookie = f"{PRODUCTION_SESSION_COOKIE}={session}"
            headers = {"Authorization": f"Bearer {token}"} if token else {"Cookie": cookie}
            try:
                with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=30):  # noqa: S310
                    pass
            except OSError:
                pass


def summarise(prefix: str, out, verbose: bool = True) -> dict:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    if verbose:
        out.write(f"\n{'request':<30} {'count':>7} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}\n")
        for r in rows:
            out.write(
                f"{r['Name'][:30]:<30} {r['Request Count']:>7} {r['Failure Count']:>5} {r['50%']:>6} "
                f"{r['95%']:>6} {r['99%']:>6} {float(r['Max Response Time']):>7.0f}\n"
            )
    count, fails = int(agg["Request Count"]), int(agg["Failure Count"])
    summary = {
        "requests": count,
        "failures": fails,
        "error_rate": fails / count if count else 0.0,
        "p50_ms": float(agg["50%"]),
        "p95_ms": float(agg["95%"]),
        "p99_ms": float(agg["99%"]),
        "rps": float(agg["Requests/s"]),
    }
    failures = Path(f"{prefix}_failures.csv")
    if verbose and fails and failures.exists():
        out.write("failures:\n" + failures.read_text(encoding="utf-8")[:3000] + "\n")
    return summary


# --- CPU: the app servers' process time, the box's busy cores, the load average --------------------------------


def child_pids(parent: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            kids.append(int(entry.name))
    return kids


def server_cpu_seconds(master: int) -> float:
    """utime + stime of the gunicorn master, its live workers and (cutime/cstime) the workers it has reaped."""
    return bench_run.proc_cpu_seconds(master, children=True) + sum(
        bench_run.proc_cpu_seconds(pid) for pid in child_pids(master)
    )


def box_jiffies() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle, sum(fields[:8])


class CpuMeter:
    def __init__(self, master: int):
        self.master = master
        self.app0, self.box0, self.t0 = server_cpu_seconds(master), box_jiffies(), time.monotonic()

    def stop(self, requests: int) -> dict:
        app = server_cpu_seconds(self.master) - self.app0
        busy, total = (b - a for a, b in zip(self.box0, box_jiffies(), strict=True))
        return {
            "app_cpu_s": round(app, 2),
            "app_cpu_ms_per_request": round(app * 1000 / requests, 2) if requests else None,
            "box_busy_cores": round((os.cpu_count() or 1) * busy / total, 2) if total else None,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "seconds": round(time.monotonic() - self.t0, 1),
        }


def cpu_line(summary: dict) -> str:
    la = ", ".join(f"{x:.2f}" for x in summary["load_average"])
    return (
        f"app servers' CPU {summary['app_cpu_s']:.1f} s = {summary['app_cpu_ms_per_request'] or 0:.1f} ms per "
        f"request; box busy {summary['box_busy_cores']} of {os.cpu_count()} cores; load average {la}"
    )


# --- a CPU-heavy neighbour ------------------------------------------------------------------------------------


def start_hogs(n: int) -> list[subprocess.Popen]:
    """N processes that only burn CPU, like a neighbour's test suite."""
    code = (
        "import time\nend = time.monotonic() + 3600\nwhile time.monotonic() < end:\n    sum(range(10000))\n"
    )
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def stop_hogs(hogs: list[subprocess.Popen]) -> None:
    for h in hogs:
        h.kill()
        h.wait()


# --- profile: py-spy on the gunicorn workers ---------------------------------------------------------------------


def start_profile(master: int, seconds: int, path: str) -> subprocess.Popen | None:
    spy = VENV_BIN / "py-spy"
    if not spy.exists():
        return None
    return subprocess.Popen(
        [str(spy), "record", "--pid", str(master), "--subprocesses", "--nonblocking", "--gil", "--rate", "100",
         "--format", "raw", "--output", path, "--duration", str(seconds)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


BUCKETS = [  # first match on a frame of the stack, searched from the leaf up: where the CPU went
    ("PostgreSQL driver (psycopg: send, wait, parse rows)", ("psycopg/", "psycopg_c")),
    ("Django ORM: SQL compilation", ("django/db/models/sql/compiler.py",)),
    ("Django ORM: model instances, querysets", ("django/db/models/",)),
    ("templates: rendering", ("django/template/",)),
    ("translation (gettext)", ("django/utils/translation/", "gettext.py")),
    (
        "sessions, auth, cache (Redis)",
        ("django/contrib/sessions/", "django/contrib/auth/", "django/core/cache/", "redis/"),
    ),  # fmt: skip
    ("guardian (object permissions)", ("guardian/",)),
    ("JSON / pydantic (ninja)", ("json/", "pydantic", "ninja/")),
    (
        "middleware and request handling",
        (
            "django/middleware/",
            "django/core/handlers/",
            "django/http/",
            "django/urls/",
            "whitenoise/",
            "csp/",
            "axes/",
            "simple_history/",
        ),
    ),  # fmt: skip
    ("gunicorn and the WSGI server", ("gunicorn/",)),
]


def summarise_profile(path: str, out, top: int = 25) -> None:
    """Aggregate py-spy's collapsed stacks: share of samples per bucket (leaf-most match), and the project's own
    functions by inclusive share."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        out.write(f"no profile at {path}\n")
        return
    buckets, inclusive, total = collections.Counter(), collections.Counter(), 0
    project = ("(accounts/", "(confirmations/", "(schools/", "(students/", "(lec/")
    for line in lines:
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        n = int(n)
        total += n
        frames = stack.split(";")
        for frame in reversed(frames):
            hit = next((name for name, keys in BUCKETS if any(k in frame for k in keys)), None)
            if hit:
                buckets[hit] += n
                break
        else:
            buckets["other (project code, Python itself)"] += n
        seen = set()
        for frame in frames:
            if any(k in frame for k in project) and frame not in seen:
                seen.add(frame)
                inclusive[frame] += n
    if not total:
        out.write("the profile is empty\n")
        return
    out.write(f"\nprofile of the gunicorn workers: {total} samples holding the GIL (100 a second)\n")
    for name, n in buckets.most_common():
        out.write(f"  {100 * n / total:5.1f} %  {name}\n")
    out.write("project functions, inclusive:\n")
    for frame, n in inclusive.most_common(top):
        out.write(f"  {100 * n / total:5.1f} %  {frame[:140]}\n")


# --- running ----------------------------------------------------------------------------------------------------


def run_locust(args, env, data_file, work: Path, users: int, wait: str, seconds: int, step: str) -> dict:
    wmin, wmax = wait.split(",")
    lenv = dict(env, LEC_LOADTEST_DATA=str(data_file), LEC_LOADTEST_MAX_REQUESTS=str(args.max_requests),
                LEC_WAIT_MIN=wmin, LEC_WAIT_MAX=wmax,
                LEC_LOADTEST_STEP="".join(c for c in step if c.isdigit()) or "0")  # fmt: skip
    prefix = str(work / f"locust{step}")
    subprocess.run(
        [str(VENV_BIN / "locust"), "-f", str(ROOT / "tests/perf/locustfile.py"), "--headless",
         "-u", str(users), "-r", str(args.spawn_rate), "-t", f"{seconds}s", "--host", args.base,
         "--csv", prefix, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
        cwd=ROOT, env=lenv, check=False, stdout=subprocess.DEVNULL, stderr=(work / f"locust{step}.log").open("w"),
    )  # fmt: skip
    return prefix


def measured_run(args, env, data_file, work, master, users, wait, seconds, step="", verbose=True, out=None):
    meter = CpuMeter(master)
    prefix = run_locust(args, env, data_file, work, users, wait, seconds, step)
    summary = summarise(prefix, out, verbose)
    summary |= meter.stop(summary["requests"]) | {"users": users, "wait": wait}
    return summary


def saturation_steps(start: int, users: int, wait: str):
    """Offered load ≈ users ÷ mean think time, 1.5× a step: first more users (from `start` up to `users`) at the
    given think time, then shorter think time down to 0.1 s, then more users again."""
    lo, hi = (float(x) for x in wait.split(","))
    mean, n = (lo + hi) / 2, min(start, users)
    while n < users:
        yield n, wait
        n = min(users, int(n * 1.5))
    yield users, wait
    while mean > 0.1:
        mean /= 1.5
        yield users, f"{mean / 2:.3g},{mean * 1.5:.3g}"
    while True:
        users = int(users * 1.5)
        yield users, f"{mean / 2:.3g},{mean * 1.5:.3g}"


def find_saturation(args, env, data_file, work, master, out) -> dict:
    out.write(
        f"\nsaturation search: {args.step_time} s a step, until p95 > {args.p95_limit:.0f} ms or errors\n"
        f"{'step':>4} {'users':>6} {'think s':>11} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'errors':>6} "
        f"{'CPU ms/req':>10} {'busy cores':>10}  load average\n"
    )
    steps, best = [], None
    for i, (users, wait) in enumerate(saturation_steps(args.start_users, args.users, args.wait)):
        if users > args.max_users:
            break
        s = measured_run(args, env, data_file, work, master, users, wait, args.step_time, f"_step{i}", False)
        steps.append(s)
        la = ", ".join(f"{x:.2f}" for x in s["load_average"])
        out.write(
            f"{i:>4} {users:>6} {wait:>11} {s['rps']:>7.1f} {s['p50_ms']:>6.0f} {s['p95_ms']:>6.0f} "
            f"{s['p99_ms']:>6.0f} {s['failures']:>6} {s['app_cpu_ms_per_request'] or 0:>10.1f} "
            f"{s['box_busy_cores']:>10}  {la}\n"
        )
        out.flush()
        if s["p95_ms"] > args.p95_limit or s["failures"]:
            break
        best = s
    result = {"steps": steps, "saturation_rps": best["rps"] if best else None}
    if best:
        out.write(
            f"saturation: {best['rps']:.1f} req/s with p95 {best['p95_ms']:.0f} ms ({best['users']} users, think "
            f"{best['wait']} s); the next step gave {steps[-1]['rps']:.1f} req/s at p95 {steps[-1]['p95_ms']:.0f} ms\n"
        )
    else:
        out.write("saturated already at the first step\n")
    return result


def start_gunicorn(args, env) -> subprocess.Popen:
    return subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "lec.wsgi:application", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning", "--timeout", "60", "--preload"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip


def cluster_node(dbname: str):
    """`--cluster`: the running cluster must serve the load test's database; the CPU figures are web1's."""
    import types

    var = ROOT / "var" / "cluster"
    serving = (var / "database").read_text().strip() if (var / "database").exists() else None
    if serving != dbname:
        raise SystemExit(
            f"the cluster serves {serving or 'nothing'}; start it with LEC_CLUSTER_DB={dbname} make cluster"
        )
    return types.SimpleNamespace(pid=int((var / "web1.pid").read_text()))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fraction", type=float, default=0.01)
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--spawn-rate", type=float, default=20)
    p.add_argument("--time", type=int, default=60, help="seconds of load")
    p.add_argument("--max-requests", type=int, default=50000, help="stop after this many requests")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--wait", default="3,10", help="think time between a user's requests, seconds min,max")
    p.add_argument("--database", help="database name (default the bench's lec_bench_<fraction>)")
    p.add_argument("--json", help="write the summary here")
    p.add_argument("--hog", type=int, default=0, help="run N CPU-bound processes during the load")
    p.add_argument("--find-saturation", action="store_true", help="step the load up until p95 > --p95-limit")
    p.add_argument("--step-time", type=int, default=40, help="seconds per saturation step")
    p.add_argument("--p95-limit", type=float, default=500.0)
    p.add_argument("--start-users", type=int, default=50, help="the saturation search's first step")
    p.add_argument("--max-users", type=int, default=1000, help="the saturation search stops here")
    p.add_argument("--profile", help="py-spy the gunicorn workers during the (first) run into this raw file")
    p.add_argument("--cluster", action="store_true", help="target a running `make cluster` on :8080 instead of a "
                   "gunicorn of its own (start it on this database: LEC_CLUSTER_DB=lec_bench_0_01 make cluster)")  # fmt: skip
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    out = sys.stdout
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["SECRET_KEY"] = os.environ.get("LEC_LOADTEST_SECRET_KEY") or secrets.token_urlsafe(48)
    if args.cluster:  # the sessions made below must verify on the cluster's nodes
        os.environ["SECRET_KEY"] = (ROOT / "var" / "cluster" / "secret_key").read_text().strip()
    url, dbname = bench.bench_database_url(args.fraction, args.database)
    bench.ensure_database(url, dbname)
    bench.setup_django(url)
    bench.seed(args.fraction, out)
    data = prepare(max(args.users, 1), out)
    work = Path(tempfile.mkdtemp(prefix="lec-loadtest-"))
    data_file = work / "data.json"
    data_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    env = dict(
        os.environ,
        DATABASE_URL=url,
        LEC_ENV="production",
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="lec.settings",
        PYTHONPATH=str(ROOT),
    )
    from django.db import connections

    connections.close_all()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    gunicorn = cluster_node(dbname) if args.cluster else start_gunicorn(args, env)
    args.base = "http://127.0.0.1:8080" if args.cluster else f"http://127.0.0.1:{args.port}"
    hogs, spy = [], None
    try:
        wait_for(f"{args.base}/healthz", 60)
        warm_up(args.base, data, args.workers * args.threads * 3)
        out.write(
            f"load: {args.users} users (spawn {args.spawn_rate}/s), think time {args.wait} s, for {args.time} s or "
            f"{args.max_requests} requests, gunicorn {args.workers} workers × {args.threads} threads on "
            f"{args.base}, database {dbname}, {args.hog} CPU hogs, commit {bench.git_commit()}; "
            f"{bench_run.load_average()} before\n"
        )
        out.flush()
        hogs = start_hogs(args.hog)
        if args.profile:
            seconds = args.step_time if args.find_saturation else args.time
            spy = start_profile(gunicorn.pid, seconds, args.profile)
        if args.find_saturation:
            summary = find_saturation(args, env, data_file, work, gunicorn.pid, out)
        else:
            summary = measured_run(args, env, data_file, work, gunicorn.pid, args.users, args.wait, args.time,
                                   out=out)  # fmt: skip
            out.write(
                f"\np50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, p99 {summary['p99_ms']:.0f} ms, "
                f"throughput {summary['rps']:.1f} req/s, errors {summary['failures']} of {summary['requests']} "
                f"({summary['error_rate']:.2%})\n{cpu_line(summary)}\n"
            )
    finally:
        stop_hogs(hogs)
        if not args.cluster:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
    if spy is not None:
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
        summarise_profile(args.profile, out)
    summary |= {
        "users": args.users,
        "fraction": args.fraction,
        "commit": bench.git_commit(),
        "hogs": args.hog,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    if args.find_saturation:
        return 0 if summary["saturation_rps"] else 1
    return 0 if summary["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
