"""Promotion (domain.md "Promotion"): every active learner moves up a class level or graduates, in one batch
that can be undone while nobody changed its learners since."""

import datetime as dt
from collections import Counter

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lec.lib import levels
from lec.lib.errors import Code, DomainError, NotFound
from lec.lib.thai import format_date
from schools.models import Organisation

from ..models import Learner, PromotionBatch, Status
from .bulk import bulk_update
from .counters import count_change, count_key, counts_apply, lock_institution

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
        summary[(learner.class_level, target or Status.GRADUATED.value)] += 1
    rows = sorted(summary.items(), key=lambda kv: levels.ORDER[kv[0][0]])
    return {
        "rows": [{"from": f, "to": t, "count": n} for (f, t), n in rows],
        "moved": sum(n for (_f, t), n in summary.items() if t != Status.GRADUATED),
        "graduated": sum(n for (_f, t), n in summary.items() if t == Status.GRADUATED),
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
        before = count_key(learner)
        from_level = learner.class_level
        if target is None:
            learner.status, learner.left_on, learner.left_note = Status.GRADUATED, on, ""
        else:
            learner.class_level = target
            learner.level_order = levels.ORDER[target]
        learner.version += 1
        learner.updated_at = now
        deltas.update(count_change(before, count_key(learner)))
        changed.append(learner)
        records.append([learner.id, from_level, target, learner.version])
    batch = PromotionBatch.objects.create(
        organisation=org,
        on=on,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
        changes=records,
    )
    if changed:
        history_user = acting_user if getattr(acting_user, "pk", None) else None
        fields = ["class_level", "level_order", "status", "left_on", "left_note", "version", "updated_at"]
        bulk_update(changed, fields, acting_user=history_user, reason=f"promotion {batch.pk}")
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
        before = count_key(learner)
        learner.class_level = from_level
        learner.level_order = levels.ORDER[from_level]
        if target is None:
            learner.status, learner.left_on, learner.left_note = Status.ACTIVE, None, ""
        learner.version += 1
        learner.updated_at = now
        deltas.update(count_change(before, count_key(learner)))
    history_user = acting_user if getattr(acting_user, "pk", None) else None
    try:
        with transaction.atomic():
            if learners:
                bulk_update(
                    learners,
                    ["class_level", "level_order", "status", "left_on", "left_note", "version", "updated_at"],
                    acting_user=history_user,
                    reason=f"undo promotion {batch.pk}",
                )
    except IntegrityError:
        raise DomainError(
            _("A graduate of this promotion is now enrolled at another institution, so it cannot be undone."),
            code=Code.INVALID_TRANSITION,
        ) from None
    batch.undone_at = now
    batch.undone_by = history_user
    batch.save(update_fields=["undone_at", "undone_by"])
    counts_apply(deltas)
    return batch
