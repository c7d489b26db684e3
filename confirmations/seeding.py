"""The seeded round's state for `manage.py seed_scale`: which organisations are confirmed (ConfirmationPlan), and
other-affiliation entries, confirmations, snapshots, events and edit locks written in bulk exactly as
confirmations.services would leave them (seed_round_state)."""

import datetime as dt
import random
from collections import Counter, defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from schools.models import Kind, Organisation, OtherSchoolCount, OtherSchoolEntry
from students.models import Gender

from .models import Action, Confirmation, ConfirmationEvent, HeadcountSnapshot, Scope

SHARE_CONFIRMED_LAO = 0.35  # LAOs whose institutions all confirmed and that confirmed themselves
SHARE_CONFIRMED_INSTITUTION = 0.55  # of the institutions under the other LAOs


class ConfirmationPlan:
    """Which organisations are confirmed in the seeded round, respecting the invariant: a confirmed LAO has
    every active institution confirmed; a confirmed `other_schools` scope has an entry for every school."""

    def __init__(self, plan: list[dict], rng: random.Random):
        children = defaultdict(list)
        for r in plan:
            if r.get("parent"):
                children[r["parent"]].append(r)
        self.institutions_confirmed: set[str] = set()
        self.lao_learners_confirmed: set[str] = set()
        self.lao_other_entered: dict[str, set[str]] = {}
        self.lao_other_confirmed: set[str] = set()
        self.provinces_confirmed: set[str] = set()
        for r in plan:
            if r["kind"] != Kind.LAO:
                continue
            kids = children[r["code"]]
            inst = [
                k["code"] for k in kids if k["kind"] in (Kind.SCHOOL, Kind.CDC) and k.get("is_active", True)
            ]
            other = [k["code"] for k in kids if k["kind"] == Kind.OTHER_SCHOOL]
            if inst:
                if rng.random() < SHARE_CONFIRMED_LAO:
                    self.institutions_confirmed.update(inst)
                    self.lao_learners_confirmed.add(r["code"])
                else:
                    self.institutions_confirmed.update(
                        c for c in inst if rng.random() < SHARE_CONFIRMED_INSTITUTION
                    )
            if other:
                x = rng.random()
                if x < 0.4:
                    self.lao_other_entered[r["code"]] = set(other)
                    self.lao_other_confirmed.add(r["code"])
                elif x < 0.7:
                    self.lao_other_entered[r["code"]] = set(other)
                elif x < 0.9:
                    self.lao_other_entered[r["code"]] = {c for c in other if rng.random() < 0.5}
        # A province confirms once every participating LAO confirmed every scope; rare mid-round.
        for p in (r for r in plan if r["kind"] == Kind.PROVINCE):
            ok = True
            for lao in children[p["code"]]:
                kids = children[lao["code"]]
                has_inst = any(
                    k["kind"] in (Kind.SCHOOL, Kind.CDC) and k.get("is_active", True) for k in kids
                )
                has_other = any(k["kind"] == Kind.OTHER_SCHOOL for k in kids)
                if has_inst and lao["code"] not in self.lao_learners_confirmed:
                    ok = False
                if has_other and lao["code"] not in self.lao_other_confirmed:
                    ok = False
            if ok:
                self.provinces_confirmed.add(p["code"])


OTHER_PROFILES = {
    "obec": ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6"),
    "bpp": ("k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6"),
    "private": ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6", "m1", "m2", "m3"),
    "other": ("p1", "p2", "p3", "p4", "p5", "p6"),
}


def seed_round_state(*, plan, orgs, round_, confirm: ConfirmationPlan, counts, rng, log) -> None:
    """Other-affiliation entries, confirmations, their snapshots, events and the edit locks, written in bulk
    exactly as confirmations.services would leave them (snapshots equal the live counts; locks set).

    `counts`: {institution id: Counter((class level, gender): n)}, the live counters the snapshots copy."""
    users = dict(
        User.objects.filter(username__in=[f"u{r['code']}" for r in plan]).values_list("username", "id")
    )
    with transaction.atomic():
        entries, entry_counts = _seed_entries(plan, orgs, round_, confirm, users, rng)
        log(f"{len(entries)} other-affiliation entries")
        confs = _seed_confirmations(orgs, round_, confirm, users, rng)
        other_rows = defaultdict(list)  # LAO id → its entries' rows
        for e, rows in zip(entries, entry_counts, strict=True):
            for lvl, m, f in rows:
                other_rows[e.lao_id] += [
                    (e.school_id, lvl, Gender.MALE, m),
                    (e.school_id, lvl, Gender.FEMALE, f),
                ]
        n_snaps = _seed_snapshots_and_events(round_, confs, counts, other_rows)
        _set_locks(confs)
        log(f"{len(confs)} confirmations, {n_snaps} snapshot rows")


def _seed_entries(plan, orgs, round_, confirm: ConfirmationPlan, users: dict, rng) -> tuple[list, list]:
    """The other-affiliation entries the plan has entered (1 % of them closed), with their counts."""
    entered_codes = {c for codes in confirm.lao_other_entered.values() for c in codes}
    have = set(
        OtherSchoolEntry.objects.filter(round=round_, school__code__in=entered_codes).values_list(
            "school__code", flat=True
        )
    )
    entries, entry_counts = [], []
    for r in plan:
        if r["kind"] != Kind.OTHER_SCHOOL or r["code"] not in entered_codes or r["code"] in have:
            continue
        school = orgs[r["code"]]
        closed = rng.random() < 0.01
        e = OtherSchoolEntry(round=round_, school=school, lao=orgs[r["parent"]], closed=closed,
                             entered_by_id=users.get(f"u{r['parent']}"))  # fmt: skip
        entries.append(e)
        levels = [] if closed else OTHER_PROFILES[r.get("affiliation") or "obec"]
        size = rng.randint(4, 45)
        entry_counts.append([(lvl, rng.randint(0, size), rng.randint(0, size)) for lvl in levels])
    OtherSchoolEntry.objects.bulk_create(entries, batch_size=5000)
    if entries and entries[0].pk is None:
        by_school = dict(OtherSchoolEntry.objects.filter(round=round_).values_list("school_id", "id"))
        for e in entries:
            e.pk = e.id = by_school[e.school_id]
    OtherSchoolCount.objects.bulk_create(
        [OtherSchoolCount(entry=e, class_level=lvl, male=m, female=f)
         for e, rows in zip(entries, entry_counts, strict=True) for lvl, m, f in rows],
        batch_size=10000,
    )  # fmt: skip
    return entries, entry_counts


def _seed_confirmations(orgs, round_, confirm: ConfirmationPlan, users: dict, rng) -> list[Confirmation]:
    """The planned confirmations not written yet, confirmed at some time in the last two weeks."""
    now = timezone.now()
    done = set(Confirmation.objects.filter(round=round_).values_list("organisation__code", "scope"))
    wanted = [(c, Scope.LEARNERS) for c in sorted(confirm.institutions_confirmed)]
    wanted += [(c, Scope.LEARNERS) for c in sorted(confirm.lao_learners_confirmed)]
    wanted += [(c, Scope.OTHER_SCHOOLS) for c in sorted(confirm.lao_other_confirmed)]
    wanted += [(c, Scope.LEARNERS) for c in sorted(confirm.provinces_confirmed)]
    wanted = [(c, s) for c, s in wanted if (c, s) not in done]
    confs = []
    for code, scope in wanted:
        org = orgs[code]
        at = now - dt.timedelta(minutes=rng.randint(60, 14 * 24 * 60))
        confs.append(Confirmation(round=round_, organisation=org, scope=scope, state=Confirmation.State.CONFIRMED,
                                  confirmed_at=at, confirmed_by_id=users.get(f"u{code}")))  # fmt: skip
    Confirmation.objects.bulk_create(confs, batch_size=5000)
    if confs and confs[0].pk is None:
        ids = {
            (o, s): i
            for o, s, i in Confirmation.objects.filter(round=round_).values_list(
                "organisation_id", "scope", "id"
            )
        }
        for c in confs:
            c.pk = c.id = ids[(c.organisation_id, c.scope)]
    return confs


def _seed_snapshots_and_events(round_, confs: list[Confirmation], counts: dict, other_rows: dict) -> int:
    """Each confirmation's snapshot (the live counts, or its LAO's entries) and its `confirm` event."""
    snaps, events = [], []
    for c in confs:
        org = c.organisation
        rows = []
        if c.scope == Scope.LEARNERS and org.is_institution:
            rows = [(org.id, lvl, g, n) for (lvl, g), n in sorted(counts.get(org.id, Counter()).items()) if n]
        elif c.scope == Scope.OTHER_SCHOOLS:
            rows = other_rows.get(org.id, [])
        snaps += [HeadcountSnapshot(confirmation=c, school_id=s, class_level=lvl, gender=g, count=n)
                  for s, lvl, g, n in rows]  # fmt: skip
        events.append(
            ConfirmationEvent(
                round=round_, organisation=org, scope=c.scope, action=Action.CONFIRM, actor_id=c.confirmed_by_id,
                actor_username=f"u{org.code}" if c.confirmed_by_id else "", at=c.confirmed_at,
                counts={f"{s}:{lvl}:{g}": n for s, lvl, g, n in rows} if org.is_institution else None,
            )
        )  # fmt: skip
    HeadcountSnapshot.objects.bulk_create(snaps, batch_size=10000)
    ConfirmationEvent.objects.bulk_create(events, batch_size=5000)
    return len(snaps)


def _set_locks(confs: list[Confirmation]) -> None:
    """The edit locks a confirmation sets (schools.models.Organisation.*_locked)."""
    learners_ids = [c.organisation_id for c in confs if c.scope == Scope.LEARNERS]
    other_ids = [c.organisation_id for c in confs if c.scope == Scope.OTHER_SCHOOLS]
    for i in range(0, len(learners_ids), 5000):
        Organisation.objects.filter(id__in=learners_ids[i : i + 5000]).update(learners_locked=True)
    for i in range(0, len(other_ids), 5000):
        Organisation.objects.filter(id__in=other_ids[i : i + 5000]).update(other_schools_locked=True)
