"""Every learner write: create, edit, leave, transfer, promote, bulk import; each locks the institution row,
respects its confirmation lock and keeps the live counters (LearnerCount) right in the same transaction."""

import dataclasses
import datetime as dt
from collections import Counter
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from lec.lib import generations, levels
from lec.lib.errors import Code, DomainError, Invalid, NotFound, learners_locked
from lec.lib.thai import DateParseError, age_on, clean_text, format_date, parse_date
from schools.models import Kind, Organisation, Round

from . import identity
from .models import (
    ADDRESS_KEYS,
    DISABILITIES,
    DISADVANTAGES,
    LEAVE_REASONS,
    PERSON_KEYS,
    PREFIX_GENDER,
    PREFIXES,
    SHORTAGES,
    Gender,
    Learner,
    LearnerCount,
    PromotionBatch,
    Status,
    Transfer,
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
DEFAULTS = {
    "student_number": "", "room": "", "nationality": "", "race": "", "religion": "", "family_status": "",
    "disadvantage": None, "disability": None, "shortages": [], "weight_kg": None, "height_cm": None,
    "father": None, "mother": None, "guardian": None, "registered_address": None, "current_address": None,
}  # fmt: skip


@dataclasses.dataclass
class BulkResult:
    created: int
    updated: int
    unchanged: int


# ---------------------------------------------------------------------------------------------------------
# Validation


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
            cleaned[key] = int(income) if income == int(income) else float(income)
        else:
            cleaned[key] = clean_text(raw)[:200]
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


def learner_clean(
    *, organisation, data: dict, on: dt.date | None = None
) -> tuple[dict, dict[str, list[str]]]:
    """Validate and normalise one learner's input (api.md LearnerIn field names; identity may be given as
    national_id or g_code) with every rule above except national uniqueness; no writes, no queries per call
    beyond constant ones. Returns (cleaned, {field: [Thai messages]}).

    Optional fields appear in `cleaned` only when present in `data`, so an update touches only what was given;
    `gender` is always there (it follows the prefix when absent)."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    cleaned["national_id"], cleaned["g_code"] = _identity(data, errors)

    prefix = clean_text(data.get("prefix")).replace(" ", "")
    if not prefix:
        errors.setdefault("prefix", []).append(_("Choose the prefix (for example เด็กชาย or เด็กหญิง)."))
    elif prefix not in PREFIX_GENDER:
        errors.setdefault("prefix", []).append(
            _("Choose one of these prefixes: %(list)s.") % {"list": ", ".join(PREFIXES)}
        )
    else:
        cleaned["prefix"] = prefix

    for field, label in (
        ("first_name", _("Enter the first name.")),
        ("last_name", _("Enter the last name.")),
    ):
        value = clean_text(data.get(field))
        if not value:
            errors.setdefault(field, []).append(label)
        elif len(value) > 100:
            errors.setdefault(field, []).append(_("Shorten this to at most 100 characters."))
        else:
            cleaned[field] = value

    gender = clean_text(data.get("gender")).lower()
    expected = PREFIX_GENDER.get(prefix)
    if gender:
        if gender not in Gender.values:
            errors.setdefault("gender", []).append(_("Choose male or female."))
        elif expected and gender != expected:
            errors.setdefault("gender", []).append(
                _("The prefix %(prefix)s does not match this gender. Correct the prefix or the gender.")
                % {"prefix": prefix}
            )
        else:
            cleaned["gender"] = gender
    elif expected:
        cleaned["gender"] = str(expected)

    raw_level = data.get("class_level")
    level = levels.parse_level(raw_level) if raw_level not in (None, "") else None
    taught = levels.taught_by(organisation.kind)
    if raw_level in (None, ""):
        errors.setdefault("class_level", []).append(_("Choose the class level."))
    elif level is None:
        errors.setdefault("class_level", []).append(
            _("Choose a class level from the list (for example ป.1 or อ.2).")
        )
    elif level not in taught:
        if organisation.kind == Kind.CDC:
            message = _(
                "A child development centre takes only the levels เด็กเล็ก 2–5 ขวบ. Choose one of them."
            )
        else:
            message = _("A school does not teach the CDC levels. Choose a school class level.")
        errors.setdefault("class_level", []).append(message)
        level = None
    else:
        cleaned["class_level"] = level

    today = timezone.localdate()
    birth = _date(data.get("birth_date"), "birth_date", errors, required=True)
    if birth is not None:
        if birth > today:
            errors.setdefault("birth_date", []).append(_("The birth date cannot be in the future."))
        else:
            cleaned["birth_date"] = birth
            if level is not None:
                reference = on or age_reference_date()
                age = age_on(birth, reference)
                if not levels.age_fits(level, age, organisation.kind):
                    lvl = levels.BY_CODE[level]
                    upper = lvl.typical_age + (1 if organisation.kind == Kind.CDC else 10)
                    errors.setdefault("birth_date", []).append(
                        _(
                            "On %(date)s this learner is %(age)s years old; %(level)s takes ages "
                            "%(low)s–%(high)s. Check the birth date (dd/mm/yyyy, Buddhist Era) or the class level."
                        )
                        % {
                            "date": format_date(reference),
                            "age": age,
                            "level": lvl.short,
                            "low": lvl.typical_age - 1,
                            "high": upper,
                        }
                    )

    if "enrolled_on" in data and data.get("enrolled_on") not in (None, ""):
        enrolled = _date(data.get("enrolled_on"), "enrolled_on", errors)
        if enrolled is not None:
            if enrolled > today:
                errors.setdefault("enrolled_on", []).append(_("The enrolment date cannot be in the future."))
            elif birth is not None and enrolled < birth:
                errors.setdefault("enrolled_on", []).append(
                    _("The enrolment date cannot be before the birth date.")
                )
            else:
                cleaned["enrolled_on"] = enrolled

    for field, limit in _TEXT_LIMITS.items():
        if field in data:
            value = clean_text(data.get(field))
            if len(value) > limit:
                errors.setdefault(field, []).append(
                    _("Shorten this to at most %(n)s characters.") % {"n": limit}
                )
            else:
                cleaned[field] = value

    for field, codes in (("disadvantage", DISADVANTAGES), ("disability", DISABILITIES)):
        if field in data:
            value = clean_text(data.get(field))
            if not value:
                cleaned[field] = None
            elif value not in codes:
                errors.setdefault(field, []).append(_("Choose a value from the list."))
            else:
                cleaned[field] = value

    if "shortages" in data:
        value = data.get("shortages") or []
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)) or any(v not in SHORTAGES for v in value):
            errors.setdefault("shortages", []).append(
                _("Choose shortages among: books, food, stationery, uniform.")
            )
        else:
            cleaned["shortages"] = [s for s in SHORTAGES if s in value]

    if "weight_kg" in data:
        cleaned["weight_kg"] = _decimal(data.get("weight_kg"), "weight_kg", errors, 300)
    if "height_cm" in data:
        cleaned["height_cm"] = _decimal(data.get("height_cm"), "height_cm", errors, 250)
    for field in ("father", "mother", "guardian"):
        if field in data:
            cleaned[field] = _json_part(data.get(field), field, PERSON_KEYS, errors)
    for field in ("registered_address", "current_address"):
        if field in data:
            cleaned[field] = _json_part(data.get(field), field, ADDRESS_KEYS, errors)
    return cleaned, errors


def learner_data(learner: Learner) -> dict:
    """A learner's record as learner_clean input (to merge a partial update into)."""
    return {f: getattr(learner, f) for f in FIELDS}


# ---------------------------------------------------------------------------------------------------------
# Locks and counters


def lock_institution(organisation_id: int) -> Organisation:
    """Design.md rule 10: every learner write takes its institution's row (shared with other writes, exclusive
    against a confirm) and checks the edit lock there."""
    org = Organisation.objects.select_for_update(no_key=True).get(pk=organisation_id)
    if org.learners_locked:
        raise learners_locked(org)
    return org


def _count_key(learner: Learner) -> tuple[int, str, str] | None:
    if learner.status != Status.ACTIVE:
        return None
    return (learner.organisation_id, learner.class_level, learner.gender)


def counts_apply(deltas: Counter) -> None:
    """Add `deltas` {(organisation id, class level, gender): n} to the counter rows (creating missing ones)."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    LearnerCount.objects.bulk_create(
        [LearnerCount(organisation_id=o, class_level=lvl, gender=g, count=0) for o, lvl, g in deltas],
        ignore_conflicts=True,
    )
    for (org_id, level, gender), n in deltas.items():
        LearnerCount.objects.filter(organisation_id=org_id, class_level=level, gender=gender).update(
            count=F("count") + n
        )
    # Cached national and provincial totals of these provinces are void (docs/performance.md "Cached totals").
    generations.bump(
        "live",
        Organisation.objects.filter(pk__in={o for o, _l, _g in deltas}).values_list("province_id", flat=True),
    )


def _count_change(before, after) -> Counter:
    deltas: Counter = Counter()
    if before is not None:
        deltas[before] -= 1
    if after is not None:
        deltas[after] += 1
    return deltas


def _holder_error(national_id: str | None, g_code: str | None) -> DomainError | None:
    q = Q(national_id=national_id) if national_id else Q(g_code=g_code)
    holder = (
        Learner.objects.filter(q, status=Status.ACTIVE)
        .select_related("organisation")
        .only("organisation__code", "organisation__name_th")
        .first()
    )
    if holder is None:
        return None
    return identity_error(holder.organisation)


def identity_error(org: Organisation) -> DomainError:
    return DomainError(
        _("This learner is already enrolled at %(name)s (%(code)s). Ask for a transfer instead.")
        % {"name": org.name_th, "code": org.code},
        code=Code.IDENTITY_ACTIVE_ELSEWHERE,
        holder={"code": org.code, "name_th": org.name_th},
    )


def _save_unique(learner: Learner, **save_kwargs) -> None:
    """Save inside a savepoint; a clash on the active-identity indexes becomes 409 naming the holder."""
    try:
        with transaction.atomic():
            learner.save(**save_kwargs)
    except IntegrityError:
        error = _holder_error(learner.national_id, learner.g_code)
        if error is None:
            raise
        raise error from None


def _invalid_if(errors: dict) -> None:
    if errors:
        raise Invalid(errors)


def _bulk_update(objs: list[Learner], fields: list[str], *, user, reason: str = "") -> None:
    """Update many learners and write their history rows. On PostgreSQL one UPDATE … FROM (VALUES …) per
    1,000 rows (Django's bulk_update builds a CASE per field and row: 40 s for 10,000 learners); elsewhere
    Django's bulk_update. History rows are bulk-inserted either way."""
    if not objs:
        return
    if connection.vendor == "postgresql" and fields:
        meta = Learner._meta
        columns = [meta.get_field(f) for f in fields]
        assignments = ", ".join(f'"{c.column}" = v."{c.column}"' for c in columns)
        names = ", ".join(['"id"', *(f'"{c.column}"' for c in columns)])
        casts = ["%s::bigint", *(f"%s::{c.db_type(connection)}" for c in columns)]
        row_sql = "(" + ", ".join(casts) + ")"
        with connection.cursor() as cursor:
            for start in range(0, len(objs), 1000):
                chunk = objs[start : start + 1000]
                params = []
                for obj in chunk:
                    params.append(obj.pk)
                    params.extend(c.get_db_prep_save(getattr(obj, c.attname), connection) for c in columns)
                cursor.execute(
                    f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES '
                    + ", ".join([row_sql] * len(chunk))
                    + f') AS v({names}) WHERE t."id" = v."id"',
                    params,
                )
    elif fields:
        Learner.objects.bulk_update(objs, fields, batch_size=500)
    Learner.history.bulk_history_create(
        objs, batch_size=1000, update=True, default_user=user, default_change_reason=reason
    )


# ---------------------------------------------------------------------------------------------------------
# One learner


@transaction.atomic
def learner_create(*, organisation: Organisation, data: dict, acting_user) -> Learner:
    if organisation.kind not in (Kind.SCHOOL, Kind.CDC):
        raise Invalid({"organisation": [_("Learners are enrolled only in a school or a CDC.")]})
    org = lock_institution(organisation.pk)
    cleaned, errors = learner_clean(organisation=org, data=data)
    _invalid_if(errors)
    learner = Learner(organisation=org, **{**DEFAULTS, **cleaned})
    if learner.enrolled_on is None:
        learner.enrolled_on = timezone.localdate()
    learner._history_user = acting_user
    _save_unique(learner)
    counts_apply(_count_change(None, _count_key(learner)))
    return learner


def _load_for_write(learner_id: int) -> tuple[Learner, Organisation]:
    organisation_id = Learner.objects.filter(pk=learner_id).values_list("organisation_id", flat=True).first()
    if organisation_id is None:
        raise NotFound()
    org = lock_institution(organisation_id)
    learner = Learner.objects.select_for_update().get(pk=learner_id)
    if learner.organisation_id != org.pk:  # moved by a transfer between the two reads
        raise DomainError(
            _("This learner was changed meanwhile. Reload and try again."), code=Code.STALE_VERSION
        )
    learner.organisation = org
    return learner, org


@transaction.atomic
def learner_update(*, learner_id: int, data: dict, version: int | None, acting_user) -> Learner:
    """Apply the fields given in `data` (api.md PATCH); `version` must be the one last read."""
    learner, org = _load_for_write(learner_id)
    if learner.status != Status.ACTIVE:
        raise DomainError(
            _("This learner has left; a record of a learner who left cannot be edited."), code=Code.NOT_ACTIVE
        )
    if version is None:
        raise Invalid({"version": [_("Send the version you last read.")]})
    if int(version) != learner.version:
        raise DomainError(
            _(
                "Someone else changed this learner after you opened it. Reload to see their changes, then edit again."
            ),
            code=Code.STALE_VERSION,
        )
    merged = learner_data(learner)
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    if ("national_id" in data) != ("g_code" in data):
        # Giving one identity replaces the other (api.md: to switch kind, send the other one as null).
        if data.get("national_id") not in (None, ""):
            merged["g_code"] = None
        if data.get("g_code") not in (None, ""):
            merged["national_id"] = None
    if "gender" not in data and "prefix" in data:
        merged["gender"] = None  # follow the new prefix
    cleaned, errors = learner_clean(organisation=org, data=merged)
    _invalid_if(errors)
    before = _count_key(learner)
    changed = [f for f in FIELDS if f in cleaned and getattr(learner, f) != cleaned[f]]
    if not changed:
        return learner
    for field in changed:
        setattr(learner, field, cleaned[field])
    learner.version += 1
    learner._history_user = acting_user
    _save_unique(learner)
    counts_apply(_count_change(before, _count_key(learner)))
    return learner


@transaction.atomic
def learner_leave(
    *, learner_id: int, reason: str, left_on: dt.date, note: str = "", acting_user, version: int | None = None
) -> Learner:
    learner, _org = _load_for_write(learner_id)
    if learner.status != Status.ACTIVE:
        raise DomainError(_("This learner has already left."), code=Code.NOT_ACTIVE)
    if version is not None and int(version) != learner.version:
        raise DomainError(
            _("Someone else changed this learner after you opened it. Reload and try again."),
            code=Code.STALE_VERSION,
        )
    errors: dict[str, list[str]] = {}
    if reason not in LEAVE_REASONS:
        errors["reason"] = [_("Choose why the learner left.")]
    if left_on is None:
        errors["left_on"] = [_("Enter the date the learner left as dd/mm/yyyy in the Buddhist Era.")]
    elif left_on > timezone.localdate():
        errors["left_on"] = [_("The date the learner left cannot be in the future.")]
    elif left_on < learner.enrolled_on:
        errors["left_on"] = [
            _("The date the learner left cannot be before the enrolment date (%(date)s).")
            % {"date": format_date(learner.enrolled_on)}
        ]
    note = clean_text(note)
    if len(note) > 500:
        errors["note"] = [_("Shorten this to at most 500 characters.")]
    _invalid_if(errors)
    before = _count_key(learner)
    learner.status, learner.left_on, learner.left_note = reason, left_on, note
    learner.version += 1
    learner._history_user = acting_user
    learner.save()
    Transfer.objects.filter(learner=learner, state=Transfer.State.PENDING).update(
        state=Transfer.State.REJECTED,
        reason=_("The learner left the institution."),
        decided_by=acting_user if getattr(acting_user, "pk", None) else None,
        decided_at=timezone.now(),
    )
    counts_apply(_count_change(before, None))
    return learner


# ---------------------------------------------------------------------------------------------------------
# Bulk (imports)


def _find_active_elsewhere(organisation: Organisation, nids: list[str], gids: list[str]) -> dict:
    conflicts: dict[str, tuple[str, str]] = {}
    for kind, values in (("national_id", nids), ("g_code", gids)):
        for start in range(0, len(values), 5000):
            chunk = values[start : start + 5000]
            rows = (
                Learner.objects.filter(**{f"{kind}__in": chunk}, status=Status.ACTIVE)
                .exclude(organisation=organisation)
                .values_list(kind, "organisation__code", "organisation__name_th")
            )
            for value, code, name in rows:
                conflicts[value] = (code, name)
    return conflicts


def learners_bulk_upsert(
    *, organisation, items: list[dict], acting_user, dry_run: bool = False
) -> BulkResult:
    """items: cleaned dicts from learner_clean. Matches by identity among this institution's learners: new →
    created, known with different values → updated (a learner who had left is reactivated), else unchanged.
    Locks the institution row, refuses confirmed_locked, refuses identities active in ANOTHER institution
    (identity_active_elsewhere with `conflicts` {identity: (code, name_th)}) writing nothing; otherwise writes
    all in bulk with history and updates the counters once. dry_run=True writes nothing."""
    with transaction.atomic():
        org = lock_institution(organisation.pk)
        seen: set[str] = set()
        for item in items:
            key = item.get("national_id") or item.get("g_code")
            if not key:
                raise Invalid({"national_id": [_("Every row needs a national ID or a G-Code.")]})
            if key in seen:
                raise Invalid({"national_id": [_("The identity %(id)s appears twice.") % {"id": key}]})
            seen.add(key)
        nids = [i["national_id"] for i in items if i.get("national_id")]
        gids = [i["g_code"] for i in items if i.get("g_code")]
        conflicts = _find_active_elsewhere(org, nids, gids)
        if conflicts:
            raise DomainError(
                _("%(n)s learners are enrolled at another institution.") % {"n": len(conflicts)},
                code=Code.IDENTITY_ACTIVE_ELSEWHERE,
                conflicts=conflicts,
            )
        existing: dict[str, Learner] = {}
        own = Learner.objects.filter(organisation=org).filter(
            Q(national_id__isnull=False) | Q(g_code__isnull=False)
        )
        if len(items) < 2000:
            own = own.filter(Q(national_id__in=nids) | Q(g_code__in=gids))
        for learner in own.order_by("id"):
            key = learner.identity
            if key not in seen:
                continue
            held = existing.get(key)
            # The active record wins; else the latest one who left.
            if held is None or held.status != Status.ACTIVE:
                existing[key] = learner
        today = timezone.localdate()
        to_create: list[Learner] = []
        to_update: list[Learner] = []
        update_fields: set[str] = set()
        deltas: Counter = Counter()
        unchanged = 0
        for item in items:
            key = item.get("national_id") or item.get("g_code")
            values = {k: v for k, v in item.items() if k in FIELDS}
            learner = existing.get(key)
            if learner is None:
                learner = Learner(organisation=org, **{**DEFAULTS, **values})
                learner.enrolled_on = learner.enrolled_on or today
                learner.level_order = levels.ORDER[learner.class_level]
                to_create.append(learner)
                deltas.update(_count_change(None, _count_key(learner)))
                continue
            changed = [f for f, v in values.items() if getattr(learner, f) != v]
            if not changed and learner.status == Status.ACTIVE:
                unchanged += 1
                continue
            before = _count_key(learner)
            for field in changed:
                setattr(learner, field, values[field])
            if learner.status != Status.ACTIVE:
                learner.status, learner.left_on, learner.left_note = Status.ACTIVE, None, ""
                changed += ["status", "left_on", "left_note"]
            learner.level_order = levels.ORDER[learner.class_level]
            learner.version += 1
            learner.updated_at = timezone.now()
            update_fields.update(changed)
            to_update.append(learner)
            deltas.update(_count_change(before, _count_key(learner)))
        result = BulkResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)
        if dry_run:
            return result
        user = acting_user if getattr(acting_user, "pk", None) else None
        try:
            with transaction.atomic():
                if to_create:
                    bulk_create_with_history(to_create, Learner, batch_size=500, default_user=user)
                if to_update:
                    fields = sorted(update_fields | {"level_order", "version", "updated_at"})
                    _bulk_update(to_update, fields, user=user)
        except IntegrityError:
            # Another institution enrolled one of these identities meanwhile.
            conflicts = _find_active_elsewhere(org, nids, gids)
            if not conflicts:
                raise
            raise DomainError(
                _("%(n)s learners are enrolled at another institution.") % {"n": len(conflicts)},
                code=Code.IDENTITY_ACTIVE_ELSEWHERE,
                conflicts=conflicts,
            ) from None
        counts_apply(deltas)
        return result


# ---------------------------------------------------------------------------------------------------------
# Transfers


def _find_active(value: str) -> Learner | None:
    key = identity.normalise(value)
    if not key:
        return None
    q = Q(g_code=key) if key.startswith("G") else Q(national_id=key)
    return Learner.objects.filter(q, status=Status.ACTIVE).select_related("organisation").first()


@transaction.atomic
def transfer_request(
    *, identity_value: str, to_organisation: Organisation, class_level: str, acting_user
) -> Transfer:
    """Filed by the receiving institution's staff (the caller checked edit_learners on `to_organisation`)."""
    level = levels.parse_level(class_level) if class_level else None
    if level is None:
        raise Invalid({"class_level": [_("Choose the class level the learner will join.")]})
    if level not in levels.taught_by(to_organisation.kind):
        raise Invalid(
            {"class_level": [_("Your institution does not teach this class level. Choose another.")]}
        )
    learner = _find_active(identity_value)
    if learner is None:
        raise NotFound(
            _("No institution in LEC has an active learner with this ID. Add the learner instead.")
        )
    if learner.organisation_id == to_organisation.pk:
        raise DomainError(
            _("This learner is already enrolled at your institution."), code=Code.INVALID_TRANSITION
        )
    reference = age_reference_date()
    age = age_on(learner.birth_date, reference)
    if not levels.age_fits(level, age, to_organisation.kind):
        raise Invalid(
            {
                "class_level": [
                    _(
                        "On %(date)s this learner is %(age)s years old, which does not fit %(level)s. "
                        "Choose another class level."
                    )
                    % {"date": format_date(reference), "age": age, "level": levels.BY_CODE[level].short}
                ]
            }
        )
    if Transfer.objects.filter(learner=learner, state=Transfer.State.PENDING).exists():
        raise DomainError(
            _("A transfer request for this learner is already waiting for a decision."),
            code=Code.ALREADY_PENDING,
        )
    transfer = Transfer(
        learner=learner,
        identity=learner.identity,
        from_organisation=learner.organisation,
        to_organisation=to_organisation,
        class_level=level,
        requested_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError:
        raise DomainError(
            _("A transfer request for this learner is already waiting for a decision."),
            code=Code.ALREADY_PENDING,
        ) from None
    return transfer


def _lock_pair(a_id: int, b_id: int) -> dict[int, Organisation]:
    """Lock two institutions' rows in id order (no deadlock between opposite transfers) and check both locks."""
    return {pk: lock_institution(pk) for pk in sorted({a_id, b_id})}


def _pending_for_decision(transfer_id: int) -> Transfer:
    transfer = Transfer.objects.select_for_update().filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound()
    if transfer.state != Transfer.State.PENDING:
        raise DomainError(_("This transfer request has already been decided."), code=Code.ALREADY_DECIDED)
    return transfer


@transaction.atomic
def transfer_approve(*, transfer_id: int, acting_user) -> Transfer:
    """Move the same learner record (history kept) to the receiving institution."""
    ids = (
        Transfer.objects.filter(pk=transfer_id)
        .values_list("from_organisation_id", "to_organisation_id")
        .first()
    )
    if ids is None:
        raise NotFound()
    orgs = _lock_pair(*ids)
    transfer = _pending_for_decision(transfer_id)
    learner = Learner.objects.select_for_update().get(pk=transfer.learner_id)
    if learner.status != Status.ACTIVE or learner.organisation_id != transfer.from_organisation_id:
        raise DomainError(
            _("The learner is no longer enrolled at the sending institution."), code=Code.NOT_ACTIVE
        )
    before = _count_key(learner)
    learner.organisation = orgs[transfer.to_organisation_id]
    learner.class_level = transfer.class_level
    learner.enrolled_on = timezone.localdate()
    learner.version += 1
    learner._history_user = acting_user
    learner._change_reason = f"transfer {transfer.pk}"
    learner.save()
    transfer.state = Transfer.State.APPROVED
    transfer.decided_by = acting_user if getattr(acting_user, "pk", None) else None
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["state", "decided_by", "decided_at"])
    counts_apply(_count_change(before, _count_key(learner)))
    return transfer


@transaction.atomic
def transfer_reject(*, transfer_id: int, reason: str, acting_user) -> Transfer:
    reason = clean_text(reason)
    if not reason:
        raise Invalid({"reason": [_("Say why the transfer is rejected.")]})
    if len(reason) > 500:
        raise Invalid({"reason": [_("Shorten this to at most 500 characters.")]})
    transfer = _pending_for_decision(transfer_id)
    transfer.state = Transfer.State.REJECTED
    transfer.reason = reason
    transfer.decided_by = acting_user if getattr(acting_user, "pk", None) else None
    transfer.decided_at = timezone.now()
    transfer.save(update_fields=["state", "reason", "decided_by", "decided_at"])
    return transfer


# ---------------------------------------------------------------------------------------------------------
# Promotion (domain.md "Promotion")

SECONDARY = ("m1", "m2", "m3", "m4", "m5", "m6")
_NEXT = {
    "prek": "k1", "k1": "k2", "k2": "k3", "k3": "p1",
    "p1": "p2", "p2": "p3", "p3": "p4", "p4": "p5", "p5": "p6", "p6": "m1",
    "m1": "m2", "m2": "m3", "m3": "m4", "m4": "m5", "m5": "m6", "m6": None,
    "voc1": "voc2", "voc2": "voc3", "voc3": None,
    "cdc2": "cdc3", "cdc3": "cdc4", "cdc4": "cdc5", "cdc5": None,
}  # fmt: skip
PROMOTION_REPEAT_DAYS = 180


def promotion_teaches_secondary(organisation: Organisation) -> bool:
    """Whether ป.6 moves up to ม.1 here by default: the school has learners in secondary levels."""
    return Learner.objects.filter(
        organisation=organisation, status=Status.ACTIVE, class_level__in=SECONDARY
    ).exists()


def promotion_plan(
    *, organisation: Organisation, p6_to_m1: bool | None = None
) -> list[tuple[Learner, str | None]]:
    """[(learner, next level or None = graduates)] for every active learner, in roster order."""
    if p6_to_m1 is None:
        p6_to_m1 = promotion_teaches_secondary(organisation)
    learners = Learner.objects.filter(organisation=organisation, status=Status.ACTIVE).only(
        "id", "prefix", "first_name", "last_name", "class_level", "room", "gender", "version", "organisation_id",
        "status", "level_order",
    )  # fmt: skip
    plan = []
    for learner in learners:
        target = _NEXT.get(learner.class_level)
        if learner.class_level == "p6" and not p6_to_m1:
            target = None
        plan.append((learner, target))
    return plan


def promotion_preview(*, organisation: Organisation, p6_to_m1: bool | None = None) -> dict:
    """Counts per (from level, to level or 'graduated') for the preview page and the check before applying."""
    summary: Counter = Counter()
    for learner, target in promotion_plan(organisation=organisation, p6_to_m1=p6_to_m1):
        summary[(learner.class_level, target or "graduated")] += 1
    rows = sorted(summary.items(), key=lambda kv: levels.ORDER[kv[0][0]])
    return {
        "rows": [{"from": f, "to": t, "count": n} for (f, t), n in rows],
        "moved": sum(n for (_f, t), n in summary.items() if t != "graduated"),
        "graduated": sum(n for (_f, t), n in summary.items() if t == "graduated"),
    }


@transaction.atomic
def promotion_apply(
    *, organisation: Organisation, acting_user, p6_to_m1: bool | None = None, on: dt.date | None = None
) -> PromotionBatch:
    org = lock_institution(organisation.pk)
    since = timezone.now() - dt.timedelta(days=PROMOTION_REPEAT_DAYS)
    earlier = PromotionBatch.objects.filter(
        organisation=org, undone_at__isnull=True, created_at__gte=since
    ).first()
    if earlier is not None:
        raise DomainError(
            _(
                "This institution was already promoted on %(date)s. Undo that promotion first if it was a mistake."
            )
            % {"date": format_date(earlier.created_at)},
            code=Code.INVALID_TRANSITION,
        )
    on = on or timezone.localdate()
    plan = promotion_plan(organisation=org, p6_to_m1=p6_to_m1)
    deltas: Counter = Counter()
    changed = []
    now = timezone.now()
    records = []
    for learner, target in plan:
        before = _count_key(learner)
        from_level = learner.class_level
        if target is None:
            learner.status, learner.left_on, learner.left_note = Status.GRADUATED, on, ""
        else:
            learner.class_level = target
            learner.level_order = levels.ORDER[target]
        learner.version += 1
        learner.updated_at = now
        deltas.update(_count_change(before, _count_key(learner)))
        changed.append(learner)
        records.append([learner.id, from_level, target, learner.version])
    batch = PromotionBatch.objects.create(
        organisation=org,
        on=on,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
        changes=records,
    )
    if changed:
        user = acting_user if getattr(acting_user, "pk", None) else None
        fields = ["class_level", "level_order", "status", "left_on", "left_note", "version", "updated_at"]
        _bulk_update(changed, fields, user=user, reason=f"promotion {batch.pk}")
    counts_apply(deltas)
    return batch


@transaction.atomic
def promotion_undo(*, batch_id: int, acting_user) -> PromotionBatch:
    org_id = PromotionBatch.objects.filter(pk=batch_id).values_list("organisation_id", flat=True).first()
    if org_id is None:
        raise NotFound()
    lock_institution(org_id)
    batch = PromotionBatch.objects.select_for_update().get(pk=batch_id)
    if batch.undone_at is not None:
        raise DomainError(_("This promotion has already been undone."), code=Code.ALREADY_DECIDED)
    if (
        PromotionBatch.objects.filter(organisation_id=org_id, created_at__gt=batch.created_at)
        .exclude(pk=batch.pk)
        .filter(undone_at__isnull=True)
        .exists()
    ):
        raise DomainError(_("Undo the later promotion first."), code=Code.INVALID_TRANSITION)
    records = {c[0]: c for c in batch.changes}
    learners = list(Learner.objects.select_for_update().filter(pk__in=list(records)))
    moved_on = [lr for lr in learners if lr.version != records[lr.id][3] or lr.organisation_id != org_id]
    if moved_on:
        raise DomainError(
            _(
                "%(n)s learners were changed after the promotion (for example %(name)s), so it cannot be undone "
                "automatically. Correct their class levels one by one."
            )
            % {"n": len(moved_on), "name": str(moved_on[0])},
            code=Code.INVALID_TRANSITION,
        )
    deltas: Counter = Counter()
    now = timezone.now()
    for learner in learners:
        _id, from_level, target, _version = records[learner.id]
        before = _count_key(learner)
        learner.class_level = from_level
        learner.level_order = levels.ORDER[from_level]
        if target is None:
            learner.status, learner.left_on, learner.left_note = Status.ACTIVE, None, ""
        learner.version += 1
        learner.updated_at = now
        deltas.update(_count_change(before, _count_key(learner)))
    user = acting_user if getattr(acting_user, "pk", None) else None
    try:
        with transaction.atomic():
            if learners:
                _bulk_update(
                    learners,
                    ["class_level", "level_order", "status", "left_on", "left_note", "version", "updated_at"],
                    user=user,
                    reason=f"undo promotion {batch.pk}",
                )
    except IntegrityError:
        raise DomainError(
            _("A graduate of this promotion is now enrolled at another institution, so it cannot be undone."),
            code=Code.INVALID_TRANSITION,
        ) from None
    batch.undone_at = now
    batch.undone_by = user
    batch.save(update_fields=["undone_at", "undone_by"])
    counts_apply(deltas)
    return batch
