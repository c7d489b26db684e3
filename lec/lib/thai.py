"""Thai text helpers: Buddhist Era dates, Thai digits, month names. No Django models here."""

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

BE_OFFSET = 543
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
MONTHS_SHORT = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
]
MONTHS_LONG = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]  # fmt: skip
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def normalise_digits(text: str) -> str:
    """Thai digits to Arabic ones."""
    return text.translate(THAI_DIGITS)


def clean_text(value) -> str:
    """Trim, fold non-breaking and zero-width spaces; None becomes ''."""
    if value is None:
        return ""
    text = INVISIBLE.sub("", str(value)).replace("\xa0", " ")
    return " ".join(text.split())


def be_year(year: int) -> int:
    return year + BE_OFFSET


def current_be_year() -> int:
    return be_year(timezone.localdate().year)


def _thai() -> bool:
    return (get_language() or "th").startswith("th")


def format_date(value: dt.date | None, long: bool = False) -> str:
    """'10 มิ.ย. 2569' (tables) or '10 มิถุนายน 2569' (sentences); English: '10 Jun 2026'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not _thai():
        return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"
    months = MONTHS_LONG if long else MONTHS_SHORT
    return f"{value.day} {months[value.month - 1]} {be_year(value.year)}"


def format_datetime(value: dt.datetime | None, long: bool = False) -> str:
    """'10 มิ.ย. 2569 14:05 น.' in Bangkok time."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if not _thai():
        return f"{format_date(local.date(), long)} {local:%H:%M}"
    return f"{format_date(local.date(), long)} {local:%H:%M} น."


def format_date_input(value: dt.date | None) -> str:
    """dd/mm/yyyy in the Buddhist Era, as date inputs and exports carry it."""
    if value is None:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{be_year(value.year)}"


class DateParseError(ValueError):
    pass


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d+)$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(text) -> dt.date:
    """dd/mm/yyyy (year ≥ 2400 is the Buddhist Era, 1900–2100 Gregorian, two digits refused) or yyyy-mm-dd."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    raw = normalise_digits(clean_text(text)).replace(" ", "")
    if not raw:
        raise DateParseError(_("Enter a date as dd/mm/yyyy in the Buddhist Era, for example 15/05/2562."))
    iso = _ISO.match(raw)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        m = _DMY.match(raw)
        if not m:
            raise DateParseError(_("Enter a date as dd/mm/yyyy in the Buddhist Era, for example 15/05/2562."))
        day, month = int(m.group(1)), int(m.group(2))
        if len(m.group(3)) != 4:
            raise DateParseError(_("Write the year with four digits, for example 2562."))
        year = int(m.group(3))
    if year >= 2400:
        year -= BE_OFFSET
    elif not 1900 <= year <= 2100:
        raise DateParseError(_("The year %(year)s is not a valid year.") % {"year": year})
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateParseError(_("This date does not exist. Check the day and the month."))


def age_on(birth: dt.date, on: dt.date) -> int:
    """Age in completed years."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
