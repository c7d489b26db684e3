"""Writes for background jobs (imports, exports): create or advance a Job and send its task after commit."""

from django.db import transaction

from lec.jobs import enqueue
from lec.models import Job


@transaction.atomic
def job_start(
    *, kind: str, phase: str, organisation, acting_user, upload=None, params: dict | None = None
) -> Job:
    """A new job, its uploaded file stored with it, queued once the transaction commits."""
    job = Job(kind=kind, phase=phase, organisation=organisation, created_by=acting_user, params=params or {})
    if upload is not None:
        job.filename = upload.name[:255]
        job.total = 100
        job.file.save(upload.name, upload, save=False)
    job.save()
    enqueue(job)
    return job


@transaction.atomic
def job_advance(*, job: Job, phase: str) -> bool:
    """Move a finished job on to its next phase and queue it, once (a double click starts nothing twice)."""
    if job.restart(phase):
        enqueue(job)
        return True
    return False
