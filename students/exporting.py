"""Learner exports (api.md "Exports"): the learners of a subtree as CSV (UTF-8 with BOM) or xlsx, streamed, masked
per accounts.policy, formula-like cells escaped, every export audited (who, what, filter, rows, checksum); the
import template; and the export job. The headcount export lives in confirmations.headcount_export."""

import io
import json
import os
import tempfile
from collections.abc import Iterator

import openpyxl
from django.core.files import File
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.policy import sees_full_identity
from accounts.services import audit
from lec.lib import levels, wording
from lec.lib.errors import invalid
from lec.lib.spreadsheets import (
    XLSX_CONTENT_TYPE,
    csv_chunks,
    csv_response,
    escape,
    export_filename,
    formula_escaped,
    sha256_file,
    write_xlsx,
    xlsx_response,
)
from lec.lib.streamed import streamed_rows
from lec.lib.thai import format_date_input
from schools.models import Kind, Organisation, subtree_q

from . import masking
from .identity import format_national_id
from .importing import ADDRESS_SUB, PERSON_SUB, SPECS, TEMPLATE_FIELDS
from .models import DISABILITIES, DISADVANTAGES, PREFIXES, SHORTAGES, Learner, Status

__all__ = ["XLSX_CONTENT_TYPE", "escape", "export_job", "learners_export", "template_workbook"]


# ---------------------------------------------------------------------------------------------------------------
# Learners

_COLUMNS = (
    "id", "national_id", "g_code", "student_number", "prefix", "first_name", "last_name", "gender", "birth_date",
    "class_level", "room", "race", "nationality", "religion", "enrolled_on", "weight_kg", "height_cm",
    "family_status", "disadvantage", "disability", "shortages", "father", "mother", "guardian",
    "registered_address", "current_address",
)  # fmt: skip
_IDX = {name: i for i, name in enumerate(_COLUMNS)}
_JSON_COLUMNS = ("shortages", "father", "mother", "guardian", "registered_address", "current_address")
_PEOPLE_AND_ADDRESSES = slice(_IDX["father"], len(_COLUMNS))  # the five JSON objects close the row


def headers(kind: str | None = None) -> list[str]:
    """The Thai column headings; a CDC's file says เลขประจำตัวเด็ก where a school's says เลขประจำตัวนักเรียน."""
    return [wording.heading(kind, s.field, s.th) for s in SPECS]


def parse_status(status: str | None) -> str:
    status = (status or Status.ACTIVE).strip()
    if status != "all" and status not in Status.values:
        raise invalid("status", _("Use active, all, or a reason for leaving."))
    return status


def learner_rows_queryset(organisation: Organisation, status: str):
    qs = Learner.objects.filter(subtree_q(organisation.path, "organisation__path"))
    if status != "all":
        qs = qs.filter(status=status)
    # JSON columns come as text and are parsed only when present: Django's JSON converter on every cell of
    # every row was a third of an export's time.
    texts = {f"{name}_text": Cast(name, output_field=TextField()) for name in _JSON_COLUMNS}
    names = [f"{name}_text" if name in _JSON_COLUMNS else name for name in _COLUMNS]
    return (
        qs.order_by("level_order", "room", "last_name", "first_name", "id")
        .annotate(**texts)
        .values_list(*names)
    )


# An export's query sorts a subtree's learners (a province: 35,000 rows, 20 MB): at PostgreSQL's default work_mem
# (4 MB) the sort spills to disk (docs/performance.md). Set on the export's own streaming connection only.
EXPORT_WORK_MEM = "64MB"


def learner_rows(qs) -> Iterator:
    """The rows of `qs` (learner_rows_queryset) as PostgreSQL sends them (lec.lib.streamed)."""
    return streamed_rows(qs, size=2000, work_mem=EXPORT_WORK_MEM)


def _labels() -> dict:
    with translation.override("th"):
        return {
            "gender": {"male": "ชาย", "female": "หญิง"},
            "level": {lvl.code: lvl.full for lvl in levels.LEVELS},
            "disadvantage": {k: str(v) for k, v in DISADVANTAGES.items()},
            "disability": {k: str(v) for k, v in DISABILITIES.items()},
            "shortages": {k: str(v) for k, v in SHORTAGES.items()},
        }


def _number(value) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def row_builder(full_identity: bool, for_csv: bool):
    """A function turning one values_list row (plus its running number) into the template's cells.

    Longer than ~60 lines on purpose: `build` is the export's hot loop (docs/performance.md measures it), so every
    column index and label table is bound to a local of this closure once, not looked up per cell."""
    labels = _labels()
    person_keys = [(f, sub) for f in ("father", "mother", "guardian") for sub, *_r in PERSON_SUB]
    wanted = set(TEMPLATE_FIELDS)
    person_keys = [(f, sub) for f, sub in person_keys if f"{f}.{sub}" in wanted]
    address_keys = [(f, sub) for f in ("registered_address", "current_address") for sub, *_r in ADDRESS_SUB]
    i = _IDX
    gender, level = labels["gender"], labels["level"]
    disadvantage, disability, shortages = labels["disadvantage"], labels["disability"], labels["shortages"]

    def identity(r) -> str:
        nid, g = r[i["national_id"]], r[i["g_code"]]
        if not full_identity:
            return masking.field_value("g_code" if g and not nid else "national_id", nid or g, False) or ""
        if nid:
            return format_national_id(nid) if for_csv else nid
        return g or ""

    person_groups = [
        (i[f], [sub for g, sub in person_keys if g == f]) for f in ("father", "mother", "guardian")
    ]
    address_groups = [
        (i[f], [sub for g, sub in address_keys if g == f]) for f in ("registered_address", "current_address")
    ]
    i_sn, i_prefix, i_first, i_last, i_gender, i_birth = (
        i["student_number"], i["prefix"], i["first_name"], i["last_name"], i["gender"], i["birth_date"],
    )  # fmt: skip
    i_level, i_room, i_race, i_nat, i_rel, i_enr = (
        i["class_level"], i["room"], i["race"], i["nationality"], i["religion"], i["enrolled_on"],
    )  # fmt: skip
    i_w, i_h, i_fam, i_dis, i_dsb, i_sh = (
        i["weight_kg"], i["height_cm"], i["family_status"], i["disadvantage"], i["disability"], i["shortages"],
    )  # fmt: skip
    loads = json.loads
    no_people_or_addresses = [""] * sum(len(subs) for _idx, subs in [*person_groups, *address_groups])
    show_disability = not masking.hidden("disability", full_identity)
    dates: dict = {}  # a few thousand distinct dates among a province's learners: each formatted once

    def date(value) -> str:
        text = dates[value] = format_date_input(value)
        return text

    def build(n: int, r) -> list:
        birth, enrolled, weight, height = r[i_birth], r[i_enr], r[i_w], r[i_h]
        cells = [
            str(n),
            r[i_sn],
            identity(r),
            r[i_prefix],
            r[i_first],
            r[i_last],
            gender.get(r[i_gender], ""),
            dates.get(birth) or date(birth),
            level.get(r[i_level], r[i_level]),
            r[i_room],
            r[i_race],
            r[i_nat],
            r[i_rel],
            dates.get(enrolled) or date(enrolled),
            "" if weight is None else _number(weight),
            "" if height is None else _number(height),
            r[i_fam],
            disadvantage.get(r[i_dis], r[i_dis] or ""),
            disability.get(r[i_dsb], r[i_dsb] or "") if show_disability else "",
            ", ".join([shortages.get(s, s) for s in loads(r[i_sh])]) if r[i_sh] and r[i_sh] != "[]" else "",
        ]
        if not any(r[_PEOPLE_AND_ADDRESSES]):  # most learners: no parent, guardian or address recorded
            cells += no_people_or_addresses
            return formula_escaped(cells)
        for idx, subs in person_groups:
            part = r[idx]
            if not part or part == "null":
                cells.extend([""] * len(subs))
                continue
            part = loads(part)
            for sub in subs:
                value = part.get(sub)
                cells.append(_number(value) if sub == "income" and value is not None else (value or ""))
        for idx, subs in address_groups:
            part = r[idx]
            if not part or part == "null":
                cells.extend([""] * len(subs))
                continue
            part = loads(part)
            cells.extend([part.get(sub) or "" for sub in subs])
        return formula_escaped(cells)

    return build


def learners_export(
    *, acting_user, organisation: Organisation, fmt: str, status: str | None, ip: str | None = None
):
    """The response for an export of `organisation`'s subtree (already authorised for export_learners)."""
    status = parse_status(status)
    if fmt not in ("csv", "xlsx"):
        raise invalid("format", _("Choose csv or xlsx."))
    full = sees_full_identity(acting_user, organisation)
    build = row_builder(full, fmt == "csv")
    source = learner_rows(learner_rows_queryset(organisation, status))
    rows = (build(n, r) for n, r in enumerate(source, start=1))
    detail = {
        "format": fmt,
        "filter": {"status": status, "organisation": organisation.code},
        "masked": not full,
        "masked_fields": masking.masked_fields(full),
    }

    def log(count: int, checksum: str, complete: bool = True):
        source.close()  # a download cut off: its streaming connection goes now, not when garbage is collected
        audit(acting_user=acting_user, action="export_learners", organisation=organisation, object_ref=organisation.code,
              ip=ip, rows=count, checksum=checksum, complete=complete, **detail)  # fmt: skip

    name = export_filename(organisation.code, "learners", fmt)
    if fmt == "csv":
        return csv_response(name, csv_chunks(headers(organisation.kind), rows, log))
    sheet = wording.for_kind(organisation.kind, "Learners")
    try:
        return xlsx_response(name, sheet, [headers(organisation.kind)], rows, log, text_columns=(1, 2))
    finally:
        source.close()


# ---------------------------------------------------------------------------------------------------------------
# The import template: Thai headers, identity as text, drop-down lists for prefix, gender and class level.


def template_workbook(kind: str = Kind.SCHOOL) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = wording.for_kind(kind, "Learners")
    lists = wb.create_sheet("lists")
    head = headers(kind)
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.freeze_panes = "A2"
    level_names = [lvl.full for lvl in levels.LEVELS if lvl.code in levels.taught_by(kind)]
    columns = {
        "prefix": list(wording.prefixes(kind, PREFIXES)),
        "gender": ["ชาย", "หญิง"],
        "class_level": level_names,
    }
    for col, (field, values) in enumerate(columns.items(), start=1):
        letter = get_column_letter(col)
        for r, value in enumerate(values, start=1):
            lists.cell(row=r, column=col, value=value)
        idx = TEMPLATE_FIELDS.index(field) + 1
        target = get_column_letter(idx)
        dv = DataValidation(
            type="list", formula1=f"=lists!${letter}$1:${letter}${len(values)}", allow_blank=True
        )
        dv.error = _("Choose a value from the list.")
        dv.errorTitle = _("Not in the list")
        ws.add_data_validation(dv)
        dv.add(f"{target}2:{target}5000")
    lists.sheet_state = "hidden"
    for idx, field in enumerate(TEMPLATE_FIELDS, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = max(12, len(head[idx - 1]) + 4)
        if field in ("identity", "student_number", "birth_date", "enrolled_on", "room"):
            for r in range(2, 5001):
                ws.cell(row=r, column=idx).number_format = "@"
    _mark_required(ws, head)
    _instructions(wb, kind, head)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# The columns an import refuses a row without (api.md import_learners "Required"); the file's language is Thai.
TEMPLATE_REQUIRED = ("identity", "prefix", "first_name", "last_name", "birth_date", "class_level")
_HOW = {
    "identity": "เลขประจำตัวประชาชน 13 หลัก หรือรหัส G สำหรับผู้ไม่มีเลขประจำตัวประชาชน",
    "prefix": "เลือกจากรายการ",
    "gender": "ไม่กรอกก็ได้: ระบบดูจากคำนำหน้า",
    "birth_date": "วัน/เดือน/ปี พ.ศ. เช่น 15/03/2562",
    "class_level": "เลือกจากรายการ เช่น ป.1 หรือ อนุบาล 2",
    "enrolled_on": "วัน/เดือน/ปี พ.ศ. ไม่กรอกก็ได้ (วันนี้)",
}


def _example(kind: str) -> dict:
    """A made-up learner for the instructions sheet (a valid check digit; nobody's number)."""
    from .identity import make_national_id

    cdc = kind == Kind.CDC
    level = next(lvl for lvl in levels.LEVELS if lvl.code in levels.taught_by(kind))
    return {
        "identity": make_national_id("110370001234"),
        "prefix": "เด็กหญิง",
        "first_name": "มะลิ",
        "last_name": "ใจดี",
        "birth_date": "15/03/2565" if cdc else "15/03/2562",
        "class_level": level.full,
        "room": "1",
        "nationality": "ไทย",
        "religion": "พุทธ",
    }


def _mark_required(ws, head: list[str]) -> None:
    """Required headers stand out (orange, with a note), so a clerk knows which columns may stay empty."""
    from openpyxl.comments import Comment

    for field in TEMPLATE_REQUIRED:
        cell = ws.cell(row=1, column=TEMPLATE_FIELDS.index(field) + 1)
        cell.fill = PatternFill("solid", fgColor="F8CBAD")
        cell.comment = Comment("จำเป็นต้องกรอก", "LEC")


def _instructions(wb, kind: str, head: list[str]) -> None:
    """A second sheet: every column, whether it is required, how to fill it, and an example learner. The example
    lives here, not on the data sheet, so it can never be imported by mistake."""
    sheet = wb.create_sheet("คำอธิบาย", 1)
    sheet.append(["กรอกข้อมูลในแผ่นงานแรก หนึ่งแถวต่อหนึ่งคน แล้วนำเข้าไฟล์นี้ในหน้า “นำเข้าข้อมูล”"])
    sheet.append(["คอลัมน์สีส้มต้องกรอกทุกแถว คอลัมน์อื่นไม่กรอกก็ได้"])
    sheet.append([])
    sheet.append(["หัวคอลัมน์", "จำเป็น", "วิธีกรอก", "ตัวอย่าง"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    example = _example(kind)
    for field, title in zip(TEMPLATE_FIELDS, head, strict=True):
        required = field in TEMPLATE_REQUIRED
        sheet.append([title, "จำเป็น" if required else "", _HOW.get(field, ""), example.get(field, "")])
        if required:
            sheet.cell(row=sheet.max_row, column=1).fill = PatternFill("solid", fgColor="F8CBAD")
    for letter, width in zip("ABCD", (28, 10, 60, 24), strict=True):
        sheet.column_dimensions[letter].width = width


# ---------------------------------------------------------------------------------------------------------------
# Large exports as background jobs (the Celery job task calls export_job with a claimed Job).


def _write_file(path: str, fmt: str, rows, kind: str | None = None) -> tuple[int, str]:
    """(rows written, sha256 of the file) for the learner rows written to `path` as CSV or xlsx."""
    if fmt == "csv":
        done = {}
        with open(path, "wb") as fh:
            for chunk in csv_chunks(headers(kind), rows, lambda n, c, ok: done.update(n=n, c=c)):
                fh.write(chunk)
        return done["n"], done["c"]
    count = write_xlsx(path, wording.for_kind(kind, "Learners"), [headers(kind)], rows, text_columns=(1, 2))
    return count, sha256_file(path)


def export_job(job) -> None:
    """Run a learner export job: the file is written, audited and kept as the job's output."""
    organisation = job.organisation
    params = job.params
    fmt, status = params.get("format", "xlsx"), params.get("status", Status.ACTIVE.value)
    full = sees_full_identity(job.created_by, organisation)
    build = row_builder(full, fmt == "csv")
    qs = learner_rows_queryset(organisation, status)
    job.set_progress(0, qs.count())

    def rows():
        for n, r in enumerate(learner_rows(qs), start=1):
            if n % 5000 == 0:
                job.set_progress(n)
            yield build(n, r)

    fd, path = tempfile.mkstemp(suffix=f".{fmt}", prefix="lec-export-")
    os.close(fd)
    try:
        count, checksum = _write_file(path, fmt, rows(), organisation.kind)
        # the audit row, the stored file (in the database storage) and the job's end commit together: a run
        # that lost its lease to another worker (finish raises) leaves neither a second file nor a second row
        with transaction.atomic():
            audit(acting_user=job.created_by, action="export_learners", organisation=organisation, object_ref=organisation.code,
                  rows=count, checksum=checksum, complete=True, format=fmt, masked=not full, job=job.pk,
                  masked_fields=masking.masked_fields(full),
                  filter={"status": status, "organisation": organisation.code})  # fmt: skip
            with open(path, "rb") as fh:
                job.output.save(export_filename(organisation.code, "learners", fmt), File(fh), save=False)
            job.save(update_fields=["output"])
            job.finish(result={"rows": count, "checksum": checksum})
    finally:
        os.unlink(path)
