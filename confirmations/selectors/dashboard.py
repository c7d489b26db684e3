"""Dashboards: everything one page shows for an organisation in a round, in a constant number of queries whatever
the number of children (docs/performance.md)."""

import dataclasses
from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Max, Q

from schools.models import Kind, Organisation, OtherSchoolEntry, Round

from .. import totals
from ..models import Confirmation, ConfirmationEvent, Scope, UnlockRequest
from .participation import CONFIRMED, INSTITUTIONS, blockers, scopes_of

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


def dashboard(round_: Round | None, org: Organisation, *, kinds=None) -> Dashboard:
    """Everything a dashboard shows for `org` in round `round_`, in a constant number of queries."""
    children = list(
        Organisation.objects.filter(parent=org, is_active=True)
        .filter(kind__in=kinds or [k for k, _ in Kind.choices])
        .order_by("kind", "code")
    )
    applicable = scopes_of(org)
    own = {}
    if round_ is not None:
        own = {c.scope: c for c in Confirmation.objects.filter(round=round_, organisation=org)}
    scopes = {s: own.get(s) for s in applicable}
    board = Dashboard(round_, org, scopes, applicable, [], {}, [], {})
    if round_ is None:
        board.children = [ChildRow(c) for c in children]
        return board
    board.blockers = {
        s: blockers(round_, org, s) for s in applicable if org.kind in (Kind.LAO, Kind.PROVINCE)
    }
    rows = {c.id: ChildRow(c) for c in children}
    _children_states(round_, org, rows)
    # which scopes apply to each child, and the progress of each child's own children
    if org.kind == Kind.LAO:
        _lao_rows(round_, org, rows, board)
    elif org.kind in (Kind.PROVINCE, Kind.DEPARTMENT):
        _progress(round_, org, rows, board)
    if totals.child_key(org):
        _child_totals(round_, org, rows, board)
    _pending_requests(round_, org, rows, board)
    board.children = list(rows.values())
    return board


def _children_states(round_: Round, org: Organisation, rows: dict) -> None:
    """The children's own confirmations and when each last changed."""
    for c in Confirmation.objects.filter(round=round_, organisation__parent=org):
        row = rows.get(c.organisation_id)
        if row is None:
            continue
        if c.scope == Scope.LEARNERS:
            row.learners = c.state
            row.confirmed_at = c.confirmed_at
        else:
            row.other_schools = c.state
    for org_id, at in (
        ConfirmationEvent.objects.filter(round=round_, organisation_id__in=list(rows))
        .values("organisation_id")
        .annotate(at=Max("at"))
        .values_list("organisation_id", "at")
    ):
        rows[org_id].last_change = at


def _lao_rows(round_: Round, org: Organisation, rows: dict, board: Dashboard) -> None:
    """An LAO's children: institutions confirm learners, other-affiliation schools are entered or missing."""
    entered = set(
        OtherSchoolEntry.objects.filter(round=round_, school__parent=org).values_list("school_id", flat=True)
    )
    for row in rows.values():
        if row.org.kind in INSTITUTIONS:
            row.learners = row.learners or OPEN
        elif row.org.kind == Kind.OTHER_SCHOOL:
            row.other_schools = ENTERED if row.org.id in entered else MISSING
    inst = [r for r in rows.values() if r.org.kind in INSTITUTIONS]
    board.total = len(inst)
    board.done = sum(1 for r in inst if r.learners == CONFIRMED)


def _child_totals(round_: Round, org: Organisation, rows: dict, board: Dashboard) -> None:
    """Live and confirmed learner totals per child, and apart from them the other-affiliation headcounts, from the cached
    per-province parts where every writer bumps them (confirmations.totals, docs/performance.md "Cached totals")."""
    pids = list(rows) if org.kind == Kind.DEPARTMENT else [org.id]
    live = totals.child_totals("live", round_, org, pids)
    other = totals.child_totals("live_other", round_, org, pids)
    confirmed = totals.child_totals("confirmed", round_, org, pids)
    for cid, row in rows.items():
        row.live_total = live.get(cid, 0)
        row.other_total = other.get(cid, 0)
        row.confirmed_total = confirmed.get(cid, 0)
    board.live_total = sum(r.live_total for r in rows.values())
    board.other_total = sum(r.other_total for r in rows.values())
    board.confirmed_total = sum(r.confirmed_total for r in rows.values())


def _pending_requests(round_: Round, org: Organisation, rows: dict, board: Dashboard) -> None:
    """Unlock requests: the children's (to decide) and this organisation's own."""
    for req in UnlockRequest.objects.filter(
        Q(organisation__parent=org) | Q(organisation=org), round=round_, state=UnlockRequest.State.PENDING
    ).select_related("organisation", "requested_by"):
        if req.organisation_id == org.id:
            board.own_pending[req.scope] = req
        elif req.organisation_id in rows:
            rows[req.organisation_id].pending.append(req)
            board.pending.append(req)


def _progress(round_, org: Organisation, rows: dict, board: Dashboard) -> None:
    """For a province (children: LAOs) or the department (children: provinces): which scopes apply to each LAO,
    how many of its institutions are confirmed, and x/y of the participating LAOs fully confirmed."""
    province = org.kind == Kind.PROVINCE
    if not province and totals.cacheable("progress"):
        # The department: x/y LAOs fully confirmed per province, cached per province (confirmations.totals).
        for pid, (total, done) in totals.province_progress(round_, list(rows), _lao_progress).items():
            rows[pid].total, rows[pid].done = total, done
    else:
        per_lao = _laos_below(round_, org)
        lao_conf = _lao_confirmed(round_, org)
        for lao_id, d in per_lao.items():
            applies = {s for s, n in ((Scope.LEARNERS, d["inst"]), (Scope.OTHER_SCHOOLS, d["other"])) if n}
            row = rows.get(lao_id if province else d["province_id"])
            if not applies or row is None:
                continue
            have = lao_conf.get(lao_id, set())
            if province:
                row.learners = (CONFIRMED if Scope.LEARNERS in have else OPEN) if d["inst"] else None
                row.other_schools = (
                    (CONFIRMED if Scope.OTHER_SCHOOLS in have else OPEN) if d["other"] else None
                )
                row.total, row.done = d["inst"], d["inst_ok"]
                board.total += 1
                board.done += int(applies <= have)
            else:
                row.total += 1
                row.done += int(applies <= have)
    if not province:
        board.total = len(rows)
        for row in rows.values():
            row.learners = row.learners or OPEN
        board.done = sum(1 for r in rows.values() if r.learners == CONFIRMED)


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


def confirmation_detail(round_: Round, org: Organisation) -> dict:
    """api.md GET …/confirmation: own scopes, children with their states, blockers."""
    board = dashboard(round_, org)
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
