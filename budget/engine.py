"""The arithmetic of an estimate: pupils × rate (× days), exact in Decimal, rounded once when shown.

A group is (applies_to, class level, institution size, pupils): the confirmed pupils of one class level in
institutions of one kind whose confirmed pupil count (all their levels, both genders) is `size`. Each group is
priced once per item whose rates cover its level: by the rate whose pupil band holds `size`. Pupils of a level no
rate of any item covers, or whose size falls in no band of an item that covers the level, are kept as uncovered.
"""

import dataclasses
import hashlib
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from lec.lib import levels

from .models import Item

CENT = Decimal("0.01")
ZERO = Decimal(0)
KIND_TO_APPLIES = {"school": "school", "cdc": "cdc", "other_school": "other_school"}


def money(amount: Decimal) -> Decimal:
    """The one rounding: to the satang, half up (README "Budget estimates")."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(amount: Decimal) -> str:
    return str(money(amount))


class RateBook:
    """A year's rates indexed by (applies_to, level) → {item: [rates]}; `digest` names the exact set."""

    def __init__(self, fiscal_year: int, rates: list):
        self.fiscal_year = fiscal_year
        self.rates = sorted(rates, key=lambda r: (r.item, r.applies_to, r.levels, r.size_min or 0))
        self.index: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.by_key = {}
        for rate in self.rates:
            self.by_key[rate.key] = rate
            for code in rate.level_codes:
                self.index[(rate.applies_to, code)][rate.item].append(rate)
        text = "\n".join(f"{r.key}|{r.size_max}|{r.rate.normalize()}|{r.unit}|{r.days}" for r in self.rates)
        self.digest = hashlib.sha256(f"{fiscal_year}\n{text}".encode()).hexdigest()[:16]
        self._memo: dict = {}
        self.factors = {key: rate.factor for key, rate in self.by_key.items()}
        # Sizes between two consecutive breakpoints fall in the same bands of every rate, so they price alike.
        self.breakpoints = sorted(
            {r.size_min for r in self.rates if r.size_min is not None}
            | {r.size_max + 1 for r in self.rates if r.size_max is not None}
        )

    def __bool__(self) -> bool:
        return bool(self.rates)

    def price(self, applies_to: str, level: str, size: int) -> list:
        """[(item, rate or None)] for a group: None where the item covers the level but no band holds `size`;
        [] where no item covers the level at all. Remembered per (kind, level, size): a national estimate prices
        160,000 groups but only a few thousand distinct ones."""
        key = (applies_to, level, size)
        found = self._memo.get(key)
        if found is None:
            found = [
                (item, next((r for r in rates if r.covers_size(size)), None))
                for item, rates in self.index.get((applies_to, level), {}).items()
            ]
            self._memo[key] = found
        return found


@dataclasses.dataclass
class Estimate:
    """Exact sums; `lines` (item, applies_to, level, rate key) → [pupils, amount] say how every baht came about."""

    lines: dict = dataclasses.field(default_factory=lambda: defaultdict(lambda: [0, ZERO]))
    uncovered: dict = dataclasses.field(default_factory=lambda: defaultdict(int))
    pupils: dict = dataclasses.field(default_factory=lambda: defaultdict(int))

    def add_group(self, book: RateBook, applies_to: str, level: str, size: int, pupils: int) -> list:
        """Count one group's pupils on the lines of the rates that price it (amounts come in `finish`); returns
        [(item, rate or None)] for callers that also count per organisation."""
        self.pupils[level] += pupils
        priced = book.price(applies_to, level, size)
        if not priced:
            self.uncovered[(applies_to, level, "")] += pupils
        for item, rate in priced:
            if rate is None:
                self.uncovered[(applies_to, level, item)] += pupils
            else:
                self.lines[(item, applies_to, level, rate.key)][0] += pupils
        return priced

    def finish(self, book: RateBook) -> "Estimate":
        """Each line's exact amount: its pupils × the rate's yearly factor (one multiplication per line)."""
        for (_i, _a, _l, key), line in self.lines.items():
            line[1] = book.factors[key] * line[0]
        return self

    def merge(self, other: "Estimate") -> "Estimate":
        for key, (pupils, amount) in other.lines.items():
            self.lines[key][0] += pupils
            self.lines[key][1] += amount
        for key, n in other.uncovered.items():
            self.uncovered[key] += n
        for key, n in other.pupils.items():
            self.pupils[key] += n
        return self

    def plain(self) -> "Estimate":
        """A copy without defaultdict factories (lambdas do not pickle into the cache)."""
        return Estimate(dict(self.lines), dict(self.uncovered), dict(self.pupils))

    def thawed(self) -> "Estimate":
        est = Estimate()
        return est.merge(self)

    @property
    def total(self) -> Decimal:
        return sum((amount for _p, amount in self.lines.values()), ZERO)

    def by_item(self) -> dict[str, list]:
        """{item: [pupils, amount]} for every item, in Item order (zero where nothing is priced)."""
        out = {item: [0, ZERO] for item in Item.values}
        for (item, _a, _l, _k), (pupils, amount) in self.lines.items():
            out[item][0] += pupils
            out[item][1] += amount
        return out

    def by_level(self) -> dict[str, list]:
        """{level: [confirmed pupils, amount]} for each level with pupils, in domain.md order."""
        out = {lvl: [n, ZERO] for lvl, n in self.pupils.items() if n}
        for (_i, _a, level, _k), (_p, amount) in self.lines.items():
            out.setdefault(level, [0, ZERO])[1] += amount
        return dict(sorted(out.items(), key=lambda kv: levels.ORDER.get(kv[0], 99)))

    def uncovered_rows(self) -> list[dict]:
        return [
            {"applies_to": a, "class_level": lvl, "item": item or None, "pupils": n}
            for (a, lvl, item), n in sorted(self.uncovered.items(), key=lambda kv: (kv[0][0], levels.ORDER.get(kv[0][1], 99), kv[0][2]))
            if n
        ]  # fmt: skip
