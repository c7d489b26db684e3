"""learner_clean: one learner's input (api.md LearnerIn) validated and normalised by a table of small field
cleaners, then one cross-field check (gender and prefix, age and class level, enrolment and birth). No writes."""

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib import levels, wording
from lec.lib.thai import DateParseError, age_on, clean_text, format_date, parse_date
from schools.models import Kind, Round

from .. import identity
from ..models import (
    ADDRESS_KEYS,
    DISABILITIES,
    DISADVANTAGES,
    PERSON_KEYS,
    PREFIX_GENDER,
    PREFIXES,
    SHORTAGES,
    Gender,
    Learner,
)

# The record fields learner_clean returns and the services write (api.md LearnerIn, minus `version`).
FIELDS = (
    "national_id", "g_code", "prefix", "first_name", "last_name", "gender", "birth_date", "class_level",
    "student_number", "room", "enrolled_on", "nationality", "race", "religion", "disadvantage", "disability",
    "shortages", "weight_kg", "height_cm", "family_status", "father", "mother", "guardian",
    "registered_address", "current_address",
)  # fmt: skip
_TEXT_LIMITS = {
    "student_number": 20, "room": 20, "nationality": 64, "race": 64, "religion": 64, "family_status": 100,
}  # fmt: skip
NESTED_TEXT_LIMIT = 200  # each text of father, mother, guardian and the addresses
MAX_INCOME = 10_000_000  # baht a month: more is a typing mistake (or 1e308)
DEFAULTS = {
    "student_number": "", "room": "", "nationality": "", "race": "", "religion": "", "family_status": "",
    "disadvantage": None, "disability": None, "shortages": [], "weight_kg": None, "height_cm": None,
    "father": None, "mother": None, "guardian": None, "registered_address": None, "current_address": None,
}  # fmt: skip


def age_reference_date() -> dt.date:
    """The open round's census date, else today (domain.md "Class levels")."""
    census = Round.objects.filter(state=Round.State.OPEN).values_list("census_date", flat=True).first()
    return census or timezone.localdate()


def _date(value, field, errors, required=False):
    if value in (None, ""):
        if required:
            errors.setdefault(field, []).append(_("Enter the date as dd/mm/yyyy in the Buddhist Era."))
        return None
    try:
        return parse_date(value)
    except DateParseError as exc:
        errors.setdefault(field, []).append(str(exc))
        return None


def _decimal(value, field, errors, upper):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter a number, for example 25.5."))
        return None
    if not number.is_finite() or number <= 0 or number > upper:
        errors.setdefault(field, []).append(_("Enter a number above 0 and at most %(max)s.") % {"max": upper})
        return None
    return number.quantize(Decimal("0.1"))


def _json_part(value, field, keys, errors):
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict):
        errors.setdefault(field, []).append(_("Enter the details as an object."))
        return None
    cleaned = {}
    for key in keys:
        raw = value.get(key)
        if key == "income":
            if raw in (None, ""):
                cleaned[key] = None
                continue
            try:
                income = Decimal(str(raw).replace(",", ""))
            except (InvalidOperation, ValueError):
                errors.setdefault(f"{field}.{key}", []).append(_("Enter the income as a number of baht."))
                continue
            if not income.is_finite() or income < 0:
                errors.setdefault(f"{field}.{key}", []).append(_("Enter the income as a number of baht."))
                continue
            if income > MAX_INCOME:
                errors.setdefault(f"{field}.{key}", []).append(
                    _("A monthly income is at most %(n)s baht.") % {"n": f"{MAX_INCOME:,}"}
                )
                continue
            cleaned[key] = int(income) if income == int(income) else float(income)
        else:
            text = clean_text(raw)
            if len(text) > NESTED_TEXT_LIMIT:  # refused like a top-level field, never cut silently
                errors.setdefault(f"{field}.{key}", []).append(
                    _("Shorten this to at most %(n)s characters.") % {"n": NESTED_TEXT_LIMIT}
                )
                continue
            cleaned[key] = text
    if all(v in (None, "") for v in cleaned.values()):
        return None
    return cleaned


def _identity(data, errors) -> tuple[str | None, str | None]:
    raw_nid = data.get("national_id")
    raw_g = data.get("g_code")
    nid = identity.normalise(raw_nid) if raw_nid not in (None, "") else ""
    g = identity.normalise(raw_g) if raw_g not in (None, "") else ""
    # LEC's own report writes a G-Code in the national ID column.
    if nid.startswith("G") and not g:
        nid, g = "", nid
    if nid and g:
        errors.setdefault("national_id", []).append(_("Give either the national ID or the G-Code, not both."))
        return None, None
    if not nid and not g:
        errors.setdefault("national_id", []).append(
            _("Enter the 13-digit national ID, or the G-Code for a learner without one.")
        )
        return None, None
    if nid:
        message = identity.national_id_error(nid)
        if message:
            errors.setdefault("national_id", []).append(message)
            return None, None
        return nid, None
    message = identity.g_code_error(g)
    if message:
        errors.setdefault("g_code", []).append(message)
        return None, None
    return None, g


# ---------------------------------------------------------------------------------------------------------
# The field cleaners: each reads data[field], adds its messages to errors[field] and its value to cleaned
# (or to parsed, when the cross-field check decides).


@dataclasses.dataclass
class _Input:
    organisation: object
    data: dict
    on: dt.date | None
    today: dt.date = dataclasses.field(default_factory=timezone.localdate)
    cleaned: dict = dataclasses.field(default_factory=dict)
    parsed: dict = dataclasses.field(default_factory=dict)
    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def error(self, field: str, message) -> None:
        self.errors.setdefault(field, []).append(message)


def _clean_identity(c: _Input, field: str) -> None:
    c.cleaned["national_id"], c.cleaned["g_code"] = _identity(c.data, c.errors)


def _clean_prefix(c: _Input, field: str) -> None:
    prefix = clean_text(c.data.get(field)).replace(" ", "")
    c.parsed[field] = prefix
    if not prefix:
        c.error(field, _("Choose the prefix (for example เด็กชาย or เด็กหญิง)."))
    elif prefix not in PREFIX_GENDER:
        c.error(field, _("Choose one of these prefixes: %(list)s.") % {"list": ", ".join(PREFIXES)})
    elif c.organisation.kind == Kind.CDC and prefix not in wording.CDC_PREFIXES:
        c.error(field, _("A child at a CDC is aged 2–5: choose เด็กชาย or เด็กหญิง."))
    else:
        c.cleaned[field] = prefix


def _clean_name(c: _Input, field: str) -> None:
    value = clean_text(c.data.get(field))
    if not value:
        c.error(field, _("Enter the first name.") if field == "first_name" else _("Enter the last name."))
    elif len(value) > 100:
        c.error(field, _("Shorten this to at most 100 characters."))
    else:
        c.cleaned[field] = value


def _clean_gender(c: _Input, field: str) -> None:
    gender = clean_text(c.data.get(field)).lower()
    if not gender:
        return
    if gender not in Gender.values:
        c.error(field, _("Choose male or female."))
    else:
        c.parsed[field] = gender


def _clean_level(c: _Input, field: str) -> None:
    raw = c.data.get(field)
    if raw in (None, ""):
        c.error(field, _("Choose the class level."))
        return
    level = levels.parse_level(raw)
    if level is None:
        c.error(field, _("Choose a class level from the list (for example ป.1 or อ.2)."))
    elif level not in levels.taught_by(c.organisation.kind):
        if c.organisation.kind == Kind.CDC:
            c.error(
                field,
                _("A child development centre takes only the levels เด็กเล็ก 2–5 ขวบ. Choose one of them."),
            )
        else:
            c.error(field, _("A school does not teach the CDC levels. Choose a school class level."))
    else:
        c.cleaned[field] = level


def _clean_birth_date(c: _Input, field: str) -> None:
    birth = _date(c.data.get(field), field, c.errors, required=True)
    if birth is None:
        return
    c.parsed[field] = birth
    if birth > c.today:
        c.error(field, _("The birth date cannot be in the future."))
    else:
        c.cleaned[field] = birth


def _clean_enrolled_on(c: _Input, field: str) -> None:
    if c.data.get(field) in (None, ""):
        return
    enrolled = _date(c.data.get(field), field, c.errors)
    if enrolled is None:
        return
    if enrolled > c.today:
        c.error(field, _("The enrolment date cannot be in the future."))
    else:
        c.parsed[field] = enrolled


def _clean_short_text(c: _Input, field: str) -> None:
    value = clean_text(c.data.get(field))
    limit = _TEXT_LIMITS[field]
    if len(value) > limit:
        c.error(field, _("Shorten this to at most %(n)s characters.") % {"n": limit})
    else:
        c.cleaned[field] = value


def _clean_choice(c: _Input, field: str) -> None:
    value = clean_text(c.data.get(field))
    if not value:
        c.cleaned[field] = None
    elif value not in _CHOICES[field]:
        c.error(field, _("Choose a value from the list."))
    else:
        c.cleaned[field] = value


def _clean_shortages(c: _Input, field: str) -> None:
    value = c.data.get(field) or []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or any(v not in SHORTAGES for v in value):
        c.error(field, _("Choose shortages among: books, food, stationery, uniform."))
    else:
        c.cleaned[field] = [s for s in SHORTAGES if s in value]


def _clean_measure(c: _Input, field: str) -> None:
    c.cleaned[field] = _decimal(c.data.get(field), field, c.errors, _UPPER[field])


def _clean_person(c: _Input, field: str) -> None:
    c.cleaned[field] = _json_part(c.data.get(field), field, PERSON_KEYS, c.errors)


def _clean_address(c: _Input, field: str) -> None:
    c.cleaned[field] = _json_part(c.data.get(field), field, ADDRESS_KEYS, c.errors)


_CHOICES = {"disadvantage": DISADVANTAGES, "disability": DISABILITIES}
_UPPER = {"weight_kg": 300, "height_cm": 250}

# (field, cleaner, required): a required field is cleaned even when absent from the input, an optional one only
# when present (so an update touches only what was given). The order is the order of the messages.
_CLEANERS: tuple[tuple[str, Callable[[_Input, str], None], bool], ...] = (
    ("national_id", _clean_identity, True),
    ("prefix", _clean_prefix, True),
    ("first_name", _clean_name, True),
    ("last_name", _clean_name, True),
    ("gender", _clean_gender, True),
    ("class_level", _clean_level, True),
    ("birth_date", _clean_birth_date, True),
    ("enrolled_on", _clean_enrolled_on, False),
    *((field, _clean_short_text, False) for field in _TEXT_LIMITS),
    ("disadvantage", _clean_choice, False),
    ("disability", _clean_choice, False),
    ("shortages", _clean_shortages, False),
    ("weight_kg", _clean_measure, False),
    ("height_cm", _clean_measure, False),
    ("father", _clean_person, False),
    ("mother", _clean_person, False),
    ("guardian", _clean_person, False),
    ("registered_address", _clean_address, False),
    ("current_address", _clean_address, False),
)
_RANK = {field: i for i, (field, _cleaner, _required) in enumerate(_CLEANERS)} | {"g_code": 0}


# ---------------------------------------------------------------------------------------------------------
# The cross-field check


def _gender_from_prefix(c: _Input) -> None:
    """The gender given must match the prefix; without one it follows the prefix."""
    expected = PREFIX_GENDER.get(c.parsed.get("prefix"))
    gender = c.parsed.get("gender")
    if gender is None:
        if expected and not clean_text(c.data.get("gender")):
            c.cleaned["gender"] = str(expected)
    elif expected and gender != expected:
        c.error("gender", _("The prefix %(prefix)s does not match this gender. Correct the prefix or the gender.")
                % {"prefix": c.parsed["prefix"]})  # fmt: skip
    else:
        c.cleaned["gender"] = gender


def _age_fits_level(c: _Input) -> None:
    """On the census date (or `on`) the learner's age fits the class level (domain.md "Class levels")."""
    birth, level = c.cleaned.get("birth_date"), c.cleaned.get("class_level")
    if birth is None or level is None:
        return
    kind = c.organisation.kind
    reference = c.on or age_reference_date()
    age = age_on(birth, reference)
    if levels.age_fits(level, age, kind):
        return
    lvl = levels.BY_CODE[level]
    upper = lvl.typical_age + (1 if kind == Kind.CDC else 10)
    c.error("birth_date", _(
        "On %(date)s this learner is %(age)s years old; %(level)s takes ages "
        "%(low)s–%(high)s. Check the birth date (dd/mm/yyyy, Buddhist Era) or the class level."
    ) % {"date": format_date(reference), "age": age, "level": lvl.short, "low": lvl.typical_age - 1,
         "high": upper})  # fmt: skip


def _enrolled_after_birth(c: _Input) -> None:
    enrolled, birth = c.parsed.get("enrolled_on"), c.parsed.get("birth_date")
    if enrolled is None:
        return
    if birth is not None and enrolled < birth:
        c.error("enrolled_on", _("The enrolment date cannot be before the birth date."))
    else:
        c.cleaned["enrolled_on"] = enrolled


def _check_across_fields(c: _Input) -> None:
    _gender_from_prefix(c)
    _age_fits_level(c)
    _enrolled_after_birth(c)


def learner_clean(
    *, organisation, data: dict, on: dt.date | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """Validate and normalise one learner's input (api.md LearnerIn field names; identity may be given as
    national_id or g_code) with every rule above except national uniqueness; no writes, no queries per call
    beyond constant ones. Returns (cleaned, {field: [Thai messages]}).

    Optional fields appear in `cleaned` only when present in `data`, so an update touches only what was given;
    `gender` is always there (it follows the prefix when absent)."""
    c = _Input(organisation=organisation, data=data, on=on)
    for field, cleaner, required in _CLEANERS:
        if required or field in data:
            cleaner(c, field)
    _check_across_fields(c)
    errors = dict(sorted(c.errors.items(), key=lambda item: _RANK[item[0].split(".")[0]]))
    return c.cleaned, errors


def learner_data(learner: Learner) -> dict:
    """A learner's record as learner_clean input (to merge a partial update into)."""
    return {f: getattr(learner, f) for f in FIELDS}
