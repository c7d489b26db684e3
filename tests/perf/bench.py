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
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.perf.bench_run import Result, load_average, run_export, run_import, run_target
from tests.perf.bench_targets import build_context, targets

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
            exports = 1 if args.smoke else max(1, args.repeat // 4)
            results.append(run_export(ctx, args.smoke, repeat=exports))
            results.append(run_export(ctx, args.smoke, "xlsx", repeat=exports))
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
