"""The exports' xlsx writer (lec.lib.spreadsheets.xlsx_write): whatever path a row takes (plain text joined at once,
or cell by cell), every cell must land in its column with its value, style and spaces, read back alike by openpyxl,
by the project's reader and by LibreOffice; and formula_escaped must escape exactly what escape() escapes."""

import csv
import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from lec.lib.spreadsheets import XlsxBook, check_zip, escape, formula_escaped, write_xlsx

HEADER = ["ลำดับที่", "เลขประจำตัว", "รหัส", "ชื่อ", "นามสกุล", "ชั้น", "ห้อง", "บิดา", "มารดา", "ที่อยู่"]
ROWS = [
    [
        "1",
        "00430",
        "1-0084-xxxxx-xx-8",
        "ปกรณ์",
        "กาญจน์ดี",
        "ประถมศึกษาปีที่ 1",
        "1",
        "",
        "",
        "",
    ],  # trailing empties
    ["2", "", "1-0084-xxxxx-xx-9", "", "ใจดี", "อนุบาล 2", "", "สมชาย", "", "12/3"],  # inner empties
    ["3", "00432", "", "", "", "", "", "", "", ""],  # nearly empty
    ["", "", "", "", "", "", "", "", "", ""],  # empty
    ["5", "a&b", "<x>", "tab\there", "two\nlines", "cr\rx", "nul\x00x", "\ufffe", "fine", "x"],  # escaping
    ["6", " lead", "trail ", " both ", "in side", "␞", "a␞b", "\ue000", "ok", "ok"],  # spaces, separators
    [7, 2.5, None, "", "ตัวเลข", 0, "", "", "", ""],  # numbers and None: cell by cell
    ["8", "'=HYPERLINK(1)", "=SUM(A1)", "+66", "-1", "@x", "", "", "", ""],  # as given: the caller escapes
    ["9"] * 12,  # wider than the header
    ["10", "สั้น"],  # shorter
]


def expected(value):
    """A cell as a reader sees it: XML turns CR into LF and cannot hold NUL or U+FFFE; empty is blank."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value.replace("\r", "\n").replace("\x00", "").replace("\ufffe", "") or None
    return value


def grid(rows) -> dict[tuple[int, int], object]:
    return {
        (r, c): expected(v)
        for r, row in enumerate(rows, 1)
        for c, v in enumerate(row, 1)
        if expected(v) is not None
    }


@pytest.fixture
def sheet(tmp_path) -> Path:
    path = tmp_path / "out.xlsx"
    assert write_xlsx(str(path), "นักเรียน", [HEADER], iter(ROWS), text_columns=(1, 2)) == len(ROWS)
    return path


def test_every_cell_reads_back_in_its_column_by_openpyxl_and_our_reader(sheet):
    want = grid([HEADER, *ROWS])
    ws = openpyxl.load_workbook(sheet).active
    by_openpyxl = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}
    assert by_openpyxl == want
    with check_zip(sheet) as archive:
        book = XlsxBook(archive)
        rows = book.rows(book.sheets[0][1])
        ours = {(r, c): v for r, cells in rows for c, (v, _f) in enumerate(cells, 1) if v is not None}
    assert ours == want


def test_styles_header_bold_identity_columns_text(sheet):
    ws = openpyxl.load_workbook(sheet).active
    assert ws["A1"].font.b and ws["J1"].font.b and not ws["A2"].font.b
    assert (
        ws["B2"].number_format == "@"
        and ws["C2"].number_format == "@"
        and ws["D2"].number_format == "General"
    )
    assert ws["B6"].number_format == "@"  # a row written cell by cell keeps its styles too
    assert ws.freeze_panes == "A2"
    assert ws["A8"].data_type == "n" and ws["B8"].value == 2.5 and ws["F8"].value == 0


def test_spaces_kept_only_where_a_cell_needs_them_and_trailing_empties_left_out(sheet):
    xml = zipfile.ZipFile(sheet).read("xl/worksheets/sheet1.xml").decode()
    rows = dict(re.findall(r'<row r="(\d+)">(.*?)</row>', xml))
    assert 'xml:space="preserve"' not in rows["2"]  # plain text: 21 bytes a cell fewer
    assert rows["7"].count('xml:space="preserve"') == 10  # a cell with a space at an end: the row keeps them
    assert re.findall(r'<c r="([A-Z]+)2"', rows["2"]) == list("ABCDEFG")  # nothing after the last value
    assert re.findall(r'<c r="([A-Z]+)3"', rows["3"]) == ["A", "C", "E", "F", "H", "J"]
    assert rows["5"] == ""


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="needs LibreOffice Calc (apt-get install libreoffice-calc)"
)
def test_libreoffice_reads_every_cell_in_its_column(sheet):
    with tempfile.TemporaryDirectory(prefix="lec-lo-") as tmp:
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
             "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", tmp, str(sheet)],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        text = (Path(tmp) / "out.csv").read_text(encoding="utf-8")
    read = list(csv.reader(io.StringIO(text)))
    got = {(r, c): v for r, row in enumerate(read, 1) for c, v in enumerate(row, 1) if v != ""}
    assert got == {k: str(v) for k, v in grid([HEADER, *ROWS]).items()}


@pytest.mark.parametrize(
    "cells",
    [
        ["1", "ok", "ชื่อ"],
        ["=1", "x"],
        ["1", "", "+66", "-", "@", "\tx", "\rx", "ok"],
        ["1", "a\x00=b", "x"],  # a NUL inside a cell is not a cell's start
        ["1", None, 5, -3, 2.5, "-2"],
        [],
        [""],
    ],
)
def test_formula_escaped_escapes_what_escape_does(cells):
    got = formula_escaped(list(cells))
    assert got == [escape(c) if isinstance(c, str) and c else c for c in cells]


def test_formula_escaped_returns_the_row_itself_when_nothing_needs_it():
    row = ["1", "ชื่อ", "", "ok"]
    assert formula_escaped(row) is row
