"""Hypothesis stateful test: random confirms, unlocks, requests and decisions by random actors; after every step a
confirmed organisation never has an open participating child, and every lock flag matches its confirmation."""

import contextlib
import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from confirmations import selectors, services
from confirmations.models import Confirmation, UnlockRequest
from lec.lib.errors import DomainError
from schools.models import Organisation, OtherSchoolEntry, Round
from tests.factories import OrgTree

ORGS = ["school1", "school2", "cdc1", "school3", "school4", "cdc2", "lao1", "lao2", "lao3", "p1", "p2"]
PARENT = {"school1": "lao1", "school2": "lao1", "cdc1": "lao1", "school3": "lao2", "school4": "lao3", "cdc2": "lao3",
          "lao1": "p1", "lao2": "p1", "lao3": "p2", "p1": "dept", "p2": "dept"}  # fmt: skip
ACTORS = [
    "school1",
    "school2",
    "cdc1",
    "school3",
    "school4",
    "cdc2",
    "lao1",
    "lao2",
    "lao3",
    "p1",
    "p2",
    "dept",
]


def check_invariant(rnd):
    confirmed = {
        (c.organisation_id, c.scope)
        for c in Confirmation.objects.filter(round=rnd, state="confirmed").select_related("organisation")
    }
    for org in Organisation.objects.filter(kind__in=["lao", "province"]):
        if (org.pk, "learners") in confirmed or (org.pk, "other_schools") in confirmed:
            for scope in selectors.scopes_of(org):
                if (org.pk, scope) in confirmed:
                    assert selectors.blockers(rnd, org, scope) == [], (org.code, scope)
    for org in Organisation.objects.exclude(kind__in=["department", "other_school"]):
        assert org.learners_locked == ((org.pk, "learners") in confirmed), org.code
        assert org.other_schools_locked == ((org.pk, "other_schools") in confirmed), org.code


@pytest.mark.django_db
def test_random_sequences_keep_the_invariant():
    class Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            Confirmation.objects.all().delete()
            UnlockRequest.objects.all().delete()
            Organisation.objects.update(learners_locked=False, other_schools_locked=False)

        @rule(actor=st.sampled_from(ACTORS) | st.none(), org=st.sampled_from(ORGS + ["lao1", "lao2"]),
              other=st.booleans())  # fmt: skip
        def confirm(self, actor, org, other):
            actor = actor or org  # mostly the organisation's own staff, sometimes anyone
            scope = "other_schools" if other and org in ("lao1", "lao2") else "learners"
            self._try(services.confirmation_confirm, acting_user=tree.users[actor], round_id=rnd.pk,
                      organisation=getattr(tree, org), scope=scope)  # fmt: skip

        @rule(actor=st.sampled_from(ACTORS) | st.none(), org=st.sampled_from(ORGS), other=st.booleans())
        def unlock(self, actor, org, other):
            actor = actor or PARENT[org]
            scope = "other_schools" if other and org in ("lao1", "lao2") else "learners"
            self._try(services.confirmation_unlock, acting_user=tree.users[actor], round_id=rnd.pk,
                      organisation=getattr(tree, org), scope=scope, reason="r")  # fmt: skip

        @rule(org=st.sampled_from(ORGS))
        def request(self, org):
            self._try(services.unlock_request_create, acting_user=tree.users[org], round_id=rnd.pk,
                      organisation=getattr(tree, org), scope="learners", reason="r")  # fmt: skip

        @rule(actor=st.sampled_from(ACTORS) | st.none(), approve=st.booleans())
        def decide(self, actor, approve):
            req = UnlockRequest.objects.filter(state="pending").select_related("organisation").first()
            if req is not None:
                name = next(n for n in ORGS if getattr(tree, n).pk == req.organisation_id)
                actor = actor or PARENT[name]
                self._try(services.unlock_request_decide, acting_user=tree.users[actor], request=req, approve=approve,
                          reason="no")  # fmt: skip

        def _try(self, fn, **kwargs):
            with contextlib.suppress(DomainError):
                fn(**kwargs)

        @invariant()
        def holds(self):
            check_invariant(rnd)

    tree = OrgTree.build()
    now = timezone.now()
    rnd = Round.objects.create(academic_year=2569, term=2, census_date=datetime.date(2026, 11, 10),
                               opens_at=now, closes_at=now + datetime.timedelta(days=9), state="open")  # fmt: skip
    OtherSchoolEntry.objects.create(round=rnd, school=tree.other1, lao=tree.lao1)
    OtherSchoolEntry.objects.create(round=rnd, school=tree.other2, lao=tree.lao2)
    Machine.TestCase.settings = settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )  # fmt: skip
    Machine.TestCase("runTest").runTest()
