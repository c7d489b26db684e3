"""The runner of background jobs: each app registers the function that runs its Job kinds (students: the learner
import and export, in students/jobs.py); one Celery task claims a job by id and calls that function.

This is floor code: it knows the Job model and Celery, never the apps whose jobs it runs."""

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.models import Job, LeaseLost

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
HEARTBEAT_SECONDS = 5.0

Runner = Callable[[Job], None]
_RUNNERS: dict[str, Runner] = {}


def register(kind: str, runner: Runner) -> None:
    """Make `runner(job)` the function that runs jobs of `kind` (called once, by the app that owns the kind)."""
    if _RUNNERS.get(kind, runner) is not runner:
        raise ValueError(f"job kind {kind!r} already has a runner")
    _RUNNERS[kind] = runner


def runner_for(kind: str) -> Runner:
    try:
        return _RUNNERS[kind]
    except KeyError:
        raise LookupError(f"no runner registered for job kind {kind!r}") from None


# The task keeps its historical name so messages queued before a deploy still find it. acks_late with
# reject_on_worker_lost: a worker that dies mid-task leaves the message to be delivered again (settings.py).
@shared_task(
    name="lec.tasks.run_job", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def run_job(self, job_id: int, phase: str = "") -> None:
    """Claim the job for `phase` and run it; a task delivered twice (or for a job that is gone) does nothing.
    While it runs, a heartbeat renews the claim; an error ends the job failed with a message, never running."""
    job = Job.objects.filter(pk=job_id).select_related("organisation", "created_by").first()
    if job is None:
        return
    run = runner_for(job.kind)
    if not job.claim(phase, worker=self.request.hostname or ""):
        return
    with heartbeat(job, enabled=not self.request.is_eager):
        try:
            run(job)
        except LeaseLost:
            logger.warning("job %s: another worker took it over; this run's writes were rolled back", job.pk)
        except Exception:
            logger.exception("job %s (%s, %s) failed", job.pk, job.kind, job.phase)
            _fail(
                job,
                _("The job stopped on an unexpected error. Start it again; if it fails again, tell support."),
            )
            raise


def _fail(job: Job, message: str) -> None:
    with contextlib.suppress(Exception):  # the database may be what failed: the lease then ends the job later
        Job.objects.filter(pk=job.pk, claimed_by=job.claimed_by, state=Job.State.RUNNING).update(
            state=Job.State.FAILED, result={**(job.result or {}), "error": message}, finished_at=timezone.now(),
            updated_at=timezone.now(),
        )  # fmt: skip


@contextlib.contextmanager
def heartbeat(job: Job, enabled: bool = True):
    """Renew the job's lease from a thread (its own database connection) every 5 s (a quarter of a shorter
    lease), publishing the job's progress with it, for as long as the job runs in this process. Killed with the
    process, so a dead worker's job goes stale."""
    if not enabled:
        yield
        return
    stop = threading.Event()
    interval = min(HEARTBEAT_SECONDS, max(0.25, settings.LEC_JOB_LEASE_SECONDS / 4))

    def beat():
        try:
            while not stop.wait(interval):
                try:
                    renewed = Job.objects.filter(
                        pk=job.pk, claimed_by=job.claimed_by, state=Job.State.RUNNING
                    ).update(heartbeat_at=timezone.now(), progress=job.progress, total=job.total)
                except Exception:
                    # the database is away: keep trying (past the lease another worker may take the job over)
                    logger.warning("job %s: heartbeat not written", job.pk, exc_info=True)
                    connections.close_all()
                    continue
                if not renewed:
                    return
        finally:
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"job-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


@shared_task(name="lec.jobs.requeue_stale_jobs", ignore_result=True)
def requeue_stale_jobs() -> dict:
    """Beat task (every half lease): send again every job whose worker died (running, lease expired) and every
    job still waiting after a lease (its message lost, e.g. Redis restarted without its queue). A job that lost
    its worker MAX_ATTEMPTS times ends failed with a message instead of running forever."""
    now = timezone.now()
    waiting = Q(state=Job.State.PENDING, updated_at__lt=now - Job.lease())
    requeued, failed = [], []
    for job in Job.objects.filter(Job.stale_q(now) | waiting).only(
        "pk", "phase", "state", "attempts", "result"
    ):
        if job.state == Job.State.RUNNING and job.attempts >= MAX_ATTEMPTS:
            message = _("The job was interrupted %(n)d times and has stopped. Start it again.") % {
                "n": job.attempts
            }
            if Job.objects.filter(Job.stale_q(now), pk=job.pk).update(
                state=Job.State.FAILED, result={**(job.result or {}), "error": message}, finished_at=now,
                updated_at=now,
            ):  # fmt: skip
                failed.append(job.pk)
            continue
        if job.state == Job.State.PENDING:  # at most one more message per lease while it waits
            Job.objects.filter(pk=job.pk).update(updated_at=now)
        run_job.delay(job.pk, job.phase)
        requeued.append(job.pk)
    if requeued or failed:
        logger.warning("stale jobs: requeued %s, failed %s", requeued, failed)
    return {"requeued": requeued, "failed": failed}


def pause_for_tests(job: Job) -> None:
    """Test hook, honoured only with DEBUG on: LEC_JOB_TEST_PAUSE=seconds holds an import's transaction open
    just before it commits, so the real-worker test can kill the worker in the middle of a write."""
    seconds = float(os.environ.get("LEC_JOB_TEST_PAUSE") or 0)
    if seconds > 0 and settings.DEBUG:
        logger.warning("job %s: test pause of %s s before commit", job.pk, seconds)
        time.sleep(seconds)


def enqueue(job: Job) -> None:
    """Send the job's task once the transaction that created or advanced it commits (eager without Redis)."""
    transaction.on_commit(lambda: run_job.delay(job.pk, job.phase))
