"""The annotated workbook: the user's own file with problem cells highlighted, a comment on each and a last column
listing the row's problems.

Loading a whole workbook with openpyxl takes about 90 times its size in memory (a 7 MB upload: 642 MB, 21 s,
in the web request). Past ANNOTATE_MAX_BYTES the user gets instead a small workbook listing every problem by
row and column, written in openpyxl's write-only mode without reading the upload again (issue 12 hole 8)."""

import io
import os

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from lec.lib.spreadsheets import csv_rows, decode_csv, read_bytes

from .problems import problem_text


def _sheet(source, result: dict):
    """(workbook, the sheet the import read): the xlsx itself, or a new workbook holding the CSV's cells."""
    if result.get("format") == "xlsx":
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
        workbook = openpyxl.load_workbook(source)
        ws = workbook[result["sheet"]] if result.get("sheet") in workbook.sheetnames else workbook.active
        return workbook, ws
    workbook = openpyxl.Workbook()
    ws = workbook.active
    for _n, cells in csv_rows(decode_csv(read_bytes(source))):
        ws.append([str(v) for v, _f in cells])
    return workbook, ws


ANNOTATE_MAX_BYTES = 1024 * 1024  # about 5,000 learner rows; annotating one costs ~90 MB


def _size(source) -> int:
    if isinstance(source, str | os.PathLike):
        return os.path.getsize(source)
    if getattr(source, "size", None) is not None:  # a Django File (any storage)
        return source.size
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    return size


def problems_workbook(result: dict) -> bytes:
    """Every problem as a row (row, column, problem), streamed: memory does not grow with the upload."""
    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet(_("Problems found"))
    ws.append([_("Row"), _("Column"), _("Problem")])
    for p in sorted(result.get("problems", []), key=lambda p: (p["row"], p.get("col") or 0)):
        ws.append([p["row"], str(p["column"]), problem_text(p)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def annotate(source, filename: str, result: dict) -> bytes:
    if _size(source) > ANNOTATE_MAX_BYTES:
        return problems_workbook(result)
    fill = PatternFill("solid", fgColor="FFC7CE")
    workbook, ws = _sheet(source, result)
    last = ws.max_column + 1
    header_row = result.get("header_row", 1)
    ws.cell(row=header_row, column=last, value=_("Problems found")).font = Font(bold=True, color="9C0006")
    by_row: dict[int, list[str]] = {}
    for p in result.get("problems", []):
        text = problem_text(p)
        by_row.setdefault(p["row"], []).append(f"{p['column']}: {text}")
        if p.get("col") is not None:
            cell = ws.cell(row=p["row"], column=p["col"] + 1)
            if type(cell).__name__ == "MergedCell":
                continue
            cell.fill = fill
            cell.comment = Comment(text, "LEC")
    for row, texts in by_row.items():
        ws.cell(row=row, column=last, value="\n".join(texts)).fill = fill
    ws.column_dimensions[get_column_letter(last)].width = 60
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
