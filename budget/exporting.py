"""api.md GET /budget/export: one row per organisation at a level (code, name, amount per item, total) as CSV
(UTF-8 with BOM) or xlsx, formula-like text escaped, and every export audited as the other exports are."""

import csv
import hashlib
import io
import os
import tempfile

from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _

from accounts.services import audit
from lec.lib.errors import invalid
from lec.lib.spreadsheets import FORMULA_START, XLSX_CONTENT_TYPE
from schools.models import Kind, Organisation, subtree_q

from . import selectors
from .engine import ZERO, money
from .models import Item

LEVEL_KINDS = {"lao": (Kind.LAO,), "institution": (Kind.SCHOOL, Kind.CDC, Kind.OTHER_SCHOOL)}


def _escape(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _amounts(round_, organisation: Organisation, book, level: str) -> dict[int, dict]:
    """{organisation id: {item: exact amount}} for the organisations at `level` under `organisation`."""
    if level == "lao" and organisation.kind in (Kind.DEPARTMENT, Kind.PROVINCE):
        out: dict = {}
        for laos in selectors.province_parts(
            round_, book, selectors.province_ids(organisation), "laos"
        ).values():
            out.update(laos)
        return out
    if level == "lao":
        est = selectors.estimate(round_, organisation, book) if organisation.kind == Kind.LAO else None
        return {organisation.pk: {i: a for i, (_p, a) in est.by_item().items()}} if est else {}
    return selectors.institution_item_amounts(round_, organisation, book)


def budget_table(round_, organisation: Organisation, book, level: str) -> tuple[list[str], list[list]]:
    if level not in LEVEL_KINDS:
        raise invalid("level", _("Choose lao or institution."))
    amounts = _amounts(round_, organisation, book, level)
    orgs = (
        Organisation.objects.filter(subtree_q(organisation.path), kind__in=LEVEL_KINDS[level])
        .order_by("path")
        .values_list("id", "code", "name_th", "is_active")
    )
    header = [_("Code"), _("Name"), *[str(Item(i).label) for i in Item.values], _("Total")]
    rows = []
    for pk, code, name_th, is_active in orgs.iterator(chunk_size=5000):
        found = amounts.get(pk, {})
        if not is_active and not found:
            continue  # a closed organisation is listed only when it has an amount
        values = [money(found.get(i, ZERO)) for i in Item.values]
        rows.append([_escape(code), _escape(name_th), *values, money(sum(found.values(), ZERO))])
    return header, rows


def budget_export(*, user, round_, organisation: Organisation, book, fmt: str, level: str, ip=None):
    if fmt not in ("csv", "xlsx"):
        raise invalid("format", _("Choose csv or xlsx."))
    header, rows = budget_table(round_, organisation, book, level)
    data = _csv(header, rows) if fmt == "csv" else _xlsx(header, rows)
    audit(acting_user=user, action="export_budget", organisation=organisation, object_ref=organisation.code, ip=ip,
          rows=len(rows), checksum=hashlib.sha256(data).hexdigest(), complete=True, format=fmt,
          filter={"round": round_.pk, "organisation": organisation.code, "level": level,
                  "fiscal_year": book.fiscal_year})  # fmt: skip
    name = (
        f"budget-{organisation.code}-{level}-{round_.academic_year}-{round_.term}-fy{book.fiscal_year}.{fmt}"
    )
    if fmt == "csv":
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(header, rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(_("Budget"))
    ws.append(header)
    for row in rows:
        ws.append(row)
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="lec-budget-")
    os.close(fd)
    try:
        wb.save(path)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)
