"""/api/v1 import and export endpoints (api.md "Exports", and the import of api.md import_learners over HTTP)."""

from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile

from accounts.policy import access_organisation
from lec.lib.errors import Code, DomainError, invalid
from lec.lib.net import client_ip
from lec.lib.schemas import ERRORS, ERRORS_409
from lec.lib.spreadsheets import FileRefused
from schools.models import INSTITUTION_KINDS

from .exporting import learners_export
from .importing import learners_import
from .models import Status

router = Router(tags=["import and export"])


@router.get(
    "/organisations/{code}/learners/export",
    response={200: None, **ERRORS},
    summary="Export the learners of a subtree (CSV with BOM or xlsx)",
)
def export_learners(
    request,
    code: str,
    fmt: str = Query("csv", alias="format"),
    status: str = Status.ACTIVE.value,
):
    org = access_organisation(request.user, code, "export_learners")
    return learners_export(
        acting_user=request.user, organisation=org, fmt=fmt, status=status, ip=client_ip(request)
    )


class ProblemOut(Schema):
    row: int
    column: str
    message: str
    kind: str


class CandidateOut(Schema):
    row: int
    identity: str
    code: str
    name_th: str


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    written: bool
    problems: list[ProblemOut]
    ignored_columns: list[str]
    transfer_candidates: list[CandidateOut]


@router.post(
    "/organisations/{code}/learners/import",
    response={200: ImportOut, **ERRORS_409},
    summary="Import an .xlsx or .csv learner file into one institution (dry_run=true to preview)",
)
def import_learners(request, code: str, file: UploadedFile = File(...), dry_run: bool = False):  # noqa: B008
    org = access_organisation(request.user, code, "import_learners")
    if org.kind not in INSTITUTION_KINDS:
        raise DomainError(_("Learners are imported into a school or a child development centre."),
                          code=Code.INVALID_TRANSITION)  # fmt: skip
    try:
        outcome = learners_import(organisation=org, source=file.file, filename=file.name or "",
                                  acting_user=request.user, dry_run=dry_run)  # fmt: skip
    except FileRefused as exc:
        raise invalid("file", exc.message)
    return {
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "written": outcome.written,
        "problems": [p.as_dict() for p in outcome.problems],
        "ignored_columns": outcome.ignored,
        "transfer_candidates": outcome.candidates,
    }
