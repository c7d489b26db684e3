"""The one reader of learner files (.xlsx and .csv) for the browser, the command and the API (api.md import_learners).

It turns a file into rows of LearnerIn-shaped dicts plus problems `row R, column NAME: message`; it writes nothing.
Limits are checked before the file is parsed, so a zip bomb or a huge sheet is refused within seconds.
"""

import codecs
import csv
import dataclasses
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

from lec.lib import levels
from lec.lib.thai import DateParseError, clean_text, normalise_digits, parse_date

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 2_000
HEADER_SEARCH_ROWS = 10
REQUIRED = ("identity", "prefix", "first_name", "last_name", "birth_date", "class_level")

# ---------------------------------------------------------------------------------------------------------------
# Columns: field name (api.md LearnerIn, dotted for parents and addresses), the template's Thai header, its English
# header, and other headers users write. The template and exports use the first two, in this order.

PERSON_LABELS = {
    "father": ("บิดา", "Father"),
    "mother": ("มารดา", "Mother"),
    "guardian": ("ผู้ปกครอง", "Guardian"),
}
PERSON_SUB = (
    ("prefix", "คำนำหน้า", "prefix", ("คำนำหน้าชื่อ",)),
    ("first_name", "ชื่อ", "first name", ()),
    ("last_name", "นามสกุล", "last name", ()),
    ("occupation", "อาชีพ", "occupation", ()),
    ("income", "รายได้ต่อเดือน", "monthly income", ("รายได้", "รายได้(บาท)", "รายได้ต่อเดือน(บาท)")),
    ("phone", "โทรศัพท์", "phone", ("เบอร์โทรศัพท์", "เบอร์โทร", "โทร")),
    ("relation", "ความเกี่ยวข้อง", "relation", ("ความสัมพันธ์", "ความเกี่ยวข้องกับนักเรียน")),
)
ADDRESS_LABELS = {
    "registered_address": ("ตามทะเบียนบ้าน", "registered"),
    "current_address": ("ปัจจุบัน", "current"),
}
ADDRESS_SUB = (
    ("house_no", "บ้านเลขที่", "house no.", ()),
    ("moo", "หมู่ที่", "moo", ("หมู่",)),
    ("road", "ถนน", "road", ()),
    ("subdistrict", "ตำบล", "subdistrict", ("ตำบล/แขวง", "แขวง")),
    ("district", "อำเภอ", "district", ("อำเภอ/เขต", "เขต")),
    ("province", "จังหวัด", "province", ()),
    ("postcode", "รหัสไปรษณีย์", "postcode", ()),
)


@dataclasses.dataclass(frozen=True)
class Spec:
    field: str
    th: str
    en: str
    aliases: tuple[str, ...] = ()


def _specs() -> list[Spec]:
    rows = [
        Spec("seq", "ลำดับที่", "No.", ("ลำดับ", "ที่", "no")),
        Spec("student_number", "เลขประจำตัวนักเรียน", "Student number", ("รหัสนักเรียน", "student_number")),
        Spec(
            "identity",
            "เลขประจำตัวประชาชน",
            "National ID or G-Code",
            (
                "เลขบัตรประชาชน",
                "เลขประจำตัวประชาชน/G-Code",
                "เลขประจำตัวประชาชนหรือG-Code",
                "national_id",
                "national id",
                "g_code",
                "g-code",
                "identity",
                "citizen id",
                "รหัสประจำตัวผู้เรียน",
            ),
        ),  # fmt: skip
        Spec("prefix", "คำนำหน้า", "Prefix", ("คำนำหน้าชื่อ",)),
        Spec("first_name", "ชื่อ", "First name", ("first_name", "name")),
        Spec("last_name", "นามสกุล", "Last name", ("last_name", "surname")),
        Spec("gender", "เพศ", "Gender", ("sex",)),
        Spec(
            "birth_date", "วันเดือนปีเกิด", "Birth date", ("วันเกิด", "วัน/เดือน/ปีเกิด", "birth_date", "date of birth")
        ),
        Spec("class_level", "ระดับชั้น", "Class level", ("ชั้น", "class_level", "ชั้นเรียน")),
        Spec("room", "ห้องเรียน", "Room", ("ห้อง",)),
        Spec("race", "เชื้อชาติ", "Race", ()),
        Spec("nationality", "สัญชาติ", "Nationality", ()),
        Spec("religion", "ศาสนา", "Religion", ()),
        Spec("enrolled_on", "วันที่เข้าเรียน", "Enrolment date", ("วันเข้าเรียน", "enrolled_on")),
        Spec("weight_kg", "น้ำหนัก (กก.)", "Weight (kg)", ("น้ำหนัก", "weight_kg")),
        Spec("height_cm", "ส่วนสูง (ซม.)", "Height (cm)", ("ส่วนสูง", "height_cm")),
        Spec("family_status", "สถานภาพครอบครัว", "Family status", ("สถานภาพบิดามารดา", "family_status")),
        Spec("disadvantage", "ความด้อยโอกาส", "Disadvantage", ("ประเภทความด้อยโอกาส",)),
        Spec("disability", "ความพิการ", "Disability", ("ประเภทความพิการ",)),
        Spec("shortages", "ความขาดแคลน", "Shortages", ("ขาดแคลน",)),
    ]
    for key, (th, en) in PERSON_LABELS.items():
        for sub, sub_th, sub_en, sub_aliases in PERSON_SUB:
            if sub == "relation" and key != "guardian":
                continue
            rows.append(
                Spec(
                    f"{key}.{sub}", f"{sub_th}{th}", f"{en} {sub_en}", tuple(f"{a}{th}" for a in sub_aliases)
                )
            )
    for key, (th, en) in ADDRESS_LABELS.items():
        for sub, sub_th, sub_en, sub_aliases in ADDRESS_SUB:
            rows.append(
                Spec(
                    f"{key}.{sub}",
                    f"{sub_th} ({th})",
                    f"{sub_en} ({en})",
                    tuple(f"{a}{th}" for a in (sub_th, *sub_aliases)),
                )
            )
    return rows


SPECS: tuple[Spec, ...] = tuple(_specs())
SPEC_BY_FIELD = {s.field: s for s in SPECS}
TEMPLATE_FIELDS = tuple(s.field for s in SPECS)

_INVISIBLE_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\xa0]+")
_PARENS = re.compile(r"\(.*?\)|（.*?）")


def header_key(text) -> str:
    """Header text as compared: no whitespace or zero-width characters, lower case."""
    return _INVISIBLE_SPACE.sub("", str(text or "")).lower()


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in SPECS:
        for label in (spec.th, spec.en, spec.field, *spec.aliases):
            table.setdefault(header_key(label), spec.field)
    return table


HEADERS = _lookup()
_PERSON_GROUP = {"บิดา": "father", "พ่อ": "father", "มารดา": "mother", "แม่": "mother", "ผู้ปกครอง": "guardian",
                 "father": "father", "mother": "mother", "guardian": "guardian"}  # fmt: skip
_ADDRESS_GROUP = {"ทะเบียนบ้าน": "registered_address", "ปัจจุบัน": "current_address",
                  "registered": "registered_address", "current": "current_address"}  # fmt: skip
_SUB_LOOKUP = {
    "person": {header_key(a): sub for sub, th, en, al in PERSON_SUB for a in (th, en, sub, *al)},
    "address": {header_key(a): sub for sub, th, en, al in ADDRESS_SUB for a in (th, en, sub, *al)},
}


def match_header(sub, group=None) -> str | None:
    """The field a header names, or None. `group` is the merged group header above it (LEC's report)."""
    key = header_key(sub)
    if not key:
        return None
    if group:
        gkey = header_key(group)
        for word, person in _PERSON_GROUP.items():
            if word in gkey:
                found = _SUB_LOOKUP["person"].get(key) or _SUB_LOOKUP["person"].get(
                    header_key(_PARENS.sub("", sub))
                )
                if found and (found != "relation" or person == "guardian"):
                    return f"{person}.{found}"
        for word, address in _ADDRESS_GROUP.items():
            if word in gkey:
                found = _SUB_LOOKUP["address"].get(key)
                if found:
                    return f"{address}.{found}"
        combined = HEADERS.get(header_key(f"{sub}{group}"))
        if combined:
            return combined
    return HEADERS.get(key) or HEADERS.get(header_key(_PARENS.sub("", str(sub))))


# ---------------------------------------------------------------------------------------------------------------
# Results


class FileRefused(Exception):
    """The whole file is refused (too large, wrong format, missing column): one message, nothing read."""

    def __init__(self, message: str, kind: str = "file"):
        self.message = message
        self.kind = kind
        super().__init__(message)


@dataclasses.dataclass
class Problem:
    row: int
    column: str
    message: str
    kind: str = "value"
    col: int | None = None  # 0-based column index, for the annotated workbook

    def line(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Column:
    index: int
    header: str
    field: str | None


@dataclasses.dataclass
class Row:
    number: int
    data: dict


@dataclasses.dataclass
class Table:
    format: str
    sheet: str | None
    header_row: int
    columns: dict[str, Column]
    ignored: list[str]
    rows: list[Row]
    problems: list[Problem]

    def column_name(self, field: str) -> str:
        """The header as written for a LearnerIn field (dotted), falling back to the nearest column."""
        col = self.columns.get(field) or self.columns.get(field.split(".")[0])
        if col is None and field in ("national_id", "g_code"):
            col = self.columns.get("identity")
        if col is None and field == "gender":
            col = self.columns.get("prefix")
        return col.header if col else field

    def column_index(self, field: str) -> int | None:
        col = self.columns.get(field) or (
            self.columns.get("identity") if field in ("national_id", "g_code") else None
        )
        if col is None and field == "gender":
            col = self.columns.get("prefix")
        return col.index if col else None


# ---------------------------------------------------------------------------------------------------------------
# Limits and formats


def _size(source) -> int:
    if isinstance(source, str | os.PathLike):
        return os.path.getsize(source)
    pos = source.tell()
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(pos)
    return size


def _head(source, n: int = 8) -> bytes:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return fh.read(n)
    pos = source.tell()
    data = source.read(n)
    source.seek(pos)
    return data


def check_zip(source) -> zipfile.ZipFile:
    """Open an xlsx as a zip after checking member count and inflated sizes from the central directory."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError):
        raise FileRefused(
            _("This file is not a valid Excel (.xlsx) file. Save it again as .xlsx and upload it.")
        )
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FileRefused(
            _("This Excel file has too many parts to be a learner list. It was not read."), "limit"
        )
    packed = sum(i.compress_size for i in infos)
    unpacked = sum(i.file_size for i in infos)
    too_big = unpacked > MAX_UNPACKED
    too_dense = any(
        i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos
    ) or (unpacked > 1024 * 1024 and unpacked > MAX_RATIO * max(packed, 1))
    if too_big or too_dense:
        raise FileRefused(
            _("This Excel file would unpack to %(mb)s MB, more than LEC accepts. It was not read.")
            % {"mb": f"{unpacked // (1024 * 1024):,}"},
            "limit",
        )
    return archive


def detect_format(source, filename: str) -> str:
    head = _head(source)
    name = (filename or "").lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            _("This is an old Excel (.xls) file. Open it in Excel and save it as .xlsx, then upload it.")
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise FileRefused(
            _("This file is not a valid Excel (.xlsx) file. Save it again as .xlsx and upload it.")
        )
    if name.endswith((".csv", ".txt")) or not name:
        return "csv"
    raise FileRefused(_("Upload an Excel (.xlsx) or CSV (.csv) file."))


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM optional), else Windows-874 (TIS-620), strictly; anything else is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise FileRefused(
            _(
                "This CSV file is not in UTF-8 or Windows-874 (Thai). Save it as “CSV UTF-8” and upload it again."
            ),
            "encoding",
        )
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text):
            return text
    raise FileRefused(
        _("This CSV file is not in UTF-8 or Windows-874 (Thai). Save it as “CSV UTF-8” and upload it again."),
        "encoding",
    )


# ---------------------------------------------------------------------------------------------------------------
# Raw cells: (value, is_formula) per column; rows numbered as the spreadsheet numbers them.

RawRow = list[tuple[object, bool]]
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _merges(archive: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
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
                found.append((int(r1), _col_number(c1), int(r2), _col_number(c2)))
                last = m.end()
            tail = buf[max(last, len(buf) - 200) :]
    return found


def _csv_rows(text: str) -> Iterator[tuple[int, RawRow]]:
    first = text.split("\n", 1)[0]
    delimiter = (
        ";" if first.count(";") > first.count(",") else ("\t" if "\t" in first and "," not in first else ",")
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        yield number, [(v, isinstance(v, str) and v.startswith("=")) for v in cells]


# ---------------------------------------------------------------------------------------------------------------
# A streaming xlsx reader. openpyxl's read-only mode parses every cell into objects (about 1 ms a row) and scans
# a whole sheet at load when it lacks a <dimension>; this reads the parts with the C XML parser, keeps only the
# shared strings and the date styles, and yields one row at a time.

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DATE_FORMAT_IDS = (
    set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59)) | set(range(71, 82))
)
_DATE_CODE = re.compile(r"(?<![\\\"])[dmyeb]", re.IGNORECASE)


class XlsxBook:
    def __init__(self, archive: zipfile.ZipFile):
        import xml.etree.ElementTree as ET

        self.archive = archive
        self._et = ET
        names = set(archive.namelist())
        try:
            workbook = ET.fromstring(archive.read("xl/workbook.xml"))
            rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ET.ParseError):
            raise FileRefused(
                _("This file is not a valid Excel (.xlsx) file. Save it again as .xlsx and upload it.")
            )
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL_NS}Relationship")}
        self.sheets: list[tuple[str, str]] = []
        for sheet in workbook.iter(f"{_NS}sheet"):
            target = targets.get(sheet.get(f"{_REL_NS}id"), "")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            if path in names:
                self.sheets.append((sheet.get("name", ""), path))
        self.strings = self._shared_strings() if "xl/sharedStrings.xml" in names else []
        self.date_styles = self._date_styles() if "xl/styles.xml" in names else set()

    def _text(self, element) -> str:
        # the text runs of a string item, without phonetic hints (rPh)
        parts = []
        for child in element:
            if child.tag == f"{_NS}t":
                parts.append(child.text or "")
            elif child.tag == f"{_NS}r":
                parts.extend(t.text or "" for t in child.iter(f"{_NS}t"))
        return "".join(parts)

    def _shared_strings(self) -> list[str]:
        strings = []
        with self.archive.open("xl/sharedStrings.xml") as fh:
            for _event, element in self._et.iterparse(fh):
                if element.tag == f"{_NS}si":
                    strings.append(self._text(element))
                    element.clear()
        return strings

    def _date_styles(self) -> set[int]:
        root = self._et.fromstring(self.archive.read("xl/styles.xml"))
        custom = {}
        for fmt in root.iter(f"{_NS}numFmt"):
            code = re.sub(r"\[[^\]]*\]|\"[^\"]*\"", "", fmt.get("formatCode", ""))
            custom[int(fmt.get("numFmtId", "0"))] = bool(_DATE_CODE.search(code))
        dates = set()
        xfs = root.find(f"{_NS}cellXfs")
        for idx, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            if custom.get(fmt_id, fmt_id in _DATE_FORMAT_IDS):
                dates.add(idx)
        return dates

    def rows(self, path: str) -> Iterator[tuple[int, RawRow]]:
        row_tag, cell_tag, value_tag, formula_tag, inline_tag = (
            f"{_NS}row", f"{_NS}c", f"{_NS}v", f"{_NS}f", f"{_NS}is",
        )  # fmt: skip
        strings, date_styles = self.strings, self.date_styles
        columns: dict[str, int] = {}
        number = 0
        with self.archive.open(path) as fh:
            for _event, element in self._et.iterparse(fh):
                if element.tag != row_tag:
                    continue
                number = int(element.get("r") or number + 1)
                cells: RawRow = []
                for c in element:
                    if c.tag != cell_tag:
                        continue
                    ref = c.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        idx = columns.get(letters)
                        if idx is None:
                            idx = columns[letters] = _col_number(letters.encode()) - 1
                    else:
                        idx = len(cells)
                    while len(cells) < idx:
                        cells.append((None, False))
                    kind = c.get("t", "n")
                    formula = False
                    raw = None
                    for part in c:
                        if part.tag == value_tag:
                            raw = part.text
                        elif part.tag == formula_tag:
                            formula = True
                    value: object = None
                    if kind == "s":
                        value = strings[int(raw)] if raw is not None and int(raw) < len(strings) else None
                    elif kind == "inlineStr":
                        inline = c.find(inline_tag)
                        value = self._text(inline) if inline is not None else None
                    elif kind in ("str", "e"):
                        value = raw
                    elif kind == "b":
                        value = raw == "1"
                    elif kind == "d":
                        value = raw
                    elif raw is not None:
                        try:
                            number_value = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
                        except ValueError:
                            number_value = None
                        if (
                            number_value is not None
                            and int(c.get("s", "0")) in date_styles
                            and 0 <= number_value < 2958466
                        ):
                            value = dt.datetime(1899, 12, 30) + dt.timedelta(days=number_value)
                        else:
                            value = number_value
                    cells.append((value, formula))
                element.clear()
                yield number, cells


# ---------------------------------------------------------------------------------------------------------------
# Header detection


@dataclasses.dataclass
class _Header:
    row: int
    last_row: int
    columns: dict[str, Column]
    ignored: list[str]
    missing: list[str]


def _text(value) -> str:
    return clean_text(value) if value is not None else ""


def _find_header(top: list[tuple[int, RawRow]], merges) -> _Header:
    """The first row among the first ten holding every required header (merged group headers above sub-headers)."""
    grid = {n: cells for n, cells in top}
    best: _Header | None = None
    for n, _cells in top[:HEADER_SEARCH_ROWS]:
        last = max([r2 for r1, c1, r2, c2 in merges if r1 == n and r2 > r1] or [n])
        width = max(len(grid.get(r, ())) for r in range(n, last + 1))
        columns: dict[str, Column] = {}
        ignored: list[str] = []
        for c in range(width):
            sub, group, sub_row = "", "", n
            for r in range(last, n - 1, -1):
                cells = grid.get(r, [])
                if c < len(cells) and _text(cells[c][0]):
                    sub, sub_row = _text(cells[c][0]), r
                    break
            if not sub:
                continue
            if sub_row > n:
                for r1, c1, r2, c2 in merges:  # the merged group header in the rows above the sub-header
                    if r1 <= sub_row - 1 <= r2 and c1 <= c + 1 <= c2 and c2 > c1:
                        group = _text(grid.get(r1, [])[c1 - 1][0]) if len(grid.get(r1, [])) >= c1 else ""
                        break
                else:
                    above = grid.get(sub_row - 1, [])
                    group = _text(above[c][0]) if c < len(above) else ""
            field = match_header(sub, group)
            header = f"{group} {sub}" if group and field and "." in field else sub
            if field and field not in columns:
                columns[field] = Column(c, header, field)
            elif field != "seq":
                ignored.append(header)
        missing = [f for f in REQUIRED if f not in columns]
        found = _Header(n, last, columns, ignored, missing)
        if not missing:
            return found
        if best is None or len(missing) < len(best.missing):
            best = found
    return best or _Header(1, 1, {}, [], list(REQUIRED))


# ---------------------------------------------------------------------------------------------------------------
# Values


class CellProblem(ValueError):
    def __init__(self, message: str, kind: str = "value"):
        self.message = message
        self.kind = kind
        super().__init__(message)


_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e[+-]?\d+$", re.IGNORECASE)
_ESCAPED = re.compile(r"^'[=+\-@\t\r]")
_PREFIX_ABBREVIATIONS = {"ด.ช.": "เด็กชาย", "ดช.": "เด็กชาย", "ด.ญ.": "เด็กหญิง", "ดญ.": "เด็กหญิง",
                         "น.ส.": "นางสาว", "นส.": "นางสาว", "ส.ณ.": "สามเณร"}  # fmt: skip
_GENDERS = {"ชาย": "male", "ช": "male", "male": "male", "m": "male", "หญิง": "female", "ญ": "female",
            "female": "female", "f": "female"}  # fmt: skip
_BLANKS = {"", "-", "–", "—"}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _plain(value) -> str:
    """A text cell; numbers without a spurious '.0'; dates are a problem (Excel turned the value into a date)."""
    if isinstance(value, dt.datetime | dt.date):
        raise CellProblem(
            _("Excel turned this value into a date. Format the column as text and type it again.")
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value)
    if _ESCAPED.match(text):
        text = text[1:]
    return "" if text in _BLANKS else text


def read_identity(value) -> tuple[str, str]:
    """('national_id' | 'g_code', normalised value); never pads or guesses a number that lost digits."""
    from .identity import normalise

    if isinstance(value, bool):
        raise CellProblem(_("Enter the 13-digit national ID or the G-Code."), "identity")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise CellProblem(
                _(
                    "Excel stored this ID as a rounded number. Format the column as text and type the ID again."
                ),
                "identity",
            )
        number = int(value)
        if not 10**12 <= number < 10**13:
            raise CellProblem(
                _("This ID was stored as a number and has lost digits (%(digits)s digits instead of 13). "
                  "Format the column as text and type the ID again.") % {"digits": len(str(abs(number)))},
                "identity",
            )  # fmt: skip
        return "national_id", str(number)
    raw = normalise_digits(clean_text(value)).replace(" ", "")
    if _SCIENTIFIC.match(raw):
        raise CellProblem(
            _("This ID is in scientific notation (%(value)s), so digits were lost. Format the column as text "
              "and type the ID again.") % {"value": raw},
            "identity",
        )  # fmt: skip
    text = normalise(raw)
    if not text:
        raise CellProblem(_("Enter the 13-digit national ID or the G-Code."), "identity")
    return ("g_code" if text.startswith("G") else "national_id"), text


def read_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 73_051:  # Excel serial numbers up to 31/12/2099
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellProblem(
            _("Enter a date as dd/mm/yyyy in the Buddhist Era, for example 15/05/2562."), "date"
        )
    text = normalise_digits(clean_text(value))
    if re.fullmatch(r"\d{5}", text):
        return _EXCEL_EPOCH + dt.timedelta(days=int(text))
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise CellProblem(str(exc), "date")


def read_decimal(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(Decimal(str(value)).normalize()) if isinstance(value, float) else str(value)
    text = normalise_digits(_plain(value)).replace(",", "")
    if not text:
        return ""
    try:
        Decimal(text)
    except InvalidOperation:
        raise CellProblem(_("Enter a number, for example 25.5."))
    return text


def _choice_lookup(choices: dict) -> dict[str, str]:
    table = {}
    for code, label in choices.items():
        table[header_key(code)] = code
        for lang in ("th", "en"):
            with translation.override(lang):
                table[header_key(str(label))] = code
    return table


_CHOICE_ALIASES = {
    "disadvantage": {"ถูกบังคับให้ขายแรงงาน": "forced_labour", "อยู่ในธุรกิจทางเพศ": "sexual_exploitation",
                     "เด็กกำพร้า": "orphan", "กำพร้า": "orphan", "ถูกทอดทิ้ง": "orphan", "แรงงานเด็ก": "child_labour",
                     "เด็กเร่ร่อน": "street_child", "ผลกระทบจากโรคเอดส์": "hiv_affected",
                     "ชนกลุ่มน้อย": "minority", "ถูกทำร้ายทารุณ": "abused", "ยากจน": "poor", "เด็กยากจน": "poor",
                     "ยาเสพติด": "drug_affected", "อื่นๆ": "other", "อื่น": "other"},
    "disability": {"บกพร่องทางการเห็น": "visual", "บกพร่องทางการได้ยิน": "hearing",
                   "บกพร่องทางสติปัญญา": "intellectual", "บกพร่องทางร่างกายหรือสุขภาพ": "physical_health",
                   "บกพร่องทางการเรียนรู้": "learning", "บกพร่องทางการพูดและภาษา": "speech_language",
                   "มีปัญหาทางพฤติกรรมหรืออารมณ์": "behavioural_emotional", "ออทิสติก": "autism",
                   "พิการซ้อน": "multiple"},
    "shortages": {"หนังสือเรียน": "books", "หนังสือ": "books", "อาหาร": "food", "เครื่องเขียน": "stationery",
                  "เครื่องแบบ": "uniform", "เครื่องแบบนักเรียน": "uniform"},
}  # fmt: skip
_CHOICES_CACHE: dict[str, dict[str, str]] = {}


def choices_for(field: str) -> dict[str, str]:
    if field not in _CHOICES_CACHE:
        from . import models

        source = {"disadvantage": models.DISADVANTAGES, "disability": models.DISABILITIES,
                  "shortages": models.SHORTAGES}[field]  # fmt: skip
        table = _choice_lookup(source)
        table.update({header_key(k): v for k, v in _CHOICE_ALIASES[field].items()})
        _CHOICES_CACHE[field] = table
    return _CHOICES_CACHE[field]


def read_choice(field: str, value) -> str:
    text = _plain(value)
    if not text:
        return ""
    code = choices_for(field).get(header_key(text))
    if code is None:
        raise CellProblem(_("“%(value)s” is not one of the listed values.") % {"value": text})
    return code


def read_shortages(value) -> list[str]:
    text = _plain(value)
    out = []
    for part in re.split(r"[,、;/]", text):
        if not clean_text(part):
            continue
        code = choices_for("shortages").get(header_key(part))
        if code is None:
            raise CellProblem(_("“%(value)s” is not one of the listed values.") % {"value": clean_text(part)})
        if code not in out:
            out.append(code)
    return out


def read_level(value) -> str:
    text = _plain(value)
    code = levels.parse_level(text)
    if code is None:
        if not text:
            raise CellProblem(_("Enter the class level, for example ป.1 or อนุบาล 2."), "class_level")
        raise CellProblem(
            _("“%(value)s” is not a class level. Write it as ป.1, ประถมศึกษาปีที่ 1 or อนุบาล 2.")
            % {"value": text},
            "class_level",
        )
    return code


def read_gender(value) -> str:
    text = _plain(value)
    if not text:
        return ""
    gender = _GENDERS.get(header_key(text))
    if gender is None:
        raise CellProblem(_("Write the gender as ชาย or หญิง."))
    return gender


def read_prefix(value) -> str:
    text = _plain(value)
    return _PREFIX_ABBREVIATIONS.get(text.replace(" ", ""), text)


_READERS: dict[str, Callable] = {
    "birth_date": read_date,
    "enrolled_on": read_date,
    "class_level": read_level,
    "gender": read_gender,
    "prefix": read_prefix,
    "weight_kg": read_decimal,
    "height_cm": read_decimal,
    "father.income": read_decimal,
    "mother.income": read_decimal,
    "guardian.income": read_decimal,
    "disadvantage": lambda v: read_choice("disadvantage", v),
    "disability": lambda v: read_choice("disability", v),
    "shortages": read_shortages,
}


_BLANK_STRIP = " \t\r\n\xa0\u200b\u200c\u200d\u2060\ufeff"


def _blank(value) -> bool:
    return value is None or (value.__class__ is str and value.strip(_BLANK_STRIP) in _BLANKS)


def row_data(
    cells: RawRow, table_columns: dict[str, Column], number: int, problems: list[Problem]
) -> dict | None:
    """One data row → LearnerIn-shaped dict (only the columns present), or None when the row is blank."""
    if all(_blank(v) for v, _f in cells):
        return None
    data: dict = {}
    for field, col in table_columns.items():
        if field == "seq":
            continue
        value, formula = cells[col.index] if col.index < len(cells) else (None, False)
        if formula:
            problems.append(
                Problem(
                    number,
                    col.header,
                    _("This cell holds a formula. Type the value itself."),
                    "formula",
                    col.index,
                )
            )
            continue
        try:
            if field == "identity":
                if _blank(value):
                    raise CellProblem(_("Enter the 13-digit national ID or the G-Code."), "identity")
                kind, text = read_identity(value)
                data[kind] = text
                continue
            reader = _READERS.get(field, _plain)
            if field in REQUIRED and _blank(value):
                raise CellProblem(_("This column must not be empty."), "missing")
            parsed = reader(value) if not _blank(value) else ("" if field != "shortages" else [])
        except CellProblem as exc:
            problems.append(Problem(number, col.header, exc.message, exc.kind, col.index))
            continue
        if parsed in ("", None) and field not in REQUIRED:
            parsed = None if field in ("disadvantage", "disability", "weight_kg", "height_cm") else ""
            if "." in field or field in ("gender", "enrolled_on"):
                continue
        if "." in field:
            group, sub = field.split(".", 1)
            data.setdefault(group, {})[sub] = parsed
        else:
            data[field] = parsed
    return data


# ---------------------------------------------------------------------------------------------------------------
# The reader


def _dimension_rows(archive: zipfile.ZipFile, path: str) -> int:
    """The row count a sheet declares in its <dimension> (for the progress bar only; 0 when absent)."""
    with archive.open(path) as fh:
        head = fh.read(4096)
    m = re.search(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
    return int(m.group(1)) if m else 0


def read_table(source, filename: str = "", *, progress: Callable[[int, int], None] | None = None) -> Table:
    """Read a learner file (a path or a binary file object). Raises FileRefused for a file refused as a whole.
    `progress(rows read, rows expected or 0)` is called every 1,000 rows."""
    if _size(source) > MAX_BYTES:
        raise FileRefused(
            _("This file is larger than %(mb)s MB. Split it into smaller files and upload each.")
            % {"mb": MAX_BYTES // (1024 * 1024)},
            "limit",
        )
    fmt = detect_format(source, filename)
    if fmt == "xlsx":
        return _read_xlsx(source, progress)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            data = fh.read()
    else:
        source.seek(0)
        data = source.read()
    text = decode_csv(data)
    estimate = max(text.count("\n"), 1)
    return _read_rows("csv", None, _csv_rows(text), [], progress and (lambda n: progress(n, estimate)))


def _read_xlsx(source, progress) -> Table:
    archive = check_zip(source)
    try:
        book = XlsxBook(archive)
        best: _Header | None = None
        for title, path in book.sheets:
            top = []
            for item in book.rows(path):
                if item[0] > HEADER_SEARCH_ROWS + 3:
                    break
                top.append(item)
            merges = _merges(archive, path)
            header = _find_header(top, merges)
            if not header.missing:
                estimate = _dimension_rows(archive, path)
                report = progress and (lambda n, estimate=estimate: progress(n, estimate))
                return _read_rows("xlsx", title, book.rows(path), merges, report, header)
            if best is None or len(header.missing) < len(best.missing):
                best = header
        _refuse_missing(best)
    finally:
        archive.close()
    raise AssertionError("unreachable")


def _refuse_missing(header: _Header | None):
    missing = header.missing if header else list(REQUIRED)
    names = ", ".join(SPEC_BY_FIELD[f].th for f in missing)
    raise FileRefused(
        _("The file has no column %(names)s in its first %(n)s rows. Use the template's headers.")
        % {"names": names, "n": HEADER_SEARCH_ROWS},
        "missing_column",
    )


def _read_rows(fmt, sheet, rows: Iterator[tuple[int, RawRow]], merges, progress, header=None) -> Table:
    top: list[tuple[int, RawRow]] = []
    if header is None:
        for item in rows:
            top.append(item)
            if len(top) >= HEADER_SEARCH_ROWS:
                break
        header = _find_header(top, merges)
        if header.missing:
            _refuse_missing(header)
    data_merges = [m for m in merges if m[0] > header.last_row and (m[2] > m[0] or m[3] > m[1])]
    fill: dict[tuple[int, int], tuple[int, int]] = {}
    for r1, c1, r2, c2 in data_merges:
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    fill[(r, c)] = (r1, c1)
    anchors: dict[tuple[int, int], tuple[object, bool]] = {}
    anchor_cells = {(r1, c1) for r1, c1, _r2, _c2 in data_merges}

    problems: list[Problem] = []
    out: list[Row] = []
    seen: dict[str, int] = {}
    identity_col = header.columns["identity"]
    count = 0

    def consume(number: int, cells: RawRow):
        nonlocal count
        if number <= header.last_row:
            return
        if fill or anchor_cells:
            cells = list(cells)
            for idx in range(len(cells)):
                if (number, idx + 1) in anchor_cells:
                    anchors[(number, idx + 1)] = cells[idx]
            for (r, c), anchor in fill.items():
                if r == number and anchor in anchors:
                    while len(cells) < c:
                        cells.append((None, False))
                    cells[c - 1] = anchors[anchor]
        data = row_data(cells, header.columns, number, problems)
        if data is None:
            return
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(
                _("This file has more than %(n)s learners. Split it into smaller files and upload each.")
                % {"n": f"{MAX_ROWS:,}"},
                "limit",
            )
        identity = data.get("national_id") or data.get("g_code")
        if identity:
            if identity in seen:
                problems.append(
                    Problem(number, identity_col.header,
                            _("The same ID is also on row %(row)s. Each learner may appear once.")
                            % {"row": seen[identity]}, "duplicate", identity_col.index)
                )  # fmt: skip
            else:
                seen[identity] = number
        out.append(Row(number, data))
        if progress and count % 1000 == 0:
            progress(count)

    for number, cells in top:
        consume(number, cells)
    for number, cells in rows:
        consume(number, cells)
    return Table(fmt, sheet, header.row, header.columns, header.ignored, out, problems)


# ---------------------------------------------------------------------------------------------------------------
# The import: read, validate every row with the learner rules, find identities held elsewhere, then write all or
# nothing through students.services.learners_bulk_upsert.

_FIELD_KIND = {"national_id": "identity", "g_code": "identity", "birth_date": "date", "enrolled_on": "date",
               "class_level": "class_level"}  # fmt: skip
KIND_ORDER = ("file", "missing", "identity", "duplicate", "active_elsewhere", "class_level", "date", "formula",
              "value")  # fmt: skip


@dataclasses.dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    ignored: list[str] = dataclasses.field(default_factory=list)
    candidates: list[dict] = dataclasses.field(default_factory=list)
    sheet: str | None = None
    header_row: int = 1
    format: str = ""
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"

    def problem_lines(self) -> list[str]:
        return [p.line() for p in self.problems] + [f"{len(self.problems)} problems"]

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["problems"] = [p.as_dict() for p in self.problems]
        return data


def _active_elsewhere_line(code: str) -> str:
    return f"active at {code}"


def learners_import(
    *,
    organisation,
    source,
    filename: str,
    acting_user,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Import a learner file into one institution. Raises FileRefused (the file as a whole) or DomainError
    (`confirmed_locked`); returns an Outcome whose problems, when any, mean nothing was written."""
    from lec.lib.errors import DomainError, learners_locked

    from .services import age_reference_date, learner_clean, learners_bulk_upsert

    organisation.refresh_from_db(fields=["learners_locked"])
    if organisation.learners_locked:
        raise learners_locked(organisation)
    report = progress or (lambda p: None)
    report(1)
    table = read_table(
        source, filename, progress=lambda n, total: report(min(40, 1 + n * 39 // max(total, n, 1)))
    )
    outcome = Outcome(rows=len(table.rows), ignored=table.ignored, sheet=table.sheet,
                      header_row=table.header_row, format=table.format)  # fmt: skip
    problems = list(table.problems)
    bad_cells = {(p.row, p.column) for p in problems}
    bad_rows = {p.row for p in problems}
    on = age_reference_date()
    items: list[tuple[Row, dict]] = []
    for i, row in enumerate(table.rows):
        cleaned, errors = learner_clean(organisation=organisation, data=row.data, on=on)
        for field, messages in errors.items():
            column = table.column_name(field)
            if (row.number, column) in bad_cells:
                continue
            for message in messages:
                problems.append(Problem(row.number, column, str(message), _FIELD_KIND.get(field, "value"),
                                        table.column_index(field)))  # fmt: skip
        if errors:
            bad_rows.add(row.number)
        elif row.number not in bad_rows:
            items.append((row, cleaned))
        if i % 1000 == 999:
            report(40 + 40 * i // max(len(table.rows), 1))
    report(80)
    good = [cleaned for _row, cleaned in items]
    # Without problems so far an import writes in one pass: the service refuses identities held elsewhere before
    # writing anything, and those become problems below.
    write_now = not problems and not dry_run
    try:
        result = learners_bulk_upsert(organisation=organisation, items=good, acting_user=acting_user,
                                      dry_run=not write_now)  # fmt: skip
    except DomainError as exc:
        if exc.code != "identity_active_elsewhere":
            raise
        write_now = False
        conflicts = exc.extra.get("conflicts", {})
        column = table.columns["identity"]
        for row, cleaned in items:
            key = cleaned.get("national_id") or cleaned.get("g_code")
            if key in conflicts:
                code, name = conflicts[key]
                problem = Problem(row.number, column.header, _active_elsewhere_line(code), "active_elsewhere",
                                  column.index)  # fmt: skip
                problems.append(problem)
                outcome.candidates.append({
                    "row": row.number, "identity": key, "code": code, "name_th": name,
                    "first_name": cleaned.get("first_name", ""), "last_name": cleaned.get("last_name", ""),
                    "class_level": cleaned.get("class_level", ""),
                })  # fmt: skip
        blocked = {c["row"] for c in outcome.candidates}
        good = [cleaned for row, cleaned in items if row.number not in blocked]
        result = learners_bulk_upsert(
            organisation=organisation, items=good, acting_user=acting_user, dry_run=True
        )
    outcome.created, outcome.updated, outcome.unchanged = result.created, result.updated, result.unchanged
    problems.sort(key=lambda p: (p.row, p.col if p.col is not None else 10**6))
    outcome.problems = problems
    outcome.written = write_now
    report(100 if write_now else 90)
    return outcome


def problem_text(problem: dict) -> str:
    """A problem as the pages show it, in the user's language."""
    if problem["kind"] == "active_elsewhere":
        code = problem["message"].removeprefix("active at ")
        return _("Enrolled at another institution (%(code)s). Ask for a transfer instead.") % {"code": code}
    return problem["message"]


def kind_label(kind: str) -> str:
    return {
        "missing": _("Empty required cells"),
        "identity": _("National IDs and G-Codes"),
        "duplicate": _("The same learner twice in the file"),
        "active_elsewhere": _("Enrolled at another institution"),
        "class_level": _("Class levels"),
        "date": _("Dates"),
        "formula": _("Formulas instead of values"),
        "value": _("Other values"),
    }.get(kind, _("Other values"))


def grouped_problems(problems: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for p in problems:
        groups.setdefault(p["kind"] if p["kind"] in KIND_ORDER else "value", []).append(p)
    return [(kind_label(k), groups[k]) for k in KIND_ORDER if k in groups]


# ---------------------------------------------------------------------------------------------------------------
# The annotated workbook: the user's own file with problem cells highlighted, a comment on each and a last column
# listing the row's problems.


def annotate(source, filename: str, result: dict) -> bytes:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    fill = PatternFill("solid", fgColor="FFC7CE")
    problems = result.get("problems", [])
    header_row = result.get("header_row", 1)
    if result.get("format") == "xlsx":
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
        workbook = openpyxl.load_workbook(source)
        ws = workbook[result["sheet"]] if result.get("sheet") in workbook.sheetnames else workbook.active
    else:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as fh:
                data = fh.read()
        else:
            source.seek(0)
            data = source.read()
        workbook = openpyxl.Workbook()
        ws = workbook.active
        for _n, cells in _csv_rows(decode_csv(data)):
            ws.append([str(v) for v, _f in cells])
    last = ws.max_column + 1
    ws.cell(row=header_row, column=last, value=_("Problems found")).font = Font(bold=True, color="9C0006")
    by_row: dict[int, list[str]] = {}
    for p in problems:
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
    ws.column_dimensions[openpyxl.utils.get_column_letter(last)].width = 60
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Background jobs (lec.tasks.run_job calls these with a claimed Job).

PREVIEW, IMPORT = "preview", "import"


def import_job(job) -> None:
    """Run a learner import job's phase: `preview` (a dry run) or `import` (writes all or nothing)."""
    from lec.lib.errors import DomainError

    def progress(percent: int) -> None:
        job.set_progress(percent, 100)

    try:
        with job.file.open("rb") as fh:
            outcome = learners_import(
                organisation=job.organisation,
                source=fh,
                filename=job.filename,
                acting_user=job.created_by,
                dry_run=job.phase != IMPORT,
                progress=progress,
            )
    except FileRefused as exc:
        job.finish(result={"refused": exc.message, "kind": exc.kind, "phase": job.phase}, failed=True)
        return
    except DomainError as exc:
        job.finish(result={"refused": str(exc.message), "code": exc.code, "phase": job.phase}, failed=True)
        return
    result = {**outcome.as_dict(), "phase": job.phase}
    job.finish(result=result, failed=not outcome.ok)
    if outcome.written:
        # the learners are in LEC now; the uploaded copy of their records is not kept
        job.file.delete(save=False)
        job.save(update_fields=["file"])


# ---------------------------------------------------------------------------------------------------------------
# Other-affiliation headcounts for an LAO, from the same machinery: either one row per school and class level
# (school code, class level, male, female) or one row per school with "<level> ชาย" / "<level> หญิง" columns
# (the layout of the headcount export). Saved all or nothing by schools.services.other_school_headcounts_save.

_GRID_HEADERS = {
    "code": ("รหัสโรงเรียน", "รหัส", "รหัสสถานศึกษา", "school code", "code", "school_code"),
    "class_level": ("ระดับชั้น", "ชั้น", "class level", "class_level", "level"),
    "male": ("ชาย", "male", "นักเรียนชาย", "จำนวนชาย"),
    "female": ("หญิง", "female", "นักเรียนหญิง", "จำนวนหญิง"),
    "closed": ("ปิดแล้ว", "ปิดกิจการ", "closed", "สถานะ", "state"),
}
_GRID_LOOKUP = {header_key(a): f for f, aliases in _GRID_HEADERS.items() for a in aliases}
_GENDER_WORDS = {"ชาย": "male", "male": "male", "หญิง": "female", "female": "female"}
_CLOSED_WORDS = {"1", "ใช่", "ปิด", "ปิดแล้ว", "ปิดกิจการ", "closed", "yes", "true", "x", "✓"}


class GridProblems(Exception):
    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def _grid_columns(cells: RawRow) -> dict:
    """{"code": idx, "class_level": idx, "male": idx, "female": idx, "closed": idx, "wide": {(level, g): idx}}."""
    found: dict = {"wide": {}, "headers": {}}
    for idx, (value, _f) in enumerate(cells):
        text = _text(value)
        if not text:
            continue
        found["headers"][idx] = text
        field = _GRID_LOOKUP.get(header_key(text))
        if field and field not in found:
            found[field] = idx
            continue
        parts = text.rsplit(" ", 1)
        if len(parts) == 2 and header_key(parts[1]) in _GENDER_WORDS:
            level = levels.parse_level(parts[0])
            if level:
                found["wide"][(level, _GENDER_WORDS[header_key(parts[1])])] = idx
    return found


def _grid_rows(source, filename) -> tuple[dict, int, Iterator[tuple[int, RawRow]]]:
    if _size(source) > MAX_BYTES:
        raise FileRefused(_("This file is larger than %(mb)s MB. Split it into smaller files and upload each.")
                          % {"mb": MAX_BYTES // (1024 * 1024)}, "limit")  # fmt: skip
    fmt = detect_format(source, filename)
    if fmt == "xlsx":
        book = XlsxBook(check_zip(source))
        iterators = [book.rows(path) for _title, path in book.sheets]
    else:
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
            data = source.read()
        else:
            with open(source, "rb") as fh:
                data = fh.read()
        iterators = [_csv_rows(decode_csv(data))]
    for rows in iterators:
        for number, cells in rows:
            if number > HEADER_SEARCH_ROWS:
                break
            cols = _grid_columns(cells)
            if "code" in cols and ({"class_level", "male", "female"} <= cols.keys() or cols["wide"]):
                return cols, number, rows
    raise FileRefused(
        _("The file has no columns %(names)s in its first %(n)s rows.")
        % {"names": "รหัสโรงเรียน, ระดับชั้น, ชาย, หญิง", "n": HEADER_SEARCH_ROWS},
        "missing_column",
    )


def other_schools_import(*, lao, round, source, filename: str, acting_user) -> int:
    """Read an LAO's other-affiliation headcount file and save it all or nothing; returns the schools saved.
    Raises FileRefused, GridProblems (lines `row R, column NAME: message`), or DomainError from the service."""
    from lec.lib.errors import Invalid
    from schools.services import other_school_headcounts_save

    cols, header_row, rows = _grid_rows(source, filename)
    headers = cols["headers"]
    entries: dict[str, dict] = {}
    where: dict[str, tuple[int, int]] = {}  # "<school>.<level>.<field>" → (row, column index)
    problems: list[str] = []
    count = 0
    for number, cells in rows:
        if number <= header_row or all(_blank(v) for v, _f in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(_("This file has too many rows."), "limit")

        def cell(idx, cells=cells):
            return cells[idx] if idx is not None and idx < len(cells) else (None, False)

        code_value, _f = cell(cols["code"])
        code = _plain(code_value)
        if not code:
            problems.append(f"row {number}, column {headers[cols['code']]}: " + _("Enter the school code."))
            continue
        entry = entries.setdefault(code, {"closed": False, "counts": []})
        if "closed" in cols:
            value, _f = cell(cols["closed"])
            if header_key(_plain(value)) in {header_key(w) for w in _CLOSED_WORDS}:
                entry["closed"] = True
                where.setdefault(f"{code}.closed", (number, cols["closed"]))
        pairs = []
        if cols["wide"]:
            per_level: dict[str, dict] = {}
            for (level, gender), idx in cols["wide"].items():
                per_level.setdefault(level, {})[gender] = idx
            pairs = [(level, g.get("male"), g.get("female")) for level, g in per_level.items()]
        else:
            raw_level, _f = cell(cols["class_level"])
            level = levels.parse_level(_plain(raw_level)) or _plain(raw_level)
            pairs = [(level, cols["male"], cols["female"])]
        for level, male_idx, female_idx in pairs:
            formula = [i for i in (male_idx, female_idx) if i is not None and cell(i)[1]]
            if formula:
                problems.append(f"row {number}, column {headers[formula[0]]}: "
                                + _("This cell holds a formula. Type the value itself."))  # fmt: skip
                continue
            male, female = cell(male_idx)[0], cell(female_idx)[0]
            if not cols["wide"] or not (_blank(male) and _blank(female)):
                entry["counts"].append({"class_level": level, "male": male, "female": female})
            where.setdefault(
                f"{code}.{level}.male", (number, male_idx if male_idx is not None else cols["code"])
            )
            where.setdefault(
                f"{code}.{level}.female", (number, female_idx if female_idx is not None else cols["code"])
            )
            where.setdefault(f"{code}.{level}.class_level", (number, cols.get("class_level", cols["code"])))
            where.setdefault(f"{code}.counts.{len(entry['counts']) - 1}.class_level",
                             (number, cols.get("class_level", cols["code"])))  # fmt: skip
        where.setdefault(f"{code}.closed", (number, cols["code"]))
    if problems:
        raise GridProblems([*problems, f"{len(problems)} problems"])
    try:
        return other_school_headcounts_save(lao=lao, round=round, entries=entries, acting_user=acting_user)
    except Invalid as exc:
        lines = []
        for key, messages in exc.errors.items():
            number, idx = where.get(key, (header_row, cols["code"]))
            for message in messages:
                lines.append((number, f"row {number}, column {headers.get(idx, idx)}: {message}"))
        lines.sort()
        raise GridProblems([line for _n, line in lines] + [f"{len(lines)} problems"])
