"""Reading one learner cell: identity, dates, numbers, listed choices, class level, gender, prefix, and one data
row into a LearnerIn-shaped dict. A value that cannot be read raises CellValueError (one problem for its cell)."""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext as _

from lec.lib import levels
from lec.lib.spreadsheets import CellValueError, RawRow, header_key, is_blank, plain
from lec.lib.thai import DateParseError, clean_text, normalise_digits, parse_date

from .. import models
from ..identity import normalise
from .headers import REQUIRED, Column
from .problems import Problem

_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e[+-]?\d+$", re.IGNORECASE)
_PREFIX_ABBREVIATIONS = {"ด.ช.": "เด็กชาย", "ดช.": "เด็กชาย", "ด.ญ.": "เด็กหญิง", "ดญ.": "เด็กหญิง",
                         "น.ส.": "นางสาว", "นส.": "นางสาว", "ส.ณ.": "สามเณร"}  # fmt: skip
_GENDERS = {"ชาย": "male", "ช": "male", "male": "male", "m": "male", "หญิง": "female", "ญ": "female",
            "female": "female", "f": "female"}  # fmt: skip
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def read_identity(value) -> tuple[str, str]:
    """('national_id' | 'g_code', normalised value); never pads or guesses a number that lost digits."""
    if isinstance(value, bool):
        raise CellValueError(_("Enter the 13-digit national ID or the G-Code."), "identity")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            raise CellValueError(
                _(
                    "Excel stored this ID as a rounded number. Format the column as text and type the ID again."
                ),
                "identity",
            )
        number = int(value)
        if not 10**12 <= number < 10**13:
            raise CellValueError(
                _("This ID was stored as a number and has lost digits (%(digits)s digits instead of 13). "
                  "Format the column as text and type the ID again.") % {"digits": len(str(abs(number)))},
                "identity",
            )  # fmt: skip
        return "national_id", str(number)
    raw = normalise_digits(clean_text(value)).replace(" ", "")
    if _SCIENTIFIC.match(raw):
        raise CellValueError(
            _("This ID is in scientific notation (%(value)s), so digits were lost. Format the column as text "
              "and type the ID again.") % {"value": raw},
            "identity",
        )  # fmt: skip
    text = normalise(raw)
    if not text:
        raise CellValueError(_("Enter the 13-digit national ID or the G-Code."), "identity")
    return ("g_code" if text.startswith("G") else "national_id"), text


def _date_cell(value: dt.date) -> dt.date:
    """A real date cell. A year past 2400 is a Buddhist Era year: LibreOffice and Excel in the Thai locale turn a
    typed 15/03/2562 into a date cell in the Gregorian year 2562."""
    if value.year <= 2400:
        return value
    try:
        return value.replace(year=value.year - 543)
    except ValueError:  # 29 February of a year that is leap in the Gregorian count but not once converted
        raise CellValueError(
            _("Enter a date as dd/mm/yyyy in the Buddhist Era, for example 15/05/2562."), "date"
        )


def read_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return _date_cell(value.date())
    if isinstance(value, dt.date):
        return _date_cell(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 73_051:  # Excel serial numbers up to 31/12/2099
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellValueError(
            _("Enter a date as dd/mm/yyyy in the Buddhist Era, for example 15/05/2562."), "date"
        )
    text = normalise_digits(clean_text(value))
    if re.fullmatch(r"\d{5}", text):
        return _EXCEL_EPOCH + dt.timedelta(days=int(text))
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise CellValueError(str(exc), "date")


def read_decimal(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(Decimal(str(value)).normalize()) if isinstance(value, float) else str(value)
    text = normalise_digits(plain(value)).replace(",", "")
    if not text:
        return ""
    try:
        Decimal(text)
    except InvalidOperation:
        raise CellValueError(_("Enter a number, for example 25.5."))
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
        source = {"disadvantage": models.DISADVANTAGES, "disability": models.DISABILITIES,
                  "shortages": models.SHORTAGES}[field]  # fmt: skip
        table = _choice_lookup(source)
        table.update({header_key(k): v for k, v in _CHOICE_ALIASES[field].items()})
        _CHOICES_CACHE[field] = table
    return _CHOICES_CACHE[field]


def read_choice(field: str, value) -> str:
    text = plain(value)
    if not text:
        return ""
    code = choices_for(field).get(header_key(text))
    if code is None:
        raise CellValueError(_("“%(value)s” is not one of the listed values.") % {"value": text})
    return code


def read_shortages(value) -> list[str]:
    text = plain(value)
    out = []
    for part in re.split(r"[,、;/]", text):
        if not clean_text(part):
            continue
        code = choices_for("shortages").get(header_key(part))
        if code is None:
            raise CellValueError(
                _("“%(value)s” is not one of the listed values.") % {"value": clean_text(part)}
            )
        if code not in out:
            out.append(code)
    return out


def read_level(value) -> str:
    text = plain(value)
    code = levels.parse_level(text)
    if code is None:
        if not text:
            raise CellValueError(_("Enter the class level, for example ป.1 or อนุบาล 2."), "class_level")
        raise CellValueError(
            _("“%(value)s” is not a class level. Write it as ป.1, ประถมศึกษาปีที่ 1 or อนุบาล 2.")
            % {"value": text},
            "class_level",
        )
    return code


def read_gender(value) -> str:
    text = plain(value)
    if not text:
        return ""
    gender = _GENDERS.get(header_key(text))
    if gender is None:
        raise CellValueError(_("Write the gender as ชาย or หญิง."))
    return gender


def read_prefix(value) -> str:
    text = plain(value)
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


_NULL_WHEN_EMPTY = ("disadvantage", "disability", "weight_kg", "height_cm")
_OMIT_WHEN_EMPTY = ("gender", "enrolled_on")


def read_cell(field: str, value):
    """One cell of a (non-identity) column as the value its field takes; raises CellValueError."""
    if field in REQUIRED and is_blank(value):
        raise CellValueError(_("This column must not be empty."), "missing")
    if is_blank(value):
        return [] if field == "shortages" else ""
    return _READERS.get(field, plain)(value)


def _put(data: dict, field: str, parsed) -> None:
    """Store a parsed cell; empty optional cells become the field's empty value or are left out."""
    if parsed in ("", None) and field not in REQUIRED:
        parsed = None if field in _NULL_WHEN_EMPTY else ""
        if "." in field or field in _OMIT_WHEN_EMPTY:
            return
    if "." in field:
        group, sub = field.split(".", 1)
        data.setdefault(group, {})[sub] = parsed
    else:
        data[field] = parsed


def _read_into(data: dict, field: str, value) -> None:
    if field != "identity":
        _put(data, field, read_cell(field, value))
        return
    if is_blank(value):
        raise CellValueError(_("Enter the 13-digit national ID or the G-Code."), "identity")
    kind, text = read_identity(value)
    data[kind] = text


def row_data(
    cells: RawRow, table_columns: dict[str, Column], number: int, problems: list[Problem]
) -> dict | None:
    """One data row → LearnerIn-shaped dict (only the columns present), or None when the row is blank. A cell
    that cannot be read adds a Problem to `problems` and is left out."""
    if all(is_blank(v) for v, _f in cells):
        return None
    data: dict = {}
    for field, col in table_columns.items():
        if field == "seq":
            continue
        value, formula = cells[col.index] if col.index < len(cells) else (None, False)
        if formula:
            message = _("This cell holds a formula. Type the value itself.")
            problems.append(Problem(number, col.header, message, "formula", col.index))
            continue
        try:
            _read_into(data, field, value)
        except CellValueError as exc:
            problems.append(Problem(number, col.header, exc.message, exc.kind, col.index))
    return data
