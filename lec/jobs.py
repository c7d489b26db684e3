"""The runner of background jobs: each app registers the function that runs its Job kinds (students: the learner
import and export, in students/jobs.py); one Celery task claims a job by id and calls that function.

This is floor code: it knows the Job model and Celery, never the apps whose jobs it runs."""

from collections.abc import Callable

from celery import shared_task
from django.db import transaction

from lec.models import Job

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


# The task keeps its historical name so messages queued before a deploy still find it.
@shared_task(name="lec.tasks.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: int, phase: str = "") -> None:
    """Claim the job for `phase` and run it; a task delivered twice (or for a job that is gone) does nothing."""
    job = Job.objects.filter(pk=job_id).select_related("organisation", "created_by").first()
    if job is None:
        return
    run = runner_for(job.kind)
    if job.claim(phase):
        run(job)


def enqueue(job: Job) -> None:
    """Send the job's task once the transaction that created or advanced it commits (eager without Redis)."""
    transaction.on_commit(lambda: run_job.delay(job.pk, job.phase))
