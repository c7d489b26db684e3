"""The institution lock every learner write takes, and the live counters (LearnerCount) kept in the same
transaction: one row per institution, class level and gender counting its active learners."""

from collections import Counter

from django.db.models import F

from lec.lib import generations
from lec.lib.errors import learners_locked
from schools.models import Organisation

from ..models import Learner, LearnerCount, Status


def lock_institution(organisation_id: int) -> Organisation:
    """Design.md rule 10: every learner write takes its institution's row (shared with other writes, exclusive
    against a confirm) and checks the edit lock there."""
    org = Organisation.objects.select_for_update(no_key=True).get(pk=organisation_id)
    if org.learners_locked:
        raise learners_locked(org)
    return org


def count_key(learner: Learner) -> tuple[int, str, str] | None:
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


def count_change(before, after) -> Counter:
    deltas: Counter = Counter()
    if before is not None:
        deltas[before] -= 1
    if after is not None:
        deltas[after] += 1
    return deltas
