"""Headcount totals per province, cached under lec.lib.generations counters (docs/performance.md "Cached totals").

National and provincial figures are sums of per-province parts. Each part is computed by one grouped query over
the provinces whose counter moved since it was cached, and read for the others from the cache: on deadline day a
national page recomputes the few provinces that changed, not 1.5 million learners' worth of counters.
"""

from collections import defaultdict

from django.core.cache import cache
from django.db.models import Sum

from lec.lib import generations
from schools.models import OtherSchoolCount
from students.models import LearnerCount

from .models import HeadcountSnapshot, Scope

CONFIRMED = "confirmed"
TTL = 6 * 3600
# part → the generation kind that invalidates it
PARTS = {
    "live_learners": "live",
    "live_other": "other",
    "confirmed_learners": "confirmed",
    "confirmed_other": "confirmed",
    "progress": "confirmed",  # LAOs confirmed of those participating; also keyed on `other` (closing a school)
}
PROGRESS_TTL = 300  # an institution closed in the admin bumps nothing: bound how long its LAO may count it


def _compute(part: str, rnd, province_ids: list[int]) -> dict[int, dict]:
    """{province id: {"levels": {(level, gender): n}, "laos": {lao id: [male, female]}}} from the database."""
    out = {p: {"levels": defaultdict(int), "laos": defaultdict(lambda: [0, 0])} for p in province_ids}
    if part == "live_learners":
        qs, prefix, gender = (
            LearnerCount.objects.filter(organisation__province_id__in=province_ids),
            "organisation",
            "gender",
        )
    elif part == "live_other":
        qs = OtherSchoolCount.objects.filter(entry__round=rnd, entry__school__province_id__in=province_ids)
        prefix, gender = "entry__school", None
    else:
        scope = Scope.LEARNERS if part == "confirmed_learners" else Scope.OTHER_SCHOOLS
        qs = HeadcountSnapshot.objects.filter(
            confirmation__round=rnd,
            confirmation__scope=scope,
            confirmation__state=CONFIRMED,
            school__province_id__in=province_ids,
        )
        prefix, gender = "school", "gender"
    prov = f"{prefix}__province_id"
    lao = f"{prefix}__lao_id"
    if gender:
        for p, level, g, n in (
            qs.values(prov, "class_level", gender)
            .annotate(n=Sum("count"))
            .values_list(prov, "class_level", gender, "n")
        ):
            out[p]["levels"][(level, g)] += n or 0
        for p, lao_id, g, n in (
            qs.values(prov, lao, gender).annotate(n=Sum("count")).values_list(prov, lao, gender, "n")
        ):
            out[p]["laos"][lao_id][0 if g == "male" else 1] += n or 0
    else:
        for p, level, m, f in (
            qs.values(prov, "class_level")
            .annotate(m=Sum("male"), f=Sum("female"))
            .values_list(prov, "class_level", "m", "f")
        ):
            out[p]["levels"][(level, "male")] += m or 0
            out[p]["levels"][(level, "female")] += f or 0
        for p, lao_id, m, f in (
            qs.values(prov, lao).annotate(m=Sum("male"), f=Sum("female")).values_list(prov, lao, "m", "f")
        ):
            out[p]["laos"][lao_id][0] += m or 0
            out[p]["laos"][lao_id][1] += f or 0
    return {p: {"levels": dict(v["levels"]), "laos": dict(v["laos"])} for p, v in out.items()}


def cacheable(part: str) -> bool:
    """Whether this part may come from the cache here (every writer of it bumps its counter; Redis; PostgreSQL)."""
    return PARTS[part] in generations.BUMPED and generations.namespace() is not None


def province_parts(part: str, rnd, province_ids: list[int], detail: str = "levels") -> dict[int, dict]:
    """The part's totals for each province: cached where its counter has not moved, computed where it has.

    detail "levels": {"levels": {(level, gender): n}, "sum": [male, female]}; "laos": {lao id: [male, female]}.
    They are cached apart, so a national figure unpickles 76 small dicts, not every LAO of the country."""
    ns = generations.namespace() if PARTS[part] in generations.BUMPED else None
    if ns is None or not province_ids:
        return {p: _shape(v, detail) for p, v in _compute(part, rnd, list(province_ids)).items()}
    epoch = generations.current("epoch", [0])[0]
    gens = generations.current(PARTS[part], province_ids)
    rid = getattr(rnd, "pk", rnd)

    def key(p, d):
        return f"{ns}:tot:{part}:{d}:{rid}:{p}:{gens[p]}:{epoch}"

    keys = {key(p, detail): p for p in province_ids}
    found = cache.get_many(list(keys))
    result = {keys[k]: v for k, v in found.items()}
    missing = [p for k, p in keys.items() if k not in found]
    if missing:
        fresh = _compute(part, rnd, missing)
        cache.set_many({key(p, d): _shape(v, d) for p, v in fresh.items() for d in ("levels", "laos")}, TTL)
        result.update({p: _shape(v, detail) for p, v in fresh.items()})
    return result


def province_progress(rnd, province_ids: list[int], compute) -> dict[int, tuple[int, int]]:
    """compute(rnd, ids) → {province id: (participating LAOs, fully confirmed LAOs)}, cached per province."""
    ns = generations.namespace()
    epoch = generations.current("epoch", [0])[0]
    conf = generations.current("confirmed", province_ids)
    other = generations.current("other", province_ids)
    keys = {f"{ns}:progress:{rnd.pk}:{p}:{conf[p]}:{other[p]}:{epoch}": p for p in province_ids}
    found = cache.get_many(list(keys))
    result = {keys[k]: tuple(v) for k, v in found.items()}
    missing = [p for k, p in keys.items() if k not in found]
    if missing:
        fresh = compute(rnd, missing)
        cache.set_many({k: fresh[p] for k, p in keys.items() if p in fresh}, PROGRESS_TTL)
        result.update(fresh)
    return result


def _shape(value: dict, detail: str) -> dict:
    if detail == "laos":
        return value["laos"]
    m = sum(n for (_lvl, g), n in value["levels"].items() if g == "male")
    f = sum(n for (_lvl, g), n in value["levels"].items() if g != "male")
    return {"levels": value["levels"], "sum": [m, f]}


def sum_levels(parts: dict[int, dict]) -> dict[tuple[str, str], int]:
    total: dict = defaultdict(int)
    for part in parts.values():
        for key, n in part["levels"].items():
            total[key] += n
    return total
