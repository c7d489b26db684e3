"""Exports (api.md "Exports"): learners of a subtree and headcount reports as CSV (UTF-8 with BOM) and xlsx, streamed,
masked per accounts.policy, formula-like cells escaped, every export audited (who, what, filter, rows, checksum)."""

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.policy import sees_full_identity
from accounts.services import audit
from lec.lib import levels
from lec.lib.errors import invalid
from lec.lib.thai import format_date_input
from schools.models import INSTITUTION_KINDS, Kind, Organisation, subtree_q

from .identity import format_national_id, mask
from .importing import ADDRESS_SUB, PERSON_SUB, SPECS, TEMPLATE_FIELDS
from .models import DISABILITIES, DISADVANTAGES, SHORTAGES, Learner, LearnerCount, Status

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = "=+-@\t\r"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_ROWS = 1000
XLSX_SYNC_LIMIT = 200_000


def escape(value) -> str:
    """A cell as text; one starting with = + - @ tab or CR gets a leading ' so no spreadsheet runs it."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


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


def headers() -> list[str]:
    return [s.th for s in SPECS]


def parse_status(status: str | None) -> str:
    status = (status or "active").strip()
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
    """A function turning one values_list row (plus its running number) into the template's cells."""
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
            return mask(nid or g) or ""
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
    formula = FORMULA_CHARS
    loads = json.loads

    def build(n: int, r) -> list:
        cells = [
            str(n),
            r[i_sn],
            identity(r),
            r[i_prefix],
            r[i_first],
            r[i_last],
            gender.get(r[i_gender], ""),
            format_date_input(r[i_birth]),
            level.get(r[i_level], r[i_level]),
            r[i_room],
            r[i_race],
            r[i_nat],
            r[i_rel],
            format_date_input(r[i_enr]),
            _number(r[i_w]),
            _number(r[i_h]),
            r[i_fam],
            disadvantage.get(r[i_dis], r[i_dis] or ""),
            disability.get(r[i_dsb], r[i_dsb] or ""),
            ", ".join([shortages.get(s, s) for s in loads(r[i_sh])]) if r[i_sh] and r[i_sh] != "[]" else "",
        ]
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
        return [("'" + c) if c and c.__class__ is str and c[0] in formula else c for c in cells]

    return build


class _Echo:
    def write(self, value):
        return value


def _filename(organisation: Organisation, what: str, fmt: str) -> str:
    stamp = timezone.localdate().strftime("%Y%m%d")
    return f"{what}-{organisation.code}-{stamp}.{fmt}"


def csv_chunks(header: list[str], rows: Iterable[list], on_done) -> Iterator[bytes]:
    """UTF-8 with BOM, CRLF, in chunks of rows; calls on_done(rows, sha256, complete) at the end or on abort."""
    digest = hashlib.sha256()
    count = 0
    complete = False
    try:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        first = "\ufeff" + buffer.getvalue()
        data = first.encode("utf-8")
        digest.update(data)
        yield data
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow(row)
            count += 1
            if count % CHUNK_ROWS == 0:
                data = buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
                digest.update(data)
                yield data
        data = buffer.getvalue().encode("utf-8")
        if data:
            digest.update(data)
            yield data
        complete = True
    finally:
        on_done(count, digest.hexdigest(), complete)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
# Styles: 0 plain, 1 bold (headers), 2 text format "@" (identities, so Excel keeps every digit).
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Tahoma"/></font>'
    '<font><b/><sz val="11"/><name val="Tahoma"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _xml_text(value: str) -> str:
    return _XML_BAD.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_xlsx(
    path: str, sheet_title: str, header_rows: list[list], rows: Iterable[list], text_columns=()
) -> int:
    """An xlsx written by streaming its sheet XML into the zip (openpyxl's write-only mode managed ~420 rows a
    second for a 55-column roster); inline strings, empty cells skipped, identity columns formatted as text."""
    import zipfile as _zip

    width = max([len(h) for h in header_rows] or [1])
    refs = [_letters(i + 1) for i in range(max(width, 1) + 8)]
    text_columns = set(text_columns)
    title = _xml_text(_SHEET_BAD.sub(" ", sheet_title)[:31] or "Sheet1").replace('"', "&quot;")
    count = 0
    with _zip.ZipFile(path, "w", _zip.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            frozen = len(header_rows)
            head = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0">'
                + (f'<pane ySplit="{frozen}" topLeftCell="A{frozen + 1}" activePane="bottomLeft" state="frozen"/>'
                   if frozen else "")
                + "</sheetView></sheetViews>"
                f'<cols><col min="1" max="{width}" width="18" customWidth="1"/></cols><sheetData>'
            )  # fmt: skip
            sheet.write(head.encode("utf-8"))
            buffer: list[str] = []
            n = 0

            def emit(values, style_for):
                nonlocal n
                n += 1
                parts = [f'<row r="{n}">']
                for i, value in enumerate(values):
                    if value is None or value == "":
                        continue
                    ref = refs[i] if i < len(refs) else _letters(i + 1)
                    style = style_for(i)
                    s = f' s="{style}"' if style else ""
                    if value.__class__ in (int, float) and not isinstance(value, bool):
                        parts.append(f'<c r="{ref}{n}"{s}><v>{value}</v></c>')
                    else:
                        parts.append(
                            f'<c r="{ref}{n}"{s} t="inlineStr"><is><t xml:space="preserve">'
                            f"{_xml_text(str(value))}</t></is></c>"
                        )
                parts.append("</row>")
                buffer.append("".join(parts))

            for header in header_rows:
                emit([escape(v) for v in header], lambda i: 1)
            for row in rows:
                emit(row, lambda i: 2 if i in text_columns else 0)
                count += 1
                if len(buffer) >= 1000:
                    sheet.write("".join(buffer).encode("utf-8"))
                    buffer.clear()
            buffer.append("</sheetData></worksheet>")
            sheet.write("".join(buffer).encode("utf-8"))
    return count


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def learners_export(*, user, organisation: Organisation, fmt: str, status: str | None, ip: str | None = None):
    """The response for an export of `organisation`'s subtree (already authorised for export_learners)."""
    status = parse_status(status)
    if fmt not in ("csv", "xlsx"):
        raise invalid("format", _("Choose csv or xlsx."))
    full = sees_full_identity(user, organisation)
    build = row_builder(full, fmt == "csv")
    qs = learner_rows_queryset(organisation, status)
    rows = (build(n, r) for n, r in enumerate(qs.iterator(chunk_size=2000), start=1))
    detail = {
        "format": fmt,
        "filter": {"status": status, "organisation": organisation.code},
        "masked": not full,
    }

    def log(count: int, checksum: str, complete: bool = True):
        audit(acting_user=user, action="export_learners", organisation=organisation, object_ref=organisation.code, ip=ip,
              rows=count, checksum=checksum, complete=complete, **detail)  # fmt: skip

    name = _filename(organisation, "learners", fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_chunks(headers(), rows, log), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return _xlsx_response(name, _("Learners"), [headers()], rows, log, text_columns=(1, 2))


def _xlsx_response(name, title, header_rows, rows, log, text_columns=()):
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="lec-export-")
    os.close(fd)
    try:
        count = write_xlsx(path, title, header_rows, rows, text_columns)
        log(count, _sha256_file(path))
        handle = open(path, "rb")  # noqa: SIM115 — FileResponse closes it
    finally:
        os.unlink(path)  # the open handle keeps the data until the response is sent
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)


# ---------------------------------------------------------------------------------------------------------------
# Headcounts per organisation at one level (api.md GET /headcounts/export)


def headcount_table(rnd, organisation: Organisation, level: str) -> tuple[list[list], list[list]]:
    """(two header rows, one row per organisation at `level` under `organisation`): code, name, state, then
    male/female/total per class level. Confirmed institutions count from their snapshot, others live."""
    from django.apps import apps

    Confirmation = apps.get_model("confirmations", "Confirmation")
    Snapshot = apps.get_model("confirmations", "HeadcountSnapshot")
    if level not in ("lao", "institution"):
        raise invalid("level", _("Choose lao or institution."))
    kinds = (Kind.LAO,) if level == "lao" else INSTITUTION_KINDS
    orgs = list(
        Organisation.objects.filter(subtree_q(organisation.path), kind__in=kinds)
        .filter(Q(is_active=True) | Q(learner_counts__count__gt=0))
        .distinct()
        .order_by("path")
        .only("id", "code", "name_th", "kind", "lao_id")
    )
    states = dict(
        Confirmation.objects.filter(
            round=rnd, scope="learners", organisation__in=[o.id for o in orgs]
        ).values_list("organisation_id", "state")
    )
    confirmed_institutions = set(
        Confirmation.objects.filter(
            round=rnd, scope="learners", state="confirmed", organisation__kind__in=INSTITUTION_KINDS
        )
        .filter(subtree_q(organisation.path, "organisation__path"))
        .values_list("organisation_id", flat=True)
    )
    group = "organisation__lao_id" if level == "lao" else "organisation_id"
    counts: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    if rnd.state == "open":
        live = (
            LearnerCount.objects.filter(subtree_q(organisation.path, "organisation__path"), count__gt=0)
            .exclude(organisation_id__in=confirmed_institutions)
            .values_list(group, "class_level", "gender", "count")
        )
        for key, lvl, g, n in live:
            counts[key][lvl][0 if g == "male" else 1] += n
    snap_group = "school__lao_id" if level == "lao" else "school_id"
    snaps = Snapshot.objects.filter(
        confirmation__round=rnd, confirmation__scope="learners", confirmation__state="confirmed",
        school_id__in=confirmed_institutions,
    ).values_list(snap_group, "class_level", "gender", "count")  # fmt: skip
    for key, lvl, g, n in snaps:
        counts[key][lvl][0 if g == "male" else 1] += n
    codes = list(levels.LEVELS)
    state_label = {"confirmed": _("confirmed"), "open": _("not confirmed")}
    head1 = [_("Code"), _("Name"), _("State")]
    head2 = ["", "", ""]
    male, female, total = _("male"), _("female"), _("total")
    for lvl in codes:
        head1 += [f"{lvl.short} {male}", f"{lvl.short} {female}", f"{lvl.short} {total}"]
        dmc = f"DMC {lvl.dmc}" if lvl.dmc else ""
        head2 += [dmc, dmc, dmc]
    head1 += [_("Total male"), _("Total female"), _("Total")]
    head2 += ["", "", ""]
    rows = []
    for org in orgs:
        by_level = counts.get(org.id, {})
        row = [org.code, org.name_th, state_label.get(states.get(org.id), _("not confirmed"))]
        tm = tf = 0
        for lvl in codes:
            m, f = by_level.get(lvl.code, (0, 0))
            row += [m, f, m + f]
            tm, tf = tm + m, tf + f
        row += [tm, tf, tm + tf]
        rows.append([escape(c) if isinstance(c, str) else c for c in row])
    return [head1, head2], rows


def headcounts_export(*, user, rnd, organisation: Organisation, fmt: str, level: str, ip: str | None = None):
    if fmt not in ("csv", "xlsx"):
        raise invalid("format", _("Choose csv or xlsx."))
    header_rows, rows = headcount_table(rnd, organisation, level)
    detail = {"format": fmt, "filter": {"round": rnd.pk, "organisation": organisation.code, "level": level}}

    def log(count: int, checksum: str, complete: bool = True):
        audit(acting_user=user, action="export_headcounts", organisation=organisation, object_ref=organisation.code,
              ip=ip, rows=count, checksum=checksum, complete=complete, **detail)  # fmt: skip

    name = _filename(organisation, f"headcounts-{level}-{rnd.academic_year}-{rnd.term}", fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_chunks(header_rows[0], [*header_rows[1:], *rows], lambda n, c, ok: log(n - 1, c, ok)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return _xlsx_response(name, _("Headcounts"), header_rows, rows, log)


# ---------------------------------------------------------------------------------------------------------------
# The import template: Thai headers, identity as text, drop-down lists for prefix, gender and class level.


def template_workbook(kind: str = Kind.SCHOOL) -> bytes:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from .models import PREFIXES

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = _("Learners")
    lists = wb.create_sheet("lists")
    head = headers()
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.freeze_panes = "A2"
    level_names = [lvl.full for lvl in levels.LEVELS if lvl.code in levels.taught_by(kind)]
    columns = {
        "prefix": list(PREFIXES),
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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Large exports as background jobs (lec.tasks.run_job calls this with a claimed Job).


def export_job(job) -> None:
    from django.core.files import File

    organisation = job.organisation
    params = job.params
    fmt, status = params.get("format", "xlsx"), params.get("status", "active")
    full = sees_full_identity(job.created_by, organisation)
    build = row_builder(full, fmt == "csv")
    qs = learner_rows_queryset(organisation, status)
    total = qs.count()
    job.set_progress(0, total)

    def rows():
        for n, r in enumerate(qs.iterator(chunk_size=2000), start=1):
            if n % 5000 == 0:
                job.set_progress(n)
            yield build(n, r)

    fd, path = tempfile.mkstemp(suffix=f".{fmt}", prefix="lec-export-")
    os.close(fd)
    try:
        if fmt == "csv":
            done = {}
            with open(path, "wb") as fh:
                for chunk in csv_chunks(headers(), rows(), lambda n, c, ok: done.update(n=n, c=c)):
                    fh.write(chunk)
            count, checksum = done["n"], done["c"]
        else:
            count = write_xlsx(path, _("Learners"), [headers()], rows(), text_columns=(1, 2))
            checksum = _sha256_file(path)
        audit(acting_user=job.created_by, action="export_learners", organisation=organisation, object_ref=organisation.code,
              rows=count, checksum=checksum, complete=True, format=fmt, masked=not full, job=job.pk,
              filter={"status": status, "organisation": organisation.code})  # fmt: skip
        with open(path, "rb") as fh:
            job.output.save(_filename(organisation, "learners", fmt), File(fh), save=False)
        job.save(update_fields=["output"])
        job.finish(result={"rows": count, "checksum": checksum})
    finally:
        os.unlink(path)
