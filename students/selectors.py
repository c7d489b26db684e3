"""Learner reads shared by pages, the API and exports, limited by accounts.policy and masked per caller."""

from collections import Counter

from django.db.models import Count, Q, Sum

from accounts import policy
from accounts.services import audit
from lec.lib import levels, plain_sql
from lec.lib.errors import Forbidden, NotFound
from lec.lib.thai import clean_text
from schools.models import Kind, Organisation, subtree_q

from . import identity, masking
from .models import Learner, LearnerCount, PromotionBatch, Status, Transfer


def count_differences() -> tuple[int, list[str]]:
    """Recompute every institution's live counts from its active learners and compare with LearnerCount.
    Returns (institutions checked, one line per difference)."""
    actual: Counter = Counter()
    rows = (
        Learner.objects.filter(status=Status.ACTIVE)
        .values_list("organisation__code", "class_level", "gender")
        .annotate(n=Count("id"))
        .order_by()
    )
    for code, level, gender, n in rows:
        actual[(code, level, gender)] = n
    stored: Counter = Counter()
    for code, level, gender, n in LearnerCount.objects.values_list(
        "organisation__code", "class_level", "gender", "count"
    ):
        stored[(code, level, gender)] = n
    lines = []
    for key in sorted(set(actual) | set(stored)):
        if actual[key] != stored[key]:
            code, level, gender = key
            lines.append(f"{code} {level} {gender}: counter {stored[key]}, learners {actual[key]}")
    institutions = Organisation.objects.filter(kind__in=(Kind.SCHOOL, Kind.CDC)).count()
    return institutions, lines


# ---------------------------------------------------------------------------------------------------------
# Learners as the caller may see them

OWN_ROSTER_FIELDS = (
    "id", "organisation_id", "national_id", "g_code", "prefix", "first_name", "last_name", "gender",
    "birth_date", "class_level", "level_order", "room", "student_number", "status", "left_on", "version",
)  # fmt: skip
ROSTER_FIELDS = OWN_ROSTER_FIELDS + (
    "organisation__code", "organisation__name_th", "organisation__path", "organisation__parent_id",
    "organisation__kind",
)  # fmt: skip


def subtree_learners(organisation: Organisation):
    """Learners whose institution is `organisation` or under it (the caller has checked view_subtree)."""
    qs = Learner.objects.all()
    if organisation.is_institution:
        return organisation.learners.all()  # each row's `organisation` is this object: no join, no reload
    if organisation.kind == Kind.DEPARTMENT:
        return qs  # every institution sits under the one department
    return qs.filter(organisation__path__startswith=organisation.subtree_prefix)


def learner_list(
    user,
    organisation: Organisation,
    *,
    status: str | None = Status.ACTIVE,
    class_level: str | None = None,
    room: str | None = None,
    search: str | None = None,
):
    """The roster (an institution) or the subtree list (LAO, province, department), in api.md order:
    class level (domain.md order), room, last name, first name, id. `search` matches a name substring, or an
    exact identity for callers who see identities unmasked."""
    if organisation.is_institution:  # the rows' organisation is `organisation` itself (subtree_learners)
        qs = subtree_learners(organisation).only(*OWN_ROSTER_FIELDS)
    else:
        qs = subtree_learners(organisation).select_related("organisation").only(*ROSTER_FIELDS)
    status = status or Status.ACTIVE
    if status != "all":
        qs = qs.filter(status=status)
    if class_level:
        qs = qs.filter(class_level=class_level)
    if room:
        qs = qs.filter(room=room)
    text = clean_text(search)
    if text:
        key = identity.normalise(text)
        is_identity = bool(identity.NATIONAL_ID_RE.match(key) or identity.G_CODE_RE.match(key))
        if is_identity:
            if policy.sees_full_identity(user, organisation):
                qs = qs.filter(Q(national_id=key) | Q(g_code=key))
            else:
                qs = qs.none()
        else:
            parts = text.split()
            if len(parts) >= 2:
                qs = qs.filter(
                    Q(first_name__icontains=parts[0], last_name__icontains=" ".join(parts[1:]))
                    | Q(first_name__icontains=text)
                    | Q(last_name__icontains=text)
                )
            else:
                qs = qs.filter(Q(first_name__icontains=text) | Q(last_name__icontains=text))
    return qs.order_by("level_order", "room", "last_name", "first_name", "id")


def learner_list_count(
    organisation: Organisation, *, status, class_level=None, room=None, search=None, live=None
) -> int | None:
    """The list's count from the counter table when the filters allow it (active learners by class level): a
    province's or the department's list then never counts hundreds of thousands of rows. None otherwise.
    `live`: the organisation's `live_counts()` when the caller has them already (no second query)."""
    if (status or Status.ACTIVE) != Status.ACTIVE or room or clean_text(search):
        return None
    if live is not None:
        if not class_level:
            return live["total"]
        return next((row["total"] for row in live["rows"] if row["class_level"] == class_level), 0)
    qs = LearnerCount.objects.all()
    if organisation.is_institution:
        qs = qs.filter(organisation=organisation)
    elif organisation.kind != Kind.DEPARTMENT:
        qs = qs.filter(organisation__path__startswith=organisation.subtree_prefix)
    if class_level:
        qs = qs.filter(class_level=class_level)
    return qs.aggregate(n=Sum("count"))["n"] or 0


def learner_get(user, learner_id: int, action: str = "view_subtree") -> Learner:
    """One learner the user sees (404 otherwise, the same for absent and not yours); 403 when seen but
    `action` is not allowed on its institution."""
    learner = Learner.objects.select_related("organisation").filter(pk=learner_id).first()
    if learner is None or not policy.can(user, "view_subtree", learner.organisation):
        raise NotFound()
    if action != "view_subtree" and not policy.can(user, action, learner.organisation):
        raise Forbidden()
    return learner


def identity_search(user, organisation: Organisation, value: str) -> list[Learner]:
    """Where is the child with this identity enrolled, within what the user sees (every status, newest first)."""
    key = identity.normalise(value)
    if not key:
        return []
    q = Q(g_code=key) if key.startswith("G") else Q(national_id=key)
    rows = (
        subtree_learners(organisation)
        .filter(q)
        .select_related("organisation", "organisation__parent")
        .order_by("-status", "-updated_at")
    )
    return [lr for lr in rows if policy.can(user, "view_subtree", lr.organisation)]


def live_counts(organisation: Organisation) -> dict:
    """Live active learners per class level × gender over the subtree, from the counter table."""
    if organisation.is_institution:  # every roster page: one plain query (issue 16)
        found = plain_sql.rows(
            f"SELECT class_level, gender, SUM(count) FROM {LearnerCount._meta.db_table}"
            " WHERE organisation_id = %s AND count > 0 GROUP BY class_level, gender",
            [organisation.pk],
            model=LearnerCount,
        )
    else:
        qs = LearnerCount.objects.filter(
            count__gt=0, organisation__path__startswith=organisation.subtree_prefix
        )
        found = qs.values_list("class_level", "gender").annotate(n=Sum("count")).order_by()
    rows: dict[str, dict] = {}
    for level, gender, n in found:
        row = rows.setdefault(level, {"class_level": level, "male": 0, "female": 0, "total": 0})
        row[gender] += n
        row["total"] += n
    ordered = [rows[c] for c in levels.CODES if c in rows]
    for row in ordered:
        row["level"] = levels.BY_CODE[row["class_level"]]
    return {
        "rows": ordered,
        "male": sum(r["male"] for r in ordered),
        "female": sum(r["female"] for r in ordered),
        "total": sum(r["total"] for r in ordered),
    }


def rooms_of(organisation: Organisation) -> list[str]:
    """The rooms of an institution's active learners, in order (the roster's room filter)."""
    if not organisation.is_institution:
        return []
    found = plain_sql.rows(
        f"SELECT DISTINCT room FROM {Learner._meta.db_table}"
        " WHERE organisation_id = %s AND status = %s AND room <> '' ORDER BY room",
        [organisation.pk, Status.ACTIVE.value],
        model=Learner,
    )
    return [room for (room,) in found]


# ---------------------------------------------------------------------------------------------------------
# Output, masked per caller


class Masker:
    """Decides per institution whether the caller sees identities unmasked (cached: one decision per org)."""

    def __init__(self, user):
        self.user = user
        self._cache: dict[int, bool] = {}

    def full(self, organisation: Organisation) -> bool:
        if organisation.pk not in self._cache:
            self._cache[organisation.pk] = policy.sees_full_identity(self.user, organisation)
        return self._cache[organisation.pk]

    def identity(self, learner: Learner) -> tuple[str | None, str | None]:
        return masking.identity_pair(learner.national_id, learner.g_code, self.full(learner.organisation))

    def value(self, learner: Learner, field: str):
        """Any field of `learner` as this viewer may see it (students.masking)."""
        return masking.field_value(field, getattr(learner, field), self.full(learner.organisation))

    def shown(self, learner: Learner) -> str:
        nid, g = self.identity(learner)
        if nid and self.full(learner.organisation):
            return identity.format_national_id(nid)
        return nid or g or ""


def _num(value):
    return float(value) if value is not None else None


def learner_out(learner: Learner, masker: Masker, *, brief: bool = False) -> dict:
    """api.md Learner (or the roster's subset with brief=True), identities masked for the caller."""
    nid, g = masker.identity(learner)
    out = {
        "id": learner.pk,
        "organisation": learner.organisation.code,
        "national_id": nid,
        "g_code": g,
        "prefix": learner.prefix,
        "first_name": learner.first_name,
        "last_name": learner.last_name,
        "gender": learner.gender,
        "birth_date": learner.birth_date,
        "class_level": learner.class_level,
        "room": learner.room,
        "student_number": learner.student_number,
        "status": learner.status,
        "left_on": learner.left_on,
        "version": learner.version,
    }
    if brief:
        return out
    out.update(
        {
            "enrolled_on": learner.enrolled_on,
            "nationality": learner.nationality,
            "race": learner.race,
            "religion": learner.religion,
            "disadvantage": learner.disadvantage,
            # Sensitive under the PDPA: only those who see the full record (the institution and its LAO).
            "disability": masker.value(learner, "disability"),
            "shortages": learner.shortages or [],
            "weight_kg": _num(learner.weight_kg),
            "height_cm": _num(learner.height_cm),
            "family_status": learner.family_status,
            "father": learner.father,
            "mother": learner.mother,
            "guardian": learner.guardian,
            "registered_address": learner.registered_address,
            "current_address": learner.current_address,
            "left_note": learner.left_note,
        }
    )
    return out


def learner_view_logged(user, learner: Learner, *, ip: str | None = None) -> None:
    """design.md: every view of a full learner record above the institution is logged."""
    if getattr(user, "organisation_id", None) == learner.organisation_id:
        return
    audit(
        acting_user=user,
        action="learner_view",
        organisation=learner.organisation,
        object_ref=f"learner:{learner.pk}",
        ip=ip,
    )


def learner_list_read_logged(
    user, organisation: Organisation, rows: list, *, ip: str | None = None, **what
) -> None:
    """An API list page carries full learner records: a read above the institution is logged (design.md), with
    which learners it returned."""
    if not rows or getattr(user, "organisation_id", None) == organisation.pk and organisation.is_institution:
        return
    audit(acting_user=user, action="learner_list_read", organisation=organisation, object_ref=organisation.code,
          ip=ip, rows=len(rows), learners=[lr.pk for lr in rows], **what)  # fmt: skip


def learner_history_viewed(user, learner: Learner, *, ip: str | None = None) -> None:
    """A learner's history shows every past value of the record: logged above the institution like a view."""
    if getattr(user, "organisation_id", None) == learner.organisation_id:
        return
    audit(acting_user=user, action="learner_history_view", organisation=learner.organisation,
          object_ref=f"learner:{learner.pk}", ip=ip)  # fmt: skip


def learner_history(learner: Learner):
    return learner.history.select_related("history_user", "organisation").order_by(
        "-history_date", "-history_id"
    )


# ---------------------------------------------------------------------------------------------------------
# Transfers


def transfer_list(user, *, direction: str | None = None, state: str | None = None, organisation=None):
    """Transfers the caller sees: incoming (to an institution they see) and/or outgoing (from one)."""
    qs = Transfer.objects.select_related("from_organisation", "to_organisation", "requested_by", "decided_by")
    to_q = policy.visibility_q(user, "to_organisation__path")
    from_q = policy.visibility_q(user, "from_organisation__path")
    if organisation is not None:
        to_q &= subtree_q(organisation.path, "to_organisation__path")
        from_q &= subtree_q(organisation.path, "from_organisation__path")
    if direction == "incoming":
        qs = qs.filter(to_q)
    elif direction == "outgoing":
        qs = qs.filter(from_q)
    else:
        qs = qs.filter(to_q | from_q)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-requested_at", "-id")


def transfer_get(user, transfer_id: int) -> Transfer:
    transfer = (
        Transfer.objects.select_related(
            "from_organisation", "to_organisation", "learner", "requested_by", "decided_by"
        )
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None or not (
        policy.can(user, "view_subtree", transfer.from_organisation)
        or policy.can(user, "view_subtree", transfer.to_organisation)
    ):
        raise NotFound()
    return transfer


def transfer_out(transfer: Transfer, user) -> dict:
    full = policy.sees_full_identity(user, transfer.from_organisation) or policy.sees_full_identity(
        user, transfer.to_organisation
    )
    return {
        "id": transfer.pk,
        "learner": transfer.learner_id,
        "identity": transfer.identity if full else identity.mask(transfer.identity),
        "from_organisation": transfer.from_organisation.code,
        "to_organisation": transfer.to_organisation.code,
        "class_level": transfer.class_level,
        "state": transfer.state,
        "reason": transfer.reason,
        "requested_by": transfer.requested_by.username if transfer.requested_by else None,
        "decided_by": transfer.decided_by.username if transfer.decided_by else None,
    }


def pending_transfer_counts(organisation: Organisation) -> dict:
    """Pending transfers into and out of the institution (or its subtree), for the organisation page: one
    query (the roster pays it on every page)."""
    from django.db.models import Count, Q

    if organisation.is_institution:
        into, out_of = Q(to_organisation=organisation), Q(from_organisation=organisation)
    else:
        prefix = organisation.subtree_prefix
        into = Q(to_organisation__path__startswith=prefix)
        out_of = Q(from_organisation__path__startswith=prefix)
    return Transfer.objects.filter(into | out_of, state=Transfer.State.PENDING).aggregate(
        incoming=Count("pk", filter=into), outgoing=Count("pk", filter=out_of)
    )


def panel_summary(organisation: Organisation) -> dict:
    """Active learners (male, female, total) and pending transfers in and out, for the organisation page's panel:
    one query whatever the subtree."""
    from django.db.models import IntegerField, Subquery, Value
    from django.db.models.functions import Coalesce

    counts = LearnerCount.objects.all()
    transfers_in = Transfer.objects.filter(state=Transfer.State.PENDING)
    transfers_out = Transfer.objects.filter(state=Transfer.State.PENDING)
    if organisation.is_institution:
        counts = counts.filter(organisation=organisation)
        transfers_in = transfers_in.filter(to_organisation=organisation)
        transfers_out = transfers_out.filter(from_organisation=organisation)
    else:
        prefix = organisation.subtree_prefix
        counts = counts.filter(organisation__path__startswith=prefix)
        transfers_in = transfers_in.filter(to_organisation__path__startswith=prefix)
        transfers_out = transfers_out.filter(from_organisation__path__startswith=prefix)

    def total(qs, **filters):
        sub = (
            qs.filter(**filters)
            .order_by()
            .annotate(_g=Value(1))
            .values("_g")
            .annotate(n=Sum("count"))
            .values("n")
        )
        return Coalesce(Subquery(sub, output_field=IntegerField()), 0)

    def number(qs):
        sub = qs.order_by().annotate(_g=Value(1)).values("_g").annotate(n=Count("id")).values("n")
        return Coalesce(Subquery(sub, output_field=IntegerField()), 0)

    row = (
        Organisation.objects.filter(pk=organisation.pk)
        .annotate(
            male=total(counts, gender="male"),
            female=total(counts, gender="female"),
            incoming=number(transfers_in),
            outgoing=number(transfers_out),
        )
        .values("male", "female", "incoming", "outgoing")
        .get()
    )
    return {
        "counts": {"male": row["male"], "female": row["female"], "total": row["male"] + row["female"]},
        "pending": {"incoming": row["incoming"], "outgoing": row["outgoing"]},
    }


def promotion_batches(organisation: Organisation):
    return PromotionBatch.objects.filter(organisation=organisation).select_related("created_by", "undone_by")[
        :10
    ]
