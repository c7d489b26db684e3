"""A real streaming hot standby of the test server, for the read-replica tests.

The standby is made with pg_basebackup AFTER pytest-django has created the test database (so it holds it), on
port LEC_TEST_STANDBY_PORT (default 5434, apart from `make cluster`'s 5433), and stopped before the test
database is dropped. The `replica` alias points at it only inside the tests that ask for `replica_alias`;
everywhere else the suite runs without a replica.
"""

import copy
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("LEC_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORT = int(os.environ.get("LEC_TEST_STANDBY_PORT", "5434"))


def _as_postgres(argv, **kw):
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, **kw)  # noqa: S603


class Standby:
    def __init__(self, primary: dict, port: int):
        self.primary, self.port = primary, port
        self.dir = Path(tempfile.mkdtemp(prefix="lec-standby-"))
        self.data = self.dir / "data"

    def _psql(self, sql: str) -> str:
        out = subprocess.run(  # noqa: S603
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-Atqc", sql],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return out.stdout.strip() if out.returncode == 0 else ""

    def make(self) -> None:
        from django.db import connection

        with connection.cursor() as cur:  # a standby needs at least the primary's connection slots
            cur.execute("SHOW max_connections")
            max_connections = cur.fetchone()[0]
        host = self.primary.get("HOST") or "127.0.0.1"
        port = str(self.primary.get("PORT") or 5432)
        user = self.primary.get("USER") or "postgres"
        # Through a replication slot, so a busy primary cannot recycle WAL the standby still needs.
        self.slot = f"lec_test_standby_{os.getpid()}"
        subprocess.run(  # noqa: S603
            ["pg_basebackup", "-h", host, "-p", port, "-U", user, "-D", str(self.data), "-R", "-X", "stream",
             "-c", "fast", "-C", "-S", self.slot, "--no-sync"], check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        (self.data / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
            "hot_standby = on\nhot_standby_feedback = on\nshared_buffers = 32MB\n"
            "wal_receiver_status_interval = 1s\nfsync = off\nrecovery_init_sync_method = syncfs\n"
            f"max_connections = {max_connections}\n"
        )
        (self.data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (self.data / "pg_ident.conf").write_text("")
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(self.dir)], check=True)  # noqa: S607
        self.data.chmod(0o700)

    def start(self) -> None:
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60",
                      "start"], check=True, capture_output=True)  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._psql("SELECT status FROM pg_stat_wal_receiver") == "streaming":
                return
            time.sleep(0.3)
        raise RuntimeError(f"the standby does not stream: {(self.dir / 'log').read_text()[-2000:]}")

    def stop(self, mode: str = "fast") -> None:
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
                     capture_output=True)  # fmt: skip

    def caught_up(self, primary_lsn: str, seconds: float = 20) -> None:
        """Wait until the standby has replayed the primary's WAL up to `primary_lsn`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._psql(f"SELECT pg_last_wal_replay_lsn() >= '{primary_lsn}'::pg_lsn") == "t":
                return
            time.sleep(0.1)
        raise AssertionError(f"the standby did not replay up to {primary_lsn} within {seconds} s")

    def remove(self) -> None:
        from django.db import connection

        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
        with connection.cursor() as cur:  # the slot would keep WAL on the primary for ever
            cur.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
                [getattr(self, "slot", "")],
            )


def _unavailable() -> str | None:
    from django.db import connections

    if connections["default"].vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL)"
    if not shutil.which("pg_basebackup") or not (PG_BIN / "pg_ctl").exists():
        return f"needs pg_basebackup and {PG_BIN}/pg_ctl (apt-get install postgresql-15)"
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", PORT)) == 0:
            return f"port {PORT} is taken (set LEC_TEST_STANDBY_PORT)"
    return None


def _add_alias(port: int) -> None:
    from django.db import connections

    from lec import db_router

    cfg = copy.deepcopy(connections["default"].settings_dict)
    cfg.update(PORT=str(port), CONN_MAX_AGE=0)
    cfg["OPTIONS"] = {**cfg.get("OPTIONS", {}), "connect_timeout": 2}
    cfg["TEST"] = {**cfg.get("TEST", {}), "MIRROR": "default"}  # never flushed or created by the test runner
    connections.settings[db_router.REPLICA] = cfg


def _remove_alias() -> None:
    from django.db import connections

    from lec import db_router

    if db_router.REPLICA in connections.settings:
        connections[db_router.REPLICA].close()
        del connections[db_router.REPLICA]
        del connections.settings[db_router.REPLICA]


@pytest.fixture(scope="session")
def standby(django_db_setup, django_db_blocker):
    """The standby, made once per session after the test database exists, and the `replica` alias pointing at
    it (session-scoped so it exists before a test's database setup checks `databases=[..., "replica"]`)."""
    from django.db import connections

    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    node = Standby(connections["default"].settings_dict, PORT)
    try:
        with django_db_blocker.unblock():
            node.make()
        node.start()
    except (subprocess.SubprocessError, RuntimeError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log = (node.dir / "log").read_text()[-2000:] if (node.dir / "log").exists() else ""
        with django_db_blocker.unblock():
            node.remove()
        pytest.fail(
            f"could not make a standby of the test server: {exc} {detail.decode(errors='replace')} {log}"
        )
    _add_alias(node.port)
    yield node
    _remove_alias()
    with django_db_blocker.unblock():
        node.remove()


# Tests that use it say @pytest.mark.django_db(transaction=True, databases=["default", "replica"]).
@pytest.fixture
def replica_alias(standby, settings):
    """The router and its middleware switched on for one test, over the standby."""
    from lec import db_router

    settings.DATABASE_ROUTERS = ["lec.db_router.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    if "lec.db_router.ReplicaMiddleware" not in middleware:
        at = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
        middleware.insert(at, "lec.db_router.ReplicaMiddleware")
    settings.MIDDLEWARE = middleware
    settings.LEC_REPLICA_CHECK_SECONDS = 0  # every read checks the standby (the cache is tested on its own)
    db_router.reset_health()
    yield standby
    db_router.reset_health()
