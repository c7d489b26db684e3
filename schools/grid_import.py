"""An LAO's other-affiliation headcounts from a spreadsheet (.xlsx or .csv): either one row per school and class
level (school code, class level, male, female) or one row per school with "<level> ชาย" / "<level> หญิง" columns
(the layout of the headcount export). Saved all or nothing by schools.services.other_school_headcounts_save."""

import dataclasses
import xml.etree.ElementTree as ET  # noqa: N817 -- only for its ParseError
from collections.abc import Iterator

from django.utils.translation import gettext as _

from lec.lib import levels
from lec.lib.errors import Invalid
from lec.lib.spreadsheets import (
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    CellValueError,
    FileRefused,
    RawRow,
    XlsxBook,
    cell_text,
    check_zip,
    csv_rows,
    decode_csv,
    detect_format,
    header_key,
    is_blank,
    plain,
    read_bytes,
    refuse_if_too_large,
)

from .services import other_school_headcounts_save

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
_CLOSED_KEYS = {header_key(w) for w in _CLOSED_WORDS}


class GridProblems(Exception):
    """The file's problems as lines `row R, column NAME: message`, the last one counting them."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


def _grid_columns(cells: RawRow) -> dict:
    """{"code": idx, "class_level": idx, "male": idx, "female": idx, "closed": idx, "wide": {(level, g): idx},
    "headers": {idx: text}} for a candidate header row."""
    found: dict = {"wide": {}, "headers": {}}
    for idx, (value, _f) in enumerate(cells):
        text = cell_text(value)
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


def _sheets(source, filename) -> list[Iterator[tuple[int, RawRow]]]:
    refuse_if_too_large(source)
    if detect_format(source, filename) == "xlsx":
        book = XlsxBook(check_zip(source))
        return [book.rows(path) for _title, path in book.sheets]
    return [csv_rows(decode_csv(read_bytes(source)))]


def _grid_rows(source, filename) -> tuple[dict, int, Iterator[tuple[int, RawRow]]]:
    """(columns, header row number, the rest of that sheet's rows) for the first sheet with a grid header."""
    for rows in _sheets(source, filename):
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


@dataclasses.dataclass
class _Grid:
    """What the rows say: entries per school code, where each service key came from, and the problems."""

    cols: dict
    entries: dict = dataclasses.field(default_factory=dict)
    where: dict = dataclasses.field(default_factory=dict)  # "<school>.<level>.<field>" → (row, column index)
    problems: list = dataclasses.field(default_factory=list)

    def header(self, idx) -> str:
        return self.cols["headers"][idx]

    def level_pairs(self, cell) -> list[tuple[str, int | None, int | None]]:
        """(class level, male column, female column) for one row: every wide column pair, or the row's level."""
        cols = self.cols
        if cols["wide"]:
            per_level: dict[str, dict] = {}
            for (level, gender), idx in cols["wide"].items():
                per_level.setdefault(level, {})[gender] = idx
            return [(level, g.get("male"), g.get("female")) for level, g in per_level.items()]
        raw_level, _f = cell(cols["class_level"])
        level = levels.parse_level(plain(raw_level)) or plain(raw_level)
        return [(level, cols["male"], cols["female"])]

    def add_counts(self, number, code, entry, cell, level, male_idx, female_idx) -> None:
        cols, where = self.cols, self.where
        formula = [i for i in (male_idx, female_idx) if i is not None and cell(i)[1]]
        if formula:
            self.problems.append(f"row {number}, column {self.header(formula[0])}: "
                                 + _("This cell holds a formula. Type the value itself."))  # fmt: skip
            return
        male, female = cell(male_idx)[0], cell(female_idx)[0]
        if not cols["wide"] or not (is_blank(male) and is_blank(female)):
            entry["counts"].append({"class_level": level, "male": male, "female": female})
        where.setdefault(f"{code}.{level}.male", (number, male_idx if male_idx is not None else cols["code"]))
        where.setdefault(
            f"{code}.{level}.female", (number, female_idx if female_idx is not None else cols["code"])
        )
        level_col = (number, cols.get("class_level", cols["code"]))
        where.setdefault(f"{code}.{level}.class_level", level_col)
        where.setdefault(f"{code}.counts.{len(entry['counts']) - 1}.class_level", level_col)

    def add_row(self, number: int, cells: RawRow) -> None:
        cols = self.cols

        def cell(idx):
            return cells[idx] if idx is not None and idx < len(cells) else (None, False)

        try:
            code = plain(cell(cols["code"])[0])
        except CellValueError as exc:  # a code Excel turned into a date: a problem line, not a 500
            self.problems.append(f"row {number}, column {self.header(cols['code'])}: {exc}")
            return
        if not code:
            self.problems.append(
                f"row {number}, column {self.header(cols['code'])}: " + _("Enter the school code.")
            )
            return
        entry = self.entries.setdefault(code, {"closed": False, "counts": []})
        if "closed" in cols and header_key(cell_text(cell(cols["closed"])[0])) in _CLOSED_KEYS:
            entry["closed"] = True
            self.where.setdefault(f"{code}.closed", (number, cols["closed"]))
        for level, male_idx, female_idx in self.level_pairs(cell):
            self.add_counts(number, code, entry, cell, level, male_idx, female_idx)
        self.where.setdefault(f"{code}.closed", (number, cols["code"]))


def _service_problems(grid: _Grid, header_row: int, exc: Invalid) -> GridProblems:
    """The service's errors keyed by entry placed back on the rows and columns they came from."""
    headers, cols = grid.cols["headers"], grid.cols
    lines = []
    for key, messages in exc.errors.items():
        number, idx = grid.where.get(key, (header_row, cols["code"]))
        for message in messages:
            lines.append((number, f"row {number}, column {headers.get(idx, idx)}: {message}"))
    lines.sort()
    return GridProblems([line for _n, line in lines] + [f"{len(lines)} problems"])


def _read_rows(grid: "_Grid", header_row: int, rows) -> None:
    count = 0
    for number, cells in rows:
        if number <= header_row or all(is_blank(v) for v, _f in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(_("This file has too many rows."), "limit")
        grid.add_row(number, cells)


def other_schools_import(*, lao, round_, source, filename: str, acting_user) -> int:
    """Read an LAO's other-affiliation headcount file and save it all or nothing; returns the schools saved.
    Raises FileRefused, GridProblems (lines `row R, column NAME: message`), or DomainError from the service."""
    try:
        cols, header_row, rows = _grid_rows(source, filename)
        grid = _Grid(cols)
        _read_rows(grid, header_row, rows)
    except ET.ParseError:  # a crafted or broken sheet XML: a refusal, never a 500
        raise FileRefused(
            _("This file is damaged and cannot be read. Save it again in Excel."), "format"
        ) from None
    if grid.problems:
        raise GridProblems([*grid.problems, f"{len(grid.problems)} problems"])
    try:
        return other_school_headcounts_save(
            lao=lao, round_=round_, entries=grid.entries, acting_user=acting_user
        )
    except Invalid as exc:
        raise _service_problems(grid, header_row, exc) from None
