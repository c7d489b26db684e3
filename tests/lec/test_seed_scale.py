"""manage.py seed_scale (api.md): a national-shaped data set that is valid, consistent and written only once."""

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from confirmations.models import Confirmation, HeadcountSnapshot, Scope
from lec.lib import levels
from lec.lib.thai import age_on
from schools.models import Kind, Organisation, Round
from students import identity
from students.models import Learner, LearnerCount


def seed(fraction=0.0005):
    out = io.StringIO()
    call_command("seed_scale", fraction=fraction, password="seed-scale-test-1", stdout=out)
    return dict(line.split(": ") for line in out.getvalue().strip().splitlines())


@pytest.mark.django_db
def test_seed_scale_writes_a_valid_consistent_round_and_adds_nothing_when_run_again():
    first = seed()
    assert first["department"] == "1" and first["province"] == "1"
    assert int(first["lao"]) >= 3 and int(first["cdc"]) >= 5 and int(first["learner"]) > 100
    assert Organisation.objects.get(code="DLA").kind == Kind.DEPARTMENT
    round_ = Round.objects.get(state=Round.State.OPEN)
    learners = list(Learner.objects.select_related("organisation"))
    for learner in learners:
        if learner.national_id:
            assert identity.national_id_error(learner.national_id) is None, learner.national_id
        else:
            assert identity.g_code_error(learner.g_code) is None, learner.g_code
        assert learner.class_level in levels.taught_by(learner.organisation.kind)
        age = age_on(learner.birth_date, round_.census_date)
        assert levels.age_fits(learner.class_level, age, learner.organisation.kind)
    live = Counter((x.organisation_id, x.class_level, x.gender) for x in learners)
    counted = {(c.organisation_id, c.class_level, c.gender): c.count for c in LearnerCount.objects.all()}
    assert counted == dict(live)
    # Every confirmed institution is locked and its snapshot equals its live counts; a confirmed LAO has every
    # active institution confirmed.
    confirmed = Confirmation.objects.filter(
        round=round_, state=Confirmation.State.CONFIRMED, scope=Scope.LEARNERS
    )
    for conf in confirmed.select_related("organisation"):
        org = conf.organisation
        assert org.learners_locked
        if org.is_institution:
            snap = {
                (s.class_level, s.gender): s.count
                for s in HeadcountSnapshot.objects.filter(confirmation=conf)
            }
            assert snap == {(lvl, g): n for (o, lvl, g), n in live.items() if o == org.id}
        elif org.kind == Kind.LAO:
            open_children = org.children.filter(kind__in=[Kind.SCHOOL, Kind.CDC], is_active=True).exclude(
                confirmations__in=confirmed
            )
            assert not open_children.exists()
    assert confirmed.exists()
    assert seed() == first
    assert Learner.objects.count() == len(learners)


@pytest.mark.django_db
def test_seed_scale_is_refused_in_production_mode(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        seed()
    assert not Organisation.objects.exists()
