"""The annotated workbook: the user's own file with problem cells highlighted, a comment on each and a last column
listing the row's problems."""

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


def annotate(source, filename: str, result: dict) -> bytes:
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
