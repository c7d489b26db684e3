"""/api/v1 background jobs (api.md "Background jobs"): learner imports that stop at a preview and are confirmed,
learner exports prepared in the background and downloaded, and the job itself. The same Job rows, services
(lec.services.job_start / job_advance) and runners (students.jobs) as the import and export pages."""

from typing import Literal

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import File, Query, Router, Schema
from ninja import Status as HttpStatus
from ninja.files import UploadedFile

from accounts.policy import access_organisation, is_superuser, require
from accounts.services import audit
from lec.lib.errors import Code, DomainError, NotFound, invalid
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS, ERRORS_409
from lec.lib.spreadsheets import MAX_BYTES
from lec.models import Job
from lec.services import job_advance, job_start
from schools.models import INSTITUTION_KINDS

from .exporting import parse_status
from .importing import IMPORT, PREVIEW
from .models import Status

router = Router(tags=["background jobs"])

EXPORT = "export"


class JobOut(Schema):
    id: int
    kind: str
    phase: str
    state: Literal["pending", "running", "done", "failed"]
    progress: int
    total: int
    result: dict
    error: str | None


def job_error(job: Job) -> str | None:
    """Why a failed job failed, in words a user can act on; None unless it failed."""
    if job.state != Job.State.FAILED:
        return None
    result = job.result or {}
    if result.get("refused") or result.get("error"):
        return str(result.get("refused") or result.get("error"))
    problems = len(result.get("problems") or ())
    if problems:
        return ngettext(
            "The file has %(count)d problem; nothing was imported.",
            "The file has %(count)d problems; nothing was imported.",
            problems,
        ) % {"count": problems}
    return _("The job failed. Start it again.")


def job_out(job: Job) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "phase": job.phase,
        "state": job.state,
        "progress": job.progress,
        "total": job.total,
        "result": job.result or {},
        "error": job_error(job),
    }


def visible_job(user, job_id: int) -> Job:
    """The job, for the user who started it or a superuser; anyone else is told it does not exist."""
    job = Job.objects.select_related("organisation").filter(pk=job_id).first()
    if job is None or not (job.created_by_id == user.pk or is_superuser(user)):
        raise NotFound()
    return job


def _started(job: Job) -> HttpStatus:
    job.refresh_from_db()  # without Redis the task has already run inline
    return HttpStatus(202, job_out(job))


@router.post(
    "/organisations/{code}/learners/import-jobs",
    response={202: JobOut, **ERRORS_409},
    summary="Start a learner import: the job reads the file and stops at a preview to confirm",
)
def start_import_job(request, code: str, file: UploadedFile = File(...)):  # noqa: B008
    org = access_organisation(request.user, code, "import_learners")
    if org.kind not in INSTITUTION_KINDS:
        raise DomainError(_("Learners are imported into a school or a child development centre."),
                          code=Code.INVALID_TRANSITION)  # fmt: skip
    if file.size > MAX_BYTES:
        raise invalid("file", _("This file is larger than %(mb)s MB. Split it into smaller files and upload each.")
                      % {"mb": MAX_BYTES // (1024 * 1024)})  # fmt: skip
    job = job_start(kind=Job.Kind.IMPORT_LEARNERS, phase=PREVIEW, organisation=org, acting_user=request.user,
                    upload=file)  # fmt: skip
    return _started(job)


@router.post(
    "/jobs/{job_id}/confirm",
    response={202: JobOut, **ERRORS_409},
    summary="Confirm an import's preview: the job writes it all or nothing",
)
def confirm_job(request, job_id: int):
    job = visible_job(request.user, job_id)
    if job.kind != Job.Kind.IMPORT_LEARNERS:
        raise DomainError(_("Only an import is confirmed."), code=Code.INVALID_TRANSITION)
    require(request.user, "import_learners", job.organisation)
    if (job.result or {}).get("problems") and job.phase == PREVIEW:
        raise DomainError(_("The preview found problems: correct the file and upload it again."),
                          code=Code.INVALID_TRANSITION)  # fmt: skip
    if job.phase != PREVIEW or job.state != Job.State.DONE or not job_advance(job=job, phase=IMPORT):
        raise DomainError(_("This import is not a finished preview waiting for confirmation."),
                          code=Code.INVALID_TRANSITION)  # fmt: skip
    return _started(job)


@router.post(
    "/organisations/{code}/learners/export-jobs",
    response={202: JobOut, **ERRORS},
    summary="Prepare a learner export in the background (download it when the job is done)",
)
def start_export_job(
    request,
    code: str,
    fmt: str = Query("csv", alias="format"),
    status: str = Status.ACTIVE.value,
):
    org = access_organisation(request.user, code, "export_learners")
    if fmt not in ("csv", "xlsx"):
        raise invalid("format", _("Choose csv or xlsx."))
    status = parse_status(status)
    job = job_start(kind=Job.Kind.EXPORT_LEARNERS, phase=EXPORT, organisation=org, acting_user=request.user,
                    params={"format": fmt, "status": status})  # fmt: skip
    return _started(job)


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, summary="A background job's state and result")
def get_job(request, job_id: int):
    return job_out(visible_job(request.user, job_id))


@router.get(
    "/jobs/{job_id}/download",
    response={200: None, **ERRORS_409},
    summary="Download a finished export job's file (CSV with BOM or xlsx, masked as any export)",
)
def download_job(request, job_id: int):
    job = visible_job(request.user, job_id)
    if job.kind != Job.Kind.EXPORT_LEARNERS:
        raise NotFound()
    require(request.user, "export_learners", job.organisation)
    if job.state != Job.State.DONE:
        raise DomainError(_("The export is not ready yet. Ask for the job again in a moment."),
                          code=Code.INVALID_TRANSITION)  # fmt: skip
    if not job.output:
        raise NotFound(_("This export's file has been deleted. Start a new export."))
    name = job.output.name.rsplit("/", 1)[-1]
    audit(acting_user=request.user, action="download_export", organisation=job.organisation,
          object_ref=job.organisation.code, ip=client_ip(request), job=job.pk, file=name,
          rows=(job.result or {}).get("rows"), checksum=(job.result or {}).get("checksum"))  # fmt: skip
    response = FileResponse(job.output.open("rb"), as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    return response
