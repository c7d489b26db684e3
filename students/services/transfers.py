"""Transfers between institutions: requested by the receiving one, approved (the same record moves, history
kept) or rejected."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib import levels
from lec.lib.errors import Code, DomainError, Invalid, NotFound
from lec.lib.thai import age_on, clean_text, format_date
from schools.models import Organisation

from .. import identity
from ..models import Learner, Status, Transfer
from .cleaning import age_reference_date
from .counters import count_change, count_key, counts_apply, lock_institution


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
    before = count_key(learner)
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
    counts_apply(count_change(before, count_key(learner)))
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
