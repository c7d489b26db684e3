"""Celery tasks for background jobs: thin wrappers that load a Job by id and run it (safe to deliver twice)."""

import logging

from celery import shared_task

from lec.models import Job

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def run_job(job_id: int, phase: str = "") -> None:
    job = Job.objects.filter(pk=job_id).select_related("organisation", "created_by").first()
    if job is None or not job.claim(phase):
        return
    if job.kind == Job.Kind.IMPORT_LEARNERS:
        from students.importing import import_job

        import_job(job)
    elif job.kind == Job.Kind.EXPORT_LEARNERS:
        from students.exporting import export_job

        export_job(job)


def enqueue(job: Job) -> None:
    """Send the job's task once the transaction that created or advanced it commits (eager without Redis)."""
    from django.db import transaction

    transaction.on_commit(lambda: run_job.delay(job.pk, job.phase))


@shared_task(ignore_result=True)
def purge_job_files(days: int = 7) -> int:
    """Uploaded learner files and prepared exports hold personal data: delete them after `days` (the job rows
    and their results stay). Returns the number of files removed."""
    import datetime as dt

    from django.utils import timezone

    removed = 0
    cutoff = timezone.now() - dt.timedelta(days=days)
    for job in Job.objects.filter(created_at__lt=cutoff).exclude(file="", output=""):
        for field in (job.file, job.output):
            if field:
                field.delete(save=False)
                removed += 1
        job.save(update_fields=["file", "output"])
    return removed


@shared_task(name="lec.tasks.verify_counts")
def verify_counts() -> dict:
    """Recount live headcounts; log every difference (a difference is a bug: counters change with each write)."""
    from students.selectors import count_differences

    institutions, lines = count_differences()
    try:
        from confirmations.selectors import snapshot_differences
    except ImportError:
        pass
    else:
        lines = [*lines, *snapshot_differences()]
    for line in lines:
        logger.error("verify_counts: %s", line)
    return {"institutions": institutions, "differences": lines}
