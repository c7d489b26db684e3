"""Who takes part in which scope (api.md "Scopes"), what keeps an organisation from confirming, who missed."""

from collections import defaultdict

from django.db.models import Exists, OuterRef, Q, QuerySet

from schools.models import INSTITUTION_KINDS, Kind, Organisation, OtherSchoolEntry, subtree_q

from ..models import Confirmation, Scope

CONFIRMED = Confirmation.State.CONFIRMED
INSTITUTIONS = [str(k) for k in INSTITUTION_KINDS]


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
        return lao_scopes(kinds)
    return ()


def lao_scopes(child_kinds: set[str]) -> tuple[str, ...]:
    """An active LAO's scopes from the kinds of its active children: learners if it has schools or CDCs,
    other_schools if it has other-affiliation schools."""
    found = []
    if child_kinds & set(INSTITUTIONS):
        found.append(Scope.LEARNERS)
    if Kind.OTHER_SCHOOL in child_kinds:
        found.append(Scope.OTHER_SCHOOLS)
    return tuple(found)


def confirmed_exists(round_, scope, field="pk"):
    return Exists(
        Confirmation.objects.filter(
            round=round_, scope=scope, state=CONFIRMED, organisation_id=OuterRef(field)
        )
    )


def lao_participation(laos: QuerySet, round_) -> QuerySet:
    """LAOs annotated with which scopes apply and which are confirmed."""
    active = Organisation.objects.filter(parent=OuterRef("pk"), is_active=True)
    return laos.annotate(
        has_learners=Exists(active.filter(kind__in=INSTITUTIONS)),
        has_other=Exists(active.filter(kind=Kind.OTHER_SCHOOL)),
        learners_ok=confirmed_exists(round_, Scope.LEARNERS),
        other_ok=confirmed_exists(round_, Scope.OTHER_SCHOOLS),
    )


def blockers(round_, org: Organisation, scope: str) -> list[str]:
    """The child codes that keep `org` from confirming `scope` (rules 2–4)."""
    if org.kind == Kind.LAO and scope == Scope.LEARNERS:
        qs = Organisation.objects.filter(parent=org, is_active=True, kind__in=INSTITUTIONS).exclude(
            confirmed_exists(round_, Scope.LEARNERS)
        )
        return list(qs.order_by("code").values_list("code", flat=True))
    if org.kind == Kind.LAO and scope == Scope.OTHER_SCHOOLS:
        entered = OtherSchoolEntry.objects.filter(round=round_, school=OuterRef("pk"))
        qs = Organisation.objects.filter(parent=org, is_active=True, kind=Kind.OTHER_SCHOOL).exclude(
            Exists(entered)
        )
        return list(qs.order_by("code").values_list("code", flat=True))
    if org.kind == Kind.PROVINCE:
        laos = lao_participation(
            Organisation.objects.filter(parent=org, kind=Kind.LAO, is_active=True), round_
        )
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


def missed(round_, within: Organisation | None = None) -> list[dict]:
    """Participating organisations with a scope not confirmed (reported as missed once the round closes)."""
    base = Organisation.objects.filter(is_active=True)
    if within is not None:
        base = base.filter(subtree_q(within.path))
    rows = []
    inst = base.filter(kind__in=INSTITUTIONS).exclude(confirmed_exists(round_, Scope.LEARNERS))
    for o in inst.values("id", "code", "name_th", "kind"):
        rows.append({**o, "scope": Scope.LEARNERS})
    for o in (
        lao_participation(base.filter(kind=Kind.LAO), round_)
        .filter(Q(has_learners=True, learners_ok=False) | Q(has_other=True, other_ok=False))
        .values("id", "code", "name_th", "kind", "has_learners", "learners_ok", "has_other", "other_ok")
    ):
        if o.pop("has_learners") and not o.pop("learners_ok"):
            rows.append({**o, "scope": Scope.LEARNERS})
        if o.pop("has_other") and not o.pop("other_ok"):
            rows.append({**o, "scope": Scope.OTHER_SCHOOLS})
        o.pop("learners_ok", None)
    prov = base.filter(kind=Kind.PROVINCE).exclude(confirmed_exists(round_, Scope.LEARNERS))
    for o in prov.values("id", "code", "name_th", "kind"):
        rows.append({**o, "scope": Scope.LEARNERS})
    for r in rows:
        for k in ("learners_ok", "other_ok", "has_learners", "has_other"):
            r.pop(k, None)
    return sorted(rows, key=lambda r: (r["code"], r["scope"]))


def unconfirmed_organisation_ids(round_) -> list[int]:
    return sorted({r["id"] for r in missed(round_)})
