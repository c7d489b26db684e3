"""One learner at a time: create, edit, leave. Each locks the institution, validates with learner_clean and
keeps the counters right; a clash on the active-identity indexes becomes 409 naming the institution holding it."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib.errors import Code, DomainError, Invalid, NotFound
from lec.lib.thai import clean_text, format_date
from schools.models import Kind, Organisation

from ..models import LEAVE_REASONS, Learner, Status, Transfer
from .cleaning import DEFAULTS, FIELDS, learner_clean, learner_data
from .counters import count_change, count_key, counts_apply, lock_institution


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
    counts_apply(count_change(None, count_key(learner)))
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
    before = count_key(learner)
    changed = [f for f in FIELDS if f in cleaned and getattr(learner, f) != cleaned[f]]
    if not changed:
        return learner
    for field in changed:
        setattr(learner, field, cleaned[field])
    learner.version += 1
    learner._history_user = acting_user
    _save_unique(learner)
    counts_apply(count_change(before, count_key(learner)))
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
    before = count_key(learner)
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
    counts_apply(count_change(before, None))
    return learner
