"""A hypothesis state machine over design.md's confirmation rules 1–10, checked against a model kept in the test.

Every rule is tried by the actor the design names (an organisation's own staff confirms and asks; the real parent
unlocks and decides), so transitions succeed instead of being refused at the door; the model predicts each outcome
(success or the api.md refusal code) and the service must agree. Wrong actors are tried by a rule of their own.
After every step the invariant is checked by queries written here, not by the selectors the code refuses with:
no confirmed organisation has an active child of a participating kind without a confirmed row; every lock flag
matches a confirmation; every snapshot equals the live learners (and entries) it was copied from.

`LEC_MACHINE_EXAMPLES=100 pytest tests/confirmations/test_state_machine.py -s --hypothesis-show-statistics`
runs hypothesis's default number of examples and prints how many of each transition succeeded.
"""

import collections
import os

import pytest
from django.db.models import Count, Sum
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from confirmations import services
from confirmations.models import Confirmation, ConfirmationEvent, HeadcountSnapshot, UnlockRequest
from lec.lib.errors import DomainError
from schools.models import Organisation, OtherSchoolCount, OtherSchoolEntry
from students.models import Learner, LearnerCount
from tests.factories import OrgTree, RoundFactory, make_learner, make_other_school_entry

MAX_EXAMPLES = int(os.environ.get("LEC_MACHINE_EXAMPLES", "10"))
STEPS = int(os.environ.get("LEC_MACHINE_STEPS", "50"))

# The tree of tests/factories.py, typed: parent, and which scopes each organisation confirms.
PARENT = {"school1": "lao1", "school2": "lao1", "cdc1": "lao1", "school3": "lao2", "school4": "lao3", "cdc2": "lao3",
          "lao1": "p1", "lao2": "p1", "lao3": "p2", "p1": "dept", "p2": "dept"}  # fmt: skip
INSTITUTIONS = ["school1", "school2", "cdc1", "school3", "school4", "cdc2"]
OTHER_SCHOOLS = {"other1": "lao1", "other2": "lao2"}
SCOPES = {name: ("learners",) for name in PARENT} | {"lao1": ("learners", "other_schools"),
                                                      "lao2": ("learners", "other_schools")}  # fmt: skip
SLOTS = [(name, scope) for name, scopes in SCOPES.items() for scope in scopes]
ACTORS = [*PARENT, "dept"]

# Filled over the whole run, one count per rule and outcome ("ok" or the refusal code).
OUTCOMES: collections.Counter = collections.Counter()


def children(name):
    return [c for c, p in PARENT.items() if p == name]


# ---------------------------------------------------------------------------------------------- the invariant


def no_confirmed_parent_has_an_open_child(round_):
    confirmed = Confirmation.objects.filter(round=round_, state="confirmed")
    for conf in confirmed.select_related("organisation"):
        org = conf.organisation
        active = Organisation.objects.filter(parent=org, is_active=True)
        if conf.scope == "other_schools":
            missing = active.filter(kind="other_school").exclude(other_school_entries__round=round_)
            assert not missing.exists(), (org.code, list(missing.values_list("code", flat=True)))
            continue
        for kind, scope in (("school", "learners"), ("cdc", "learners"), ("lao", "learners")):
            participating = active.filter(kind=kind)
            if kind == "lao":  # an LAO takes part in learners when it has an active school or CDC
                participating = participating.filter(
                    children__is_active=True, children__kind__in=["school", "cdc"]
                ).distinct()
            open_ = participating.exclude(pk__in=confirmed.filter(scope=scope).values("organisation"))
            assert not open_.exists(), (org.code, list(open_.values_list("code", flat=True)))
        laos_with_others = active.filter(kind="lao", children__is_active=True, children__kind="other_school")
        open_ = laos_with_others.exclude(
            pk__in=confirmed.filter(scope="other_schools").values("organisation")
        )
        assert not open_.exists(), (org.code, "other_schools", list(open_.values_list("code", flat=True)))


def every_lock_flag_has_its_confirmation(round_):
    for scope, flag in (("learners", "learners_locked"), ("other_schools", "other_schools_locked")):
        locked = set(Organisation.objects.filter(**{flag: True}).values_list("pk", flat=True))
        confirmed = set(
            Confirmation.objects.filter(round=round_, scope=scope, state="confirmed").values_list(
                "organisation_id", flat=True
            )
        )
        assert locked == confirmed, scope


def snapshots_equal_what_they_were_copied_from(round_):
    assert not HeadcountSnapshot.objects.exclude(confirmation__state="confirmed").exists()
    for conf in Confirmation.objects.filter(round=round_, state="confirmed"):
        snapshot = {
            (s, lvl, g): n
            for s, lvl, g, n in conf.snapshot.values_list("school_id", "class_level", "gender", "count")
            if n
        }
        if conf.scope == "other_schools":
            live = {}
            for s, lvl, m, f in OtherSchoolCount.objects.filter(entry__round=round_, entry__lao=conf.organisation_id)\
                    .values_list("entry__school_id", "class_level", "male", "female"):  # fmt: skip
                live |= {(s, lvl, "male"): m, (s, lvl, "female"): f}
            live = {k: v for k, v in live.items() if v}
        elif conf.organisation.kind in ("school", "cdc"):
            # Counted from the learners themselves, not from the counter table the confirm copied.
            live = {
                (conf.organisation_id, lvl, g): n
                for lvl, g, n in Learner.objects.filter(organisation=conf.organisation_id, status="active")
                .values_list("class_level", "gender")
                .annotate(n=Count("id"))
            }
            counters = LearnerCount.objects.filter(organisation=conf.organisation_id).aggregate(
                t=Sum("count")
            )
            assert (counters["t"] or 0) == sum(live.values()), conf.organisation.code
        else:
            live = {}
        note(f"{conf.organisation.code} {conf.scope}: snapshot total {sum(snapshot.values())}")
        assert snapshot == live, (conf.organisation.code, conf.scope)


def check_invariant(round_) -> None:
    """Design.md rule 9 and the lock and snapshot rules, by queries of their own (also used by test_races)."""
    no_confirmed_parent_has_an_open_child(round_)
    every_lock_flag_has_its_confirmation(round_)
    snapshots_equal_what_they_were_copied_from(round_)


class Confirmations(RuleBasedStateMachine):
    """The model: which (organisation, scope) are confirmed, which requests are pending, which entries exist."""

    def __init__(self):
        super().__init__()
        self.confirmed: set[tuple[str, str]] = set()
        self.pending: dict[int, tuple[str, str]] = {}  # request id → (organisation, scope)
        self.entered: set[str] = set()

    @initialize()
    def reset(self):
        Confirmation.objects.all().delete()  # cascades to the snapshots
        UnlockRequest.objects.all().delete()
        ConfirmationEvent.objects.all().delete()
        OtherSchoolEntry.objects.all().delete()
        Organisation.objects.update(learners_locked=False, other_schools_locked=False)
        make_other_school_entry(
            T.other1, R, p1=(2, 3)
        )  # other2 starts missing: headcounts_missing is reachable

        self.entered = {"other1"}

    # ------------------------------------------------------------------------------------ predictions

    def ready(self, name, scope) -> str:
        """The outcome the design predicts for a confirm by the organisation's own staff."""
        if (name, scope) in self.confirmed:
            return "already_confirmed"
        if scope == "other_schools":
            missing = [s for s, lao in OTHER_SCHOOLS.items() if lao == name and s not in self.entered]
            return "headcounts_missing" if missing else "ok"
        open_children = [(c, s) for c in children(name) for s in SCOPES[c] if (c, s) not in self.confirmed]
        return "children_not_confirmed" if open_children else "ok"

    def parent_confirmed(self, name) -> bool:
        parent = PARENT[name]
        return parent != "dept" and (parent, "learners") in self.confirmed

    def unlock_outcome(self, name, scope) -> str:
        if (name, scope) not in self.confirmed:
            return "not_confirmed"
        return "parent_confirmed" if self.parent_confirmed(name) else "ok"

    def run(self, label, expected, fn, **kwargs):
        try:
            result = fn(**kwargs)
            outcome = "ok"
        except DomainError as exc:
            result, outcome = None, exc.code
        event(f"{label}: {outcome}")
        OUTCOMES[f"{label}: {outcome}"] += 1
        assert outcome == expected, f"{label}: expected {expected}, got {outcome}"
        return result

    # ------------------------------------------------------------------------------------ transitions

    def slots(self, outcome):
        return [slot for slot in SLOTS if slot not in self.confirmed and self.ready(*slot) == outcome]

    @precondition(lambda self: self.slots("ok"))
    @rule(data=st.data())
    def confirm(self, data):
        self._confirm(*data.draw(st.sampled_from(self.slots("ok"))))

    @precondition(lambda self: len(self.confirmed) < len(SLOTS))
    @rule(data=st.data())
    def confirm_too_early(self, data):
        self._confirm(*data.draw(st.sampled_from([slot for slot in SLOTS if slot not in self.confirmed])))

    @precondition(lambda self: self.confirmed)
    @rule(data=st.data())
    def confirm_again(self, data):
        self._confirm(*data.draw(st.sampled_from(sorted(self.confirmed))))

    def _confirm(self, name, scope):
        expected = self.ready(name, scope)
        self.run("confirm", expected, services.confirmation_confirm, acting_user=T.users[name], round_id=R.pk,
                 organisation=getattr(T, name), scope=scope)  # fmt: skip
        if expected == "ok":
            self.confirmed.add((name, scope))

    @precondition(lambda self: self.confirmed)
    @rule(data=st.data())
    def unlock(self, data):
        name, scope = data.draw(st.sampled_from(sorted(self.confirmed)))
        expected = self.unlock_outcome(name, scope)
        self.run("unlock", expected, services.confirmation_unlock, acting_user=T.users[PARENT[name]],
                 round_id=R.pk, organisation=getattr(T, name), scope=scope, reason="แก้ไขจำนวน")  # fmt: skip
        if expected == "ok":
            self.confirmed.discard((name, scope))

    def under_a_confirmed_parent(self):
        return sorted(slot for slot in self.confirmed if self.parent_confirmed(slot[0]))

    @precondition(lambda self: self.under_a_confirmed_parent())
    @rule(data=st.data())
    def unlock_under_a_confirmed_parent(self, data):
        """Rule 5's refusal: the parent must be unlocked first (tried whenever the state allows it)."""
        name, scope = data.draw(st.sampled_from(self.under_a_confirmed_parent()))
        self.run("unlock", "parent_confirmed", services.confirmation_unlock, acting_user=T.users[PARENT[name]],
                 round_id=R.pk, organisation=getattr(T, name), scope=scope, reason="แก้ไขจำนวน")  # fmt: skip

    @precondition(lambda self: self.confirmed)
    @rule(data=st.data())
    def request_unlock(self, data):
        name, scope = data.draw(st.sampled_from(sorted(self.confirmed)))
        expected = "already_pending" if (name, scope) in self.pending.values() else "ok"
        request = self.run("request_unlock", expected, services.unlock_request_create, acting_user=T.users[name],
                           round_id=R.pk, organisation=getattr(T, name), scope=scope, reason="ขอแก้ไข")  # fmt: skip
        if expected == "ok":
            self.pending[request.pk] = (name, scope)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def approve(self, data):
        self._decide(data.draw(st.sampled_from(sorted(self.pending))), approve=True)

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def reject(self, data):
        self._decide(data.draw(st.sampled_from(sorted(self.pending))), approve=False)

    def _decide(self, pk, approve):
        name, scope = self.pending[pk]
        expected = self.unlock_outcome(name, scope) if approve else "ok"
        label = "approve_request" if approve else "reject_request"
        self.run(label, expected, services.unlock_request_decide, acting_user=T.users[PARENT[name]],
                 request=UnlockRequest.objects.get(pk=pk), approve=approve, reason="ไม่อนุมัติ")  # fmt: skip
        if expected == "ok":
            del self.pending[pk]
            if approve:
                self.confirmed.discard((name, scope))

    @precondition(lambda self: self.confirmed)
    @rule(data=st.data(), actor=st.sampled_from(ACTORS))
    def unlock_by_someone_else(self, data, actor):
        name, scope = data.draw(st.sampled_from(sorted(self.confirmed)))
        if actor == PARENT[name]:
            return
        # An ancestor above the parent, or the organisation itself, sees it (403); anyone else does not (404).
        sees = actor == name or actor == "dept" or PARENT.get(PARENT[name]) == actor
        self.run("unlock by another", "forbidden" if sees else "not_found", services.confirmation_unlock,
                 acting_user=T.users[actor], round_id=R.pk, organisation=getattr(T, name), scope=scope,
                 reason="x")  # fmt: skip

    @rule(name=st.sampled_from(INSTITUTIONS), level=st.sampled_from(["p1", "p2"]),
          prefix=st.sampled_from(["เด็กชาย", "เด็กหญิง"]))  # fmt: skip
    def enrol(self, name, level, prefix):
        expected = "confirmed_locked" if (name, "learners") in self.confirmed else "ok"
        if name.startswith("cdc"):
            level = "cdc2"
        self.run(
            "enrol", expected, make_learner, organisation=getattr(T, name), class_level=level, prefix=prefix
        )

    @precondition(lambda self: "other2" not in self.entered or self.confirmed)
    @rule(school=st.sampled_from(sorted(OTHER_SCHOOLS)), male=st.integers(0, 30), female=st.integers(0, 30))
    def enter_other_school(self, school, male, female):
        expected = "confirmed_locked" if (OTHER_SCHOOLS[school], "other_schools") in self.confirmed else "ok"
        self.run("enter headcounts", expected, make_other_school_entry, school=getattr(T, school), round_=R,
                 p1=(male, female))  # fmt: skip
        if expected == "ok":
            self.entered.add(school)

    # ------------------------------------------------------------------------------------ the invariant

    @invariant()
    def the_model_is_the_database(self):
        rows = Confirmation.objects.filter(round=R, state="confirmed").values_list(
            "organisation__code", "scope"
        )
        code = {getattr(T, n).code: n for n in [*PARENT, "dept"]}
        assert {(code[c], s) for c, s in rows} == self.confirmed
        assert set(UnlockRequest.objects.filter(state="pending").values_list("pk", flat=True)) == set(
            self.pending
        )
        note(f"confirmed: {sorted(self.confirmed)}; pending: {sorted(self.pending.values())}")

    @invariant()
    def the_invariant_holds(self):
        check_invariant(R)


T: OrgTree
R = None


@pytest.mark.django_db
def test_the_machine_keeps_the_rules_and_reaches_every_transition():
    global T, R
    T = OrgTree.build()
    R = RoundFactory()
    for name in INSTITUTIONS:
        make_learner(getattr(T, name), class_level="cdc2" if name.startswith("cdc") else "p1")
    OUTCOMES.clear()
    Confirmations.TestCase.settings = settings(
        max_examples=MAX_EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        # The short run of the normal suite is the same every time, so its coverage floor below cannot flake;
        # a longer run (LEC_MACHINE_EXAMPLES) explores fresh sequences.
        derandomize=MAX_EXAMPLES <= 10,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    Confirmations.TestCase("runTest").runTest()
    print("\ntransition outcomes over the run:", dict(sorted(OUTCOMES.items())))
    succeeded = {label: OUTCOMES[f"{label}: ok"] for label in
                 ("confirm", "unlock", "request_unlock", "approve_request", "reject_request")}  # fmt: skip
    # Every transition succeeds (many times over a longer run: docs/testing.md), and every refusal the design names
    # is reached too.
    assert min(succeeded.values()) >= 1, succeeded
    for refusal in ("children_not_confirmed", "already_confirmed", "parent_confirmed", "headcounts_missing"):
        assert any(k.endswith(refusal) for k in OUTCOMES), refusal
    assert OUTCOMES["enrol: confirmed_locked"] and OUTCOMES["enter headcounts: confirmed_locked"]


def test_the_typed_tree_is_the_factory_tree(tree):
    for name, parent in PARENT.items():
        assert getattr(tree, name).parent == getattr(tree, parent), name
    assert {n: getattr(tree, n).parent for n in OTHER_SCHOOLS} == {
        n: getattr(tree, p) for n, p in OTHER_SCHOOLS.items()
    }
