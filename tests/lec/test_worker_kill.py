"""A real Celery worker on Redis is killed (SIGKILL) in the middle of an import's write; a second worker, whose
embedded beat re-queues the job once its lease expired, finishes it: the learners are imported exactly once and
verify_counts passes. The upload travels between the processes through the database file storage."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from lec.logs import request_id_var, user_id_var
from lec.models import Job
from lec.services import job_advance, job_start
from students.models import Learner
from tests.conftest import require_postgres, require_redis
from tests.factories import OrgTree
from tests.students.test_import import row, xlsx

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
ROWS = 30
LEASE = 2


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(name: str, log: Path, tmp_path: Path, **env) -> subprocess.Popen:
    """`celery worker` as production runs it (solo pool here), on the test database and the test Redis."""
    from django.conf import settings

    celery = Path(sys.executable).with_name("celery")
    args = [str(celery), "-A", "lec", "worker", "--pool=solo", "--concurrency=1", "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle", "-l", "INFO"]  # fmt: skip
    if env.pop("beat", False):
        args += ["-B", "-s", str(tmp_path / f"{name}-beat-schedule")]
    inherited = {k: v for k, v in os.environ.items() if k != "LEC_JOB_TEST_PAUSE"}
    environment = {**inherited, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL,
                   "LEC_FILE_STORAGE": "database", "LEC_JOB_LEASE_SECONDS": str(LEASE), "DEBUG": "1",
                   "LEC_LOG_FORMAT": "json", **env}  # fmt: skip
    return subprocess.Popen(args, env=environment, cwd=settings.BASE_DIR, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _lines(log: Path) -> list[dict]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
    return out


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_is_replaced_and_the_import_lands_exactly_once(settings, tmp_path):
    require_postgres()
    require_redis()
    from lec.celery import app

    started = time.monotonic()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "lec.filestore.storage.DatabaseStorage"}}
    settings.LEC_JOB_LEASE_SECONDS = LEASE
    tree = OrgTree.build()
    user = tree.users["school1"]
    log1, log2 = tmp_path / "worker1.log", tmp_path / "worker2.log"
    worker1 = _worker("worker1", log1, tmp_path, LEC_JOB_TEST_PAUSE="60")
    worker2 = None
    token, user_token = request_id_var.set("kill-test-request"), user_id_var.set(user.pk)
    try:
        upload = SimpleUploadedFile("learners.xlsx", xlsx([row(n) for n in range(1, ROWS + 1)]).getvalue())
        job = job_start(kind=Job.Kind.IMPORT_LEARNERS, phase="preview", organisation=tree.school1,
                        acting_user=user, upload=upload)  # fmt: skip
        _wait(lambda: Job.objects.filter(pk=job.pk, state="done").exists(), 60, "the preview on worker1")
        job.refresh_from_db()
        assert job.result["created"] == ROWS
        assert job_advance(job=job, phase="import")

        # worker1 has written every row and holds the transaction open (the test pause) when it is killed
        _wait(lambda: any("test pause" in e["message"] for e in _lines(log1)), 60, "worker1 inside the write")
        running = Job.objects.get(pk=job.pk)
        assert running.state == "running" and running.claimed_by.startswith("worker1@")
        assert Learner.objects.count() == 0  # written but not committed
        os.killpg(worker1.pid, signal.SIGKILL)
        worker1.wait(timeout=10)
        killed_at = time.monotonic()
        time.sleep(0.5)
        assert Learner.objects.count() == 0  # PostgreSQL rolled the dead worker's transaction back
        assert Job.objects.get(pk=job.pk).state == "running"

        worker2 = _worker("worker2", log2, tmp_path, beat=True)
        _wait(lambda: Job.objects.filter(pk=job.pk, state__in=["done", "failed"]).exists(), 90, "worker2")
        recovered_in = time.monotonic() - killed_at
    finally:
        request_id_var.reset(token)
        user_id_var.reset(user_token)
        app.conf.task_always_eager = True
        for process in (worker1, worker2):
            if process is not None:
                _stop(process)

    job.refresh_from_db()
    assert (job.state, job.phase, job.result["created"], job.result["written"]) == (
        "done",
        "import",
        ROWS,
        True,
    )
    assert job.claimed_by.startswith("worker2@") and job.attempts == 2
    assert Learner.objects.filter(organisation=tree.school1).count() == ROWS
    assert Learner.objects.values("national_id").distinct().count() == ROWS
    call_command("verify_counts")  # exits 1 on any difference
    # the request id that queued the job is on worker1's log lines; worker2 logged the re-queue
    assert any(
        e.get("request_id") == "kill-test-request" and "test pause" in e["message"] for e in _lines(log1)
    )
    assert any("requeued" in e["message"] for e in _lines(log2))
    print(
        f"killed-worker test: recovered {recovered_in:.1f} s after the kill, {time.monotonic() - started:.1f} s in all"
    )
