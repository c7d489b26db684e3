"""Headcounts (api.md "Headcounts"): sums over the counter, entry and snapshot tables, never over learners; and
the confirm step's table with the warnings worth a second look."""

from collections import defaultdict

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from lec.lib import levels
from schools.models import Kind, Organisation, OtherSchoolCount, Round, subtree_q
from students.models import Gender, LearnerCount

from .. import totals
from ..models import Confirmation, HeadcountSnapshot, Scope
from .participation import CONFIRMED

ALL = "all"  # the `scope` parameter's value for both scopes together
SCOPE_PARTS = (("learners", Scope.LEARNERS), ("other", Scope.OTHER_SCHOOLS))  # cached part suffix, scope


def _side(gender) -> int:
    return 0 if gender == Gender.MALE else 1


def _headcount_rows(org: Organisation, sums: dict, by: str) -> list[dict]:
    """api.md's rows from {child id or class level: [male, female]}: children by code (active ones even at zero),
    or class levels in domain.md order."""
    rows = []
    if by == "child":
        children = Organisation.objects.filter(parent=org).filter(Q(is_active=True) | Q(pk__in=list(sums)))
        for child in children.order_by("code"):
            m, f = sums.get(child.pk, (0, 0))
            rows.append(
                {"code": child.code, "name_th": child.name_th, "male": m, "female": f, "total": m + f}
            )
    else:
        for code in sorted(sums, key=lambda c: levels.ORDER.get(c, 99)):
            m, f = sums[code]
            rows.append({"class_level": code, "male": m, "female": f, "total": m + f})
    return rows


def _headcounts_cached(round_: Round, org: Organisation, *, source: str, scope: str, by: str) -> dict:
    """headcounts() for a department or province, from the per-province cached parts (confirmations.totals)."""
    names = [f"{source}_{suffix}" for suffix, s in SCOPE_PARTS if scope in (s, ALL)]
    if org.kind == Kind.PROVINCE:
        pids = [org.id]
    else:
        pids = list(
            Organisation.objects.filter(subtree_q(org.path), kind=Kind.PROVINCE).values_list("id", flat=True)
        )
    sums: dict = defaultdict(lambda: [0, 0])
    for name in names:
        if by == "child" and org.kind == Kind.PROVINCE:
            for laos in totals.province_parts(name, round_, pids, detail="laos").values():
                for lao_id, (m, f) in laos.items():
                    sums[lao_id][0] += m
                    sums[lao_id][1] += f
            continue
        parts = totals.province_parts(name, round_, pids)
        if by == "child":
            for pid, part in parts.items():
                sums[pid][0] += part["sum"][0]
                sums[pid][1] += part["sum"][1]
        else:
            for (level, g), n in totals.sum_levels(parts).items():
                sums[level][_side(g)] += n
    rows = _headcount_rows(org, sums, by)
    return {"organisation": org.code, "round": round_.pk, "source": source, "scope": scope, "rows": rows,
            "total": sum(r["total"] for r in rows)}  # fmt: skip


def _sources(round_: Round, source: str, scope: str) -> list[tuple]:
    """(queryset, path field prefix, gender field or None for male/female columns) for each table summed."""
    parts = []
    for _suffix, s in SCOPE_PARTS:
        if scope not in (s, ALL):
            continue
        if source == "live" and s == Scope.LEARNERS:
            parts.append((LearnerCount.objects.all(), "organisation", "gender"))
        elif source == "live":
            parts.append((OtherSchoolCount.objects.filter(entry__round=round_), "entry__school", None))
        else:
            snapshots = HeadcountSnapshot.objects.filter(
                confirmation__round=round_, confirmation__scope=s, confirmation__state=CONFIRMED
            )
            parts.append((snapshots, "school", "gender"))
    return parts


def headcounts(round_: Round, org: Organisation, *, source="confirmed", scope=ALL, by="class_level") -> dict:
    """api.md "Headcounts": sums over the counter, entry and snapshot tables of the subtree; never over learners."""
    wanted = [f"{source}_{suffix}" for suffix, s in SCOPE_PARTS if scope in (s, ALL)]
    if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE) and all(totals.cacheable(p) for p in wanted):
        return _headcounts_cached(round_, org, source=source, scope=scope, by=by)
    key = totals.child_key(org) if by == "child" else None
    sums: dict = defaultdict(lambda: [0, 0])
    for qs, prefix, gender_field in _sources(round_, source, scope):
        if by == "child" and key is None:
            continue
        qs = qs.filter(subtree_q(org.path, f"{prefix}__path"))
        k = f"{prefix}__{key}" if by == "child" else "class_level"
        if gender_field:
            for kv, g, n in (
                qs.values(k, gender_field).annotate(n=Sum("count")).values_list(k, gender_field, "n")
            ):
                sums[kv][_side(g)] += n or 0
        else:
            for kv, m, f in qs.values(k).annotate(m=Sum("male"), f=Sum("female")).values_list(k, "m", "f"):
                sums[kv][0] += m or 0
                sums[kv][1] += f or 0
    rows = _headcount_rows(org, sums, by)
    total = sum(r["total"] for r in rows) if by == "child" or rows else 0
    if by == "child" and key is None:
        total = 0
    return {"organisation": org.code, "round": round_.pk, "source": source, "scope": scope, "rows": rows,
            "total": total}  # fmt: skip


def level_gender_counts(org: Organisation) -> list[dict]:
    """An institution's live counts per class level × gender (the confirm step's table)."""
    found: dict = defaultdict(lambda: [0, 0])
    for lvl, g, n in LearnerCount.objects.filter(organisation=org, count__gt=0).values_list(
        "class_level", "gender", "count"
    ):
        found[lvl][_side(g)] += n
    return [
        {"class_level": c, "level": levels.BY_CODE.get(c), "male": m, "female": f, "total": m + f}
        for c, (m, f) in sorted(found.items(), key=lambda kv: levels.ORDER.get(kv[0], 99))
    ]


def confirm_warnings(round_: Round, org: Organisation, counts: list[dict]) -> list[str]:
    """Things worth a second look before an institution confirms."""
    warnings = []
    if not counts:
        warnings.append(_("No learners are recorded. Confirm only if the institution really has none."))
    taught = set(levels.taught_by(org.kind))
    wrong = [r["class_level"] for r in counts if r["class_level"] not in taught]
    if wrong:
        warnings.append(_("Learners in class levels this institution does not teach: %(levels)s") % {
            "levels": ", ".join(levels.BY_CODE[c].short if c in levels.BY_CODE else c for c in wrong)})  # fmt: skip
    previous = (
        Confirmation.objects.filter(organisation=org, scope=Scope.LEARNERS, state=CONFIRMED)
        .exclude(round=round_)
        .order_by("-round__academic_year", "-round__term")
        .first()
    )
    if previous is not None:
        before = sum(previous.snapshot.values_list("count", flat=True))
        now = sum(r["total"] for r in counts)
        if before and abs(now - before) > max(10, before // 5):
            warnings.append(
                _(
                    "The number of learners changed from %(before)s in the previous round to %(now)s: check it."
                )
                % {"before": f"{before:,}", "now": f"{now:,}"}
            )
    return warnings
