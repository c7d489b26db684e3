"""Class levels (domain.md "Class levels"): codes, the labels users write, DMC numbers, typical ages, who teaches them."""

import dataclasses
import re

from lec.lib.thai import clean_text


@dataclasses.dataclass(frozen=True)
class Level:
    code: str
    full: str
    short: str
    dmc: str
    typical_age: int
    taught_by: str  # "school" or "cdc"
    group: str  # report group
    order: int
    aliases: tuple[str, ...] = ()


def _levels() -> list[Level]:
    rows: list[Level] = [Level("prek", "เตรียมอนุบาล", "เตรียมอนุบาล", "", 2, "school", "pre_primary", 0)]
    for i in (1, 2, 3):
        rows.append(Level(f"k{i}", f"อนุบาล {i}", f"อ.{i}", f"{i:02d}", 2 + i, "school", "pre_primary", len(rows),
                          (f"อนุบาลปีที่ {i}",)))  # fmt: skip
    for i in range(1, 7):
        rows.append(
            Level(
                f"p{i}", f"ประถมศึกษาปีที่ {i}", f"ป.{i}", f"{3 + i:02d}", 5 + i, "school", "primary", len(rows)
            )
        )
    for i in range(1, 7):
        group = "lower_secondary" if i <= 3 else "upper_secondary"
        rows.append(
            Level(f"m{i}", f"มัธยมศึกษาปีที่ {i}", f"ม.{i}", f"{9 + i:02d}", 11 + i, "school", group, len(rows))
        )
    for i in (1, 2, 3):
        rows.append(Level(f"voc{i}", f"ประกาศนียบัตรวิชาชีพ ปีที่ {i}", f"ปวช.{i}", f"{15 + i:02d}", 14 + i, "school",
                          "vocational", len(rows)))  # fmt: skip
    for age in (2, 3, 4, 5):
        rows.append(Level(f"cdc{age}", f"เด็กเล็ก {age} ขวบ", f"เด็กเล็ก {age} ขวบ", "", age, "cdc", "cdc", len(rows),
                          (f"เด็กเล็ก อายุ {age} ปี", f"เด็กเล็กอายุ {age} ปี")))  # fmt: skip
    return rows


LEVELS: tuple[Level, ...] = tuple(_levels())
BY_CODE: dict[str, Level] = {lvl.code: lvl for lvl in LEVELS}
CODES: tuple[str, ...] = tuple(lvl.code for lvl in LEVELS)
SCHOOL_CODES: tuple[str, ...] = tuple(lvl.code for lvl in LEVELS if lvl.taught_by == "school")
CDC_CODES: tuple[str, ...] = tuple(lvl.code for lvl in LEVELS if lvl.taught_by == "cdc")
CHOICES = [(lvl.code, lvl.short) for lvl in LEVELS]
ORDER = {lvl.code: lvl.order for lvl in LEVELS}
GROUPS = ("pre_primary", "primary", "lower_secondary", "upper_secondary", "vocational", "cdc")

_SPACE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACE.sub("", clean_text(text)).lower()


_LOOKUP: dict[str, str] = {}
for _lvl in LEVELS:
    for _label in (_lvl.code, _lvl.full, _lvl.short, *_lvl.aliases):
        _LOOKUP[_key(_label)] = _lvl.code


def parse_level(text) -> str | None:
    """A level code from what users write ('ป.1', 'ประถมศึกษาปีที่ 1', 'p1', 'เด็กเล็ก 2 ขวบ'), or None."""
    if text is None:
        return None
    return _LOOKUP.get(_key(str(text)))


def taught_by(kind: str) -> tuple[str, ...]:
    """The level codes an organisation kind teaches (other-affiliation schools use the school levels)."""
    return CDC_CODES if kind == "cdc" else SCHOOL_CODES


def age_fits(level_code: str, age: int, kind: str) -> bool:
    """typical − 1 ≤ age ≤ typical + 10 (in a CDC, typical + 1)."""
    typical = BY_CODE[level_code].typical_age
    upper = typical + (1 if kind == "cdc" else 10)
    return typical - 1 <= age <= upper
