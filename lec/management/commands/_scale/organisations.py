"""Organisations (level by level, in bulk), their users with the default grants, and the open round."""

import datetime as dt

from django.contrib.auth.hashers import make_password
from django.db.models import F
from django.utils import timezone

from accounts.models import OrganisationUserObjectPermission, User
from accounts.services import _permissions_by_codename, default_grants
from schools.models import DEPTH, Kind, Organisation, Round


def create_organisations(plan: list[dict]) -> dict[str, Organisation]:
    existing = {o.code: o for o in Organisation.objects.filter(code__in=[r["code"] for r in plan])}
    for depth in range(4):
        new = []
        for r in plan:
            if DEPTH[Kind(r["kind"])] != depth or r["code"] in existing:
                continue
            parent = existing[r["parent"]] if r["parent"] else None
            o = Organisation(
                kind=r["kind"], code=r["code"], name_th=r["name_th"], name_en=r.get("name_en", ""),
                parent=parent, lao_type=r.get("lao_type", ""), affiliation=r.get("affiliation", ""),
                is_active=r.get("is_active", True),
                path=f"{parent.path}/{r['code']}" if parent else r["code"], depth=depth,
                province_id=parent.province_id if depth == 3 else parent.id if depth == 2 else None,
                lao_id=parent.id if depth == 3 else None,
            )  # fmt: skip
            if not o.is_active:
                o.closed_on = dt.date(2023, 3, 31)
            new.append(o)
        Organisation.objects.bulk_create(new, batch_size=5000)
        if depth in (1, 2) and new:
            ids = [o.id for o in new]
            if ids[0] is None:  # a backend that does not return ids
                new = list(Organisation.objects.filter(code__in=[o.code for o in new]))
                ids = [o.id for o in new]
            Organisation.objects.filter(id__in=ids).update(
                **{("province_id" if depth == 1 else "lao_id"): F("id")}
            )
            for o in new:
                setattr(o, "province_id" if depth == 1 else "lao_id", o.id)
        for o in new:
            existing[o.code] = o
        if new and new[0].id is None:
            existing.update({o.code: o for o in Organisation.objects.filter(code__in=[o.code for o in new])})
    return existing


def create_users(plan: list[dict], orgs: dict[str, Organisation], password: str):
    wanted = {f"u{r['code']}": orgs[r["code"]] for r in plan if r["kind"] != Kind.OTHER_SCHOOL}
    have = set(User.objects.filter(username__in=list(wanted)).values_list("username", flat=True))
    hashed = make_password(password)  # once: PBKDF2 per user would take hours at 27,000 users
    new = [
        User(username=u, organisation=o, password=hashed, email=f"{u}@scale.invalid")
        for u, o in wanted.items()
        if u not in have
    ]
    User.objects.bulk_create(new, batch_size=5000)
    if new and new[0].pk is None:
        new = list(User.objects.filter(username__in=[u.username for u in new]).select_related("organisation"))
    OrganisationUserObjectPermission.objects.bulk_create(
        default_grants(new, _permissions_by_codename()), batch_size=10000
    )


def open_round() -> Round:
    """The open round, or one for the current term opened now (written around the services, as seeds are)."""
    round_ = Round.objects.filter(state=Round.State.OPEN).first()
    if round_:
        return round_
    now = timezone.localtime()
    be = now.year + 543
    if now.month >= 10 or now.month < 4:
        year, term, census = (
            (be if now.month >= 10 else be - 1),
            2,
            dt.date(now.year if now.month >= 10 else now.year - 1, 11, 10),
        )
    else:
        year, term, census = be, 1, dt.date(now.year, 6, 10)
    round_, _ = Round.objects.get_or_create(
        academic_year=year,
        term=term,
        defaults=dict(
            census_date=census, opens_at=now - dt.timedelta(days=14), closes_at=now + dt.timedelta(days=7)
        ),
    )
    Round.objects.filter(pk=round_.pk).update(state=Round.State.OPEN)
    round_.refresh_from_db()
    return round_


# learners and counters ---------------------------------------------------------------------------------
