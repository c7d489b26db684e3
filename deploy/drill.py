"""`make drill`: fault drills against a running `make cluster` (api.md section 3), loopback only, bounded.

    python deploy/drill.py [--quick] [--only NAME[,NAME...]] [--seconds S]

Drills (one line each with its figures; exit 1 if any fails):
  web-kill      kill -9 web1 during a steady stream of the deadline-day mix through haproxy: no failed read, every
                write applied exactly once or refused with a retryable status, verify_counts passes
  worker-kill   kill -9 the worker running a 10,000-row import (api.md job API): the other worker finishes it,
                the learners are imported exactly once, verify_counts passes
  redis-restart restart Redis mid-run: signed-in users stay signed in, queued jobs finish
  replica       stop the standby: reports answer from the primary; start it: reads return to it
  pg-restart    restart the PostgreSQL server: nodes recover without a restart, in-flight requests fail cleanly
                and none hangs
  backup        pg_dump and restore into a new database: verify_counts passes on the copy and its national
                headcounts equal the original's
--quick runs web-kill (shorter), replica and backup: the CI subset, about a minute.
"""

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster  # noqa: E402
from drill_client import (  # noqa: E402
    ALL,
    HOST,
    PORT,
    QUICK,
    TIMEOUT,
    DrillFailed,
    Identities,
    Mix,
    learners_with_prefix,
    open_round,
    request,
    setup_django,
    sign_in,
    signed_in,
    token_for,
    verify_counts,
    wait_for,
)


def drill_web_kill(args, ids) -> str:
    mix = Mix(ids, series=1)
    killed = {}

    def kill():
        killed["pid"] = cluster.kill_part("web1")

    seconds = args.seconds or (12 if args.quick else 30)
    mix.run(seconds, threads=6, write_share=0.3, events=[(seconds / 3, kill)])
    if not killed.get("pid"):
        raise DrillFailed("web1 was not running")
    cluster.start_web("web1")
    wait_for(lambda: cluster.http_ok(f"http://{HOST}:8081/healthz"), 60, "web1 restart")
    s = mix.stats
    written = mix.check_written()
    ok, verified = verify_counts()
    line = (f"{s['reads']} reads ({s['read_failures']} failed, {s.get('reads_replayed', 0)} cut mid-answer and "
            f"replayed by the client), {s['writes']} writes ok ({s['write_retries']} "
            f"retries, {s['write_unknown']} unresolved), {written}, slowest {s['max_seconds']:.2f} s; {verified}; "
            "web1 restarted")  # fmt: skip
    if s["read_failures"] or s["write_unknown"] or not ok:
        raise DrillFailed(line + "; " + "; ".join(mix.failures[:3]))
    return line


def _import_file(ids: Identities, rows: int, census: dt.date) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["ลำดับที่", "เลขประจำตัวนักเรียน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ",
                "วันเดือนปีเกิด", "ระดับชั้น", "ห้องเรียน", "เชื้อชาติ", "สัญชาติ", "ศาสนา"])  # fmt: skip
    for i in range(rows):
        age = 6 + i % 6
        birth = dt.date(census.year - age, 1, 1) + dt.timedelta(days=i % 300)
        w.writerow([i + 1, f"{i + 1:05d}", ids.next(2), "เด็กชาย" if i % 2 else "เด็กหญิง", "นำเข้า",
                    f"ซ้อม{i % 97}", "ชาย" if i % 2 else "หญิง",
                    f"{birth.day:02d}/{birth.month:02d}/{birth.year + 543}", f"ประถมศึกษาปีที่ {age - 5}",
                    str(1 + i % 9), "ไทย", "ไทย", "พุทธ"])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


def _multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    return body, f"multipart/form-data; boundary={boundary}"


def _job(token, job_id) -> dict:
    r = request("GET", f"/api/v1/jobs/{job_id}", token=token)
    return r.json() if r.status == 200 else {"state": f"http {r.status}"}


def _start_import(token, code, ids, rows, census) -> dict:
    raw, ctype = _multipart("drill.csv", _import_file(ids, rows, census))
    r = request(
        "POST", f"/api/v1/organisations/{code}/learners/import-jobs", token=token, raw=raw, ctype=ctype
    )
    if r.status == 404:
        raise DrillFailed(
            "the job API (POST .../learners/import-jobs, api.md 'Background jobs') is not there yet"
        )
    if r.status != 202:
        raise DrillFailed(f"import-jobs → {r.status} {r.body[:200]!r}")
    return r.json()


def _active_worker(job_id: int) -> str | None:
    """Which Celery worker runs the job's task now (celery inspect active)."""
    out = subprocess.run(  # noqa: S603
        [str(cluster.BIN / "celery"), "-A", "lec", "inspect", "active", "--json", "--timeout", "2"],
        env=cluster.lec_env(), cwd=cluster.ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    try:
        active = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    for worker, tasks in active.items():
        for task in tasks:
            if str(job_id) in json.dumps(task.get("args", [])):
                return worker.split("@")[0]
    return None


def drill_worker_kill(args, ids) -> str:
    rows = 10_000
    token = token_for("demo_school")
    code = request("GET", "/api/v1/me", token=token).json()["organisation"]
    code = code["code"] if isinstance(code, dict) else code
    census = open_round().census_date
    started = time.monotonic()
    job = _start_import(token, code, ids, rows, census)
    job = wait_for(
        lambda: (j := _job(token, job["id"]))["state"] in ("done", "failed") and j, 180, "the preview"
    )
    if job["state"] != "done" or job["result"].get("problems"):
        raise DrillFailed(f"preview: {job['state']} {str(job.get('result'))[:200]} {job.get('error')}")
    r = request("POST", f"/api/v1/jobs/{job['id']}/confirm", token=token)
    if r.status != 202:
        raise DrillFailed(f"confirm → {r.status} {r.body[:200]!r}")
    victim = wait_for(lambda: _active_worker(job["id"]), 60, "the import to start on a worker")
    with contextlib.suppress(DrillFailed):  # kill it in the middle of its writes when it reports them
        wait_for(lambda: (_job(token, job["id"]).get("progress") or 0) > 0, 8, "progress")
    progress_at_kill = _job(token, job["id"]).get("progress")
    cluster.kill_part(victim)
    killed_at = time.monotonic()
    done = wait_for(
        lambda: (j := _job(token, job["id"]))["state"] in ("done", "failed") and j, 600, "the import"
    )
    recovered = time.monotonic() - killed_at
    cluster.start_worker(victim)
    imported, distinct = learners_with_prefix(ids.prefix(2))
    ok, verified = verify_counts()
    line = (f"{rows:,}-row import: {victim} killed at progress {progress_at_kill}, the job ended {done['state']} "
            f"{recovered:.0f} s later ({time.monotonic() - started:.0f} s in all); {imported:,} learners imported "
            f"({distinct:,} distinct); {verified}; {victim} restarted")  # fmt: skip
    if done["state"] != "done" or imported != rows or distinct != rows or not ok:
        raise DrillFailed(line + f" {done.get('error') or ''}")
    return line


def drill_redis_restart(args, ids) -> str:
    users = ["demo_school", "demo_lao"]
    jars = {u: sign_in(u) for u in users}
    if not all(signed_in(j) for j in jars.values()):
        raise DrillFailed("not signed in before the restart")
    token = token_for("demo_school")
    code = request("GET", "/api/v1/me", token=token).json()["organisation"]
    code = code["code"] if isinstance(code, dict) else code
    jobs = []
    for fmt in ("csv", "xlsx", "csv", "csv"):
        r = request("POST", f"/api/v1/organisations/{code}/learners/export-jobs?format={fmt}", token=token)
        if r.status == 404:
            raise DrillFailed("the job API (export-jobs) is not there yet")
        if r.status != 202:
            raise DrillFailed(f"export-jobs → {r.status} {r.body[:200]!r}")
        jobs.append(r.json()["id"])
    t0 = time.monotonic()
    cluster.stop_redis()
    cluster.start_redis()
    down = time.monotonic() - t0
    still = sum(signed_in(j) for j in jars.values())
    finished = wait_for(
        lambda: all(_job(token, j)["state"] in ("done", "failed") for j in jobs) and [_job(token, j) for j in jobs],
        180, "the queued jobs",
    )  # fmt: skip
    done = sum(j["state"] == "done" for j in finished)
    took = time.monotonic() - t0
    line = (f"Redis down {down:.1f} s; {still}/{len(users)} users still signed in; {done}/{len(jobs)} queued export "
            f"jobs done {took:.0f} s after the restart")  # fmt: skip
    if still != len(users) or done != len(jobs):
        raise DrillFailed(line)
    return line


def drill_replica(args, ids) -> str:
    """Reports carry X-DB-Route (lec/db_router.py): which database served them."""
    token = token_for("demo_province")
    rnd = open_round()
    paths = [f"/api/v1/headcounts?round={rnd.id}&organisation={code}&source={source}&by={by}"
             for code in ("50", "5010101") for source in ("live", "confirmed") for by in ("class_level", "child")]  # fmt: skip
    n = 20

    def reports() -> tuple[int, int, float]:
        bad, on_replica, slowest = 0, 0, 0.0
        for i in range(n):
            r = request("GET", paths[i % len(paths)], token=token)
            bad += r.status != 200
            on_replica += r.headers.get("x-db-route") == "replica"
            slowest = max(slowest, r.seconds)
        return bad, on_replica, slowest

    time.sleep(3)  # let every node's health check see the standby
    bad1, used1, _ = reports()
    cluster.stop_replica()
    bad2, used2, slow2 = reports()
    t0 = time.monotonic()
    cluster.start_replica()
    restarted = time.monotonic() - t0
    time.sleep(3)  # the nodes re-check the standby every 2 s
    bad3, used3, _ = reports()
    line = (f"standby up: {n - bad1}/{n} reports ok, {used1} served by the standby; stopped: {n - bad2}/{n} ok, "
            f"{n - used2} from the primary (slowest {slow2:.2f} s); started again in {restarted:.1f} s: {n - bad3}/{n} "
            f"ok, {used3} served by the standby")  # fmt: skip
    if bad1 or bad2 or bad3 or not used1 or used2 or not used3:
        raise DrillFailed(line)
    return line


def drill_pg_restart(args, ids) -> str:
    mix = Mix(ids, series=3)
    timing = {}

    def restart():
        t0 = time.monotonic()
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "restart"], check=True,
                       capture_output=True, timeout=120)  # fmt: skip
        timing["restart"] = time.monotonic() - t0
        timing["at"] = time.monotonic()

    seconds = args.seconds or 25
    mix.run(seconds, threads=4, write_share=0.3, events=[(5, restart)], tolerate_down=True)
    # after the restart, with the same web nodes: every request answers again
    after = Mix.__new__(Mix)
    after.__dict__.update(mix.__dict__, stats=dict.fromkeys(mix.stats, 0), failures=[])
    after.stats["max_seconds"] = 0.0
    after.run(5, threads=4, write_share=0.3)
    s, a = mix.stats, after.stats
    written = mix.check_written()
    ok, verified = verify_counts()
    statuses = ", ".join(f"{k[7:]}: {v}" for k, v in sorted(s.items()) if k.startswith("status_")) or "none"
    line = (f"server restarted in {timing.get('restart', 0):.1f} s under load: {s['reads']} reads "
            f"({s['read_failures']} failed), {s['writes']} writes ok, {s['write_refused']} refused "
            f"(answers while it was away: {statuses}), {s['write_unknown']} unresolved, slowest "
            f"{s['max_seconds']:.1f} s (limit {TIMEOUT:.0f}); "
            f"afterwards without restarting a node: {a['reads']} reads {a['read_failures']} failed, {a['writes']} "
            f"writes ok; {written}; {verified}")  # fmt: skip
    if (
        s["write_unknown"]
        or s["max_seconds"] >= TIMEOUT
        or a["read_failures"]
        or a["write_unknown"]
        or not ok
    ):
        raise DrillFailed(line + "; " + "; ".join(mix.failures[:3] + after.failures[:3]))
    return line


def national_headcounts(database_url: str) -> str:
    code = (
        "import json; from schools.models import Organisation, Round; "
        "from confirmations.selectors import headcounts; "
        "r = Round.objects.filter(state='open').order_by('-id').first(); "
        "d = Organisation.objects.get(kind='department'); "
        "print(json.dumps([headcounts(r, d, source=s, by='child') for s in ('live', 'confirmed')], "
        "sort_keys=True, default=str))"
    )
    env = dict(cluster.lec_env(), DATABASE_URL=database_url)
    env.pop("DATABASE_REPLICA_URL", None)
    out = subprocess.run(  # noqa: S603
        [str(cluster.PY), str(cluster.ROOT / "manage.py"), "shell", "-c", code], env=env, cwd=cluster.ROOT,
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def drill_backup(args, ids) -> str:
    dump = cluster.VAR / "backup" / f"{cluster.DBNAME}.dump"
    dump.parent.mkdir(exist_ok=True)
    copy = f"{cluster.DBNAME}_restore"
    t0 = time.monotonic()
    subprocess.run(["pg_dump", "-h", HOST, "-p", str(cluster.PRIMARY_PORT), "-U", "postgres", "-Fc", "-f", str(dump),
                    cluster.DBNAME], check=True, timeout=600)  # fmt: skip
    dumped = time.monotonic() - t0
    original = national_headcounts(cluster.PRIMARY_URL)
    cluster.psql(f'DROP DATABASE IF EXISTS "{copy}"')
    cluster.psql(f'CREATE DATABASE "{copy}"')
    t1 = time.monotonic()
    subprocess.run(["pg_restore", "-h", HOST, "-p", str(cluster.PRIMARY_PORT), "-U", "postgres", "-d", copy,
                    "--no-owner", "--exit-on-error", str(dump)], check=True, timeout=600)  # fmt: skip
    restored = time.monotonic() - t1
    copy_url = cluster.PRIMARY_URL.rsplit("/", 1)[0] + f"/{copy}"
    ok, verified = verify_counts(copy_url)
    same = national_headcounts(copy_url) == original
    line = (f"pg_dump {dump.stat().st_size / 1e6:.1f} MB in {dumped:.1f} s, restored into {copy} in {restored:.1f} s; "
            f"copy: {verified}; national headcounts (live and confirmed) {'equal' if same else 'DIFFER'}")  # fmt: skip
    with contextlib.suppress(Exception):
        cluster.psql(f'DROP DATABASE IF EXISTS "{copy}"')
    if not ok or not same:
        raise DrillFailed(line)
    return line


DRILLS = {
    "web-kill": drill_web_kill,
    "worker-kill": drill_worker_kill,
    "redis-restart": drill_redis_restart,
    "replica": drill_replica,
    "pg-restart": drill_pg_restart,
    "backup": drill_backup,
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the short CI subset: " + ", ".join(QUICK))
    p.add_argument("--only", help="comma-separated drills: " + ", ".join(ALL))
    p.add_argument("--seconds", type=float, help="length of the load in web-kill and pg-restart")
    args = p.parse_args(argv)
    names = args.only.split(",") if args.only else list(QUICK if args.quick else ALL)
    if not cluster.http_ok(f"http://{HOST}:{PORT}/healthz"):
        print("drill: no cluster answers on :8080 (make cluster)", file=sys.stderr)
        return 1
    setup_django()
    ids = Identities()
    failed = 0
    for name in names:
        t0 = time.monotonic()
        try:
            line = DRILLS[name](args, ids)
            print(f"PASS {name:<13} {line} [{time.monotonic() - t0:.0f} s]", flush=True)
        except (DrillFailed, subprocess.SubprocessError, OSError) as exc:
            failed += 1
            print(f"FAIL {name:<13} {exc} [{time.monotonic() - t0:.0f} s]", flush=True)
        finally:
            for part in cluster.PARTS:  # leave the cluster whole for the next drill
                if not cluster.pid_of(part):
                    with contextlib.suppress(SystemExit, Exception):
                        cluster.start_part(part)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
