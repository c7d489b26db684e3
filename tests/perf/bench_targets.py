"""The bench's context (the seeded organisations and users it acts as) and its targets: what `make bench` times."""

import dataclasses
import datetime as dt
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class Ctx:
    round: object
    school: object  # the largest open school: roster, create, search
    confirm_inst: object  # an open institution under an open LAO: confirm, then unlock
    lao: object  # the LAO with the most institutions: dashboard
    lao_ready: object | None  # an LAO whose institutions all confirmed: LAO confirm, then unlock
    province: object  # the province with the most LAOs
    dept: object
    identity: str
    other_lao: object = None  # the LAO with the most other-affiliation schools
    tokens: dict = dataclasses.field(default_factory=dict)
    users: dict = dataclasses.field(default_factory=dict)
    counter: int = 0

    def user(self, org):
        from accounts.models import User

        if org.code not in self.users:
            self.users[org.code] = User.objects.select_related("organisation").get(username=f"u{org.code}")
        return self.users[org.code]

    def token(self, org) -> str:
        from accounts.services import token_create

        if org.code not in self.tokens:
            self.tokens[org.code] = token_create(user=self.user(org))[0]
        return self.tokens[org.code]


def build_context() -> Ctx:
    from django.db.models import Count, Q

    from confirmations.models import Confirmation
    from schools.models import Kind, Organisation, Round
    from students.models import Learner, LearnerCount

    rnd = Round.objects.get(state="open")
    confirmed = set(
        Confirmation.objects.filter(round=rnd, state="confirmed", scope="learners").values_list(
            "organisation_id", flat=True
        )
    )
    sizes = dict(
        LearnerCount.objects.values("organisation_id")
        .annotate(n=models_sum("count"))
        .values_list("organisation_id", "n")
    )
    insts = list(
        Organisation.objects.filter(kind__in=[Kind.SCHOOL, Kind.CDC], is_active=True).exclude(
            code="BENCH-IMPORT"
        )
    )
    open_inst = [
        o
        for o in insts
        if o.id not in confirmed and o.lao_id not in confirmed and o.province_id not in confirmed
    ]
    school = max(
        (o for o in open_inst if o.kind == Kind.SCHOOL), key=lambda o: sizes.get(o.id, 0), default=None
    )
    school = school or max(open_inst, key=lambda o: sizes.get(o.id, 0))
    confirm_inst = sorted(open_inst, key=lambda o: -sizes.get(o.id, 0))[min(1, len(open_inst) - 1)]
    lao = (
        Organisation.objects.filter(kind=Kind.LAO)
        .annotate(
            n=Count("children", filter=Q(children__kind__in=[Kind.SCHOOL, Kind.CDC, Kind.OTHER_SCHOOL]))
        )
        .order_by("-n", "code")
        .first()
    )
    lao_ready = (
        Organisation.objects.filter(kind=Kind.LAO, id__in=confirmed)
        .exclude(province_id__in=confirmed)
        .annotate(n=Count("children"))
        .order_by("-n", "code")
        .first()
    )
    province = (
        Organisation.objects.filter(kind=Kind.PROVINCE)
        .annotate(n=Count("children"))
        .order_by("-n", "code")
        .first()
    )
    dept = Organisation.objects.get(code="DLA")
    identity = (
        Learner.objects.filter(organisation=school, national_id__isnull=False)
        .order_by("id")
        .values_list("national_id", flat=True)[:1][0]
    )
    other_lao = (
        Organisation.objects.filter(kind=Kind.LAO)
        .annotate(n=Count("children", filter=Q(children__kind=Kind.OTHER_SCHOOL)))
        .order_by("-n", "code")
        .first()
    )
    return Ctx(rnd, school, confirm_inst, lao, lao_ready, province, dept, identity, other_lao)


def models_sum(field):
    from django.db.models import Sum

    return Sum(field)


# --- targets ------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Target:
    name: str
    path: object  # fn(ctx) -> str, or None when the URL does not exist yet
    actor: object  # fn(ctx) -> Organisation whose user makes the request
    api: bool = True
    method: str = "get"
    body: object = None  # fn(ctx) -> dict
    after: object = None  # fn(ctx, client) restores the state after each request (untimed)
    before: object = None  # fn(ctx, client) prepares each request (untimed)
    once: object = None  # fn(ctx) prepares the target once (untimed)
    floor: object = None  # fn(ctx) -> [(sql, params)]: the aggregates the page needs, timed alone
    budget_ms: float | None = None
    expect: tuple = (200,)


def _page(name: str, *args):
    """The path of a named URL, or None when that page is not there (yet)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _first_page(names, *args):
    for name in names:
        path = _page(name, *args)
        if path:
            return path
    return None


def _api_exists(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return False
    return (
        getattr(match.func, "__name__", "") != "not_found_view"
    )  # lec/urls.py's JSON 404 for unknown routes


def new_identity(ctx) -> str:
    from lec.management.commands._scale.plan import national_id

    ctx.counter += 1
    return national_id(1, f"99{os.getpid() % 1000:03d}{int(time.time()) % 100:02d}{ctx.counter:04d}")


def learner_body(ctx) -> dict:
    census = ctx.round.census_date
    age, level = (3, "cdc3") if ctx.school.kind == "cdc" else (8, "p2")
    return {
        "prefix": "เด็กหญิง",
        "first_name": "ทดสอบ",
        "last_name": "ความเร็ว",
        "birth_date": dt.date(census.year - age, 1, 15).isoformat(),
        "class_level": level,
        "national_id": new_identity(ctx),
        "room": "1",
    }


def unlock(path_code_attr: str, parent_attr: str):
    def restore(ctx, client):
        org = getattr(ctx, path_code_attr)
        parent = getattr(ctx, parent_attr)()
        resp = api_call(
            client, ctx, "post", f"/api/v1/organisations/{org.code}/unlock", parent,
            {"round": ctx.round.id, "scope": "learners", "reason": "bench restores the state"},
        )  # fmt: skip
        if resp.status_code != 200:
            raise RuntimeError(f"unlock of {org.code} answered {resp.status_code}: {resp.content[:300]!r}")

    return restore


def api_call(client, ctx, method, path, org, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {ctx.token(org)}", "HTTP_ACCEPT_LANGUAGE": "th"}
    if body is None:
        return getattr(client, method)(path, **headers)
    return getattr(client, method)(path, data=json.dumps(body), content_type="application/json", **headers)


def _parent(org_attr):
    def get(ctx):
        from schools.models import Organisation

        return Organisation.objects.get(pk=getattr(ctx, org_attr).parent_id)

    return get


def floor_headcounts(source: str):
    """api.md's national headcounts with scope=all: the learners' counters (or confirmed snapshots) and the
    other-affiliation entries (or their confirmed snapshots), each summed once over the subtree."""

    def sql(ctx):
        sub = "(o.path = %s OR o.path LIKE %s)"
        path = [ctx.dept.path, ctx.dept.path + "/%"]
        if source == "live":
            return [
                (
                    "SELECT lc.class_level, lc.gender, SUM(lc.count) FROM students_learnercount lc "
                    f"JOIN schools_organisation o ON o.id = lc.organisation_id WHERE {sub} GROUP BY 1, 2",
                    path,
                ),
                (
                    "SELECT c.class_level, SUM(c.male), SUM(c.female) FROM schools_otherschoolcount c "
                    "JOIN schools_otherschoolentry e ON e.id = c.entry_id "
                    f"JOIN schools_organisation o ON o.id = e.school_id WHERE e.round_id = %s AND {sub} GROUP BY 1",
                    [ctx.round.id, *path],
                ),
            ]
        return [
            (
                "SELECT s.class_level, s.gender, SUM(s.count) FROM confirmations_headcountsnapshot s "
                "JOIN confirmations_confirmation c ON c.id = s.confirmation_id "
                "JOIN schools_organisation o ON o.id = s.school_id "
                f"WHERE c.round_id = %s AND c.state = 'confirmed' AND {sub} GROUP BY 1, 2",
                [ctx.round.id, *path],
            )
        ]

    return sql


def floor_dashboard(level: str):
    """What a dashboard must aggregate per child, each once: institutions confirmed of all, live learner totals,
    confirmed (snapshot) totals and other-affiliation totals."""

    def sql(ctx):
        org = {"lao": ctx.lao, "province": ctx.province, "department": ctx.dept}[level]
        group = {"lao": "o.id", "province": "o.lao_id", "department": "o.province_id"}[level]
        sub, path, rnd = "(o.path LIKE %s)", [org.path + "/%"], ctx.round.id
        return [
            (
                f"SELECT {group}, COUNT(*) FILTER (WHERE c.state = 'confirmed'), COUNT(*) "
                "FROM schools_organisation o LEFT JOIN confirmations_confirmation c ON c.organisation_id = o.id "
                f"AND c.round_id = %s AND c.scope = 'learners' WHERE {sub} AND o.kind IN ('school', 'cdc') "
                "AND o.is_active GROUP BY 1",
                [rnd, *path],
            ),
            (
                f"SELECT {group}, SUM(lc.count) FROM students_learnercount lc "
                f"JOIN schools_organisation o ON o.id = lc.organisation_id WHERE {sub} GROUP BY 1",
                path,
            ),
            (
                f"SELECT {group}, SUM(s.count) FROM confirmations_headcountsnapshot s "
                "JOIN confirmations_confirmation c ON c.id = s.confirmation_id "
                "JOIN schools_organisation o ON o.id = s.school_id "
                f"WHERE c.round_id = %s AND c.state = 'confirmed' AND {sub} GROUP BY 1",
                [rnd, *path],
            ),
            (
                f"SELECT {group}, SUM(c.male + c.female) FROM schools_otherschoolcount c "
                "JOIN schools_otherschoolentry e ON e.id = c.entry_id "
                f"JOIN schools_organisation o ON o.id = e.school_id WHERE e.round_id = %s AND {sub} GROUP BY 1",
                [rnd, *path],
            ),
        ]

    return sql


def targets() -> list[Target]:
    T = Target

    def org_page(attr):
        return lambda ctx: _first_page(  # noqa: E731
            ["confirmations:dashboard", "schools:organisation"], getattr(ctx, attr).code
        )

    return [
        T("roster page (school)", lambda c: _first_page(["students:roster", "students:learners"], c.school.code),
          lambda c: c.school, api=False, budget_ms=60),
        T("institution home page (school)", lambda c: _page("schools:organisation", c.school.code),
          lambda c: c.school, api=False),
        T("other-schools page (LAO)", lambda c: c.other_lao and _page("schools:other_schools", c.other_lao.code),
          lambda c: c.other_lao, api=False, budget_ms=100),
        T("roster API (school, page 1)", lambda c: f"/api/v1/organisations/{c.school.code}/learners?page=1",
          lambda c: c.school, budget_ms=60),
        T("learner create API", lambda c: f"/api/v1/organisations/{c.school.code}/learners", lambda c: c.school,
          method="post", body=learner_body, expect=(201,)),
        T("institution confirm API", lambda c: f"/api/v1/organisations/{c.confirm_inst.code}/confirm",
          lambda c: c.confirm_inst, method="post", body=lambda c: {"round": c.round.id, "scope": "learners"},
          after=unlock("confirm_inst", "_lao_of_confirm_inst")),
        T("LAO dashboard page", org_page("lao"), lambda c: c.lao, api=False, floor=floor_dashboard("lao"),
          budget_ms=100),
        T("LAO dashboard API", lambda c: f"/api/v1/organisations/{c.lao.code}/confirmation?round={c.round.id}",
          lambda c: c.lao, floor=floor_dashboard("lao"), budget_ms=100),
        T("LAO confirm API", lambda c: c.lao_ready and f"/api/v1/organisations/{c.lao_ready.code}/confirm",
          lambda c: c.lao_ready, method="post", body=lambda c: {"round": c.round.id, "scope": "learners"},
          once=lambda c: _make_lao_ready(c), after=unlock("lao_ready", "_province_of_lao_ready")),
        T("province dashboard page", org_page("province"), lambda c: c.province, api=False,
          floor=floor_dashboard("province"), budget_ms=150),
        T("province dashboard API",
          lambda c: f"/api/v1/organisations/{c.province.code}/confirmation?round={c.round.id}",
          lambda c: c.province, floor=floor_dashboard("province"), budget_ms=150),
        T("department dashboard page", org_page("dept"), lambda c: c.dept, api=False,
          floor=floor_dashboard("department"), budget_ms=250),
        T("department dashboard API",
          lambda c: f"/api/v1/organisations/{c.dept.code}/confirmation?round={c.round.id}",
          lambda c: c.dept, floor=floor_dashboard("department"), budget_ms=250),
        T("national headcounts confirmed",
          lambda c: f"/api/v1/headcounts?round={c.round.id}&organisation=DLA&source=confirmed",
          lambda c: c.dept, floor=floor_headcounts("confirmed"), budget_ms=50),
        T("national headcounts live",
          lambda c: f"/api/v1/headcounts?round={c.round.id}&organisation=DLA&source=live",
          lambda c: c.dept, floor=floor_headcounts("live"), budget_ms=50),
        T("national headcounts by province",
          lambda c: f"/api/v1/headcounts?round={c.round.id}&organisation=DLA&source=live&by=child",
          lambda c: c.dept, floor=floor_headcounts("live"), budget_ms=50),
        T("learner search by identity (LAO)",
          lambda c: f"/api/v1/organisations/{c.school.lao.code}/learners?search={c.identity}",
          lambda c: c.school.lao, budget_ms=60),
        T("national budget estimate",
          lambda c: f"/api/v1/budget?round={c.round.id}&organisation=DLA", lambda c: c.dept,
          once=lambda c: _budget_rates(c), floor=floor_headcounts("confirmed"), budget_ms=100),
        T("national budget by province",
          lambda c: f"/api/v1/budget?round={c.round.id}&organisation=DLA&by=child", lambda c: c.dept,
          once=lambda c: _budget_rates(c), floor=floor_headcounts("confirmed"), budget_ms=100),
        T("province budget page", lambda c: _page("budget:estimate", c.province.code), lambda c: c.province,
          api=False, once=lambda c: _budget_rates(c)),
    ]  # fmt: skip


def _budget_rates(ctx) -> None:
    """The budget targets price with the example rates (budget/data), loaded for the round's fiscal year."""
    from budget.models import BudgetRate
    from budget.selectors import fiscal_year_of
    from budget.services import rates_load

    year = fiscal_year_of(ctx.round)
    if not BudgetRate.objects.filter(fiscal_year=year).exists():
        text = (ROOT / "budget" / "data" / "rates_fy2570.csv").read_text(encoding="utf-8")
        rates_load(data=text.replace("\n2570,", f"\n{year},").encode())


def _make_lao_ready(ctx) -> None:
    """The LAO-confirm target needs an LAO whose institutions all confirmed and which is itself open."""
    from confirmations.models import Confirmation

    if ctx.lao_ready is None:
        return
    if Confirmation.objects.filter(
        round=ctx.round, organisation=ctx.lao_ready, scope="learners", state="confirmed"
    ).exists():
        from django.test import Client

        unlock("lao_ready", "_province_of_lao_ready")(ctx, Client())


Ctx._lao_of_confirm_inst = lambda self: self.confirm_inst.lao
Ctx._province_of_lao_ready = lambda self: self.lao_ready.province


# --- measuring ----------------------------------------------------------------------------------------------
