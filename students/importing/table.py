"""The one reader of learner files (.xlsx and .csv) for the browser, the command and the API (api.md
import_learners): a file becomes rows of LearnerIn-shaped dicts plus problems `row R, column NAME: message`; it
writes nothing. Limits are checked before the file is parsed (lec.lib.spreadsheets)."""

import dataclasses
from collections.abc import Callable, Iterator

from django.utils.translation import gettext as _

from lec.lib.spreadsheets import (
    HEADER_SEARCH_ROWS,
    MAX_ROWS,
    FileRefused,
    RawRow,
    XlsxBook,
    check_zip,
    csv_rows,
    decode_csv,
    detect_format,
    dimension_rows,
    merges,
    read_bytes,
    refuse_if_too_large,
)

from .cells import row_data
from .headers import REQUIRED, SPEC_BY_FIELD, Column, Header, find_header
from .problems import Problem


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


def read_table(source, filename: str = "", *, progress: Callable[[int, int], None] | None = None) -> Table:
    """Read a learner file (a path or a binary file object). Raises FileRefused for a file refused as a whole.
    `progress(rows read, rows expected or 0)` is called every 1,000 rows."""
    refuse_if_too_large(source)
    fmt = detect_format(source, filename)
    if fmt == "xlsx":
        return _read_xlsx(source, progress)
    text = decode_csv(read_bytes(source))
    estimate = max(text.count("\n"), 1)
    return _read_rows("csv", None, csv_rows(text), [], progress and (lambda n: progress(n, estimate)))


def _read_xlsx(source, progress) -> Table:
    """The first sheet whose first rows hold every required header is read; else the file is refused."""
    archive = check_zip(source)
    try:
        book = XlsxBook(archive)
        best: Header | None = None
        for title, path in book.sheets:
            top = []
            for item in book.rows(path):
                if item[0] > HEADER_SEARCH_ROWS + 3:
                    break
                top.append(item)
            sheet_merges = merges(archive, path)
            header = find_header(top, sheet_merges)
            if not header.missing:
                estimate = dimension_rows(archive, path)
                report = progress and (lambda n, estimate=estimate: progress(n, estimate))
                return _read_rows("xlsx", title, book.rows(path), sheet_merges, report, header)
            if best is None or len(header.missing) < len(best.missing):
                best = header
        _refuse_missing(best)
    finally:
        archive.close()
    raise AssertionError("unreachable")


def _refuse_missing(header: Header | None):
    missing = header.missing if header else list(REQUIRED)
    names = ", ".join(SPEC_BY_FIELD[f].th for f in missing)
    raise FileRefused(
        _("The file has no column %(names)s in its first %(n)s rows. Use the template's headers.")
        % {"names": names, "n": HEADER_SEARCH_ROWS},
        "missing_column",
    )


class _MergeFill:
    """Cells merged below the header take the value of their merge's top-left cell."""

    def __init__(self, sheet_merges, header_last_row: int):
        data_merges = [m for m in sheet_merges if m[0] > header_last_row and (m[2] > m[0] or m[3] > m[1])]
        self.fill: dict[tuple[int, int], tuple[int, int]] = {}
        for r1, c1, r2, c2 in data_merges:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        self.fill[(r, c)] = (r1, c1)
        self.anchor_cells = {(r1, c1) for r1, c1, _r2, _c2 in data_merges}
        self.anchors: dict[tuple[int, int], tuple[object, bool]] = {}

    def apply(self, number: int, cells: RawRow) -> RawRow:
        if not (self.fill or self.anchor_cells):
            return cells
        cells = list(cells)
        for idx in range(len(cells)):
            if (number, idx + 1) in self.anchor_cells:
                self.anchors[(number, idx + 1)] = cells[idx]
        for (r, c), anchor in self.fill.items():
            if r == number and anchor in self.anchors:
                while len(cells) < c:
                    cells.append((None, False))
                cells[c - 1] = self.anchors[anchor]
        return cells


class _RowCollector:
    """Data rows after the header: merged cells filled, each row read, duplicates of an identity reported."""

    def __init__(self, header: Header, sheet_merges, progress):
        self.header = header
        self.merged = _MergeFill(sheet_merges, header.last_row)
        self.progress = progress
        self.problems: list[Problem] = []
        self.rows: list[Row] = []
        self.seen: dict[str, int] = {}

    def add(self, number: int, cells: RawRow) -> None:
        if number <= self.header.last_row:
            return
        cells = self.merged.apply(number, cells)
        data = row_data(cells, self.header.columns, number, self.problems)
        if data is None:
            return
        if len(self.rows) >= MAX_ROWS:
            raise FileRefused(
                _("This file has more than %(n)s learners. Split it into smaller files and upload each.")
                % {"n": f"{MAX_ROWS:,}"},
                "limit",
            )
        self._check_duplicate(number, data.get("national_id") or data.get("g_code"))
        self.rows.append(Row(number, data))
        if self.progress and len(self.rows) % 1000 == 0:
            self.progress(len(self.rows))

    def _check_duplicate(self, number: int, identity: str | None) -> None:
        if not identity:
            return
        if identity not in self.seen:
            self.seen[identity] = number
            return
        col = self.header.columns["identity"]
        message = _("The same ID is also on row %(row)s. Each learner may appear once.") % {
            "row": self.seen[identity]
        }
        self.problems.append(Problem(number, col.header, message, "duplicate", col.index))


def _read_rows(fmt, sheet, rows: Iterator[tuple[int, RawRow]], sheet_merges, progress, header=None) -> Table:
    top: list[tuple[int, RawRow]] = []
    if header is None:
        for item in rows:
            top.append(item)
            if len(top) >= HEADER_SEARCH_ROWS:
                break
        header = find_header(top, sheet_merges)
        if header.missing:
            _refuse_missing(header)
    collector = _RowCollector(header, sheet_merges, progress)
    for number, cells in top:
        collector.add(number, cells)
    for number, cells in rows:
        collector.add(number, cells)
    return Table(fmt, sheet, header.row, header.columns, header.ignored, collector.rows, collector.problems)
