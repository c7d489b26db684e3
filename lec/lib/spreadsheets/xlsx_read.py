"""A streaming xlsx reader. openpyxl's read-only mode parses every cell into objects (about 1 ms a row) and scans
a whole sheet at load when it lacks a <dimension>; this reads the parts with the C XML parser, keeps only the
shared strings and the date styles, and yields one row at a time as (value, is_formula) cells, rows numbered as
the spreadsheet numbers them."""

import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .files import FileRefused, file_head
from .limits import MAX_MEMBERS, MAX_RATIO, MAX_UNPACKED

RawRow = list[tuple[object, bool]]

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_ROW, _CELL, _VALUE, _FORMULA, _INLINE, _T, _RUN, _SI = (
    f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}f", f"{_NS}is", f"{_NS}t", f"{_NS}r", f"{_NS}si",
)  # fmt: skip
_DATE_FORMAT_IDS = (
    set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59)) | set(range(71, 82))
)
_DATE_CODE = re.compile(r"(?<![\\\"])[dmyeb]", re.IGNORECASE)
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_DIMENSION_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+:[A-Z]+(\d+)"')
_LAST_SERIAL = 2958466  # 31/12/9999


def _not_xlsx() -> FileRefused:
    return FileRefused(
        _("This file is not a valid Excel (.xlsx) file. Save it again as .xlsx and upload it.")
    )


# ---------------------------------------------------------------------------------------------------------------
# The package as a whole


def _too_dense(infos: list[zipfile.ZipInfo], packed: int, unpacked: int) -> bool:
    member = any(
        i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos
    )
    return member or (unpacked > 1024 * 1024 and unpacked > MAX_RATIO * max(packed, 1))


def check_zip(source) -> zipfile.ZipFile:
    """Open an xlsx as a zip after checking member count and inflated sizes from the central directory."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise _not_xlsx()
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FileRefused(
            _("This Excel file has too many parts to be a learner list. It was not read."), "limit"
        )
    packed = sum(i.compress_size for i in infos)
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_UNPACKED or _too_dense(infos, packed, unpacked):
        raise FileRefused(
            _("This Excel file would unpack to %(mb)s MB, more than LEC accepts. It was not read.")
            % {"mb": f"{unpacked // (1024 * 1024):,}"},
            "limit",
        )
    return archive


def detect_format(source, filename: str) -> str:
    """ "xlsx" or "csv" from the first bytes and the name; an old .xls or anything else is refused."""
    head = file_head(source)
    name = (filename or "").lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            _("This is an old Excel (.xls) file. Open it in Excel and save it as .xlsx, then upload it.")
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise _not_xlsx()
    if name.endswith((".csv", ".txt")) or not name:
        return "csv"
    raise FileRefused(_("Upload an Excel (.xlsx) or CSV (.csv) file."))


def col_number(letters: bytes) -> int:
    """1-based column number of column letters (b"A" → 1, b"AA" → 27)."""
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def merges(archive: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col), 1-based, read by streaming the sheet part (read-only mode skips them)."""
    found = []
    tail = b""
    try:
        member = archive.open(sheet_path)
    except KeyError:
        return found
    with member:
        while chunk := member.read(1 << 20):
            buf = tail + chunk
            last = 0
            for m in _MERGE_RE.finditer(buf):
                c1, r1, c2, r2 = m.groups()
                c2, r2 = c2 or c1, r2 or r1
                found.append((int(r1), col_number(c1), int(r2), col_number(c2)))
                last = m.end()
            tail = buf[max(last, len(buf) - 200) :]
    return found


def dimension_rows(archive: zipfile.ZipFile, path: str) -> int:
    """The row count a sheet declares in its <dimension> (for a progress bar only; 0 when absent)."""
    with archive.open(path) as fh:
        head = fh.read(4096)
    m = _DIMENSION_RE.search(head)
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------------------------------------------------------
# Cells


def _item_text(element) -> str:
    """The text runs of a string item, without phonetic hints (rPh)."""
    parts = []
    for child in element:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == _RUN:
            parts.extend(t.text or "" for t in child.iter(_T))
    return "".join(parts)


def _raw_and_formula(cell) -> tuple[str | None, bool]:
    raw, formula = None, False
    for part in cell:
        if part.tag == _VALUE:
            raw = part.text
        elif part.tag == _FORMULA:
            formula = True
    return raw, formula


_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)  # Excel for Mac's date system: serial 0 is 1 January 1904
# Parts of a number format that are not dates though they hold date letters: "General", scientific "E+00".
_NOT_DATE_CODE = re.compile(r"general|e[+-]", re.IGNORECASE)


def is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date: literal text, colours and conditions ([...]) removed, then
    "General" (LibreOffice writes it as a custom format) and exponents, which hold the date letter e."""
    code = re.sub(r"\[[^\]]*\]|\"[^\"]*\"", "", code)
    return bool(_DATE_CODE.search(_NOT_DATE_CODE.sub("", code)))


def _number(raw: str, style: int, date_styles: set[int], epoch: dt.datetime = _EPOCH_1900):
    """A numeric cell: int or float, or a datetime when its style is a date format."""
    try:
        value = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
    except ValueError:
        return None
    if style in date_styles and 0 <= value < _LAST_SERIAL:
        return epoch + dt.timedelta(days=value)
    return value


class XlsxBook:
    """The sheets of an opened (and checked) xlsx package, with its shared strings and date styles."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        names = set(archive.namelist())
        try:
            workbook = ET.fromstring(archive.read("xl/workbook.xml"))
            rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ET.ParseError):
            raise _not_xlsx()
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL_NS}Relationship")}
        self.sheets: list[tuple[str, str]] = []
        for sheet in workbook.iter(f"{_NS}sheet"):
            target = targets.get(sheet.get(f"{_REL_NS}id"), "")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            if path in names:
                self.sheets.append((sheet.get("name", ""), path))
        properties = workbook.find(f"{_NS}workbookPr")
        date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
        self.epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
        self.strings = self._shared_strings() if "xl/sharedStrings.xml" in names else []
        self.date_styles = self._date_styles() if "xl/styles.xml" in names else set()

    def _shared_strings(self) -> list[str]:
        strings = []
        with self.archive.open("xl/sharedStrings.xml") as fh:
            for _event, element in ET.iterparse(fh):
                if element.tag == _SI:
                    strings.append(_item_text(element))
                    element.clear()
        return strings

    def _date_styles(self) -> set[int]:
        root = ET.fromstring(self.archive.read("xl/styles.xml"))
        custom = {}
        for fmt in root.iter(f"{_NS}numFmt"):
            custom[int(fmt.get("numFmtId", "0"))] = is_date_format(fmt.get("formatCode", ""))
        dates = set()
        xfs = root.find(f"{_NS}cellXfs")
        for idx, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            if custom.get(fmt_id, fmt_id in _DATE_FORMAT_IDS):
                dates.add(idx)
        return dates

    def cell_value(self, cell, raw: str | None):
        """The value of a <c> element by its type: shared or inline string, text, boolean, number or date."""
        kind = cell.get("t", "n")
        if kind == "s":
            return self.strings[int(raw)] if raw is not None and int(raw) < len(self.strings) else None
        if kind == "inlineStr":
            inline = cell.find(_INLINE)
            return _item_text(inline) if inline is not None else None
        if kind in ("str", "e", "d"):
            return raw
        if kind == "b":
            return raw == "1"
        if raw is None:
            return None
        return _number(raw, int(cell.get("s", "0")), self.date_styles, self.epoch)

    def row_cells(self, row, columns: dict[str, int]) -> RawRow:
        """One <row> as cells, gaps filled with (None, False); `columns` caches letters → 0-based index."""
        cells: RawRow = []
        for cell in row:
            if cell.tag != _CELL:
                continue
            idx = _cell_index(cell.get("r"), columns, len(cells))
            while len(cells) < idx:
                cells.append((None, False))
            raw, formula = _raw_and_formula(cell)
            cells.append((self.cell_value(cell, raw), formula))
        return cells

    def rows(self, path: str) -> Iterator[tuple[int, RawRow]]:
        columns: dict[str, int] = {}
        number = 0
        with self.archive.open(path) as fh:
            for _event, element in ET.iterparse(fh):
                if element.tag != _ROW:
                    continue
                number = int(element.get("r") or number + 1)
                cells = self.row_cells(element, columns)
                element.clear()
                yield number, cells


def _cell_index(ref: str | None, columns: dict[str, int], default: int) -> int:
    if not ref:
        return default
    letters = ref.rstrip("0123456789")
    idx = columns.get(letters)
    if idx is None:
        idx = columns[letters] = col_number(letters.encode()) - 1
    return idx
