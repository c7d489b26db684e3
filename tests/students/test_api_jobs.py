"""Background jobs over /api/v1 (api.md "Background jobs"): import-jobs with preview and confirm, export-jobs
with download, GET /jobs/{id}; only the starter (or a superuser) sees a job."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditLog, User
from lec.models import Job
from students.models import Learner
from tests.factories import PASSWORD, UserFactory
from tests.students.test_import import csv_bytes, row, xlsx

JOB_KEYS = {"id", "kind", "phase", "state", "progress", "total", "result", "error"}


@pytest.fixture
def jobs(client, api, django_capture_on_commit_callbacks):
    """Calls that run the queued task at commit (eagerly, as without Redis)."""

    class Calls:
        def auth(self, user):
            return {"HTTP_AUTHORIZATION": f"Bearer {api.token(user)}"} if user else {}

        def _run(self, user, call):
            """The answer, and for a 202 the job as read once its queued task has run (`r.job`)."""
            with django_capture_on_commit_callbacks(execute=True):
                r = call()
            if r.status_code == 202:
                assert set(r.json()) == JOB_KEYS and r.json()["state"] in ("pending", "done", "failed")
                r.job = self.get(f"/api/v1/jobs/{r.json()['id']}", user).json()
            return r

        def start_import(self, org, user, data: bytes, name="learners.xlsx"):
            path = f"/api/v1/organisations/{org.code}/learners/import-jobs"
            return self._run(
                user, lambda: client.post(path, {"file": SimpleUploadedFile(name, data)}, **self.auth(user))
            )

        def confirm(self, job_id, user):
            return self._run(user, lambda: client.post(f"/api/v1/jobs/{job_id}/confirm", **self.auth(user)))

        def start_export(self, org, user, query="format=csv"):
            path = f"/api/v1/organisations/{org.code}/learners/export-jobs?{query}"
            return self._run(user, lambda: client.post(path, **self.auth(user)))

        def get(self, path, user):
            return client.get(path, **self.auth(user))

    return Calls()


def imported(tree, jobs, rows=None):
    user = tree.users["school1"]
    job = jobs.start_import(tree.school1, user, xlsx(rows or [row(1), row(2)]).getvalue()).job
    jobs.confirm(job["id"], user)
    return job["id"]


def test_an_import_job_stops_at_a_preview_and_confirm_writes_it(tree, jobs):
    user = tree.users["school1"]
    r = jobs.start_import(tree.school1, user, xlsx([row(1), row(2)]).getvalue())
    assert r.status_code == 202, r.content
    job = r.job
    assert set(job) == JOB_KEYS
    assert (job["kind"], job["phase"], job["state"], job["error"]) == (
        "import_learners",
        "preview",
        "done",
        None,
    )
    assert {"created": 2, "updated": 0, "unchanged": 0, "problems": []}.items() <= job["result"].items()
    assert not Learner.objects.exists()

    r = jobs.confirm(job["id"], user)
    assert r.status_code == 202, r.content
    assert (r.json()["phase"], r.json()["state"]) == ("import", "pending")
    assert (r.job["phase"], r.job["state"], r.job["result"]["written"]) == ("import", "done", True)
    assert Learner.objects.filter(organisation=tree.school1).count() == 2

    again = jobs.confirm(job["id"], user)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert Learner.objects.count() == 2


def test_a_preview_with_problems_is_done_and_cannot_be_confirmed(tree, jobs):
    user = tree.users["school1"]
    data = csv_bytes([row(1), row(2, level="ป.9")]).getvalue()
    job = jobs.start_import(tree.school1, user, data, name="x.csv").job
    assert (job["phase"], job["state"]) == ("preview", "done")
    problem = job["result"]["problems"][0]
    assert (problem["row"], problem["column"]) == (3, "ระดับชั้น")
    r = jobs.confirm(job["id"], user)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert not Learner.objects.exists()
    assert jobs.get(f"/api/v1/jobs/{job['id']}", user).json()["phase"] == "preview"


def test_a_refused_file_ends_the_job_failed_with_an_error(tree, jobs):
    job = jobs.start_import(tree.school1, tree.users["school1"], b"\x00\x01binary", name="x.csv").job
    assert job["state"] == "failed" and job["error"]


def test_a_confirmed_institution_fails_the_preview_with_its_reason(tree, jobs):
    type(tree.school1).objects.filter(pk=tree.school1.pk).update(learners_locked=True)
    job = jobs.start_import(tree.school1, tree.users["school1"], xlsx([row(1)]).getvalue()).job
    assert (job["state"], job["result"]["code"]) == ("failed", "confirmed_locked") and job["error"]


def test_only_the_starter_or_a_superuser_sees_a_job(tree, jobs):
    job_id = jobs.start_import(tree.school1, tree.users["school1"], xlsx([row(1)]).getvalue()).json()["id"]
    colleague = UserFactory(username="school1b", organisation=tree.school1)
    for user in (tree.users["school2"], tree.users["lao1"], colleague):
        for path in (f"/api/v1/jobs/{job_id}", f"/api/v1/jobs/{job_id}/download"):
            r = jobs.get(path, user)
            assert r.status_code == 404 and r.json()["code"] == "not_found", (user, path)
        assert jobs.confirm(job_id, user).status_code == 404
    assert not Learner.objects.exists()
    root = User.objects.create_superuser("root", password=PASSWORD)
    assert jobs.get(f"/api/v1/jobs/{job_id}", root).json()["id"] == job_id
    assert jobs.get("/api/v1/jobs/999999", root).status_code == 404
    assert jobs.get(f"/api/v1/jobs/{job_id}", None).status_code == 401


def test_starting_jobs_needs_the_permission(tree, jobs):
    data = xlsx([row(1)]).getvalue()
    assert jobs.start_import(tree.school1, tree.users["p1"], data).status_code == 403
    assert jobs.start_import(tree.school1, tree.users["school2"], data).status_code == 404
    root = User.objects.create_superuser("root", password=PASSWORD)
    r = jobs.start_import(tree.lao1, root, data)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert jobs.start_export(tree.p2, tree.users["p1"]).status_code == 404
    assert jobs.start_import(tree.school1, None, data).status_code == 401
    assert not Job.objects.exists()


def test_export_job_bad_parameters_are_400(tree, jobs):
    r = jobs.start_export(tree.school1, tree.users["school1"], "format=pdf")
    assert r.status_code == 400 and "format" in r.json()["errors"]
    r = jobs.start_export(tree.school1, tree.users["school1"], "format=csv&status=gone")
    assert r.status_code == 400 and "status" in r.json()["errors"]


def test_an_export_job_downloads_masked_above_the_lao_and_is_logged(tree, jobs):
    imported(tree, jobs)
    identity = Learner.objects.first().national_id
    officer = tree.users["p1"]
    r = jobs.start_export(tree.p1, officer, "format=csv&status=active")
    assert r.status_code == 202, r.content
    job = r.job
    assert (job["kind"], job["phase"], job["state"], job["result"]["rows"]) == (
        "export_learners",
        "export",
        "done",
        2,
    )
    download = jobs.get(f"/api/v1/jobs/{job['id']}/download", officer)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert identity not in body and f"{identity[0]}-{identity[1:5]}-xxxxx-xx-{identity[-1]}" in body
    assert AuditLog.objects.filter(action="export_learners", user=officer, detail__job=job["id"],
                                   detail__masked=True).exists()  # fmt: skip
    assert AuditLog.objects.filter(action="download_export", user=officer, detail__job=job["id"]).exists()


def test_an_institution_export_job_has_full_identities_in_xlsx(tree, jobs):
    imported(tree, jobs)
    identity = Learner.objects.first().national_id
    user = tree.users["school1"]
    job = jobs.start_export(tree.school1, user, "format=xlsx").job
    download = jobs.get(f"/api/v1/jobs/{job['id']}/download", user)
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert identity in {str(c.value) for c in sheet["C"]} | {str(c.value) for c in sheet["B"]}


def test_download_of_an_unfinished_or_import_job(tree, jobs):
    user = tree.users["school1"]
    waiting = Job.objects.create(kind=Job.Kind.EXPORT_LEARNERS, phase="export", organisation=tree.school1,
                                 created_by=user)  # fmt: skip
    r = jobs.get(f"/api/v1/jobs/{waiting.pk}/download", user)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    import_id = jobs.start_import(tree.school1, user, xlsx([row(1)]).getvalue()).json()["id"]
    assert jobs.get(f"/api/v1/jobs/{import_id}/download", user).status_code == 404
    assert jobs.get(f"/api/v1/jobs/{import_id}", user).json()["state"] == "done"


def test_jobs_share_files_through_the_database_storage(tree, jobs, settings):
    """Production keeps uploads and exports in PostgreSQL: the node that serves the download need not be the
    one that prepared the file."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "lec.filestore.storage.DatabaseStorage"}}
    from lec.filestore.models import StoredFile

    imported(tree, jobs)
    assert Learner.objects.count() == 2
    user = tree.users["school1"]
    job = jobs.start_export(tree.school1, user).job
    stored = StoredFile.objects.get(name=Job.objects.get(pk=job["id"]).output.name)
    assert stored.size > 0
    body = b"".join(jobs.get(f"/api/v1/jobs/{job['id']}/download", user).streaming_content)
    assert len(body) == stored.size
