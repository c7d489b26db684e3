"""Budget estimates from the confirmed snapshots of a round (api.md "Budget estimates"), for any organisation.

What counts is exactly what `GET /headcounts?source=confirmed` counts: the snapshot rows in the subtree whose
confirmation (the institution's `learners`, the LAO's `other_schools`) is confirmed for the round, whatever the
levels above. Snapshot rows are summed by SQL, one grouped query per request, into groups priced by
budget.engine; a department's or province's figure is a sum of per-province parts cached under the `confirmed`
generation counters (lec.lib.generations), so the national estimate never re-reads 325,000 snapshot rows.
"""

import hashlib
from collections import defaultdict
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef, Q

from confirmations.models import Confirmation, HeadcountSnapshot, Scope
from lec.lib import generations
from schools.models import INSTITUTION_KINDS, Kind, Organisation, Round

from .engine import ZERO, Estimate, RateBook
from .models import BudgetRate, Item

CONFIRMED = Confirmation.State.CONFIRMED
TTL = 6 * 3600
INSTITUTIONS = [str(k) for k in INSTITUTION_KINDS]
PRICED_KINDS = (Kind.SCHOOL, Kind.CDC, Kind.OTHER_SCHOOL)


# --------------------------------------------------------------------------------------------- rounds, rates


def fiscal_year_of(round_: Round) -> int:
    """Either term of academic year Y feeds fiscal year Y + 1 (Oct Y – Sep Y + 1 in the Buddhist Era): the
    10 June census drives the next fiscal year's allocation and the 10 November one falls inside it."""
    return round_.academic_year + 1


def default_round() -> Round | None:
    """The open round, else the most recent one."""
    return (
        Round.objects.filter(state=Round.State.OPEN).first()
        or Round.objects.order_by("-academic_year", "-term").first()
    )


def previous_round(round_: Round) -> Round | None:
    return (
        Round.objects.filter(
            Q(academic_year__lt=round_.academic_year)
            | Q(academic_year=round_.academic_year, term__lt=round_.term)
        )
        .order_by("-academic_year", "-term")
        .first()
    )


def rate_book(fiscal_year: int) -> RateBook:
    return RateBook(fiscal_year, list(BudgetRate.objects.filter(fiscal_year=fiscal_year)))


def fiscal_years() -> list[int]:
    return list(BudgetRate.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True).distinct())


# ------------------------------------------------------------------------------------------ snapshot groups


def _groups(round_id: int, where: str, params: list, by: str, book: RateBook | None = None) -> list[tuple]:
    """Confirmed pupils grouped by (`by` columns, kind, class level, institution size): one SQL statement.

    by "province": (province_id, …); "lao": (province_id, lao_id, …); "school": (school_id, confirmation_id, …).
    Size is the institution's confirmed pupil count over all its levels, summed over its own snapshot (a window
    over the school's rows). With a rate book, sizes are grouped into its buckets (engine.RateBook.bucket), which
    price alike, so a national query returns a few thousand rows instead of one per institution and level."""
    outer = {"province": "t.province_id", "lao": "t.province_id, t.lao_id",
             "school": "t.school_id, t.confirmation_id"}[by]  # fmt: skip
    snap, conf, org = (m._meta.db_table for m in (HeadcountSnapshot, Confirmation, Organisation))
    inner = "s.school_id, s.confirmation_id, o.kind, o.province_id, o.lao_id, s.class_level"
    size, size_params = "t.size", []
    if book is not None:
        points = [b for b in book.breakpoints if b > 0]
        if points:
            size = "CASE " + " ".join("WHEN t.size >= %s THEN %s" for _ in points) + " ELSE 0 END"
            size_params = [v for b in reversed(points) for v in (b, b)]
    sql = (
        f"SELECT {outer}, t.kind, t.class_level, {size} AS band, SUM(t.n) FROM ("
        f"SELECT {inner}, SUM(s.count) AS n, "
        "SUM(SUM(s.count)) OVER (PARTITION BY s.school_id, s.confirmation_id) AS size "
        f"FROM {snap} s JOIN {conf} c ON c.id = s.confirmation_id JOIN {org} o ON o.id = s.school_id "
        f"WHERE c.round_id = %s AND c.state = %s AND {where} GROUP BY {inner}"
        f") t WHERE t.n > 0 GROUP BY {outer}, t.kind, t.class_level, band"
    )  # noqa: S608 — table names come from the models, values are parameters
    with connection.cursor() as cur:
        cur.execute(sql, [*size_params, round_id, CONFIRMED, *params])
        return [(*r[:-2], int(r[-2]), int(r[-1])) for r in cur.fetchall()]


def _where(org: Organisation) -> tuple[str, list]:
    if org.kind == Kind.LAO:
        return "o.lao_id = %s", [org.pk]
    if org.kind in PRICED_KINDS:
        return "o.id = %s", [org.pk]
    ids = province_ids(org)
    if not ids:
        return "1 = 0", []
    return f"o.province_id IN ({', '.join(['%s'] * len(ids))})", ids


def province_ids(org: Organisation) -> list[int]:
    if org.kind == Kind.PROVINCE:
        return [org.pk]
    return list(Organisation.objects.filter(parent=org, kind=Kind.PROVINCE).values_list("pk", flat=True))


def _in_provinces(province_ids: list[int]) -> str:
    return f"o.province_id IN ({', '.join(['%s'] * len(province_ids))})"


def _price_provinces(round_id: int, book: RateBook, province_ids: list[int]) -> dict[int, Estimate]:
    """{province id: its Estimate}, from the database in one grouped query."""
    ests = {p: Estimate() for p in province_ids}
    if province_ids:
        where = _in_provinces(province_ids)
        for province_id, kind, level, size, pupils in _groups(
            round_id, where, province_ids, "province", book
        ):
            ests[province_id].add_group(book, kind, level, size, pupils)
    return {p: est.finish(book).plain() for p, est in ests.items()}


def _price_laos(round_id: int, book: RateBook, province_ids: list[int]) -> dict[int, dict]:
    """{province id: {lao id: {item: exact amount}}}: pupils counted per rate in the loop, multiplied once."""
    per_lao: dict = defaultdict(lambda: defaultdict(int))  # (province, lao) → {(item, rate key): pupils}
    if province_ids:
        where = _in_provinces(province_ids)
        for province_id, lao_id, kind, level, size, pupils in _groups(
            round_id, where, province_ids, "lao", book
        ):
            counts = per_lao[(province_id, lao_id)]
            for item, rate in book.price(kind, level, size):
                if rate is not None:
                    counts[(item, rate.key)] += pupils
    laos: dict = {p: {} for p in province_ids}
    for (province_id, lao_id), counts in per_lao.items():
        amounts = laos[province_id].setdefault(lao_id, {})
        for (item, key), pupils in counts.items():
            amounts[item] = amounts.get(item, ZERO) + book.factors[key] * pupils
    return laos


PRICERS = {"est": _price_provinces, "laos": _price_laos}


def _namespace() -> str | None:
    return generations.namespace() if "confirmed" in generations.BUMPED else None


def province_parts(
    round_: Round, book: RateBook, province_ids: list[int], detail: str = "est", gens=None
) -> dict[int, object]:
    """Each province's part ("est": its Estimate; "laos": {lao id: {item: amount}}), cached where its confirmed
    counter has not moved since, computed in one query for the others."""
    ns = _namespace()
    if ns is None or not province_ids:
        return PRICERS[detail](round_.pk, book, province_ids)
    epoch, gens = gens or _generations(province_ids)

    def key(p, d):
        return f"{ns}:budget:{d}:{round_.pk}:{book.digest}:{p}:{gens[p]}:{epoch}"

    keys = {key(p, detail): p for p in province_ids}
    found = cache.get_many(list(keys))
    result = {keys[k]: v for k, v in found.items()}
    missing = [p for k, p in keys.items() if k not in found]
    if missing:
        fresh = PRICERS[detail](round_.pk, book, missing)
        cache.set_many({key(p, detail): v for p, v in fresh.items()}, TTL)
        result.update(fresh)
    return result


def _generations(province_ids: list[int]) -> tuple[int, dict[int, int]]:
    return generations.current("epoch", [0])[0], generations.current("confirmed", province_ids)


def _combined(round_: Round, book: RateBook, province_ids: list[int], what: str):
    """The sum of the provinces' parts ("est": one Estimate) or their totals ("kids": {province id: {item:
    amount}}), cached as a whole under every province's counter: a national figure reads one cache entry, not
    76 parts, unless a province moved since."""

    def build(gens=None):
        parts = province_parts(round_, book, province_ids, gens=gens)
        if what == "kids":
            return {p: {item: a for item, (_n, a) in est.by_item().items()} for p, est in parts.items()}
        total = Estimate()
        for part in parts.values():
            total.merge(part)
        return total.plain()

    ns = _namespace()
    if ns is None or not province_ids:
        return build()
    epoch, gens = _generations(province_ids)
    state = hashlib.sha256(",".join(f"{p}.{gens[p]}" for p in sorted(province_ids)).encode()).hexdigest()[:20]
    key = f"{ns}:budget:{what}:{round_.pk}:{book.digest}:{epoch}:{state}"
    found = cache.get(key)
    if found is None:
        found = build((epoch, gens))
        cache.set(key, found, TTL)
    return found


# -------------------------------------------------------------------------------------------- the estimate


def institution_rows(round_: Round, org: Organisation, book: RateBook) -> list[dict]:
    """One entry per confirmed institution (or other-affiliation school) in the subtree, with its groups priced:
    {"school_id", "confirmation_id", "kind", "size", "groups": [(level, pupils, [(item, rate or None)])]}."""
    where, params = _where(org)
    found: dict = {}
    for school_id, conf_id, kind, level, size, pupils in _groups(round_.pk, where, params, "school"):
        entry = found.setdefault(
            (school_id, conf_id),
            {"school_id": school_id, "confirmation_id": conf_id, "kind": kind, "size": size, "groups": []},
        )
        entry["groups"].append((level, pupils, book.price(kind, level, size)))
    return list(found.values())


def estimate(round_: Round, org: Organisation, book: RateBook) -> Estimate:
    """The exact estimate of `org`'s whole subtree."""
    if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE):
        return _combined(round_, book, province_ids(org), "est").thawed()
    est = Estimate()
    where, params = _where(org)
    for _p, _l, kind, level, size, pupils in _groups(round_.pk, where, params, "lao", book):
        est.add_group(book, kind, level, size, pupils)
    return est.finish(book)


def child_amounts(round_: Round, org: Organisation, book: RateBook) -> dict[int, dict[str, Decimal]]:
    """{direct child id: {item: exact amount}}."""
    if org.kind == Kind.DEPARTMENT:
        return _combined(round_, book, province_ids(org), "kids")
    if org.kind == Kind.PROVINCE:
        return province_parts(round_, book, [org.pk], detail="laos")[org.pk]
    if org.kind != Kind.LAO:
        return {}
    return institution_item_amounts(round_, org, book)


def children(org: Organisation, with_amounts) -> list[Organisation]:
    """The direct children shown in by=child rows: the active ones, and any inactive one that has an amount."""
    return list(
        Organisation.objects.filter(parent=org)
        .filter(Q(is_active=True) | Q(pk__in=list(with_amounts)))
        .order_by("code")
        .only("id", "code", "name_th", "kind", "is_active")
    )


def missing(round_: Round, org: Organisation) -> list[str]:
    """Codes of the active direct children whose numbers the estimate lacks because they have not confirmed:
    institutions (their `learners`), other-affiliation schools (their LAO's `other_schools`), LAOs (any scope
    that applies), provinces (their one confirmation)."""

    def confirmed(scope, field="pk"):
        return Exists(Confirmation.objects.filter(round=round_, scope=scope, state=CONFIRMED,
                                                  organisation_id=OuterRef(field)))  # fmt: skip

    kids = Organisation.objects.filter(parent=org, is_active=True)
    if org.kind == Kind.LAO:
        codes = list(
            kids.filter(kind__in=INSTITUTIONS)
            .exclude(confirmed(Scope.LEARNERS))
            .values_list("code", flat=True)
        )
        if not Confirmation.objects.filter(round=round_, organisation=org, scope=Scope.OTHER_SCHOOLS,
                                           state=CONFIRMED).exists():  # fmt: skip
            codes += kids.filter(kind=Kind.OTHER_SCHOOL).values_list("code", flat=True)
        return sorted(codes)
    if org.kind == Kind.PROVINCE:
        active = Organisation.objects.filter(parent=OuterRef("pk"), is_active=True)
        laos = kids.filter(kind=Kind.LAO).annotate(
            has_learners=Exists(active.filter(kind__in=INSTITUTIONS)),
            has_other=Exists(active.filter(kind=Kind.OTHER_SCHOOL)),
            learners_ok=confirmed(Scope.LEARNERS),
            other_ok=confirmed(Scope.OTHER_SCHOOLS),
        )
        laos = laos.filter(Q(has_learners=True, learners_ok=False) | Q(has_other=True, other_ok=False))
        return sorted(laos.values_list("code", flat=True))
    if org.kind == Kind.DEPARTMENT:
        return sorted(
            kids.filter(kind=Kind.PROVINCE).exclude(confirmed(Scope.LEARNERS)).values_list("code", flat=True)
        )
    return []


def item_total(amounts: dict[str, Decimal]) -> Decimal:
    return sum((amounts.get(i, ZERO) for i in Item.values), ZERO)


# ------------------------------------------------------------------------------------------ api.md's answer


def budget(round_: Round, org: Organisation, book: RateBook, by: str = "item") -> dict:
    """api.md GET /budget: rows by item, child or class level, the total, missing children, uncovered pupils.
    Amounts stay exact here; the API and the pages round each figure once (engine.money)."""
    est = estimate(round_, org, book)
    if by == "child":
        amounts = child_amounts(round_, org, book)
        rows = [
            {"code": c.code, "name_th": c.name_th, "amount": item_total(amounts.get(c.pk, {})), "org": c,
             "items": {i: amounts.get(c.pk, {}).get(i, ZERO) for i in Item.values}}
            for c in children(org, amounts)
        ]  # fmt: skip
    elif by == "class_level":
        rows = [{"class_level": lvl, "pupils": p, "amount": a} for lvl, (p, a) in est.by_level().items()]
    else:
        rows = [{"item": item, "pupils": p, "amount": a} for item, (p, a) in est.by_item().items()]
    return {
        "organisation": org.code,
        "round": round_.pk,
        "fiscal_year": book.fiscal_year,
        "source": "confirmed",
        "rows": rows,
        "total": est.total,
        "missing": missing(round_, org),
        "uncovered": est.uncovered_rows(),
        "estimate": est,
    }


# ------------------------------------------------------------------------------------- how it was computed


def explain(round_: Round, org: Organisation, book: RateBook, item: str = "", class_level: str = "") -> dict:
    """Every priced line behind a figure: for an LAO or an institution, one line per institution × level × item
    (pupils × rate × days, the rate row, the snapshot it came from); above, one line per kind × level × rate row
    summed over the area, with each child's amount to drill into."""

    def wanted(i, lvl):
        return (not item or i == item) and (not class_level or lvl == class_level)

    lines, uncovered = [], []
    if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE):
        est = estimate(round_, org, book)
        for (i, applies_to, lvl, key), (pupils, amount) in est.lines.items():
            if wanted(i, lvl):
                lines.append({"item": i, "applies_to": applies_to, "class_level": lvl, "pupils": pupils,
                              "rate": book.by_key[key], "amount": amount})  # fmt: skip
        uncovered = [u for u in est.uncovered_rows() if not class_level or u["class_level"] == class_level]
        lines.sort(key=_line_order)
        return {"lines": lines, "uncovered": uncovered, "total": sum((x["amount"] for x in lines), ZERO)}
    rows = institution_rows(round_, org, book)
    schools = Organisation.objects.in_bulk([r["school_id"] for r in rows])
    confs = Confirmation.objects.select_related("confirmed_by").in_bulk([r["confirmation_id"] for r in rows])
    for row in rows:
        school, conf = schools.get(row["school_id"]), confs.get(row["confirmation_id"])
        base = {"school": school, "confirmation": conf, "size": row["size"], "applies_to": row["kind"]}
        for lvl, pupils, priced in row["groups"]:
            if not priced and wanted(item, lvl):
                uncovered.append({**base, "class_level": lvl, "item": None, "pupils": pupils})
            for i, rate in priced:
                if not wanted(i, lvl):
                    continue
                if rate is None:
                    uncovered.append({**base, "class_level": lvl, "item": i, "pupils": pupils})
                    continue
                lines.append({**base, "item": i, "class_level": lvl, "pupils": pupils, "rate": rate,
                              "amount": rate.factor * pupils})  # fmt: skip
    lines.sort(key=lambda x: (x["school"].code if x["school"] else "", *_line_order(x)))
    return {"lines": lines, "uncovered": uncovered, "total": sum((x["amount"] for x in lines), ZERO)}


def _line_order(line: dict) -> tuple:
    from lec.lib import levels

    return (Item.values.index(line["item"]), line["applies_to"], levels.ORDER.get(line["class_level"], 99))


# ------------------------------------------------------------------------------------------------ compare


def institution_item_amounts(
    round_: Round, org: Organisation, book: RateBook
) -> dict[int, dict[str, Decimal]]:
    """{institution or other-affiliation school id: {item: exact amount}} of the confirmed ones in the subtree:
    pupils counted per rate in the loop, one multiplication per school and rate."""
    counts: dict = defaultdict(lambda: defaultdict(int))
    for row in institution_rows(round_, org, book):
        mine = counts[row["school_id"]]
        for _level, pupils, priced in row["groups"]:
            for item, rate in priced:
                if rate is not None:
                    mine[(item, rate.key)] += pupils
    out: dict = {}
    for school_id, per_rate in counts.items():
        amounts = out[school_id] = {}
        for (item, key), pupils in per_rate.items():
            amounts[item] = amounts.get(item, ZERO) + book.factors[key] * pupils
    return out


def institution_amounts(round_: Round, org: Organisation, book: RateBook) -> dict[int, Decimal]:
    """{institution or other-affiliation school id: exact total} of the confirmed ones in the subtree."""
    return {k: sum(v.values(), ZERO) for k, v in institution_item_amounts(round_, org, book).items()}


def compare(round_: Round, previous: Round | None, org: Organisation, book: RateBook, top: int = 10) -> dict:
    """This round against the previous one, both priced with the same rates (so a change is a change in the
    confirmed pupils): the change per item, and the institutions whose amount changed most."""
    now = estimate(round_, org, book).by_item()
    before = estimate(previous, org, book).by_item() if previous else {}
    items = [
        {"item": i, "before": before.get(i, [0, ZERO])[1], "now": now[i][1],
         "change": now[i][1] - before.get(i, [0, ZERO])[1], "pupils_before": before.get(i, [0, ZERO])[0],
         "pupils_now": now[i][0]}
        for i in Item.values
    ]  # fmt: skip
    changed = []
    if previous is not None:
        a, b = institution_amounts(round_, org, book), institution_amounts(previous, org, book)
        deltas = sorted(
            ((a.get(k, ZERO) - b.get(k, ZERO), k) for k in set(a) | set(b)), key=lambda d: (-abs(d[0]), d[1])
        )
        ids = [k for d, k in deltas[:top] if d]
        orgs = Organisation.objects.in_bulk(ids)
        changed = [{"org": orgs[k], "before": b.get(k, ZERO), "now": a.get(k, ZERO),
                    "change": a.get(k, ZERO) - b.get(k, ZERO)} for k in ids if k in orgs]  # fmt: skip
    return {"items": items, "changed": changed, "total_before": sum((x["before"] for x in items), ZERO),
            "total_now": sum((x["now"] for x in items), ZERO)}  # fmt: skip


def what_if(round_: Round, org: Organisation, book: RateBook, proposed: RateBook) -> dict:
    """The estimate with the stored rates and with a proposed set that is not saved, per item."""
    now, then = estimate(round_, org, book), estimate(round_, org, proposed)
    a, b = now.by_item(), then.by_item()
    items = [
        {"item": i, "now": a[i][1], "proposed": b[i][1], "change": b[i][1] - a[i][1]} for i in Item.values
    ]
    return {"items": items, "total_now": now.total, "total_proposed": then.total,
            "change": then.total - now.total, "uncovered": then.uncovered_rows()}  # fmt: skip
