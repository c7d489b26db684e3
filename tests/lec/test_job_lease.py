"""The job's own claim: a lease renewed by a heartbeat. A job whose worker died is re-claimed and finished
exactly once; a run that lost its lease cannot finish the job or keep its writes; a job never stays running."""

import datetime as dt
import time

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lec import jobs
from lec.models import Job, LeaseLost
from students.models import Learner
from tests.students.test_import import row, xlsx


@pytest.fixture(autouse=True)
def _short_lease(settings):
    settings.LEC_JOB_LEASE_SECONDS = 60


def import_job(tree, phase="import", rows=2) -> Job:
    job = Job(kind=Job.Kind.IMPORT_LEARNERS, phase=phase, organisation=tree.school1,
              created_by=tree.users["school1"], filename="x.xlsx")  # fmt: skip
    job.file.save("x.xlsx", ContentFile(xlsx([row(n) for n in range(1, rows + 1)]).getvalue()))
    return job


def age(job: Job, seconds: int) -> None:
    """As if the worker holding the job had stopped renewing its lease `seconds` ago."""
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds))


def test_a_claim_is_a_lease_that_another_worker_takes_only_once_it_expired(tree):
    job = import_job(tree)
    first = Job.objects.get(pk=job.pk)
    assert first.claim("import", worker="w1@host")
    assert first.claimed_by.startswith("w1@host:") and first.heartbeat_at and first.attempts == 1
    second = Job.objects.get(pk=job.pk)
    assert not second.claim("import", worker="w2@host")  # the lease is fresh
    age(job, 59)
    assert not second.claim("import", worker="w2@host")
    age(job, 61)
    assert second.claim("import", worker="w2@host")
    assert second.claimed_by.startswith("w2@host:") and second.attempts == 2
    with pytest.raises(LeaseLost):
        first.finish(result={"late": True})
    second.finish(result={"ok": True})
    job.refresh_from_db()
    assert (job.state, job.result) == ("done", {"ok": True})


def test_a_run_that_lost_its_lease_keeps_none_of_its_writes(tree, monkeypatch):
    """The import writes its rows and ends the job in one transaction: when another worker has re-claimed the job
    meanwhile, finish() raises and every learner row of this run is rolled back."""
    from students.importing import learners as importing

    job = import_job(tree)
    assert job.claim("import")

    def another_worker_takes_over(job):
        assert Learner.objects.count() == 2  # written, not yet committed
        Job.objects.filter(pk=job.pk).update(claimed_by="w2@elsewhere:1:abc")

    monkeypatch.setattr(importing, "pause_for_tests", another_worker_takes_over)
    with pytest.raises(LeaseLost):
        importing.import_job(job)
    assert not Learner.objects.exists()
    assert Job.objects.get(pk=job.pk).state == "running"

    monkeypatch.setattr(importing, "pause_for_tests", lambda job: None)
    age(job, 120)
    jobs.requeue_stale_jobs()  # eager: the re-sent task runs here, as another worker would
    job.refresh_from_db()
    assert (job.state, job.attempts, job.result["created"]) == ("done", 2, 2)
    assert Learner.objects.count() == 2


def test_the_beat_task_requeues_a_dead_workers_job_and_it_finishes_once(tree):
    job = import_job(tree, phase="preview")
    assert Job.objects.get(pk=job.pk).claim("preview", worker="dead@host")
    assert jobs.requeue_stale_jobs() == {"requeued": [], "failed": []}  # still within its lease
    age(job, 61)
    assert jobs.requeue_stale_jobs() == {"requeued": [job.pk], "failed": []}
    job.refresh_from_db()
    assert (job.state, job.phase, job.attempts, job.result["created"]) == ("done", "preview", 2, 2)
    assert jobs.requeue_stale_jobs() == {"requeued": [], "failed": []}


def test_a_job_that_keeps_losing_its_worker_ends_failed_with_a_message(tree, api, client):
    job = import_job(tree, phase="preview")
    Job.objects.filter(pk=job.pk).update(state="running", attempts=jobs.MAX_ATTEMPTS, claimed_by="w:1:x")
    age(job, 61)
    assert jobs.requeue_stale_jobs() == {"requeued": [], "failed": [job.pk]}
    body = api.get(f"/api/v1/jobs/{job.pk}", tree.users["school1"]).json()
    assert body["state"] == "failed" and str(jobs.MAX_ATTEMPTS) in body["error"]


def test_a_job_left_waiting_is_sent_again(tree):
    """Its message was lost (Redis restarted without it): after a lease the beat task sends it again."""
    job = import_job(tree, phase="preview")
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(seconds=61))
    assert jobs.requeue_stale_jobs()["requeued"] == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.result["created"]) == ("done", 2)


def test_an_unexpected_error_ends_the_job_failed_never_running(tree, monkeypatch):
    job = import_job(tree, phase="preview")

    def broken(job):
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(jobs._RUNNERS, Job.Kind.IMPORT_LEARNERS, broken)
    with pytest.raises(ZeroDivisionError):
        jobs.run_job.delay(job.pk, "preview")
    job.refresh_from_db()
    assert job.state == "failed" and job.result["error"]


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_and_publishes_progress(settings):
    settings.LEC_JOB_LEASE_SECONDS = 1  # a beat every 0.25 s
    job = Job.objects.create(kind=Job.Kind.EXPORT_LEARNERS, phase="export")
    assert job.claim("export")
    started = job.heartbeat_at
    with jobs.heartbeat(job):
        job.progress, job.total = 40, 100  # in memory, as an import inside its write transaction sets it
        time.sleep(0.8)
        seen = Job.objects.get(pk=job.pk)
    assert seen.heartbeat_at > started and (seen.progress, seen.total) == (40, 100)
    assert not Job.objects.filter(Job.stale_q(), pk=job.pk).exists()


def test_an_export_that_lost_its_lease_leaves_no_file_and_no_audit_row(tree, settings):
    from accounts.models import AuditLog
    from lec.filestore.models import StoredFile
    from students.exporting import export_job

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "lec.filestore.storage.DatabaseStorage"}}
    job = Job.objects.create(kind=Job.Kind.EXPORT_LEARNERS, phase="export", organisation=tree.school1,
                             created_by=tree.users["school1"], params={"format": "csv", "status": "active"})  # fmt: skip
    assert job.claim("export")
    Job.objects.filter(pk=job.pk).update(claimed_by="w2@elsewhere:1:abc")  # re-claimed while this run wrote
    with pytest.raises(LeaseLost):
        export_job(job)
    assert not StoredFile.objects.exists()
    assert not AuditLog.objects.filter(action="export_learners").exists()
    assert Job.objects.get(pk=job.pk).output.name in ("", None)
