"""Learner reads shared by pages, the API and exports, limited by accounts.policy and masked per caller."""

from collections import Counter

from django.db.models import Count

from .models import Learner, LearnerCount, Status


def count_differences() -> tuple[int, list[str]]:
    """Recompute every institution's live counts from its active learners and compare with LearnerCount.
    Returns (institutions checked, one line per difference)."""
    actual: Counter = Counter()
    rows = (
        Learner.objects.filter(status=Status.ACTIVE)
        .values_list("organisation__code", "class_level", "gender")
        .annotate(n=Count("id"))
        .order_by()
    )
    for code, level, gender, n in rows:
        actual[(code, level, gender)] = n
    stored: Counter = Counter()
    for code, level, gender, n in LearnerCount.objects.values_list(
        "organisation__code", "class_level", "gender", "count"
    ):
        stored[(code, level, gender)] = n
    lines = []
    for key in sorted(set(actual) | set(stored)):
        if actual[key] != stored[key]:
            code, level, gender = key
            lines.append(f"{code} {level} {gender}: counter {stored[key]}, learners {actual[key]}")
    institutions = {k[0] for k in actual} | {k[0] for k in stored}
    return len(institutions), lines
