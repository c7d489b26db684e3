"""Nightly housekeeping tasks (settings.CELERY_BEAT_SCHEDULE). The job runner itself is lec.jobs.run_job."""

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from lec.models import Job

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def purge_job_files(days: int = 7) -> int:
    """Uploaded learner files and prepared exports hold personal data: delete them after `days` (the job rows
    and their results stay). Returns the number of files removed."""
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
    """Recount live headcounts and check the confirmed snapshots (confirmations.verification, the same function
    as `manage.py verify_counts`); log every difference (a difference is a bug)."""
    from confirmations import verification

    institutions, lines = verification.verify_counts()
    for line in lines:
        logger.error("verify_counts: %s", line)
    return {"institutions": institutions, "differences": lines}
