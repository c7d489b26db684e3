"""Reading and checking a rates file (api.md `load_budget_rates`): the one reader for the command, the department's
upload page and the what-if preview, so all three refuse the same lines with the same `line N: reason`."""

import csv
import dataclasses
import io
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from lec.lib import levels

from .models import AppliesTo, Item, RateLike, Unit, level_key

COLUMNS = ("fiscal_year", "item", "applies_to", "levels", "size_min", "size_max", "rate", "unit", "days")
MAX_BYTES = 1024 * 1024
YEAR_RANGE = (2500, 2700)


@dataclasses.dataclass(frozen=True)
class RateRow(RateLike):
    """One checked line of a rates file."""

    line: int
    fiscal_year: int
    item: str
    applies_to: str
    levels: str
    size_min: int | None
    size_max: int | None
    rate: Decimal
    unit: str
    days: int | None

    @property
    def pk(self):
        return None

    def values(self) -> dict:
        return {f: getattr(self, f) for f in ("size_max", "rate", "unit", "days")}


class RatesError(Exception):
    """The file cannot be loaded: `problems` are (line, reason) pairs, line 0 for the file as a whole."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = sorted(problems, key=lambda p: p[0])
        super().__init__("; ".join(f"line {n}: {m}" for n, m in self.problems))

    def lines(self) -> list[str]:
        """As the command prints them: `line N: reason`."""
        return [f"line {n}: {m}" for n, m in self.problems]


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RatesError([(0, _("The file is larger than 1 MB."))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RatesError([(0, _("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."))])


def read_rates(text: str) -> list[RateRow]:
    """Every row of the file checked on its own and against the others; RatesError lists every bad line."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RatesError([(1, _("missing columns: %(cols)s") % {"cols": ", ".join(missing)})])
    reader.fieldnames = header
    rows, problems, seen = [], [], {}
    for raw in reader:
        line = reader.line_num
        try:
            row = _row(line, {k: (raw.get(k) or "").strip() for k in COLUMNS})
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        key = (row.fiscal_year, *row.key)
        if key in seen:
            problems.append((line, _("the same fiscal year, item, applies_to, levels and size_min as line %(n)s")
                             % {"n": seen[key]}))  # fmt: skip
            continue
        seen[key] = line
        rows.append(row)
    if not rows and not problems:
        problems.append((2, _("the file holds no rates")))
    if problems:
        raise RatesError(problems)
    return rows


def _row(line: int, v: dict) -> RateRow:
    year = _int(v["fiscal_year"], "fiscal_year")
    if year is None or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise ValueError(_("fiscal_year must be a Buddhist Era year such as 2570"))
    if v["item"] not in Item.values:
        raise ValueError(_("item must be lunch, milk or per_head"))
    if v["applies_to"] not in AppliesTo.values:
        raise ValueError(_("applies_to must be school, cdc or other_school"))
    codes = _levels(v["levels"], v["applies_to"])
    size_min, size_max = _int(v["size_min"], "size_min"), _int(v["size_max"], "size_max")
    if size_min is not None and size_max is not None and size_min > size_max:
        raise ValueError(_("size_min is larger than size_max"))
    rate = _rate(v["rate"])
    if v["unit"] not in Unit.values:
        raise ValueError(_("unit must be per_day or per_year"))
    days = _int(v["days"], "days")
    if v["unit"] == Unit.PER_DAY and (days is None or not 1 <= days <= 366):
        raise ValueError(_("a per_day rate needs days between 1 and 366"))
    if v["unit"] == Unit.PER_YEAR and days is not None:
        raise ValueError(_("leave days blank for a per_year rate"))
    return RateRow(line, year, v["item"], v["applies_to"], level_key(codes), size_min, size_max, rate, v["unit"],
                   days)  # fmt: skip


def _int(text: str, name: str) -> int | None:
    if text == "":
        return None
    if not text.isdigit():
        raise ValueError(_("%(name)s must be a whole number of 0 or more, or blank") % {"name": name})
    return int(text)


def _rate(text: str) -> Decimal:
    try:
        rate = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("rate must be a number of baht such as 36 or 6.89"))
    if not rate.is_finite() or rate < 0 or rate >= Decimal("100000000"):
        raise ValueError(_("rate must be a number of baht such as 36 or 6.89"))
    if rate.as_tuple().exponent < -4:
        raise ValueError(_("rate may have at most 4 decimal places"))
    return rate


def _levels(text: str, applies_to: str) -> list[str]:
    codes = [c.strip() for c in text.split("|")]
    if not text or any(not c for c in codes):
        raise ValueError(_("levels must be class-level codes separated by |, such as k1|k2|k3"))
    unknown = [c for c in codes if c not in levels.BY_CODE]
    if unknown:
        raise ValueError(_("unknown class level: %(code)s") % {"code": ", ".join(unknown)})
    if len(set(codes)) != len(codes):
        raise ValueError(_("a class level appears twice in levels"))
    taught = levels.taught_by("cdc" if applies_to == AppliesTo.CDC else "school")
    wrong = [c for c in codes if c not in taught]
    if wrong:
        raise ValueError(
            _("%(codes)s is not taught by %(kind)s") % {"codes": ", ".join(wrong), "kind": applies_to}
        )
    return codes


def merge(stored: list, rows: list[RateRow]) -> list:
    """The rates of the years the file touches once it is loaded: stored rates with the file's rows upserted."""
    by_key = {(r.fiscal_year, *r.key): r for r in stored if r.fiscal_year in {x.fiscal_year for x in rows}}
    for row in rows:
        by_key[(row.fiscal_year, *row.key)] = row
    return list(by_key.values())


def overlap_problems(merged: list) -> list[tuple[int, str]]:
    """Each file row whose levels and pupil band meet another rate of the same year, item and kind."""
    problems = []
    for i, a in enumerate(merged):
        for b in merged[i + 1 :]:
            if not a.overlaps(b):
                continue
            mine, other = (a, b) if isinstance(a, RateRow) else (b, a)
            if not isinstance(mine, RateRow):
                continue
            if isinstance(other, RateRow):
                text = _("its levels and pupil band overlap line %(n)s") % {"n": other.line}
            else:
                text = _(
                    "its levels and pupil band overlap the stored rate for %(levels)s, pupils %(band)s"
                ) % {
                    "levels": other.levels,
                    "band": other.band_text,
                }
            problems.append((max(a.line, b.line) if isinstance(other, RateRow) else mine.line, text))
    return problems
