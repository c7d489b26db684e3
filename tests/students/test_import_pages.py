"""The browser import: upload → preview (a job) → confirm writes all or nothing; annotated download; permissions;
the LAO's grid import of other-affiliation headcounts; a real Celery worker on Redis running one import job."""

import datetime as dt
import io
import os

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lec.models import Job
from students.models import Learner
from tests.factories import RoundFactory
from tests.students.test_import import row, xlsx


def upload(client, org, f, name="learners.xlsx"):
    return client.post(f"/o/{org.code}/import/", {"file": SimpleUploadedFile(name, f.getvalue())})


def login(client, user):
    client.force_login(user)


def test_upload_previews_then_confirm_imports(tree, client, django_capture_on_commit_callbacks):
    login(client, tree.users["school1"])
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(client, tree.school1, xlsx([row(1), row(2)]))
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/o/{tree.school1.code}/import/{job.pk}/"
    assert (job.state, job.phase, job.result["created"]) == ("done", "preview", 2)
    assert not Learner.objects.exists()
    page = client.get(r["Location"])
    assert "นำเข้านักเรียนเหล่านี้" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/o/{tree.school1.code}/import/{job.pk}/confirm/")
    job.refresh_from_db()
    assert (job.state, job.phase, job.result["written"]) == ("done", "import", True)
    assert Learner.objects.filter(organisation=tree.school1).count() == 2
    # a second click starts nothing
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/o/{tree.school1.code}/import/{job.pk}/confirm/")
    assert callbacks == [] and Learner.objects.count() == 2


def test_problems_are_listed_in_thai_and_annotated_file_downloads(
    tree, client, django_capture_on_commit_callbacks
):
    login(client, tree.users["school1"])
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(client, tree.school1, xlsx([row(1), row(2, level="ป.9")]))
    page = client.get(r["Location"]).content.decode()
    assert "มีข้อผิดพลาด" in page and "ไม่ใช่ระดับชั้น" in page and "นำเข้านักเรียนเหล่านี้" not in page
    job = Job.objects.get()
    r = client.post(f"/o/{tree.school1.code}/import/{job.pk}/confirm/")
    assert not Learner.objects.exists()
    r = client.get(f"/o/{tree.school1.code}/import/{job.pk}/annotated.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws.cell(row=3, column=9).comment is not None


def test_progress_partial_polls_until_done(tree, client):
    login(client, tree.users["school1"])
    job = Job.objects.create(kind="import_learners", phase="preview", organisation=tree.school1, total=100,
                             progress=40, state="running")  # fmt: skip
    r = client.get(f"/o/{tree.school1.code}/import/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert 'aria-valuenow="40"' in r.content.decode() and "HX-Refresh" not in r
    Job.objects.filter(pk=job.pk).update(state="done")
    r = client.get(f"/o/{tree.school1.code}/import/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert r["HX-Refresh"] == "true"


def test_confirmed_institution_upload_shows_the_lock(tree, client, django_capture_on_commit_callbacks):
    type(tree.school1).objects.filter(pk=tree.school1.pk).update(learners_locked=True)
    login(client, tree.users["school1"])
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(client, tree.school1, xlsx([row(1)]))
    job = Job.objects.get()
    assert job.state == "failed" and job.result["code"] == "confirmed_locked"
    assert "ยกเลิกการยืนยัน" in client.get(r["Location"]).content.decode()
    assert not Learner.objects.exists()


def test_import_pages_respect_policy(tree, client):
    login(client, tree.users["school1"])
    assert client.get(f"/o/{tree.school4.code}/import/").status_code == 404
    assert client.get(f"/o/{tree.school1.code}/import/").status_code == 200
    assert client.get(f"/o/{tree.school1.code}/import/template.xlsx").status_code == 200
    client.logout()
    login(client, tree.users["lao1"])
    assert client.get(f"/o/{tree.school1.code}/import/").status_code == 403
    job = Job.objects.create(kind="import_learners", phase="preview", organisation=tree.school2)
    client.logout()
    login(client, tree.users["school1"])
    assert client.get(f"/o/{tree.school1.code}/import/{job.pk}/").status_code == 404


def test_export_page_and_download(tree, client):
    login(client, tree.users["lao1"])
    assert client.get(f"/o/{tree.lao1.code}/export/").status_code == 200
    r = client.get(f"/o/{tree.lao1.code}/export/learners/?format=csv")
    assert b"".join(r.streaming_content).startswith(b"\xef\xbb\xbf")


def test_background_export_job(tree, client, django_capture_on_commit_callbacks):
    from tests.students.test_export import add

    add(tree.school1, 3)
    login(client, tree.users["school1"])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.get(f"/o/{tree.school1.code}/export/learners/?format=xlsx&background=1")
    job = Job.objects.get(kind="export_learners")
    assert job.state == "done" and job.result["rows"] == 3
    r = client.get(f"/o/{tree.school1.code}/export/jobs/{job.pk}/download/")
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    assert ws.max_row == 4


def _open_round():
    from django.utils import timezone

    now = timezone.now()
    return RoundFactory(academic_year=2569, term=1, opens_at=now)


def test_lao_grid_import_saves_all_or_nothing(tree, client):
    from schools.models import OtherSchoolEntry

    rnd = _open_round()
    login(client, tree.users["lao1"])
    code = tree.other1.code
    good = xlsx([[code, "ป.1", 10, 12], [code, "ป.2", 8, "๙"]], head=["รหัสโรงเรียน", "ระดับชั้น", "ชาย", "หญิง"])
    r = client.post(f"/o/{tree.lao1.code}/other-schools/import/",
                    {"round": rnd.pk, "file": SimpleUploadedFile("grid.xlsx", good.getvalue())})  # fmt: skip
    assert r.status_code == 302
    entry = OtherSchoolEntry.objects.get(school=tree.other1, round=rnd)
    assert {(c.class_level, c.male, c.female) for c in entry.counts.all()} == {("p1", 10, 12), ("p2", 8, 9)}
    bad = xlsx([[code, "ป.1", 1, 1], [code, "ป.3", -4, 2]], head=["รหัสโรงเรียน", "ระดับชั้น", "ชาย", "หญิง"])
    r = client.post(f"/o/{tree.lao1.code}/other-schools/import/",
                    {"round": rnd.pk, "file": SimpleUploadedFile("grid.xlsx", bad.getvalue())})  # fmt: skip
    body = r.content.decode()
    assert r.status_code == 200 and "row 3, column ชาย:" in body
    assert {(c.class_level, c.male) for c in entry.counts.all()} == {("p1", 10), ("p2", 8)}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_an_import_job(settings):
    from celery.contrib.testing.worker import start_worker
    from django.core.files.base import ContentFile

    from lec.celery import app
    from lec.jobs import run_job
    from tests.conftest import require_redis
    from tests.factories import OrgTree

    require_redis()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    tree = OrgTree.build()
    job = Job(kind="import_learners", phase="preview", organisation=tree.school1, created_by=tree.users["school1"],
              filename="x.xlsx")  # fmt: skip
    job.file.save("x.xlsx", ContentFile(xlsx([row(1), row(2)]).getvalue()))
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1, loglevel="WARNING"):
        run_job.apply_async((job.pk, "preview"))
        import time

        for _ in range(150):
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.2)
        assert (job.state, job.result["created"]) == ("done", 2)
        assert job.restart("import")
        run_job.apply_async((job.pk, "import"))
        run_job.apply_async((job.pk, "import"))  # delivered twice: runs once
        for _ in range(150):
            job.refresh_from_db()
            if job.is_finished:
                break
            time.sleep(0.2)
    assert job.result["written"] is True
    assert Learner.objects.filter(organisation=tree.school1).count() == 2
    app.conf.task_always_eager = True


def test_job_page_polls_the_progress_partial(tree, client):
    client.force_login(tree.users["school1"])
    job = Job.objects.create(
        kind="import_learners", phase="preview", organisation=tree.school1, state="pending"
    )
    page = client.get(f"/o/{tree.school1.code}/import/{job.pk}/").content.decode()
    assert f'hx-get="/o/{tree.school1.code}/import/{job.pk}/progress/"' in page
    export = Job.objects.create(kind="export_learners", phase="export", organisation=tree.school1,
                                created_by=tree.users["school1"], state="running")  # fmt: skip
    page = client.get(f"/o/{tree.school1.code}/export/jobs/{export.pk}/").content.decode()
    assert f'hx-get="/o/{tree.school1.code}/export/jobs/{export.pk}/"' in page
    r = client.get(f"/o/{tree.school1.code}/export/jobs/{export.pk}/", HTTP_HX_REQUEST="true")
    assert "<html" not in r.content.decode() and 'role="progressbar"' in r.content.decode()


def test_uploaded_files_are_not_kept(tree, client, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from lec.tasks import purge_job_files

    client.force_login(tree.users["school1"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, tree.school1, xlsx([row(1)]))
    job = Job.objects.get()
    assert job.file
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/{tree.school1.code}/import/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.result["written"] and not job.file
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, tree.school1, xlsx([row(2, level="ป.9")]))
    old = Job.objects.exclude(pk=job.pk).get()
    path = old.file.path
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    assert purge_job_files() == 1
    old.refresh_from_db()
    assert not old.file and not os.path.exists(path)


def test_reimporting_the_same_file_offers_nothing_to_confirm(
    tree, client, django_capture_on_commit_callbacks
):
    client.force_login(tree.users["school1"])
    f = xlsx([row(1), row(2)])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, tree.school1, f)
    first = Job.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/{tree.school1.code}/import/{first.pk}/confirm/")
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(client, tree.school1, f)
    page = client.get(r["Location"]).content.decode()
    assert "การนำเข้าจะไม่เปลี่ยนแปลงอะไร" in page and "นำเข้านักเรียนเหล่านี้" not in page
    assert Learner.objects.count() == 2
