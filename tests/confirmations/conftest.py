"""Fixtures for the confirmation tests: an open round over the shared tree, and helpers to confirm a whole branch."""

import datetime

import pytest

from confirmations import services
from schools.models import OtherSchoolEntry, Round
from students.models import LearnerCount
from tests.factories import RoundFactory


def make_round(state="open", year=2569, term=2) -> Round:
    return RoundFactory(academic_year=year, term=term, census_date=datetime.date(2026, 11, 10), state=state)


@pytest.fixture
def rnd(db) -> Round:
    return make_round()


def counts(org, **per_level):
    """counts(school, p1=(3, 2)) → LearnerCount rows (male, female)."""
    for level, (male, female) in per_level.items():
        for gender, n in (("male", male), ("female", female)):
            LearnerCount.objects.update_or_create(
                organisation=org, class_level=level, gender=gender, defaults={"count": n}
            )


def enter(rnd, school, user=None, closed=False, **per_level):
    from schools.models import OtherSchoolCount

    entry, _ = OtherSchoolEntry.objects.update_or_create(
        round=rnd, school=school, defaults={"lao": school.parent, "closed": closed}
    )
    for level, (male, female) in per_level.items():
        OtherSchoolCount.objects.update_or_create(
            entry=entry, class_level=level, defaults={"male": male, "female": female}
        )
    return entry


def confirm(tree, rnd, name, scope="learners"):
    org = getattr(tree, name)
    user = tree.users[name]
    return services.confirmation_confirm(acting_user=user, round_id=rnd.pk, organisation=org, scope=scope)


def confirm_lao1(tree, rnd):
    for name in ("school1", "school2", "cdc1"):
        confirm(tree, rnd, name)
    confirm(tree, rnd, "lao1")
