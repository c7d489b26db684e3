"""Reads shared by the confirmation pages, the API, exports and commands: rounds, who takes part in which scope,
dashboards (a constant number of queries whatever the number of children), headcounts and differences."""

import dataclasses
from collections import defaultdict
from datetime import datetime

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from lec.lib import levels
from schools.models import (
    INSTITUTION_KINDS,
    Kind,
    Organisation,
    OtherSchoolCount,
    OtherSchoolEntry,
    subtree_q,
)
from students.models import LearnerCount

from . import totals
from .models import (
    Confirmation,
    ConfirmationEvent,
    HeadcountSnapshot,
    Notification,
    Round,
    Scope,
    UnlockRequest,
)

CONFIRMED = Confirmation.State.CONFIRMED
INSTITUTIONS = [str(k) for k in INSTITUTION_KINDS]

# ------------------------------------------------------------------------------------------- rounds


def open_round() -> Round | None:
    return Round.objects.filter(state=Round.State.OPEN).first()


def banner_round() -> Round | None:
    """The open round for the banner on every page, with `days_left` / `hours_left` for the countdown."""
    rnd = open_round()
    if rnd is not None:
        left = max(rnd.closes_at - timezone.now(), timezone.timedelta(0))
        rnd.days_left = left.days
        rnd.hours_left = left.seconds // 3600
    return rnd


def current_round(round_id=None) -> Round | None:
    """The round asked for, else the open one, else the most recent."""
    if round_id:
        return Round.objects.filter(pk=round_id).first()
    return open_round() or Round.objects.order_by("-academic_year", "-term").first()


def rounds() -> QuerySet[Round]:
    return Round.objects.order_by("-academic_year", "-term")


# ------------------------------------------------------------------------------------- participation


def scopes_of(org: Organisation) -> tuple[str, ...]:
    """The scopes an organisation confirms (api.md "Scopes")."""
    if not org.is_active:
        return ()
    if org.kind in INSTITUTION_KINDS or org.kind == Kind.PROVINCE:
        return (Scope.LEARNERS,)
    if org.kind == Kind.LAO:
        kinds = set(
            Organisation.objects.filter(parent=org, is_active=True).values_list("kind", flat=True).distinct()
        )
        found = []
        if kinds & set(INSTITUTIONS):
            found.append(Scope.LEARNERS)
        if Kind.OTHER_SCHOOL in kinds:
            found.append(Scope.OTHER_SCHOOLS)
        return tuple(found)
    return ()


def _confirmed_exists(rnd, scope, field="pk"):
    return Exists(
        Confirmation.objects.filter(round=rnd, scope=scope, state=CONFIRMED, organisation_id=OuterRef(field))
    )


def _lao_participation(laos: QuerySet, rnd) -> QuerySet:
    """LAOs annotated with which scopes apply and which are confirmed."""
    active = Organisation.objects.filter(parent=OuterRef("pk"), is_active=True)
    return laos.annotate(
        has_learners=Exists(active.filter(kind__in=INSTITUTIONS)),
        has_other=Exists(active.filter(kind=Kind.OTHER_SCHOOL)),
        learners_ok=_confirmed_exists(rnd, Scope.LEARNERS),
        other_ok=_confirmed_exists(rnd, Scope.OTHER_SCHOOLS),
    )


def blockers(rnd, org: Organisation, scope: str) -> list[str]:
    """The child codes that keep `org` from confirming `scope` (rules 2–4)."""
    if org.kind == Kind.LAO and scope == Scope.LEARNERS:
        qs = Organisation.objects.filter(parent=org, is_active=True, kind__in=INSTITUTIONS).exclude(
            _confirmed_exists(rnd, Scope.LEARNERS)
        )
        return list(qs.order_by("code").values_list("code", flat=True))
    if org.kind == Kind.LAO and scope == Scope.OTHER_SCHOOLS:
        entered = OtherSchoolEntry.objects.filter(round=rnd, school=OuterRef("pk"))
        qs = Organisation.objects.filter(parent=org, is_active=True, kind=Kind.OTHER_SCHOOL).exclude(
            Exists(entered)
        )
        return list(qs.order_by("code").values_list("code", flat=True))
    if org.kind == Kind.PROVINCE:
        laos = _lao_participation(Organisation.objects.filter(parent=org, kind=Kind.LAO, is_active=True), rnd)
        qs = laos.filter(Q(has_learners=True, learners_ok=False) | Q(has_other=True, other_ok=False))
        return list(qs.order_by("code").values_list("code", flat=True))
    return []


def confirmed_scopes(round_id, org_ids) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for org_id, scope in Confirmation.objects.filter(
        round_id=round_id, organisation_id__in=list(org_ids), state=CONFIRMED
    ).values_list("organisation_id", "scope"):
        found[org_id].add(scope)
    return found


def missed(rnd, within: Organisation | None = None) -> list[dict]:
    """Participating organisations with a scope not confirmed (reported as missed once the round closes)."""
    base = Organisation.objects.filter(is_active=True)
    if within is not None:
        base = base.filter(subtree_q(within.path))
    rows = []
    inst = base.filter(kind__in=INSTITUTIONS).exclude(_confirmed_exists(rnd, Scope.LEARNERS))
    for o in inst.values("id", "code", "name_th", "kind"):
        rows.append({**o, "scope": Scope.LEARNERS})
    for o in (
        _lao_participation(base.filter(kind=Kind.LAO), rnd)
        .filter(Q(has_learners=True, learners_ok=False) | Q(has_other=True, other_ok=False))
        .values("id", "code", "name_th", "kind", "has_learners", "learners_ok", "has_other", "other_ok")
    ):
        if o.pop("has_learners") and not o.pop("learners_ok"):
            rows.append({**o, "scope": Scope.LEARNERS})
        if o.pop("has_other") and not o.pop("other_ok"):
            rows.append({**o, "scope": Scope.OTHER_SCHOOLS})
        o.pop("learners_ok", None)
    prov = base.filter(kind=Kind.PROVINCE).exclude(_confirmed_exists(rnd, Scope.LEARNERS))
    for o in prov.values("id", "code", "name_th", "kind"):
        rows.append({**o, "scope": Scope.LEARNERS})
    for r in rows:
        for k in ("learners_ok", "other_ok", "has_learners", "has_other"):
            r.pop(k, None)
    return sorted(rows, key=lambda r: (r["code"], r["scope"]))


def unconfirmed_organisation_ids(rnd) -> list[int]:
    return sorted({r["id"] for r in missed(rnd)})


# ----------------------------------------------------------------------------------------- dashboards


@dataclasses.dataclass
class ChildRow:
    org: Organisation
    learners: str | None = None  # open | confirmed | None (scope does not apply)
    other_schools: str | None = None  # open | confirmed | entered | missing | None
    confirmed_at: datetime | None = None
    last_change: datetime | None = None
    live_total: int = 0
    confirmed_total: int = 0
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
            return "requested"
        states = [s for s in (self.learners, self.other_schools) if s is not None]
        if not states:
            return "none"
        if all(s in ("confirmed",) for s in states):
            return "confirmed"
        if states == ["entered"]:
            return "entered"
        if states == ["missing"]:
            return "missing"
        return "open"

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

    @property
    def all_blockers(self) -> list[str]:
        return sorted({c for codes in self.blockers.values() for c in codes})

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def round_open(self) -> bool:
        return self.round is not None and self.round.state == Round.State.OPEN


def _child_key(org: Organisation) -> str | None:
    """The column on a descendant row that names which child of `org` it sits under."""
    return {Kind.DEPARTMENT: "province_id", Kind.PROVINCE: "lao_id", Kind.LAO: "id"}.get(org.kind)


def _totals_by(qs: QuerySet, key: str, value: str) -> dict:
    return {k: v or 0 for k, v in qs.values(key).annotate(n=Sum(value)).values_list(key, "n")}


def dashboard(rnd: Round | None, org: Organisation, *, kinds=None) -> Dashboard:
    """Everything a dashboard shows for `org` in round `rnd`, in a constant number of queries."""
    children = list(
        Organisation.objects.filter(parent=org, is_active=True)
        .filter(kind__in=kinds or [k for k, _ in Kind.choices])
        .order_by("kind", "code")
    )
    applicable = scopes_of(org)
    own = {}
    if rnd is not None:
        own = {c.scope: c for c in Confirmation.objects.filter(round=rnd, organisation=org)}
    scopes = {s: own.get(s) for s in applicable}
    board = Dashboard(rnd, org, scopes, applicable, [], {}, [], {})
    if rnd is None:
        board.children = [ChildRow(c) for c in children]
        return board
    board.blockers = {s: blockers(rnd, org, s) for s in applicable if org.kind in (Kind.LAO, Kind.PROVINCE)}
    rows = {c.id: ChildRow(c) for c in children}
    ids = list(rows)
    key = _child_key(org)
    # the children's own confirmations
    for c in Confirmation.objects.filter(round=rnd, organisation__parent=org):
        row = rows.get(c.organisation_id)
        if row is None:
            continue
        if c.scope == Scope.LEARNERS:
            row.learners = c.state
            row.confirmed_at = c.confirmed_at
        else:
            row.other_schools = c.state
    for org_id, at in (
        ConfirmationEvent.objects.filter(round=rnd, organisation_id__in=ids)
        .values("organisation_id")
        .annotate(at=Max("at"))
        .values_list("organisation_id", "at")
    ):
        rows[org_id].last_change = at
    # which scopes apply to each child, and the progress of each child's own children
    if org.kind == Kind.LAO:
        entered = set(
            OtherSchoolEntry.objects.filter(round=rnd, school__parent=org).values_list("school_id", flat=True)
        )
        for row in rows.values():
            if row.org.kind in INSTITUTIONS:
                row.learners = row.learners or Confirmation.State.OPEN
            elif row.org.kind == Kind.OTHER_SCHOOL:
                row.other_schools = "entered" if row.org.id in entered else "missing"
        inst = [r for r in rows.values() if r.org.kind in INSTITUTIONS]
        board.total = len(inst)
        board.done = sum(1 for r in inst if r.learners == CONFIRMED)
    elif org.kind in (Kind.PROVINCE, Kind.DEPARTMENT):
        _progress(rnd, org, rows, board)
    # live and confirmed learner totals per child (plus other-affiliation entries for scope "all")
    if key:
        sub = subtree_q(org.path, "organisation__path")
        # National and provincial totals come from per-province parts cached under generation counters where
        # every writer of the part bumps them (confirmations.totals, docs/performance.md "Cached totals").
        pids = list(rows) if org.kind == Kind.DEPARTMENT else [org.id]
        cached = org.kind in (Kind.DEPARTMENT, Kind.PROVINCE)

        def part(name):
            return _per_child(org, name, rnd, pids)

        if cached and totals.cacheable("live_learners"):
            live = part("live_learners")
        else:
            live = _totals_by(LearnerCount.objects.filter(sub), f"organisation__{key}", "count")
        if cached and totals.cacheable("confirmed_learners"):
            confirmed = part("confirmed_learners")
            for cid, n in part("confirmed_other").items():
                confirmed[cid] += n
        else:
            confirmed = _totals_by(
                HeadcountSnapshot.objects.filter(
                    subtree_q(org.path, "school__path"),
                    confirmation__round=rnd,
                    confirmation__state=CONFIRMED,
                ),
                f"school__{key}",
                "count",
            )
        if cached and totals.cacheable("live_other"):
            other = part("live_other")
        else:
            counts = OtherSchoolCount.objects.filter(entry__round=rnd).filter(
                subtree_q(org.path, "entry__school__path")
            )
            other = {
                k: (m or 0) + (f or 0)
                for k, m, f in counts.values(f"entry__school__{key}")
                .annotate(m=Sum("male"), f=Sum("female"))
                .values_list(f"entry__school__{key}", "m", "f")
            }
        for cid, row in rows.items():
            row.live_total = live.get(cid, 0) + other.get(cid, 0)
            row.confirmed_total = confirmed.get(cid, 0)
        board.live_total = sum(r.live_total for r in rows.values())
        board.confirmed_total = sum(r.confirmed_total for r in rows.values())
    # unlock requests: the children's (to decide) and this organisation's own
    for req in UnlockRequest.objects.filter(
        Q(organisation__parent=org) | Q(organisation=org), round=rnd, state=UnlockRequest.State.PENDING
    ).select_related("organisation", "requested_by"):
        if req.organisation_id == org.id:
            board.own_pending[req.scope] = req
        elif req.organisation_id in rows:
            rows[req.organisation_id].pending.append(req)
            board.pending.append(req)
    board.children = list(rows.values())
    return board


def _progress(rnd, org: Organisation, rows: dict, board: Dashboard) -> None:
    """For a province (children: LAOs) or the department (children: provinces): which scopes apply to each LAO,
    how many of its institutions are confirmed, and x/y of the participating LAOs fully confirmed."""
    province = org.kind == Kind.PROVINCE
    if not province and totals.cacheable("progress"):
        # The department: x/y LAOs fully confirmed per province, cached per province (confirmations.totals).
        for pid, (total, done) in totals.province_progress(rnd, list(rows), _lao_progress).items():
            rows[pid].total, rows[pid].done = total, done
        board.total = len(rows)
        for row in rows.values():
            row.learners = row.learners or "open"
        board.done = sum(1 for r in rows.values() if r.learners == CONFIRMED)
        return
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
        round=rnd, scope=Scope.LEARNERS, state=CONFIRMED, organisation__kind__in=INSTITUTIONS,
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
    lao_conf: dict[int, set] = defaultdict(set)
    confs = Confirmation.objects.filter(round=rnd, state=CONFIRMED, organisation__kind=Kind.LAO)
    if province:
        confs = confs.filter(organisation__parent=org)
    for lao_id, scope in confs.values_list("organisation_id", "scope"):
        lao_conf[lao_id].add(scope)
    for lao_id, d in per_lao.items():
        applies = {s for s, n in ((Scope.LEARNERS, d["inst"]), (Scope.OTHER_SCHOOLS, d["other"])) if n}
        if not applies:
            continue
        have = lao_conf.get(lao_id, set())
        row = rows.get(lao_id if province else d["province_id"])
        if row is None:
            continue
        if province:
            row.learners = (CONFIRMED if Scope.LEARNERS in have else "open") if d["inst"] else None
            row.other_schools = (CONFIRMED if Scope.OTHER_SCHOOLS in have else "open") if d["other"] else None
            row.total, row.done = d["inst"], d["inst_ok"]
            board.total += 1
            board.done += int(applies <= have)
        else:
            row.total += 1
            row.done += int(applies <= have)
    if not province:
        board.total = len(rows)
        for row in rows.values():
            row.learners = row.learners or "open"
        board.done = sum(1 for r in rows.values() if r.learners == CONFIRMED)


def _lao_progress(rnd, province_ids: list[int]) -> dict[int, tuple[int, int]]:
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
        round=rnd, state=CONFIRMED, organisation__kind=Kind.LAO, organisation__province_id__in=province_ids
    ).values_list("organisation_id", "scope"):
        have[lao_id].add(scope)
    out = {p: [0, 0] for p in province_ids}
    for lao_id, d in per_lao.items():
        applies = {s for s, n in ((Scope.LEARNERS, d["inst"]), (Scope.OTHER_SCHOOLS, d["other"])) if n}
        if applies:
            out[d["province_id"]][0] += 1
            out[d["province_id"]][1] += int(applies <= have.get(lao_id, set()))
    return {p: (t, d) for p, (t, d) in out.items()}


def confirmation_detail(rnd: Round, org: Organisation) -> dict:
    """api.md GET …/confirmation: own scopes, children with their states, blockers."""
    board = dashboard(rnd, org)
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
        "round": rnd.pk,
        "scopes": {s: board.scopes.get(s) if s in board.applicable else None for s in Scope.values},
        "applicable": board.applicable,
        "children": children,
        "blockers": board.all_blockers,
    }


# ----------------------------------------------------------------------------------------- headcounts


def _per_child(org: Organisation, name: str, rnd: Round, pids: list[int]) -> dict[int, int]:
    """{child id: male + female} of a department (children: provinces) or province (children: LAOs)."""
    out: dict = defaultdict(int)
    if org.kind == Kind.DEPARTMENT:
        for pid, part in totals.province_parts(name, rnd, pids).items():
            out[pid] += sum(part["sum"])
    else:
        for laos in totals.province_parts(name, rnd, pids, detail="laos").values():
            for lao_id, (m, f) in laos.items():
                out[lao_id] += m + f
    return out


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


def _headcounts_cached(rnd: Round, org: Organisation, *, source: str, scope: str, by: str) -> dict:
    """headcounts() for a department or province, from the per-province cached parts (confirmations.totals)."""
    names = [f"{source}_learners"] if scope in ("learners", "all") else []
    names += [f"{source}_other"] if scope in ("other_schools", "all") else []
    if org.kind == Kind.PROVINCE:
        pids = [org.id]
    else:
        pids = list(
            Organisation.objects.filter(subtree_q(org.path), kind=Kind.PROVINCE).values_list("id", flat=True)
        )
    sums: dict = defaultdict(lambda: [0, 0])
    for name in names:
        if by == "child" and org.kind == Kind.PROVINCE:
            for laos in totals.province_parts(name, rnd, pids, detail="laos").values():
                for lao_id, (m, f) in laos.items():
                    sums[lao_id][0] += m
                    sums[lao_id][1] += f
            continue
        parts = totals.province_parts(name, rnd, pids)
        if by == "child":
            for pid, part in parts.items():
                sums[pid][0] += part["sum"][0]
                sums[pid][1] += part["sum"][1]
        else:
            for (level, g), n in totals.sum_levels(parts).items():
                sums[level][0 if g == "male" else 1] += n
    rows = _headcount_rows(org, sums, by)
    return {"organisation": org.code, "round": rnd.pk, "source": source, "scope": scope, "rows": rows,
            "total": sum(r["total"] for r in rows)}  # fmt: skip


def headcounts(rnd: Round, org: Organisation, *, source="confirmed", scope="all", by="class_level") -> dict:
    """api.md "Headcounts": sums over the counter, entry and snapshot tables of the subtree; never over learners."""
    wanted = [
        f"{source}_{p}"
        for p, s in (("learners", "learners"), ("other", "other_schools"))
        if scope in (s, "all")
    ]
    if org.kind in (Kind.DEPARTMENT, Kind.PROVINCE) and all(totals.cacheable(p) for p in wanted):
        return _headcounts_cached(rnd, org, source=source, scope=scope, by=by)
    key = _child_key(org) if by == "child" else None
    group = "class_level"
    parts = []  # (queryset, path field prefix, value fields)
    if scope in ("learners", "all"):
        if source == "live":
            parts.append((LearnerCount.objects.all(), "organisation", "gender"))
        else:
            parts.append(
                (
                    HeadcountSnapshot.objects.filter(
                        confirmation__round=rnd,
                        confirmation__scope=Scope.LEARNERS,
                        confirmation__state=CONFIRMED,
                    ),
                    "school",
                    "gender",
                )
            )
    if scope in ("other_schools", "all"):
        if source == "live":
            parts.append((OtherSchoolCount.objects.filter(entry__round=rnd), "entry__school", None))
        else:
            parts.append(
                (
                    HeadcountSnapshot.objects.filter(
                        confirmation__round=rnd,
                        confirmation__scope=Scope.OTHER_SCHOOLS,
                        confirmation__state=CONFIRMED,
                    ),
                    "school",
                    "gender",
                )
            )
    sums: dict = defaultdict(lambda: [0, 0])
    for qs, prefix, gender_field in parts:
        qs = qs.filter(subtree_q(org.path, f"{prefix}__path"))
        k = f"{prefix}__{key}" if by == "child" else group
        if by == "child" and key is None:
            continue
        if gender_field:
            value = "count"
            for kv, g, n in (
                qs.values(k, gender_field).annotate(n=Sum(value)).values_list(k, gender_field, "n")
            ):
                sums[kv][0 if g == "male" else 1] += n or 0
        else:
            for kv, m, f in qs.values(k).annotate(m=Sum("male"), f=Sum("female")).values_list(k, "m", "f"):
                sums[kv][0] += m or 0
                sums[kv][1] += f or 0
    rows = _headcount_rows(org, sums, by)
    total = sum(r["total"] for r in rows) if by == "child" or rows else 0
    if by == "child" and key is None:
        total = 0
    return {"organisation": org.code, "round": rnd.pk, "source": source, "scope": scope, "rows": rows,
            "total": total}  # fmt: skip


def level_gender_counts(org: Organisation) -> list[dict]:
    """An institution's live counts per class level × gender (the confirm step's table)."""
    found: dict = defaultdict(lambda: [0, 0])
    for lvl, g, n in LearnerCount.objects.filter(organisation=org, count__gt=0).values_list(
        "class_level", "gender", "count"
    ):
        found[lvl][0 if g == "male" else 1] += n
    return [
        {"class_level": c, "level": levels.BY_CODE.get(c), "male": m, "female": f, "total": m + f}
        for c, (m, f) in sorted(found.items(), key=lambda kv: levels.ORDER.get(kv[0], 99))
    ]


def confirm_warnings(rnd: Round, org: Organisation, counts: list[dict]) -> list[str]:
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
        .exclude(round=rnd)
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


def changes_since_confirmation(rnd: Round, org: Organisation) -> dict | None:
    """After an unlock: what changed since the institution last confirmed in this round — count deltas per class
    level × gender, and the learners added, removed and changed (from the learner history)."""
    last = (
        ConfirmationEvent.objects.filter(round=rnd, organisation=org, scope=Scope.LEARNERS, action="confirm")
        .order_by("-id")
        .first()
    )
    if last is None:
        return None
    before: dict = defaultdict(int)
    for k, n in (last.counts or {}).items():
        _school, lvl, g = k.split(":")
        before[(lvl, g)] += n
    now: dict = defaultdict(int)
    for lvl, g, n in LearnerCount.objects.filter(organisation=org).values_list(
        "class_level", "gender", "count"
    ):
        now[(lvl, g)] += n
    deltas = []
    for lvl in sorted({k[0] for k in (*before, *now)}, key=lambda c: levels.ORDER.get(c, 99)):
        row = {"class_level": lvl, "level": levels.BY_CODE.get(lvl)}
        for g in ("male", "female"):
            row[g] = (
                before.get((lvl, g), 0),
                now.get((lvl, g), 0),
                now.get((lvl, g), 0) - before.get((lvl, g), 0),
            )
        if row["male"][2] or row["female"][2]:
            deltas.append(row)
    return {"since": last.at, "deltas": deltas, **_learner_changes(org, last.at)}


_COMPARED = ("prefix", "first_name", "last_name", "gender", "birth_date", "class_level", "room", "status")


def _learner_changes(org: Organisation, since) -> dict:
    try:
        from students.models import Learner
    except ImportError:  # pragma: no cover - before the learners app lands
        return {"added": [], "removed": [], "changed": []}
    history = Learner.history.model
    ids = history.objects.filter(organisation_id=org.pk, history_date__gt=since).values("id")
    rows = history.objects.filter(id__in=ids).order_by("history_date", "history_id")
    rows = rows.values("id", "history_date", "organisation_id", *_COMPARED)
    states: dict = {}
    for r in rows:
        s = states.setdefault(r["id"], {"before": None, "after": None})
        if r["history_date"] <= since:
            s["before"] = r
        s["after"] = r

    def here(r):
        return r is not None and r["organisation_id"] == org.pk and r["status"] == "active"

    added, removed, changed = [], [], []
    for s in states.values():
        b, a = s["before"], s["after"]
        if here(a) and not here(b):
            added.append(a)
        elif here(b) and not here(a):
            removed.append(a)
        elif here(a) and here(b):
            fields = [f for f in _COMPARED if a[f] != b[f]]
            if fields:
                changed.append({**a, "fields": fields, "before": b})
    return {"added": added[:200], "removed": removed[:200], "changed": changed[:200],
            "n_added": len(added), "n_removed": len(removed), "n_changed": len(changed)}  # fmt: skip


def snapshot_differences() -> list[str]:
    """For verify_counts: every confirmed institution (open round) whose snapshot differs from its live counts —
    impossible while the lock holds, so any line here is a bug."""
    lines = []
    confs = Confirmation.objects.filter(
        round__state=Round.State.OPEN,
        scope=Scope.LEARNERS,
        state=CONFIRMED,
        organisation__kind__in=INSTITUTIONS,
    )
    org_ids = list(confs.values_list("organisation_id", flat=True))
    if not org_ids:
        return lines
    snap: dict = defaultdict(int)
    for org_id, lvl, g, n in HeadcountSnapshot.objects.filter(confirmation__in=confs).values_list(
        "school_id", "class_level", "gender", "count"
    ):
        snap[(org_id, lvl, g)] += n
    live: dict = defaultdict(int)
    for org_id, lvl, g, n in LearnerCount.objects.filter(
        organisation_id__in=org_ids, count__gt=0
    ).values_list("organisation_id", "class_level", "gender", "count"):
        live[(org_id, lvl, g)] += n
    codes = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "code"))
    for k in sorted(set(snap) | set(live), key=lambda k: (codes.get(k[0], ""), k[1], k[2])):
        if snap.get(k, 0) != live.get(k, 0):
            lines.append(
                f"{codes.get(k[0], k[0])} {k[1]} {k[2]}: confirmed snapshot {snap.get(k, 0)}, live {live.get(k, 0)}"
            )
    return lines


# ------------------------------------------------------------------------------- events and requests


def events_for(rnd: Round, org: Organisation) -> QuerySet[ConfirmationEvent]:
    return (
        ConfirmationEvent.objects.filter(round=rnd)
        .filter(subtree_q(org.path, "organisation__path"))
        .select_related("organisation")
        .order_by("id")
    )


def unlock_requests_for(user, state: str | None = None, rnd: Round | None = None) -> QuerySet[UnlockRequest]:
    """Requests this user may decide (children of organisations where they hold unlock_children) and their own."""
    qs = UnlockRequest.objects.select_related("organisation", "requested_by", "decided_by", "round")
    if not policy.is_superuser(user):
        grants = policy._grants(user)  # the policy's own per-request cache of grants
        deciders = [pk for pk, _path in grants.get("unlock_children", ())]
        own = [pk for pk, _path in grants.get("request_unlock", ())]
        qs = qs.filter(
            Q(organisation__parent_id__in=deciders) | Q(organisation_id__in=own) | Q(requested_by=user)
        )
    if state:
        qs = qs.filter(state=state)
    if rnd is not None:
        qs = qs.filter(round=rnd)
    return qs.order_by("-requested_at", "-id")


# ---------------------------------------------------------------------------------------- notifications


def notifications_for(user) -> QuerySet[Notification]:
    q = Q(user=user)
    if getattr(user, "organisation_id", None):
        q |= Q(organisation_id=user.organisation_id)
    return Notification.objects.filter(q).select_related("subject", "round").order_by("-created_at", "-id")


def unread_count(user) -> int:
    return notifications_for(user).filter(read=False).count()


def notification_text(note: Notification) -> str:
    who = note.subject.name_th if note.subject_id else ""
    scope = Scope(note.scope).label if note.scope else ""
    rnd = note.round.name if note.round_id else ""
    texts = {
        Notification.Kind.CONFIRMED: _("%(who)s confirmed its data (%(scope)s) for %(round)s."),
        Notification.Kind.UNLOCKED: _("The confirmation of %(who)s (%(scope)s) for %(round)s was cancelled. "
                                      "Reason: %(reason)s"),
        Notification.Kind.UNLOCK_REQUESTED: _("%(who)s asks you to cancel its confirmation (%(scope)s) for "
                                              "%(round)s. Reason: %(reason)s"),
        Notification.Kind.REQUEST_APPROVED: _("Your unlock request (%(scope)s) for %(round)s was approved: you can "
                                              "edit the data again."),
        Notification.Kind.REQUEST_REJECTED: _("Your unlock request (%(scope)s) for %(round)s was not approved. "
                                              "Reason: %(reason)s"),
        Notification.Kind.REMINDER: _("%(round)s closes soon and %(who)s has not confirmed its data yet."),
        Notification.Kind.ROUND_OPENED: _("%(round)s is open."),
        Notification.Kind.ROUND_CLOSED: _("%(round)s is closed."),
    }  # fmt: skip
    return str(texts.get(note.kind, "")) % {"who": who, "scope": scope, "round": rnd, "reason": note.reason}
