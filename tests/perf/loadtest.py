"""`make loadtest`: a deadline-day load test — locust, headless, against gunicorn in production mode on 127.0.0.1.

    python -m tests.perf.loadtest [--fraction 0.01] [--users 200] [--time 60] [--max-requests 20000]

Uses the bench database of the fraction (seeding it when missing, see tests/perf/bench.py) with PostgreSQL and
Redis (REDIS_URL, default redis://127.0.0.1:6379/0), starts gunicorn with LEC_ENV=production, DEBUG=0,
SECURE_SSL_REDIRECT=0 and ALLOWED_HOSTS=127.0.0.1 bound to loopback only, runs tests/perf/locustfile.py for the
given number of users, bounded in time and in requests, and prints p50/p95/p99, throughput and the error rate.
Sessions and API tokens are made beforehand, so the run measures the work, not PBKDF2 at login.
"""

import argparse
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

from tests.perf import bench

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def prepare(ctx_limit: int, out) -> dict:
    """Sessions, tokens and targets for the simulated officers: institutions under open LAOs only, so every
    confirm can be followed by its LAO's unlock."""
    from django.contrib.auth import SESSION_KEY
    from django.db.models import Sum
    from django.test import Client

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
    ctx = bench.Ctx(rnd, None, None, None, None, None, dept, "")
    census = rnd.census_date

    def session_of(org) -> str:
        client = Client()
        client.force_login(ctx.user(org))
        assert client.session.get(SESSION_KEY)
        return client.cookies["sessionid"].value

    def dashboard(org):
        return bench._first_page(["confirmations:dashboard", "schools:organisation"], org.code)

    def officer(org, **extra):
        return {
            "code": org.code,
            "token": ctx.token(org),
            "session": session_of(org),
            "dashboard": dashboard(org),
        }

    tag = AuditLog.objects.filter(action="loadtest_run").count() % 1000
    AuditLog.objects.create(action="loadtest_run", detail={"tag": tag})
    data = {"round": rnd.id, "tag": tag, "institutions": [], "laos": [], "provinces": []}
    for i, o in enumerate(insts):
        cdc = o.kind == Kind.CDC
        age, level = (3, "cdc3") if cdc else (8, "p2")
        data["institutions"].append(
            officer(o)
            | {
                "index": i,
                "lao_token": ctx.token(o.lao),
                "pages": max(1, sizes.get(o.id, 0) // 50),
                "roster_page": bench._first_page(["students:roster", "students:learners"], o.code),
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
            headers = {"Authorization": f"Bearer {token}"} if token else {"Cookie": f"sessionid={session}"}
            try:
                with urllib.request.urlopen(urllib.request.Request(base + path, headers=headers), timeout=30):  # noqa: S310
                    pass
            except OSError:
                pass


def summarise(prefix: str, out) -> dict:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    out.write(f"\n{'request':<30} {'count':>7} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}\n")
    for r in rows:
        out.write(
            f"{r['Name'][:30]:<30} {r['Request Count']:>7} {r['Failure Count']:>5} {r['50%']:>6} {r['95%']:>6} "
            f"{r['99%']:>6} {float(r['Max Response Time']):>7.0f}\n"
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
    out.write(
        f"\np50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, p99 {summary['p99_ms']:.0f} ms, "
        f"throughput {summary['rps']:.1f} req/s, errors {fails} of {count} ({summary['error_rate']:.2%})\n"
    )
    failures = Path(f"{prefix}_failures.csv")
    if fails and failures.exists():
        out.write("failures:\n" + failures.read_text(encoding="utf-8")[:3000] + "\n")
    return summary


def main(argv=None) -> int:
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
    args = p.parse_args(argv)
    out = sys.stdout
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["SECRET_KEY"] = os.environ.get("LEC_LOADTEST_SECRET_KEY") or secrets.token_urlsafe(48)
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
    gunicorn = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "lec.wsgi:application", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
         "--log-level", "warning", "--timeout", "60", "--preload"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_for(f"{base}/healthz", 60)
        warm_up(base, data, args.workers * args.threads * 3)
        wmin, wmax = args.wait.split(",")
        lenv = dict(env, LEC_LOADTEST_DATA=str(data_file), LEC_LOADTEST_MAX_REQUESTS=str(args.max_requests),
                    LEC_WAIT_MIN=wmin, LEC_WAIT_MAX=wmax)  # fmt: skip
        prefix = str(work / "locust")
        out.write(
            f"load: {args.users} users (spawn {args.spawn_rate}/s) for {args.time} s or {args.max_requests} "
            f"requests, gunicorn {args.workers} workers × {args.threads} threads on {base}, database {dbname}\n"
        )
        out.flush()
        subprocess.run(
            [str(VENV_BIN / "locust"), "-f", str(ROOT / "tests/perf/locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.time}s", "--host", base,
             "--csv", prefix, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
            cwd=ROOT, env=lenv, check=False, stdout=subprocess.DEVNULL, stderr=(work / "locust.log").open("w"),
        )  # fmt: skip
        summary = summarise(prefix, out)
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        try:
            gunicorn.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)
    summary |= {"users": args.users, "fraction": args.fraction, "commit": bench.git_commit()}
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 0 if summary["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
