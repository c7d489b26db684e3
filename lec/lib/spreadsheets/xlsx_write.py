"""The xlsx writer of exports: the sheet XML streamed into the zip (openpyxl's write-only mode managed ~420 rows a
second for a 55-column roster); inline strings, empty cells skipped, headers bold and frozen, identity columns
formatted as text. Cells starting like a formula are escaped so no spreadsheet runs them."""

import re
import zipfile
from collections.abc import Iterable

from isal import isal_zlib

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = "=+-@\t\r"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FLUSH_ROWS = 1000


def escape(value) -> str:
    """A cell as text; one starting with = + - @ tab or CR gets a leading ' so no spreadsheet runs it."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


_FORMULA_AFTER_NUL = re.compile("\x00[=+\\-@\t\r]")


def formula_escaped(cells: list) -> list:
    """`cells` with every str starting like a formula given a leading ' (other values as they are). An export's
    hot path: the row is looked at once, joined (one regex search), and cell by cell only when something matched
    or a cell is not a str."""
    try:
        joined = "\x00".join(cells)
    except TypeError:
        joined = None
    if joined is not None and not _FORMULA_AFTER_NUL.search(joined) and not joined.startswith(FORMULA_START):
        return cells
    return [("'" + c) if c and c.__class__ is str and c[0] in FORMULA_CHARS else c for c in cells]


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
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


def _workbook_xml(sheet_title: str) -> str:
    title = _xml_text(_SHEET_BAD.sub(" ", sheet_title)[:31] or "Sheet1").replace('"', "&quot;")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _sheet_head(frozen: int, width: int) -> str:
    pane = (
        f'<pane ySplit="{frozen}" topLeftCell="A{frozen + 1}" activePane="bottomLeft" state="frozen"/>'
        if frozen
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        f'<cols><col min="1" max="{width}" width="18" customWidth="1"/></cols><sheetData>'
    )


_SEP = "\u241e"  # ␞ joins a row's cells to look at them at once (printable, unlike the control characters)


def _plain(joined: str, width: int) -> bool:
    """Whether the `width` cells joined by _SEP are text to write as it is: no XML special, no control character
    or other unprintable one, no separator inside a cell. str methods only: a regex over the row costs more."""
    return (
        joined.isprintable()
        and "&" not in joined
        and "<" not in joined
        and ">" not in joined
        and joined.count(_SEP) == width - 1
    )


class _Columns:
    """Per column, its style attribute (` s="…"`, "" for the default) and what follows the reference in a text
    cell: with xml:space="preserve" (`kept`, for text with a space at either end) or without (`plain`)."""

    def __init__(self, styles: list[str]):
        self.styles: list[str] = []
        self.kept: list[str] = []
        self.plain: list[str] = []
        self.widen(styles)

    def widen(self, styles: list[str]) -> None:
        self.styles = list(styles)
        self.kept = [f'"{s} t="inlineStr"><is><t xml:space="preserve">' for s in self.styles]
        self.plain = [f'"{s} t="inlineStr"><is><t>' for s in self.styles]


class _RowWriter:
    """Turns rows into <row> elements numbered from 1, buffering them until flushed: the hot loop of every xlsx
    export (issue 16: 50,000 rows a second). A row whose cells are all text is looked at once (one join and a
    few str checks): unless a cell needs escaping, its trailing empty cells are dropped without a look and the
    rest written with no per-cell check but emptiness; other rows go cell by cell."""

    def __init__(self, width: int):
        self.refs = [f'<c r="{_letters(i + 1)}' for i in range(max(width, 1) + 8)]
        self.number = 0
        self.buffer: list[str] = []

    def add(self, values, columns: _Columns) -> None:
        self.number += 1
        n = str(self.number)
        if len(values) > len(self.refs):
            self.refs += [f'<c r="{_letters(i + 1)}' for i in range(len(self.refs), len(values))]
        if len(values) > len(columns.styles):
            columns.widen(columns.styles + [""] * (len(values) - len(columns.styles)))
        try:
            joined = _SEP.join(values)
        except TypeError:  # a number or None among the cells
            joined = None
        if joined is None or not _plain(joined, len(values)):
            self.buffer.append(self._by_cell(values, columns, n))
            return
        last = len(values) - (len(joined) - len(joined.rstrip(_SEP)))  # the trailing empty cells left out
        spaced = joined[:1] == " " or joined[-1:] == " " or " \u241e" in joined or "\u241e " in joined
        starts = columns.kept if spaced else columns.plain  # 21 bytes a cell fewer to encode and compress
        parts = [f'<row r="{n}">']
        append = parts.append
        for ref, start, value in zip(self.refs, starts, values[:last], strict=False):
            if value:
                append(f"{ref}{n}{start}{value}</t></is></c>")
        append("</row>")
        self.buffer.append("".join(parts))

    def _by_cell(self, values, columns: _Columns, n: str) -> str:
        parts = [f'<row r="{n}">']
        append = parts.append
        cells = zip(self.refs, columns.styles, columns.kept, values, strict=False)  # refs, styles ≥ values
        for ref, style, start, value in cells:
            if value is None or value == "":
                continue
            cls = value.__class__
            if cls is int or cls is float:
                append(f'{ref}{n}"{style}><v>{value}</v></c>')
                continue
            text = value if cls is str else str(value)
            if _XML_SPECIAL.search(text):
                text = _xml_text(text)
                if not text:  # nothing XML can hold: a blank cell, not an empty string
                    continue
            append(f"{ref}{n}{start}{text}</t></is></c>")
        append("</row>")
        return "".join(parts)

    def take(self) -> bytes:
        data = "".join(self.buffer).encode("utf-8")
        self.buffer.clear()
        return data


def write_xlsx(
    path: str, sheet_title: str, header_rows: list[list], rows: Iterable[list], text_columns=()
) -> int:
    """Write one sheet: `header_rows` bold and frozen, then `rows` (cells as given: the caller escapes them);
    `text_columns` (0-based) get the text format so Excel keeps every digit. Returns the number of data rows."""
    width = max([len(h) for h in header_rows] or [1])
    text_columns = set(text_columns)
    count = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/workbook.xml", _workbook_xml(sheet_title))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            # ISA-L's deflate (the same format, level 1 of 0-3) in place of zlib's, before the first write: on a
            # sheet's XML 6× faster than zlib's level 1 and 5 % smaller; a tenth of an export's CPU (issue 16).
            sheet._compressor = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
            sheet.write(_sheet_head(len(header_rows), width).encode("utf-8"))
            writer = _RowWriter(width)
            bold = _Columns([' s="1"'] * width)
            styles = _Columns([' s="2"' if i in text_columns else "" for i in range(width)])
            for header in header_rows:
                writer.add([escape(v) for v in header], bold)
            for row in rows:
                writer.add(row, styles)
                count += 1
                if len(writer.buffer) >= _FLUSH_ROWS:
                    sheet.write(writer.take())
            writer.buffer.append("</sheetData></worksheet>")
            sheet.write(writer.take())
    return count
