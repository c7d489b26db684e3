"""`make cluster` / `make cluster-stop`: LEC's production topology on 127.0.0.1, without Docker (api.md section 3).

    python deploy/cluster.py start|stop|status
    python deploy/cluster.py start-part NAME | stop-part NAME | kill NAME     (used by deploy/drill.py)

haproxy :8080 → web1 :8081, web2 :8082 (gunicorn, LEC_ENV=production); Celery worker1, worker2 and one beat;
PostgreSQL primary = the server on :5432 (database lec_cluster); a streaming hot standby on :5433 made by
pg_basebackup into var/cluster/replica (as root: ~postgres/lec-cluster/<checkout>/replica, which the postgres user can reach); Redis of its own on :6380 with AOF on. Every part writes
var/cluster/NAME.pid and var/cluster/NAME.log; each web node and worker runs in var/cluster/NAME/ with its own
TMPDIR and MEDIA_ROOT. Starting twice starts nothing twice; stopping leaves the :5432 server running.
"""

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "cluster"
PY = Path(sys.executable)
BIN = PY.parent
PG_BIN = Path(os.environ.get("LEC_PG_BIN", "/usr/lib/postgresql/15/bin"))
HOST = "127.0.0.1"
PRIMARY_PORT = int(os.environ.get("LEC_CLUSTER_PRIMARY_PORT", "5432"))
REPLICA_PORT, REDIS_PORT, PROXY_PORT = 5433, 6380, 8080
WEB_PORTS = {"web1": 8081, "web2": 8082}
WORKERS = ("worker1", "worker2")
# Another database (e.g. the load test's lec_bench_0_01) with LEC_CLUSTER_DB; only lec_cluster gets the demo data.
DBNAME = os.environ.get("LEC_CLUSTER_DB", "lec_cluster")
PRIMARY_URL = f"postgres://postgres@{HOST}:{PRIMARY_PORT}/{DBNAME}"
REPLICA_URL = f"postgres://postgres@{HOST}:{REPLICA_PORT}/{DBNAME}"
REDIS_URL = f"redis://{HOST}:{REDIS_PORT}/0"
BASE_URL = f"http://{HOST}:{PROXY_PORT}"
PG_HBA = Path(os.environ.get("LEC_PG_HBA", "/etc/postgresql/15/main/pg_hba.conf"))
HBA_LINE = "host replication all 127.0.0.1/32 trust"
PARTS = ("redis", "replica", "web1", "web2", "worker1", "worker2", "beat", "haproxy")
DEMO_PASSWORD = "lec-demo-2569"


def log(msg: str) -> None:
    print(f"cluster: {msg}", flush=True)


# --- process bookkeeping -----------------------------------------------------------------------------------


def pidfile(name: str) -> Path:
    return VAR / f"{name}.pid"


def pid_of(name: str) -> int | None:
    """The part's pid if it is alive (a stale pid file counts as stopped)."""
    try:
        pid = int(pidfile(name).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    try:  # a zombie (our own exited child) is not running
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z"):
            return None
    except OSError:
        return None
    return pid


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise SystemExit(f"cluster: {what} did not come up within {seconds:.0f} s (see {VAR}/*.log)")


def http_ok(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback)
            return resp.status == 200
    except (OSError, urllib.error.URLError):
        return False


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback)
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def spawn(name: str, argv: list[str], *, env: dict | None = None, cwd: Path | None = None) -> int:
    """Start a long-running part in its own session (so a drill can kill -9 its whole process group)."""
    logf = (VAR / f"{name}.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603
        argv, cwd=cwd or ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    pidfile(name).write_text(f"{proc.pid}\n")
    return proc.pid


def signal_group(name: str, sig: int) -> int | None:
    pid = pid_of(name)
    if pid is None:
        return None
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return None
    return pid


def stop_group(name: str, timeout: float = 20) -> None:
    pid = signal_group(name, signal.SIGTERM)
    if pid is None:
        pidfile(name).unlink(missing_ok=True)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_of(name):
        time.sleep(0.2)
    if pid_of(name):
        signal_group(name, signal.SIGKILL)
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # leftovers of the group (gunicorn/celery children)
    pidfile(name).unlink(missing_ok=True)


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, **kw)  # noqa: S603


def as_postgres(argv: list[str], **kw) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, **kw)  # noqa: S603


def psql(sql: str, port: int = PRIMARY_PORT, db: str = "postgres") -> str:
    out = subprocess.run(  # noqa: S603
        ["psql", "-h", HOST, "-p", str(port), "-U", "postgres", "-d", db, "-Atqc", sql],
        check=True, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    return out.stdout.strip()


# --- the environment every LEC process of the cluster gets ----------------------------------------------------


def secret_key() -> str:
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def lec_env(name: str | None = None) -> dict:
    env = dict(os.environ)
    for key in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "DEBUG"):
        env.pop(key, None)
    env.update(
        LEC_ENV="production",
        DEBUG="0",
        SECRET_KEY=secret_key(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback only; cookies stay Secure, HSTS stays on
        TRUSTED_PROXY_COUNT="1",
        DATABASE_URL=PRIMARY_URL,
        DATABASE_REPLICA_URL=REPLICA_URL,
        REDIS_URL=REDIS_URL,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    # A dead worker's job comes back after its lease (production default 120 s); shorter here for the drills.
    env.setdefault("LEC_JOB_LEASE_SECONDS", "30")
    if name:
        home = VAR / name
        for sub in ("tmp", "media"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        env.update(TMPDIR=str(home / "tmp"), MEDIA_ROOT=str(home / "media"), LEC_NODE=name)
    return env


def manage(*args: str, name: str | None = None) -> subprocess.CompletedProcess:
    return run([str(PY), str(ROOT / "manage.py"), *args], env=lec_env(name), cwd=ROOT)


# --- PostgreSQL primary and standby -----------------------------------------------------------------------------


def ensure_primary() -> None:
    wait_until(lambda: port_open(PRIMARY_PORT), 10, f"PostgreSQL on :{PRIMARY_PORT}")
    if PG_HBA.exists() and HBA_LINE not in PG_HBA.read_text():
        log(f"adding '{HBA_LINE}' to {PG_HBA} and reloading")
        with PG_HBA.open("a") as fh:
            fh.write(f"\n# LEC cluster: pg_basebackup and the streaming standby on loopback\n{HBA_LINE}\n")
        psql("SELECT pg_reload_conf()")
    if int(psql("SHOW max_wal_senders") or 0) < 2:
        raise SystemExit("cluster: the primary needs max_wal_senders >= 2 (postgresql.conf; restart)")
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{DBNAME}'"):
        psql(f'CREATE DATABASE "{DBNAME}"')
        log(f"created database {DBNAME}")


def standby_var() -> Path:
    """The standby's data, socket and log directory: under the checkout, except when run as root. Then the standby
    runs as the postgres user, who cannot reach a checkout inside a private directory (`mktemp -d` makes it 0700,
    as a CI clone may be); it lives in that user's home instead, one directory per checkout."""
    if os.geteuid() != 0:
        return VAR
    import hashlib
    import pwd

    home = Path(pwd.getpwnam("postgres").pw_dir)
    return home / "lec-cluster" / hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]


def replica_dir() -> Path:
    return standby_var() / "replica"


def write_replica_conf(data: Path) -> None:
    """Debian keeps postgresql.conf and pg_hba.conf outside the data directory, so the standby gets its own."""
    (data / "postgresql.conf").write_text(
        f"port = {REPLICA_PORT}\nlisten_addresses = '{HOST}'\nunix_socket_directories = '{standby_var() / 'run'}'\n"
        f"hot_standby = on\nhot_standby_feedback = on\nmax_connections = {psql('SHOW max_connections')}\n"
        "shared_buffers = 128MB\n"
        "max_standby_streaming_delay = 30s\nwal_receiver_status_interval = 1s\nlogging_collector = off\n"
        "recovery_init_sync_method = syncfs\n"
    )
    (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    (data / "pg_ident.conf").write_text("")


SLOT = "lec_cluster_standby"


def drop_slot() -> None:
    psql(f"SELECT pg_drop_replication_slot('{SLOT}') FROM pg_replication_slots WHERE slot_name = '{SLOT}'")


def make_replica() -> None:
    """A base backup through a replication slot: the primary keeps every WAL segment the standby has not
    received yet (a busy primary recycles them within seconds otherwise). `cluster-stop` drops the slot."""
    data = replica_dir()
    if data.exists():
        shutil.rmtree(data)
    drop_slot()
    log(f"pg_basebackup from :{PRIMARY_PORT} into {data}")
    run(["pg_basebackup", "-h", HOST, "-p", str(PRIMARY_PORT), "-U", "postgres", "-D", str(data),
         "-R", "-X", "stream", "-c", "fast", "-C", "-S", SLOT, "--no-sync"])  # fmt: skip
    write_replica_conf(data)
    if os.geteuid() == 0:
        run(["chown", "-R", "postgres:postgres", str(data)])
    data.chmod(0o700)


def replica_streaming() -> bool:
    try:
        return psql("SELECT status FROM pg_stat_wal_receiver", port=REPLICA_PORT) == "streaming"
    except (subprocess.SubprocessError, OSError):
        return False


def start_replica() -> None:
    if pid_of("replica") and port_open(REPLICA_PORT):
        return
    run_dir = standby_var() / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        for path in (standby_var(), run_dir):
            shutil.chown(path, "postgres", "postgres")
    logf = standby_var() / "replica.log"
    logf.touch()
    if os.geteuid() == 0:
        shutil.chown(logf, "postgres", "postgres")
    for attempt in (1, 2):
        if not (replica_dir() / "PG_VERSION").exists():
            make_replica()
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(replica_dir()), "-l", str(logf), "-w", "-t", "60", "start"],
                    check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        pid = (replica_dir() / "postmaster.pid").read_text().split()[0]
        pidfile("replica").write_text(f"{pid}\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not replica_streaming():
            time.sleep(0.5)
        if replica_streaming():
            return
        if attempt == 1:  # the WAL it needs is gone from the primary: take a fresh base backup
            log("the standby does not stream; rebuilding it")
            stop_replica()
            shutil.rmtree(replica_dir())
    raise SystemExit(
        f"cluster: the standby on :5433 does not stream from the primary ({standby_var() / 'replica.log'})"
    )


def stop_replica(mode: str = "fast") -> None:
    if (replica_dir() / "postmaster.pid").exists():
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(replica_dir()), "-m", mode, "-w", "stop"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    pidfile("replica").unlink(missing_ok=True)


# --- Redis, web nodes, workers, beat, haproxy -------------------------------------------------------------------


def start_redis() -> None:
    if pid_of("redis") and port_open(REDIS_PORT):
        return
    data = VAR / "redis"
    data.mkdir(exist_ok=True)
    run(["redis-server", "--port", str(REDIS_PORT), "--bind", HOST, "--dir", str(data),
         "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "yes",
         "--pidfile", str(pidfile("redis")), "--logfile", str(VAR / "redis.log")])  # fmt: skip
    wait_until(lambda: pid_of("redis") and port_open(REDIS_PORT), 15, "redis")


def stop_redis() -> None:
    if pid_of("redis"):
        subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "shutdown"], capture_output=True, timeout=20)
        wait_until(lambda: not pid_of("redis"), 20, "redis shutdown")
    pidfile("redis").unlink(missing_ok=True)


def start_web(name: str) -> None:
    port = WEB_PORTS[name]
    if pid_of(name) and port_open(port):
        return
    spawn(name, [str(BIN / "gunicorn"), "lec.wsgi:application", "--bind", f"{HOST}:{port}",
                 "--workers", os.environ.get("LEC_CLUSTER_WEB_WORKERS", "2"), "--threads", "4",
                 "--worker-class", "gthread", "--timeout", "30", "--graceful-timeout", "10",
                 "--access-logfile", "-", "--forwarded-allow-ips", HOST,
                 "--config", str(ROOT / "gunicorn.conf.py")],
          env=lec_env(name), cwd=VAR / name)  # fmt: skip


def start_worker(name: str) -> None:
    if pid_of(name):
        return
    spawn(name, [str(BIN / "celery"), "-A", "lec", "worker", "-n", f"{name}@%h", "--concurrency", "1",
                 "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
          env=lec_env(name), cwd=VAR / name)  # fmt: skip


def start_beat() -> None:
    if pid_of("beat"):
        return
    spawn("beat", [str(BIN / "celery"), "-A", "lec", "beat", "--loglevel", "INFO",
                   "--schedule", str(VAR / "beat" / "celerybeat-schedule")],
          env=lec_env("beat"), cwd=VAR / "beat")  # fmt: skip


def check_path() -> str:
    """Readiness (/readyz) when the nodes have it, liveness (/healthz) otherwise."""
    status = http_status(f"http://{HOST}:{WEB_PORTS['web1']}/readyz")
    return "/readyz" if status in (200, 503) else "/healthz"


def write_haproxy_cfg() -> Path:
    servers = "\n".join(f"    server {n} {HOST}:{p} check" for n, p in WEB_PORTS.items())
    threads = (
        int(os.environ.get("LEC_CLUSTER_WEB_WORKERS", "2")) * 4
    )  # a node takes as many as it has threads
    text = (ROOT / "deploy" / "haproxy.cfg").read_text()
    text = text.format(bind=HOST, port=PROXY_PORT, check_path=check_path(), servers=servers, maxconn=threads)
    cfg = VAR / "haproxy.cfg"
    cfg.write_text(text)
    run(["haproxy", "-c", "-q", "-f", str(cfg)])
    return cfg


def start_haproxy() -> None:
    if pid_of("haproxy") and port_open(PROXY_PORT):
        return
    if not shutil.which("haproxy"):
        raise SystemExit("cluster: haproxy is missing (apt-get install -y haproxy; `make cluster` does it)")
    cfg = write_haproxy_cfg()
    spawn("haproxy", ["haproxy", "-db", "-f", str(cfg)])


def start_part(name: str) -> None:
    {
        "redis": start_redis,
        "replica": start_replica,
        "beat": start_beat,
        "haproxy": start_haproxy,
        **{n: (lambda n=n: start_web(n)) for n in WEB_PORTS},
        **{n: (lambda n=n: start_worker(n)) for n in WORKERS},
    }[name]()


def stop_part(name: str) -> None:
    if name == "replica":
        stop_replica()
    elif name == "redis":
        stop_redis()
    else:
        stop_group(name)


def kill_part(name: str) -> int | None:
    """kill -9 the part's whole process group (a web node's master and workers, a worker and its pool)."""
    return signal_group(name, signal.SIGKILL)


# --- the whole cluster ----------------------------------------------------------------------------------------


def workers_ready(names=WORKERS) -> bool:
    out = subprocess.run(  # noqa: S603
        [str(BIN / "celery"), "-A", "lec", "inspect", "ping", "--timeout", "3"],
        env=lec_env(), cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    return all(f"{n}@" in out.stdout for n in names)


def prepare_database() -> None:
    manage("migrate", "--noinput", "-v0")
    if not (ROOT / "staticfiles" / "staticfiles.json").exists():
        manage("collectstatic", "--noinput", "-v0")
    if DBNAME == "lec_cluster" and not psql(
        "SELECT 1 FROM accounts_user WHERE username = 'admin'", db=DBNAME
    ):
        manage("seed_demo", "--force")
    (VAR / "database").write_text(DBNAME + "\n")


def start() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "run").mkdir(exist_ok=True)
    ensure_primary()
    start_redis()
    prepare_database()
    start_replica()
    for name in WEB_PORTS:
        start_web(name)
    for name in WORKERS:
        start_worker(name)
    start_beat()
    for name, port in WEB_PORTS.items():
        wait_until(lambda p=port: http_ok(f"http://{HOST}:{p}/healthz"), 60, name)
    start_haproxy()
    wait_until(lambda: http_ok(f"{BASE_URL}/healthz"), 30, "haproxy")
    wait_until(workers_ready, 60, "celery workers")
    wait_until(lambda: pid_of("beat"), 10, "beat")
    print(status_text())
    print(f"\nLEC cluster is at {BASE_URL}/ (haproxy; web1 :8081, web2 :8082, replica :5433, redis :6380)")
    print(f"Logins (password for all: {DEMO_PASSWORD}): demo_department, demo_province, demo_lao, demo_sao, "
          "demo_school, demo_cdc, admin")  # fmt: skip
    print(
        "Plain HTTP on loopback: the session cookie is Secure, which browsers accept on 127.0.0.1/localhost."
    )


def stop() -> None:
    for name in ("haproxy", "web1", "web2", "beat", "worker1", "worker2"):
        stop_group(name)
    stop_replica()
    # Without its standby the slot would make the primary keep WAL for ever: drop both (the next start makes a
    # fresh base backup).
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        drop_slot()
    if replica_dir().exists():
        shutil.rmtree(replica_dir())
    stop_redis()
    print("cluster stopped (the PostgreSQL server on :5432 keeps running)")


def status_text() -> str:
    lines = []
    for name in PARTS:
        pid = pid_of(name)
        lines.append(f"  {name:<8} {'up   pid ' + str(pid) if pid else 'down'}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["start", "stop", "status", "start-part", "stop-part", "kill"])
    p.add_argument("name", nargs="?", choices=PARTS)
    args = p.parse_args(argv)
    if args.command in ("start-part", "stop-part", "kill") and not args.name:
        p.error("NAME is required")
    if args.command == "start":
        start()
    elif args.command == "stop":
        stop()
    elif args.command == "status":
        print(status_text())
    elif args.command == "start-part":
        start_part(args.name)
    elif args.command == "stop-part":
        stop_part(args.name)
    else:
        print(kill_part(args.name) or "not running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
