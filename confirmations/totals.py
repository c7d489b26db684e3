"""Headcount totals per province, cached under lec.lib.generations counters (docs/performance.md "Cached totals").

National and provincial figures are sums of per-province parts. Each part is computed by one grouped query over
the provinces whose counter moved since it was cached, and read for the others from the cache: on deadline day a
national page recomputes the few provinces that changed, not 1.5 million learners' worth of counters.
"""

from collections import defaultdict

from django.core.cache import cache
from django.db.models import Sum

from lec.db_router import primary_only
from lec.lib import generations
from schools.models import Kind, Organisation, OtherSchoolCount, subtree_q
from students.models import Gender, LearnerCount

from .models import Confirmation, HeadcountSnapshot, Scope

CONFIRMED = Confirmation.State.CONFIRMED
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


def _compute(part: str, round_, province_ids: list[int]) -> dict[int, dict]:
    """{province id: {"levels": {(level, gender): n}, "laos": {lao id: [male, female]}}} from the database."""
    out = {p: {"levels": defaultdict(int), "laos": defaultdict(lambda: [0, 0])} for p in province_ids}
    if part == "live_learners":
        qs, prefix, gender = (
            LearnerCount.objects.filter(organisation__province_id__in=province_ids),
            "organisation",
            "gender",
        )
    elif part == "live_other":
        qs = OtherSchoolCount.objects.filter(entry__round=round_, entry__school__province_id__in=province_ids)
        prefix, gender = "entry__school", None
    else:
        scope = Scope.LEARNERS if part == "confirmed_learners" else Scope.OTHER_SCHOOLS
        qs = HeadcountSnapshot.objects.filter(
            confirmation__round=round_,
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
            out[p]["laos"][lao_id][0 if g == Gender.MALE else 1] += n or 0
    else:
        for p, level, m, f in (
            qs.values(prov, "class_level")
            .annotate(m=Sum("male"), f=Sum("female"))
            .values_list(prov, "class_level", "m", "f")
        ):
            out[p]["levels"][(level, Gender.MALE)] += m or 0
            out[p]["levels"][(level, Gender.FEMALE)] += f or 0
        for p, lao_id, m, f in (
            qs.values(prov, lao).annotate(m=Sum("male"), f=Sum("female")).values_list(prov, lao, "m", "f")
        ):
            out[p]["laos"][lao_id][0] += m or 0
            out[p]["laos"][lao_id][1] += f or 0
    return {p: {"levels": dict(v["levels"]), "laos": dict(v["laos"])} for p, v in out.items()}


def cacheable(part: str) -> bool:
    """Whether this part may come from the cache here (every writer of it bumps its counter; Redis; PostgreSQL)."""
    return PARTS[part] in generations.BUMPED and generations.namespace() is not None


def counters(province_ids: list[int]) -> dict[str, dict[int, int]] | None:
    """Every counter a dashboard's cached parts and progress are keyed on, for these provinces, read at once (one
    query or one cache round trip instead of two per part); None when nothing is cached here."""
    if generations.namespace() is None:
        return None
    ids = list(province_ids)
    return generations.current_many({"epoch": [0], **{kind: ids for kind in sorted(set(PARTS.values()))}})


def _counters(gens, kind: str, province_ids: list[int]) -> dict[int, int]:
    """The counters of `kind` from `gens` (counters()) when it has every province, else read now."""
    if gens is not None and kind in gens and all(p in gens[kind] for p in province_ids):
        return gens[kind]
    return generations.current(kind, province_ids)


def province_parts(
    part: str, round_, province_ids: list[int], detail: str = "levels", gens=None
) -> dict[int, dict]:
    """The part's totals for each province: cached where its counter has not moved, computed where it has.

    detail "levels": {"levels": {(level, gender): n}, "sum": [male, female]}; "laos": {lao id: [male, female]}.
    They are cached apart, so a national figure unpickles 76 small dicts, not every LAO of the country."""
    ns = generations.namespace() if PARTS[part] in generations.BUMPED else None
    if ns is None or not province_ids:
        return {p: _shape(v, detail) for p, v in _compute(part, round_, list(province_ids)).items()}
    epoch = _counters(gens, "epoch", [0])[0]
    counter = _counters(gens, PARTS[part], province_ids)
    rid = getattr(round_, "pk", round_)

    def key(p, d):
        return f"{ns}:tot:{part}:{d}:{rid}:{p}:{counter[p]}:{epoch}"

    keys = {key(p, detail): p for p in province_ids}
    found = cache.get_many(list(keys))
    result = {keys[k]: v for k, v in found.items()}
    missing = [p for k, p in keys.items() if k not in found]
    if missing:
        with primary_only():  # a figure cached under the current counter must not come from a lagging standby
            fresh = _compute(part, round_, missing)
        cache.set_many({key(p, d): _shape(v, d) for p, v in fresh.items() for d in ("levels", "laos")}, TTL)
        result.update({p: _shape(v, detail) for p, v in fresh.items()})
    return result


def province_progress(round_, province_ids: list[int], compute, gens=None) -> dict[int, tuple[int, int]]:
    """compute(round_, ids) → {province id: (participating LAOs, fully confirmed LAOs)}, cached per province."""
    ns = generations.namespace()
    epoch = _counters(gens, "epoch", [0])[0]
    conf = _counters(gens, "confirmed", province_ids)
    other = _counters(gens, "other", province_ids)
    keys = {f"{ns}:progress:{round_.pk}:{p}:{conf[p]}:{other[p]}:{epoch}": p for p in province_ids}
    found = cache.get_many(list(keys))
    result = {keys[k]: tuple(v) for k, v in found.items()}
    missing = [p for k, p in keys.items() if k not in found]
    if missing:
        with primary_only():
            fresh = compute(round_, missing)
        cache.set_many({k: fresh[p] for k, p in keys.items() if p in fresh}, PROGRESS_TTL)
        result.update(fresh)
    return result


def department_rows(round_, province_ids: list[int], progress, gens=None) -> dict[int, dict]:
    """The department dashboard's row of each province, {"live", "live_other", "confirmed": learners,
    "progress": (participating LAOs, fully confirmed)}: one small entry per province keyed on every counter it
    depends on, so a national page reads 76 entries instead of five per province (the parts and the progress),
    and a province whose counter moved is summed again from its cached parts. `progress` as province_progress's
    `compute`; kept no longer than the progress (PROGRESS_TTL)."""
    ns = generations.namespace()
    epoch = _counters(gens, "epoch", [0])[0]
    kinds = {kind: _counters(gens, kind, province_ids) for kind in ("live", "other", "confirmed")}
    rid = getattr(round_, "pk", round_)
    keys = {
        f"{ns}:dash:{rid}:{p}:{kinds['live'][p]}:{kinds['other'][p]}:{kinds['confirmed'][p]}:{epoch}": p
        for p in province_ids
    }
    found = cache.get_many(list(keys))
    result = {keys[k]: v for k, v in found.items()}
    missing = [p for k, p in keys.items() if k not in found]
    if missing:
        fresh = {p: {column: 0 for column in COLUMNS} for p in missing}
        for column, parts in COLUMNS.items():
            for part in parts:
                for pid, value in province_parts(part, round_, missing, gens=gens).items():
                    fresh[pid][column] += sum(value["sum"])
        for pid, done in province_progress(round_, missing, progress, gens=gens).items():
            fresh[pid]["progress"] = tuple(done)
        cache.set_many({k: fresh[p] for k, p in keys.items() if p in fresh}, PROGRESS_TTL)
        result.update(fresh)
    return result


def _shape(value: dict, detail: str) -> dict:
    if detail == "laos":
        return value["laos"]
    m = sum(n for (_lvl, g), n in value["levels"].items() if g == Gender.MALE)
    f = sum(n for (_lvl, g), n in value["levels"].items() if g != Gender.MALE)
    return {"levels": value["levels"], "sum": [m, f]}


def sum_levels(parts: dict[int, dict]) -> dict[tuple[str, str], int]:
    total: dict = defaultdict(int)
    for part in parts.values():
        for key, n in part["levels"].items():
            total[key] += n
    return total


# --- a dashboard's per-child columns: cached parts where allowed, else one grouped query ----------------------

# column → the cached parts it sums, and how to read it directly: (queryset of the round, path prefix, summed fields)
COLUMNS = {
    "live": ("live_learners",),
    "live_other": ("live_other",),
    "confirmed": ("confirmed_learners", "confirmed_other"),
}


def child_key(org: Organisation) -> str | None:
    """The column on a descendant row that names which child of `org` it sits under."""
    return {Kind.DEPARTMENT: "province_id", Kind.PROVINCE: "lao_id", Kind.LAO: "id"}.get(org.kind)


def child_totals(
    column: str, round_, org: Organisation, province_ids: list[int], gens=None
) -> dict[int, int]:
    """{child id: male + female} of one dashboard column (see COLUMNS) for the children of `org`.

    A department or province reads the per-province cached parts (`province_ids`: the department's provinces, or
    the province itself) when every writer of them bumps their counter; anything else is one grouped query."""
    parts = COLUMNS[column]
    if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE) and cacheable(parts[0]):
        out: dict = defaultdict(int)
        for name in parts:
            for child_id, n in per_child(org, name, round_, province_ids, gens=gens).items():
                out[child_id] += n
        return out
    return _direct_child_totals(column, round_, org)


def per_child(org: Organisation, part: str, round_, province_ids: list[int], gens=None) -> dict[int, int]:
    """{child id: male + female} of a cached part for a department (children: provinces) or province (LAOs)."""
    out: dict = defaultdict(int)
    if org.kind == Kind.DEPARTMENT:
        for pid, value in province_parts(part, round_, province_ids, gens=gens).items():
            out[pid] += sum(value["sum"])
    else:
        for laos in province_parts(part, round_, province_ids, detail="laos", gens=gens).values():
            for lao_id, (m, f) in laos.items():
                out[lao_id] += m + f
    return out


def _direct_child_totals(column: str, round_, org: Organisation) -> dict[int, int]:
    if column == "live":
        qs, prefix, fields = LearnerCount.objects.all(), "organisation", ("count",)
    elif column == "live_other":
        qs, prefix, fields = (
            OtherSchoolCount.objects.filter(entry__round=round_),
            "entry__school",
            ("male", "female"),
        )
    else:
        qs = HeadcountSnapshot.objects.filter(confirmation__round=round_, confirmation__state=CONFIRMED)
        prefix, fields = "school", ("count",)
    group = f"{prefix}__{child_key(org)}"
    sums = {f"n{i}": Sum(f) for i, f in enumerate(fields)}
    rows = qs.filter(subtree_q(org.path, f"{prefix}__path")).values(group).annotate(**sums)
    return {r[group]: sum(r[k] or 0 for k in sums) for r in rows}
