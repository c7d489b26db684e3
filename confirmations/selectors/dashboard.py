"""Dashboards: everything one page shows for an organisation in a round, in a constant number of queries whatever
the number of children (docs/performance.md)."""

import dataclasses
from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import Count, Q

from accounts.models import User
from lec.lib import plain_sql as plain
from schools.models import Kind, Organisation, OtherSchoolCount, OtherSchoolEntry, Round
from students.models import LearnerCount

from .. import totals
from ..models import Confirmation, ConfirmationEvent, HeadcountSnapshot, Scope, UnlockRequest
from .participation import CONFIRMED, INSTITUTIONS, blockers, lao_scopes, scopes_of

OPEN = Confirmation.State.OPEN
ENTERED, MISSING = "entered", "missing"  # an other-affiliation school's entry (not a confirmation state)
REQUESTED = "requested"  # a row with an unlock request waiting (ChildRow.status)


@dataclasses.dataclass
class ChildRow:
    org: Organisation
    learners: str | None = None  # open | confirmed | None (scope does not apply)
    other_schools: str | None = None  # open | confirmed | entered | missing | None
    confirmed_at: datetime | None = None
    last_change: datetime | None = None
    live_total: int = 0  # learners only: other-affiliation headcounts are counted apart (other_total)
    confirmed_total: int = 0
    other_total: int = 0  # other-affiliation schools' headcounts entered this round
    done: int = 0  # children of this child confirmed (progress x/y)
    total: int = 0
    pending: list = dataclasses.field(default_factory=list)

    @property
    def code(self):
        return self.org.code

    @property
    def status(self) -> str:
        """One tag for the row: requested, confirmed, open, missing, entered, closed."""
        if self.pending:
            return REQUESTED
        states = [s for s in (self.learners, self.other_schools) if s is not None]
        if not states:
            return "none"
        if all(s == CONFIRMED for s in states):
            return CONFIRMED
        if states == [ENTERED]:
            return ENTERED
        if states == [MISSING]:
            return MISSING
        return OPEN

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclasses.dataclass
class Dashboard:
    round: Round | None
    org: Organisation
    scopes: dict  # scope → Confirmation or None (None: does not apply)
    applicable: tuple
    children: list
    blockers: dict  # scope → [codes]
    pending: list  # UnlockRequests this org may decide
    own_pending: dict  # scope → UnlockRequest of this org
    done: int = 0
    total: int = 0
    live_total: int = 0
    confirmed_total: int = 0
    other_total: int = 0

    @property
    def all_blockers(self) -> list[str]:
        return sorted({c for codes in self.blockers.values() for c in codes})

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def round_open(self) -> bool:
        return self.round is not None and self.round.state == Round.State.OPEN


def dashboard(round_: Round | None, org: Organisation, *, kinds=None, detail=True) -> Dashboard:
    """Everything a dashboard shows for `org` in round `round_`, in a constant number of queries: the children
    with every per-child fact in one plain query (children_facts), the organisation's own confirmations, its unlock
    requests, and for a province or the department the cached totals. `detail=False` (the API) leaves out what
    only the page shows: totals, last changes, unlock requests, the department's per-province progress."""
    children = _children(round_, org, kinds, detail)
    # with every active child here, which scopes apply follows from their kinds (scopes_of without a query)
    applicable = scopes_of(org) if kinds else _scopes(org, {c.kind for c, _facts in children})
    own = _own_confirmations(round_, org) if round_ is not None else {}
    scopes = {s: own.get(s) for s in applicable}
    board = Dashboard(round_, org, scopes, applicable, [], {}, [], {})
    if round_ is None:
        board.children = [ChildRow(c) for c, _facts in children]
        return board
    rows = {}
    for c, f in children:
        rows[c.id] = ChildRow(
            c, learners=f["learners"], other_schools=f["other"], confirmed_at=f.get("confirmed_at"),
            last_change=f.get("last_change"),
        )  # fmt: skip
    if org.kind in (Kind.LAO, Kind.PROVINCE):
        if not kinds:
            board.blockers = {s: _blockers(org, s, children) for s in applicable}
        else:
            board.blockers = {s: blockers(round_, org, s) for s in applicable}
    if org.kind == Kind.LAO:
        _lao_rows(children, rows, board)
    elif org.kind == Kind.PROVINCE:
        _province_progress(children, rows, board)
    elif org.kind == Kind.DEPARTMENT:
        if detail and _department_cached():
            _department_rows(round_, rows, board)
        elif detail:
            _department_progress(round_, org, rows, board)
        for row in rows.values():
            row.learners = row.learners or OPEN
        board.total = len(rows)
        board.done = sum(1 for r in rows.values() if r.learners == CONFIRMED)
    if detail and totals.child_key(org) and not (org.kind == Kind.DEPARTMENT and _department_cached()):
        _child_totals(round_, org, children, rows, board)
    if detail:
        _pending_requests(round_, org, rows, board)
    board.children = list(rows.values())
    return board


def _scopes(org: Organisation, child_kinds: set) -> tuple[str, ...]:
    """scopes_of(org), from the kinds of its active children (already read) instead of another query."""
    if org.kind != Kind.LAO:
        return scopes_of(org)
    if not org.is_active:
        return ()
    return lao_scopes(child_kinds)


def _blockers(org: Organisation, scope: str, children: list) -> list[str]:
    """participation.blockers(round_, org, scope) for an LAO or a province, from the facts already read: the
    same codes in the same order (by code)."""
    if org.kind == Kind.LAO and scope == Scope.LEARNERS:
        return sorted(c.code for c, f in children if c.kind in INSTITUTIONS and f["learners"] != CONFIRMED)
    if org.kind == Kind.LAO and scope == Scope.OTHER_SCHOOLS:
        return sorted(c.code for c, f in children if c.kind == Kind.OTHER_SCHOOL and not f["entered"])
    if org.kind == Kind.PROVINCE:
        late = [
            c.code
            for c, f in children
            if c.kind == Kind.LAO
            and ((f["inst"] and f["learners"] != CONFIRMED) or (f["other_n"] and f["other"] != CONFIRMED))
        ]
        return sorted(late)
    return []


# --- the children and every per-child fact in one query ------------------------------------------------------

# Each fact: a correlated subquery on the child `o` and how many times it takes the round id. Plain SQL: the ORM
# built and compiled one queryset per fact on every request, which cost more CPU than PostgreSQL spent (issue 16).
_FACT_SQL = {
    "learners": ("(SELECT c.state FROM {conf} c WHERE c.round_id = %s AND c.organisation_id = o.id "
                 "AND c.scope = %s)", lambda r: [r, Scope.LEARNERS]),
    "confirmed_at": ("(SELECT c.confirmed_at FROM {conf} c WHERE c.round_id = %s AND c.organisation_id = o.id "
                     "AND c.scope = %s)", lambda r: [r, Scope.LEARNERS]),
    "other": ("(SELECT c.state FROM {conf} c WHERE c.round_id = %s AND c.organisation_id = o.id "
              "AND c.scope = %s)", lambda r: [r, Scope.OTHER_SCHOOLS]),
    "last_change": ("(SELECT MAX(e.at) FROM {event} e WHERE e.round_id = %s AND e.organisation_id = o.id)",
                    lambda r: [r]),
    # an LAO's children
    "entered": ("EXISTS (SELECT 1 FROM {entry} n WHERE n.round_id = %s AND n.school_id = o.id)", lambda r: [r]),
    "live": ("(SELECT COALESCE(SUM(lc.count), 0) FROM {lcount} lc WHERE lc.organisation_id = o.id)",
             lambda r: []),
    "other_total": ("(SELECT COALESCE(SUM(oc.male), 0) + COALESCE(SUM(oc.female), 0) FROM {ocount} oc "
                    "JOIN {entry} n ON n.id = oc.entry_id WHERE n.round_id = %s AND n.school_id = o.id)",
                    lambda r: [r]),
    "confirmed_total": ("(SELECT COALESCE(SUM(h.count), 0) FROM {snap} h JOIN {conf} c ON c.id = h.confirmation_id "
                        "WHERE c.round_id = %s AND c.state = %s AND h.school_id = o.id)",
                        lambda r: [r, CONFIRMED]),
    # a province's children (LAOs): their active institutions, other-affiliation schools, institutions confirmed
    "inst": ("(SELECT COUNT(*) FROM {org} x WHERE x.parent_id = o.id AND x.is_active = %s "
             "AND x.kind IN (%s, %s))", lambda r: [True, *INSTITUTIONS]),
    "other_n": ("(SELECT COUNT(*) FROM {org} x WHERE x.parent_id = o.id AND x.is_active = %s AND x.kind = %s)",
                lambda r: [True, Kind.OTHER_SCHOOL]),
    "inst_ok": ("(SELECT COUNT(*) FROM {conf} c JOIN {org} x ON x.id = c.organisation_id WHERE c.round_id = %s "
                "AND c.scope = %s AND c.state = %s AND x.parent_id = o.id AND x.is_active = %s "
                "AND x.kind IN (%s, %s))", lambda r: [r, Scope.LEARNERS, CONFIRMED, True, *INSTITUTIONS]),
}  # fmt: skip
_DATETIME_FACTS = {"confirmed_at": (Confirmation, "confirmed_at"), "last_change": (ConfirmationEvent, "at")}


def _fact_names(org: Organisation, detail: bool) -> tuple[str, ...]:
    names = ["learners", "other"]
    if detail:
        names += ["confirmed_at", "last_change"]
    if org.kind == Kind.LAO:
        names.append("entered")
        if detail:
            names += ["live", "other_total", "confirmed_total"]
    elif org.kind == Kind.PROVINCE:
        names += ["inst", "other_n", "inst_ok"]
    return tuple(names)


_QUERIES: dict = {}


def _children_query(names: tuple[str, ...]):
    """The SQL for these facts, the Organisation attnames in column order and [(column, converter)] (the ORM's own
    conversions of values from the database: booleans and datetimes on SQLite, JSON), built once per process."""
    key = (connection.vendor, names)
    if key in _QUERIES:
        return _QUERIES[key]
    tables = {
        "conf": Confirmation, "event": ConfirmationEvent, "entry": OtherSchoolEntry, "lcount": LearnerCount,
        "ocount": OtherSchoolCount, "snap": HeadcountSnapshot, "org": Organisation,
    }  # fmt: skip
    tables = {k: plain.table(m) for k, m in tables.items()}
    org_cols, ((_model, attnames),), org_converters = plain.columns(((Organisation, "o"),))
    cols, converters = [org_cols], list(org_converters)
    for i, name in enumerate(names):
        if name in _DATETIME_FACTS:
            convert = plain.converter(*_DATETIME_FACTS[name])
            if convert:
                converters.append((len(attnames) + i, convert))
        cols.append(_FACT_SQL[name][0].format(**tables))
    sql = (
        f"SELECT {', '.join(cols)} FROM {tables['org']} o WHERE o.parent_id = %s AND o.is_active = %s"
        "{kinds} ORDER BY o.kind, o.code"
    )
    _QUERIES[key] = (sql, attnames, converters)
    return _QUERIES[key]


def _children(
    round_: Round | None, org: Organisation, kinds, detail: bool
) -> list[tuple[Organisation, dict]]:
    """[(child, {fact: value})]: the active children of `org` (of `kinds`), by kind and code, in one query."""
    names = _fact_names(org, detail) if round_ is not None else ()
    sql, attnames, converters = _children_query(names)
    params = []
    for name in names:
        params += _FACT_SQL[name][1](round_.pk)
    params += [org.pk, True]
    where = ""
    if kinds:
        kinds = [str(k) for k in kinds]
        where = f" AND o.kind IN ({', '.join(['%s'] * len(kinds))})"
        params += kinds
    sql = sql.replace("{kinds}", where)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        found = cur.fetchall()
    n, out = len(attnames), []
    for row in found:
        row = list(row)
        for i, convert in converters:
            row[i] = convert(row[i])
        out.append(
            (
                Organisation.from_db(connection.alias, attnames, row[:n]),
                dict(zip(names, row[n:], strict=True)),
            )
        )
    return out


def _lao_rows(children: list, rows: dict, board: Dashboard) -> None:
    """An LAO's children: institutions confirm learners, other-affiliation schools are entered or missing."""
    for c, f in children:
        row = rows[c.id]
        if c.kind in INSTITUTIONS:
            row.learners = row.learners or OPEN
        elif c.kind == Kind.OTHER_SCHOOL:
            row.other_schools = ENTERED if f["entered"] else MISSING
    inst = [r for r in rows.values() if r.org.kind in INSTITUTIONS]
    board.total = len(inst)
    board.done = sum(1 for r in inst if r.learners == CONFIRMED)


def _province_progress(children: list, rows: dict, board: Dashboard) -> None:
    """A province's LAOs: which scopes apply to each, how many of its institutions confirmed, and x/y of the
    participating LAOs fully confirmed (the facts `inst`, `other_n`, `inst_ok` of each LAO)."""
    for c, f in children:
        applies = {s for s, n in ((Scope.LEARNERS, f["inst"]), (Scope.OTHER_SCHOOLS, f["other_n"])) if n}
        if not applies:
            continue
        row = rows[c.id]
        have = set()
        if c.kind == Kind.LAO:
            have = {s for s, state in ((Scope.LEARNERS, f["learners"]), (Scope.OTHER_SCHOOLS, f["other"]))
                    if state == CONFIRMED}  # fmt: skip
        row.learners = (CONFIRMED if Scope.LEARNERS in have else OPEN) if f["inst"] else None
        row.other_schools = (CONFIRMED if Scope.OTHER_SCHOOLS in have else OPEN) if f["other_n"] else None
        row.total, row.done = f["inst"], f["inst_ok"]
        board.total += 1
        board.done += int(applies <= have)


def _child_totals(round_: Round, org: Organisation, children: list, rows: dict, board: Dashboard) -> None:
    """Live and confirmed learner totals per child, and apart from them the other-affiliation headcounts: an LAO's
    from its children's facts, a province's or the department's from the cached per-province parts where every
    writer bumps them (confirmations.totals, docs/performance.md "Cached totals")."""
    if org.kind == Kind.LAO:
        for c, f in children:
            row = rows[c.id]
            row.live_total, row.other_total, row.confirmed_total = (
                f["live"],
                f["other_total"],
                f["confirmed_total"],
            )
    else:
        pids = list(rows) if org.kind == Kind.DEPARTMENT else [org.id]
        gens = totals.counters(pids)
        live = totals.child_totals("live", round_, org, pids, gens=gens)
        other = totals.child_totals("live_other", round_, org, pids, gens=gens)
        confirmed = totals.child_totals("confirmed", round_, org, pids, gens=gens)
        for cid, row in rows.items():
            row.live_total = live.get(cid, 0)
            row.other_total = other.get(cid, 0)
            row.confirmed_total = confirmed.get(cid, 0)
    board.live_total = sum(r.live_total for r in rows.values())
    board.other_total = sum(r.other_total for r in rows.values())
    board.confirmed_total = sum(r.confirmed_total for r in rows.values())


def _own_confirmations(round_: Round, org: Organisation) -> dict:
    """{scope: Confirmation} of `org` in the round, each with its confirmed_by user loaded (one plain query)."""
    own = {}
    for conf, user in plain.select(
        ((Confirmation, "c"), (User, "u")),
        f"FROM {plain.table(Confirmation)} c LEFT JOIN {plain.table(User)} u ON u.id = c.confirmed_by_id "
        "WHERE c.round_id = %s AND c.organisation_id = %s",
        [round_.pk, org.pk],
    ):
        Confirmation.confirmed_by.field.set_cached_value(conf, user)
        own[conf.scope] = conf
    return own


def _pending_requests(round_: Round, org: Organisation, rows: dict, board: Dashboard) -> None:
    """Unlock requests waiting: the children's (to decide) and this organisation's own, newest first (as
    UnlockRequest.Meta.ordering), each with its organisation and requester loaded (one plain query)."""
    found = plain.select(
        ((UnlockRequest, "r"), (Organisation, "o"), (User, "u")),
        f"FROM {plain.table(UnlockRequest)} r JOIN {plain.table(Organisation)} o ON o.id = r.organisation_id "
        f"JOIN {plain.table(User)} u ON u.id = r.requested_by_id "
        "WHERE r.round_id = %s AND r.state = %s AND (o.parent_id = %s OR r.organisation_id = %s) "
        "ORDER BY r.requested_at DESC, r.id DESC",
        [round_.pk, UnlockRequest.State.PENDING, org.pk, org.pk],
    )
    for req, req_org, user in found:
        UnlockRequest.organisation.field.set_cached_value(req, req_org)
        UnlockRequest.requested_by.field.set_cached_value(req, user)
        if req.organisation_id == org.id:
            board.own_pending[req.scope] = req
        elif req.organisation_id in rows:
            rows[req.organisation_id].pending.append(req)
            board.pending.append(req)


def _department_cached() -> bool:
    return all(totals.cacheable(part) for part in totals.PARTS)


def _department_rows(round_, rows: dict, board: Dashboard) -> None:
    """The department's provinces: totals and x/y of each province's participating LAOs fully confirmed, from
    one cached entry per province (confirmations.totals.department_rows)."""
    pids = list(rows)
    for pid, found in totals.department_rows(round_, pids, _lao_progress, gens=totals.counters(pids)).items():
        row = rows[pid]
        row.live_total, row.other_total, row.confirmed_total = (
            found["live"],
            found["live_other"],
            found["confirmed"],
        )
        row.total, row.done = found["progress"]
    board.live_total = sum(r.live_total for r in rows.values())
    board.other_total = sum(r.other_total for r in rows.values())
    board.confirmed_total = sum(r.confirmed_total for r in rows.values())


def _department_progress(round_, org: Organisation, rows: dict, board: Dashboard) -> None:
    """The department's provinces: x/y of each province's participating LAOs fully confirmed, from the cache per
    province (confirmations.totals) where allowed, else counted here."""
    if totals.cacheable("progress"):
        gens = totals.counters(list(rows))
        for pid, (total, done) in totals.province_progress(
            round_, list(rows), _lao_progress, gens=gens
        ).items():
            rows[pid].total, rows[pid].done = total, done
        return
    per_lao = _laos_below(round_, org)
    lao_conf = _lao_confirmed(round_, org)
    for lao_id, d in per_lao.items():
        applies = {s for s, n in ((Scope.LEARNERS, d["inst"]), (Scope.OTHER_SCHOOLS, d["other"])) if n}
        row = rows.get(d["province_id"])
        if not applies or row is None:
            continue
        row.total += 1
        row.done += int(applies <= lao_conf.get(lao_id, set()))


def _laos_below(round_, org: Organisation) -> dict[int, dict]:
    """{LAO id: {lao_id, province_id, inst, other, inst_ok}} for the LAOs of a province or of the country."""
    province = org.kind == Kind.PROVINCE
    below = (
        Organisation.objects.filter(parent__parent=org) if province else Organisation.objects.filter(depth=3)
    )
    per_lao: dict[int, dict] = {}
    for g in (
        below.filter(is_active=True)
        .values("lao_id", "province_id")
        .annotate(
            inst=Count("id", filter=Q(kind__in=INSTITUTIONS)),
            other=Count("id", filter=Q(kind=Kind.OTHER_SCHOOL)),
        )
    ):
        per_lao[g["lao_id"]] = {**g, "inst_ok": 0}
    inst_ok = Confirmation.objects.filter(
        round=round_, scope=Scope.LEARNERS, state=CONFIRMED, organisation__kind__in=INSTITUTIONS,
        organisation__is_active=True,
    )  # fmt: skip
    if province:
        inst_ok = inst_ok.filter(organisation__parent__parent=org)
    for lao_id, n in (
        inst_ok.values("organisation__lao_id")
        .annotate(n=Count("id"))
        .values_list("organisation__lao_id", "n")
    ):
        if lao_id in per_lao:
            per_lao[lao_id]["inst_ok"] = n
    return per_lao


def _lao_confirmed(round_, org: Organisation) -> dict[int, set]:
    """{LAO id: scopes it confirmed} under a province, or in the whole country."""
    lao_conf: dict[int, set] = defaultdict(set)
    confs = Confirmation.objects.filter(round=round_, state=CONFIRMED, organisation__kind=Kind.LAO)
    if org.kind == Kind.PROVINCE:
        confs = confs.filter(organisation__parent=org)
    for lao_id, scope in confs.values_list("organisation_id", "scope"):
        lao_conf[lao_id].add(scope)
    return lao_conf


def _lao_progress(round_, province_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{province id: (participating LAOs, LAOs that confirmed every scope that applies)}, as _progress counts."""
    per_lao: dict[int, dict] = {}
    for g in (
        Organisation.objects.filter(depth=3, is_active=True, province_id__in=province_ids)
        .values("lao_id", "province_id")
        .annotate(
            inst=Count("id", filter=Q(kind__in=INSTITUTIONS)),
            other=Count("id", filter=Q(kind=Kind.OTHER_SCHOOL)),
        )
    ):
        per_lao[g["lao_id"]] = g
    have: dict[int, set] = defaultdict(set)
    for lao_id, scope in Confirmation.objects.filter(
        round=round_, state=CONFIRMED, organisation__kind=Kind.LAO, organisation__province_id__in=province_ids
    ).values_list("organisation_id", "scope"):
        have[lao_id].add(scope)
    out = {p: [0, 0] for p in province_ids}
    for lao_id, d in per_lao.items():
        applies = {s for s, n in ((Scope.LEARNERS, d["inst"]), (Scope.OTHER_SCHOOLS, d["other"])) if n}
        if applies:
            out[d["province_id"]][0] += 1
            out[d["province_id"]][1] += int(applies <= have.get(lao_id, set()))
    return {p: (t, d) for p, (t, d) in out.items()}


def round_by_id(round_id: int) -> Round | None:
    """Round.objects.filter(pk=round_id).first() (the round an API call names, dated or not) in one plain query;
    None for an id past the column's range, as the ORM answers it."""
    low, high = connection.ops.integer_field_range(Round._meta.pk.get_internal_type())
    if (low is not None and round_id < low) or (high is not None and round_id > high):
        return None
    found = plain.select(((Round, "r"),), f"FROM {plain.table(Round)} r WHERE r.id = %s", [round_id])
    return found[0][0] if found else None


def confirmation_detail(round_: Round, org: Organisation) -> dict:
    """api.md GET …/confirmation: own scopes, children with their states, blockers."""
    board = dashboard(round_, org, detail=False)
    children = []
    for row in board.children:
        if row.learners is None and row.other_schools is None:
            continue
        children.append(
            {
                "code": row.org.code,
                "kind": row.org.kind,
                "name_th": row.org.name_th,
                "learners": row.learners,
                "other_schools": row.other_schools,
            }
        )
    return {
        "organisation": org.code,
        "round": round_.pk,
        "scopes": {s: board.scopes.get(s) if s in board.applicable else None for s in Scope.values},
        "applicable": board.applicable,
        "children": children,
        "blockers": board.all_blockers,
    }
