"""Learner identities (domain.md "Identity"): normalising, validating and masking national IDs and G-Codes."""

import csv
import functools
import re
from pathlib import Path

from django.utils.translation import gettext as _

from lec.lib.thai import clean_text, current_be_year, normalise_digits

PROVINCES_CSV = Path(__file__).resolve().parent.parent / "schools" / "data" / "provinces.csv"
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212._/]")
NATIONAL_ID_RE = re.compile(r"^\d{13}$")
G_CODE_RE = re.compile(r"^G\d{12}$")
G_CODE_FIRST_YEAR = 61  # G-Codes were first issued in B.E. 2561


@functools.cache
def province_codes() -> frozenset[str]:
    with PROVINCES_CSV.open(encoding="utf-8-sig", newline="") as fh:
        return frozenset(row["code"].strip() for row in csv.DictReader(fh) if row.get("code"))


def normalise(raw) -> str:
    """Strip dashes, spaces, NBSP and zero-width characters; Thai digits become Arabic; 'g' becomes 'G'."""
    text = normalise_digits(clean_text(raw))
    return _SEPARATORS.sub("", text).upper()


def is_g_code_like(value: str) -> bool:
    return value.startswith("G")


def check_digit(first12: str) -> int:
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def national_id_error(value: str) -> str | None:
    """A message saying what to do, or None when `value` (already normalised) is a valid national ID."""
    if not value:
        return _("Enter the 13-digit national ID.")
    if not NATIONAL_ID_RE.match(value):
        return _("Enter the national ID as 13 digits (dashes and spaces are allowed).")
    if value[0] == "9":
        return _("A national ID cannot start with 9. Check the first digit.")
    if check_digit(value[:12]) != int(value[12]):
        return _("This national ID is not valid (its check digit does not match). Check each digit.")
    return None


def g_code_error(value: str) -> str | None:
    """A message, or None when `value` (already normalised) is a plausible G-Code."""
    if not value:
        return _("Enter the G-Code.")
    if not G_CODE_RE.match(value):
        return _("Enter the G-Code as G followed by 12 digits, for example G644200000001.")
    year = int(value[1:3])
    if not G_CODE_FIRST_YEAR <= year <= current_be_year() % 100:
        return _("The year in this G-Code (digits 2–3) must be between %(first)s and %(last)s.") % {
            "first": G_CODE_FIRST_YEAR,
            "last": current_be_year() % 100,
        }
    if value[3:5] not in province_codes():
        return _("The province code in this G-Code (digits 4–5) is not a Thai province code.")
    return None


def mask(value: str | None) -> str | None:
    """1-2345-xxxxx-xx-1 for a national ID, G64xxxxxxxx01 for a G-Code."""
    if not value:
        return value
    if value.startswith("G"):
        return value[:3] + "x" * 8 + value[-2:]
    if len(value) == 13:
        return f"{value[0]}-{value[1:5]}-xxxxx-xx-{value[12]}"
    return "x" * len(value)


def format_national_id(value: str | None) -> str:
    """1-2345-67890-12-1, as printed on the ID card."""
    if not value or len(value) != 13 or not value.isdigit():
        return value or ""
    return f"{value[0]}-{value[1:5]}-{value[5:10]}-{value[10:12]}-{value[12]}"


def make_national_id(first12: str) -> str:
    """Complete twelve digits with their check digit (tests and synthetic data only)."""
    return first12 + str(check_digit(first12))
