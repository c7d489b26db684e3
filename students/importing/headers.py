"""The columns of a learner file: the template's headers (Thai, English, aliases), and finding the header row in
the first rows of a sheet, merged group headers (บิดา, มารดา, ที่อยู่ ...) above sub-headers included."""

import dataclasses
import re

from lec.lib.spreadsheets import HEADER_SEARCH_ROWS, RawRow, cell_text, header_key

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
    """Every column of the template in order (a table of data more than code, hence its length)."""
    rows = [
        Spec("seq", "ลำดับที่", "No.", ("ลำดับ", "ที่", "no")),
        Spec(
            "student_number",
            "เลขประจำตัวนักเรียน",
            "Student number",
            ("รหัสนักเรียน", "เลขประจำตัวเด็ก", "student_number"),
        ),
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

_PARENS = re.compile(r"\(.*?\)|（.*?）")


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


@dataclasses.dataclass
class Column:
    index: int
    header: str
    field: str | None


@dataclasses.dataclass
class Header:
    """Where the header is (its first and last row, several when group headers are merged above) and what it names."""

    row: int
    last_row: int
    columns: dict[str, Column]
    ignored: list[str]
    missing: list[str]


def _sub_header(grid: dict, c: int, first: int, last: int) -> tuple[str, int]:
    """The lowest non-empty header text of column `c` (0-based) between rows first..last, and its row."""
    for r in range(last, first - 1, -1):
        cells = grid.get(r, [])
        if c < len(cells) and cell_text(cells[c][0]):
            return cell_text(cells[c][0]), r
    return "", first


def _group_header(grid: dict, merges, c: int, sub_row: int) -> str:
    """The merged group header in the rows above the sub-header, else the cell right above it."""
    for r1, c1, r2, c2 in merges:
        if r1 <= sub_row - 1 <= r2 and c1 <= c + 1 <= c2 and c2 > c1:
            return cell_text(grid.get(r1, [])[c1 - 1][0]) if len(grid.get(r1, [])) >= c1 else ""
    above = grid.get(sub_row - 1, [])
    return cell_text(above[c][0]) if c < len(above) else ""


def _header_at(grid: dict, merges, n: int) -> Header:
    """The header read as starting at row `n` (down to the last row of a group header merged there)."""
    last = max([r2 for r1, c1, r2, c2 in merges if r1 == n and r2 > r1] or [n])
    width = max(len(grid.get(r, ())) for r in range(n, last + 1))
    columns: dict[str, Column] = {}
    ignored: list[str] = []
    for c in range(width):
        sub, sub_row = _sub_header(grid, c, n, last)
        if not sub:
            continue
        group = _group_header(grid, merges, c, sub_row) if sub_row > n else ""
        field = match_header(sub, group)
        header = f"{group} {sub}" if group and field and "." in field else sub
        if field and field not in columns:
            columns[field] = Column(c, header, field)
        elif field != "seq":
            ignored.append(header)
    return Header(n, last, columns, ignored, [f for f in REQUIRED if f not in columns])


def find_header(top: list[tuple[int, RawRow]], merges) -> Header:
    """The first row among the first ten holding every required header, else the one missing the fewest."""
    grid = {n: cells for n, cells in top}
    best: Header | None = None
    for n, _cells in top[:HEADER_SEARCH_ROWS]:
        found = _header_at(grid, merges, n)
        if not found.missing:
            return found
        if best is None or len(found.missing) < len(best.missing):
            best = found
    return best or Header(1, 1, {}, [], list(REQUIRED))
