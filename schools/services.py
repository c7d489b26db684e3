"""Writes to the organisation tree by the LAO: its other-affiliation schools and their headcount entries."""

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib import generations
from lec.lib.errors import Code, DomainError, Invalid, invalid, other_schools_locked
from lec.lib.thai import clean_text, format_datetime, normalise_digits

from .models import (
    Affiliation,
    Kind,
    Organisation,
    OtherSchoolCount,
    OtherSchoolEntry,
    Round,
)
from .tree import derived_fields

# Other-affiliation schools: the LAO's headcount entries (api.md "Other-affiliation headcounts") and the LAO's
# own list of those schools. Every write locks the LAO row (design.md rule 10) and respects the edit lock that
# confirmations.services sets on it (rule 7).

MAX_COUNT = 99_999
_WHOLE = re.compile(r"^\+?\d+$")
_NEGATIVE = re.compile(r"^-\s*\d+([.,]\d*)?$")
_DECIMAL = re.compile(r"^\+?\d*[.]\d+$")


class CountError(ValueError):
    """A count that is not a whole number of 0 or more; str() is the message for the user."""


def parse_count(value) -> int:
    """A headcount from what was typed or sent: a whole number ≥ 0. Thai digits, spaces and thousands
    separators are accepted and a blank means 0; booleans, fractions, negatives and text are refused."""
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 5:
        return int(value)  # the common case, typed in the grid
    if isinstance(value, bool):
        raise CountError(_("Enter a whole number of 0 or more."))
    if isinstance(value, float):
        if not value.is_integer():
            raise CountError(_("Enter a whole number, without decimals."))
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = normalise_digits(clean_text(value)).replace(" ", "")
        if text == "":
            return 0
        if re.fullmatch(r"\+?\d{1,3}(,\d{3})+", text):
            text = text.replace(",", "")
        if _NEGATIVE.match(text):
            raise CountError(_("A count cannot be below 0."))
        if _DECIMAL.match(text):
            raise CountError(_("Enter a whole number, without decimals."))
        if not _WHOLE.match(text):
            raise CountError(_("Enter a number of learners using digits, for example 25."))
        number = int(text)
    if number < 0:
        raise CountError(_("A count cannot be below 0."))
    if number > MAX_COUNT:
        raise CountError(
            _("Check this number: a count above %(max)s learners in one class level is not possible.")
            % {"max": f"{MAX_COUNT:,}"}
        )
    return number


@dataclasses.dataclass
class CellProblem:
    """One refused cell of an entry: `index` in the counts list, the level code when known, the field."""

    index: int | None
    level: str | None
    field: str  # "class_level", "male", "female" or "closed"
    message: str

    def api_key(self) -> str:
        return "closed" if self.field == "closed" else f"counts.{self.index}.{self.field}"

    def grid_key(self, school_code: str) -> str:
        if self.field == "closed":
            return f"{school_code}.closed"
        if self.level:
            return f"{school_code}.{self.level}.{self.field}"
        return f"{school_code}.counts.{self.index}.{self.field}"


def _field(item, name):
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def other_school_entry_clean(*, closed, counts) -> tuple[bool, dict[str, tuple[int, int]], list[CellProblem]]:
    """Validate one school's entry: (closed, {level: (male, female)} without all-zero levels, problems)."""
    from lec.lib.levels import BY_CODE, SCHOOL_CODES, parse_level

    problems: list[CellProblem] = []
    levels: dict[str, tuple[int, int]] = {}
    seen: set[str] = set()
    if not isinstance(closed, bool):
        problems.append(CellProblem(None, None, "closed", _("Say whether the school is closed.")))
        closed = False
    for index, item in enumerate(counts or []):
        raw_level = _field(item, "class_level")
        if isinstance(raw_level, str) and raw_level in BY_CODE:
            level = raw_level  # a code, as the grid and most API callers send it
        else:
            level = parse_level(raw_level) if raw_level not in (None, "") else None
        if level is None:
            problems.append(
                CellProblem(
                    index, None, "class_level", _("Choose a school class level, for example ป.1 or ม.1.")
                )
            )
        elif level not in SCHOOL_CODES:
            problems.append(
                CellProblem(
                    index,
                    None,
                    "class_level",
                    _("%(level)s is a child development centre age group; use school class levels only.")
                    % {"level": BY_CODE[level].short},
                )
            )
            level = None
        elif level in seen:
            problems.append(
                CellProblem(
                    index,
                    None,
                    "class_level",
                    _("%(level)s is listed twice; give each class level once.")
                    % {"level": BY_CODE[level].short},
                )
            )
            level = None
        pair = []
        for gender in ("male", "female"):
            try:
                pair.append(parse_count(_field(item, gender)))
            except CountError as exc:
                problems.append(CellProblem(index, level, gender, str(exc)))
                pair.append(0)
        if level is not None:
            seen.add(level)
            if pair[0] or pair[1]:
                levels[level] = (pair[0], pair[1])
    if closed and levels:
        problems.append(
            CellProblem(
                None,
                None,
                "closed",
                _("A closed school has no learners: set every count to 0, or untick “closed”."),
            )
        )
    return closed, levels, problems


def levels_label(codes) -> str:
    """Class levels as a user reads them, runs shortened: ["p1", …, "p6", "m1"] → "ป.1–ป.6, ม.1"."""
    from lec.lib.levels import BY_CODE, SCHOOL_CODES

    wanted = set(codes)
    runs: list[list[str]] = []
    previous = None
    for code in SCHOOL_CODES:
        if code in wanted:
            if previous is not None and runs and runs[-1][-1] == previous:
                runs[-1].append(code)
            else:
                runs.append([code])
        previous = code
    return ", ".join(
        BY_CODE[r[0]].short if len(r) == 1 else f"{BY_CODE[r[0]].short}–{BY_CODE[r[-1]].short}" for r in runs
    )


def untaught_problems(school: Organisation, counts, levels: dict) -> list[CellProblem]:
    """A count above 0 for a class level the school does not teach (Organisation.levels_taught; None = every
    level) is refused, naming the school and the level: it would be a number no page shows. Zeros pass."""
    from lec.lib.levels import BY_CODE, parse_level

    taught = school.levels_taught
    if taught is None:
        return []
    problems = []
    for index, item in enumerate(counts or []):
        raw = _field(item, "class_level")
        level = raw if isinstance(raw, str) and raw in BY_CODE else parse_level(raw)
        if level is None or level in taught or level not in levels:
            continue
        male, _female = levels.pop(level)
        problems.append(
            CellProblem(
                index,
                level,
                "male" if male else "female",
                _(
                    "%(school)s does not teach %(level)s (it teaches %(taught)s), so it cannot have learners in "
                    "%(level)s. Remove this number, or add %(level)s to the school's class levels first."
                )
                % {
                    "school": school.name_th,
                    "level": BY_CODE[level].short,
                    "taught": levels_label(taught) or "—",
                },
            )
        )
    return problems


def _lock_for_entry(*, lao: Organisation, round_) -> Organisation:
    """Lock the LAO row (shared with other writers, exclusive against a confirm) and check the edit lock and the
    round, in that order (api.md: confirmed_locked, round_not_open)."""
    locked = Organisation.objects.select_for_update(no_key=True).get(pk=lao.pk)
    if locked.other_schools_locked:
        raise other_schools_locked(locked)
    state = _round_state(round_.pk)
    if state != Round.State.OPEN:
        raise DomainError(
            _("The round is not open: headcounts can only be entered while a round is open."),
            code=Code.ROUND_NOT_OPEN,
        )
    return locked


def _round_state(round_id: int) -> str | None:
    """The round's state, read under a shared row lock so a close cannot commit between this check and our write."""
    found = Round.objects.share_locked(round_id)
    return found.state if found else None


def _require_edit(acting_user, lao: Organisation) -> None:
    if acting_user is not None:
        from accounts import policy

        policy.require(acting_user, "edit_other_schools", lao)


def _write_entries(*, lao, round_, cleaned: dict, acting_user) -> dict[int, "OtherSchoolEntry"]:
    """Replace the entries of the schools in `cleaned` ({school: (closed, levels)}) in a constant number of
    queries. Returns {school id: entry}."""
    schools = list(cleaned)
    existing = {
        e.school_id: e
        for e in OtherSchoolEntry.objects.filter(round_id=round_.pk, school__in=[s.pk for s in schools])
    }
    user = acting_user if getattr(acting_user, "pk", None) else None
    new = []
    changed: dict[bool, list[int]] = {True: [], False: []}
    for school, (closed, _levels) in cleaned.items():
        entry = existing.get(school.pk)
        if entry is None:
            entry = OtherSchoolEntry(
                round_id=round_.pk, school=school, lao=lao, closed=closed, entered_by=user
            )
            new.append(entry)
            existing[school.pk] = entry
        else:
            entry.closed = closed
            changed[closed].append(entry.pk)
    # Two plain UPDATEs (closed or not) instead of bulk_update's CASE per row: the same rows, far less work.
    now = timezone.now()
    for closed, ids in changed.items():
        if ids:
            OtherSchoolEntry.objects.filter(pk__in=ids).update(
                closed=closed, entered_by=user, lao=lao, updated_at=now
            )
    if changed[True] or changed[False]:
        OtherSchoolCount.objects.filter(entry__in=changed[True] + changed[False]).delete()
    if new:
        OtherSchoolEntry.objects.bulk_create(new)
    OtherSchoolCount.objects.bulk_create(
        [
            OtherSchoolCount(entry=existing[school.pk], class_level=level, male=male, female=female)
            for school, (_closed, levels) in cleaned.items()
            for level, (male, female) in levels.items()
        ],
        batch_size=2000,
    )
    generations.bump("other", [lao.province_id])  # cached provincial/national totals (docs/performance.md)
    return existing


def _audit_entries(*, acting_user, lao, round_, cleaned) -> None:
    from accounts.services import audit

    audit(
        acting_user=acting_user,
        action="other_headcounts_save",
        organisation=lao,
        object_ref=f"round:{round_.pk}",
        schools={
            s.code: {
                "closed": closed,
                "male": sum(m for m, _f in levels.values()),
                "female": sum(f for _m, f in levels.values()),
            }
            for s, (closed, levels) in cleaned.items()
        },
    )


@transaction.atomic
def other_school_headcounts_save(
    *, lao: Organisation, round_, entries: Mapping, acting_user, versions: Mapping[str, str] | None = None
) -> int:
    """Save a whole grid for one LAO and round, all or nothing: {school code: {"closed", "counts": [{"class_level",
    "male", "female"}]}}. Any bad cell raises Invalid keyed "<school>.<level>.<male|female>" (or
    "<school>.closed", "<school>.counts.<i>.class_level") and nothing is written. Returns the schools saved.

    `versions` ({school code: entry_version() as the page showed it}) makes the save refuse, school by school,
    an entry someone else saved after the page was opened, instead of silently overwriting it."""
    _require_edit(acting_user, lao)
    lao = _lock_for_entry(lao=lao, round_=round_)
    schools = {
        s.code: s
        for s in Organisation.objects.filter(
            parent=lao, kind=Kind.OTHER_SCHOOL, code__in=list(entries.keys())
        )
    }
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for code, raw in entries.items():
        school = schools.get(code)
        if school is None:
            errors[f"{code}.closed"] = [
                _("%(code)s is not an other-affiliation school of this LAO.") % {"code": code}
            ]
            continue
        closed, levels, problems = other_school_entry_clean(
            closed=_field(raw, "closed") or False, counts=_field(raw, "counts")
        )
        problems += untaught_problems(school, _field(raw, "counts"), levels)
        for problem in problems:
            errors.setdefault(problem.grid_key(code), []).append(problem.message)
        cleaned[school] = (closed, levels)
    if versions is not None and cleaned:
        _check_versions(round_=round_, schools=list(cleaned), versions=versions, errors=errors)
    if errors:
        raise Invalid(errors)
    if cleaned:
        _write_entries(lao=lao, round_=round_, cleaned=cleaned, acting_user=acting_user)
        _audit_entries(acting_user=acting_user, lao=lao, round_=round_, cleaned=cleaned)
    return len(cleaned)


def entry_version(entry) -> str:
    """What a page remembers of an entry to notice a later save by someone else: its last save time, or ""."""
    return entry.updated_at.isoformat() if entry is not None else ""


def _check_versions(*, round_, schools, versions, errors) -> None:
    saved = dict(
        OtherSchoolEntry.objects.filter(round_id=round_.pk, school__in=[s.pk for s in schools]).values_list(
            "school_id", "updated_at"
        )
    )
    stale = [
        s
        for s in schools
        if s.code in versions and (saved[s.pk].isoformat() if s.pk in saved else "") != versions[s.code]
    ]
    if not stale:
        return
    current = {
        e.school_id: e
        for e in OtherSchoolEntry.objects.filter(round_id=round_.pk, school__in=[s.pk for s in stale])
        .select_related("entered_by")
        .prefetch_related("counts")
    }
    for school in stale:
        entry = current.get(school.pk)
        total = sum(c.male + c.female for c in entry.counts.all()) if entry else 0
        errors.setdefault(f"{school.code}.closed", []).append(
            _(
                "%(user)s saved this school's numbers (%(total)s learners) at %(when)s, after you opened this "
                "page. Check your numbers for this school, then save again to replace theirs."
            )
            % {
                "user": entry.entered_by.username if entry and entry.entered_by else _("someone else"),
                "total": f"{total:,}",
                "when": format_datetime(entry.updated_at) if entry else "",
            }
        )


@transaction.atomic
def other_school_headcount_save(
    *, school: Organisation, round_, closed, counts, acting_user
) -> "OtherSchoolEntry":
    """Replace one school's entry for the round (the API's PUT). Problems are keyed as api.md's dotted paths
    ("counts.0.male", "closed"); nothing is written when any is found."""
    if school.kind != Kind.OTHER_SCHOOL or school.parent_id is None:
        raise DomainError(_("This is not an other-affiliation school."), code=Code.INVALID_TRANSITION)
    lao = Organisation.objects.get(pk=school.parent_id)
    _require_edit(acting_user, lao)
    lao = _lock_for_entry(lao=lao, round_=round_)
    closed, levels, problems = other_school_entry_clean(closed=closed, counts=counts)
    problems += untaught_problems(school, counts, levels)
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.api_key(), []).append(problem.message)
        raise Invalid(errors)
    cleaned = {school: (closed, levels)}
    entry = _write_entries(lao=lao, round_=round_, cleaned=cleaned, acting_user=acting_user)[school.pk]
    _audit_entries(acting_user=acting_user, lao=lao, round_=round_, cleaned=cleaned)
    return entry


def _lock_lao_for_list(*, lao: Organisation, acting_user) -> Organisation:
    """The LAO row locked for a change to its list of other-affiliation schools. Refused while its other-school
    headcounts are confirmed: a school added or closed then would change what was confirmed."""
    if lao.kind != Kind.LAO:
        raise DomainError(_("Only an LAO has other-affiliation schools."), code=Code.INVALID_TRANSITION)
    _require_edit(acting_user, lao)
    locked = Organisation.objects.select_for_update(no_key=True).get(pk=lao.pk)
    if locked.other_schools_locked:
        raise other_schools_locked(locked)
    return locked


@transaction.atomic
def other_school_add(
    *, lao: Organisation, code: str, name_th: str, affiliation: str, acting_user, name_en: str = ""
) -> Organisation:
    """An LAO records an other-affiliation school that opened in its area."""
    lao = _lock_lao_for_list(lao=lao, acting_user=acting_user)
    code = normalise_digits(clean_text(code)).replace(" ", "")
    name_th, name_en = clean_text(name_th), clean_text(name_en)
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("Enter the school's code.")]
    elif not re.fullmatch(r"[0-9A-Za-z\-]{1,32}", code):
        errors["code"] = [_("Use digits and letters only in the code, at most 32.")]
    elif Organisation.objects.filter(code=code).exists():
        errors["code"] = [_("Code %(code)s is already used by another organisation.") % {"code": code}]
    if not name_th:
        errors["name_th"] = [_("Enter the school's Thai name.")]
    elif len(name_th) > 255:
        errors["name_th"] = [_("The name is too long (at most 255 characters).")]
    if len(name_en) > 255:
        errors["name_en"] = [_("The name is too long (at most 255 characters).")]
    if affiliation not in Affiliation.values:
        errors["affiliation"] = [_("Choose the school's affiliation.")]
    if errors:
        raise Invalid(errors)
    school = Organisation(
        kind=Kind.OTHER_SCHOOL,
        code=code,
        name_th=name_th,
        name_en=name_en,
        affiliation=affiliation,
        parent=lao,
    )
    for field, value in derived_fields(Kind.OTHER_SCHOOL, lao, code).items():
        setattr(school, field, value)
    school.save()
    from accounts.services import audit

    audit(
        acting_user=acting_user, action="other_school_add", organisation=lao, object_ref=code, name_th=name_th
    )
    return school


@transaction.atomic
def other_school_close(
    *, school: Organisation, closed_on: dt.date | None = None, acting_user
) -> Organisation:
    """An LAO marks an other-affiliation school as closed (never deleted). While a round is open, the school's
    entry for it becomes "closed" with no learners, so it stops counting and needs no further entry."""
    if school.kind != Kind.OTHER_SCHOOL:
        raise DomainError(_("This is not an other-affiliation school."), code=Code.INVALID_TRANSITION)
    lao = _lock_lao_for_list(lao=Organisation.objects.get(pk=school.parent_id), acting_user=acting_user)
    school = Organisation.objects.get(pk=school.pk)
    if not school.is_active:
        raise DomainError(_("This school is already closed."), code=Code.NOT_ACTIVE)
    today = timezone.localdate()
    closed_on = closed_on or today
    if closed_on > today:
        raise invalid("closed_on", _("The closing date cannot be in the future."))
    school.is_active = False
    school.closed_on = closed_on
    school.save(update_fields=["is_active", "closed_on", "updated_at"])
    open_round = Round.objects.filter(state=Round.State.OPEN).first()
    if open_round is not None:
        _write_entries(lao=lao, round_=open_round, cleaned={school: (True, {})}, acting_user=acting_user)
    from accounts.services import audit

    audit(acting_user=acting_user, action="other_school_close", organisation=lao, object_ref=school.code,
          closed_on=closed_on.isoformat())  # fmt: skip
    return school


@transaction.atomic
def other_school_reopen(*, school: Organisation, acting_user) -> Organisation:
    """Undo a close made by mistake: the school is active again (its entry for the open round, if any, stays as it
    is until the LAO corrects it in the grid)."""
    if school.kind != Kind.OTHER_SCHOOL:
        raise DomainError(_("This is not an other-affiliation school."), code=Code.INVALID_TRANSITION)
    lao = _lock_lao_for_list(lao=Organisation.objects.get(pk=school.parent_id), acting_user=acting_user)
    school = Organisation.objects.get(pk=school.pk)
    if school.is_active:
        raise DomainError(_("This school is already open."), code=Code.INVALID_TRANSITION)
    school.is_active, school.closed_on = True, None
    school.save(update_fields=["is_active", "closed_on", "updated_at"])
    from accounts.services import audit

    audit(acting_user=acting_user, action="other_school_reopen", organisation=lao, object_ref=school.code)
    return school


@transaction.atomic
def other_school_levels_set(*, school: Organisation, levels, acting_user) -> Organisation:
    """An LAO records which class levels an other-affiliation school teaches: a list of school level codes, or
    None for "not known" (every level is shown). Refused while the LAO's headcounts are confirmed, and when the
    open round already holds learners of a level being removed (correct that number first: nothing is dropped)."""
    from lec.lib.levels import BY_CODE, SCHOOL_CODES

    if school.kind != Kind.OTHER_SCHOOL:
        raise DomainError(_("This is not an other-affiliation school."), code=Code.INVALID_TRANSITION)
    _lock_lao_for_list(lao=Organisation.objects.get(pk=school.parent_id), acting_user=acting_user)
    school = Organisation.objects.get(pk=school.pk)
    if levels is not None:
        wanted = {str(level) for level in levels}
        unknown = sorted(wanted - set(SCHOOL_CODES))
        if unknown:
            raise invalid(
                "levels", _("%(level)s is not a school class level.") % {"level": clean_text(unknown[0])[:20]}
            )
        if not wanted:
            raise invalid(
                "levels",
                _("Tick at least one class level, or choose “not known” to show every level."),
            )
        levels = [code for code in SCHOOL_CODES if code in wanted]
        open_round = Round.objects.filter(state=Round.State.OPEN).first()
        if open_round is not None:
            held = (
                OtherSchoolCount.objects.filter(entry__round=open_round, entry__school=school)
                .exclude(class_level__in=levels)
                .order_by("pk")
            )
            problems = [
                _(
                    "%(school)s has %(n)s learners in %(level)s saved for this round. Set that number to 0 and "
                    "save it first, then remove %(level)s."
                )
                % {
                    "school": school.name_th,
                    "n": f"{c.male + c.female:,}",
                    "level": BY_CODE[c.class_level].short,
                }
                for c in held
                if c.male or c.female
            ]
            if problems:
                raise Invalid({"levels": problems})
    before = school.levels_taught
    school.levels_taught = levels
    school.save(update_fields=["levels_taught", "updated_at"])
    from accounts.services import audit

    audit(acting_user=acting_user, action="other_school_levels", organisation=school.parent, object_ref=school.code,
          before=before, after=levels)  # fmt: skip
    return school
