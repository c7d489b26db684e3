"""What changed since an institution confirmed (after an unlock), and confirmed snapshots that no longer match the
live counts (verify_counts)."""

from collections import defaultdict

from lec.lib import levels
from schools.models import Organisation, Round
from students.models import Gender, Learner, LearnerCount, Status

from ..models import Action, Confirmation, ConfirmationEvent, HeadcountSnapshot, Scope
from .participation import CONFIRMED, INSTITUTIONS

_COMPARED = ("prefix", "first_name", "last_name", "gender", "birth_date", "class_level", "room", "status")
_SHOWN = 200  # learners listed per kind of change


def changes_since_confirmation(round_: Round, org: Organisation) -> dict | None:
    """After an unlock: what changed since the institution last confirmed in this round — count deltas per class
    level × gender, and the learners added, removed and changed (from the learner history)."""
    last = (
        ConfirmationEvent.objects.filter(
            round=round_, organisation=org, scope=Scope.LEARNERS, action=Action.CONFIRM
        )
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
        for g in (Gender.MALE, Gender.FEMALE):
            b, n = before.get((lvl, g), 0), now.get((lvl, g), 0)
            row[str(g)] = (b, n, n - b)
        if row["male"][2] or row["female"][2]:
            deltas.append(row)
    return {"since": last.at, "deltas": deltas, **_learner_changes(org, last.at)}


def _learner_changes(org: Organisation, since) -> dict:
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
        return r is not None and r["organisation_id"] == org.pk and r["status"] == Status.ACTIVE

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
    return {"added": added[:_SHOWN], "removed": removed[:_SHOWN], "changed": changed[:_SHOWN],
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
