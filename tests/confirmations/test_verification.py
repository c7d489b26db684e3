"""verify_counts: one function (confirmations.verification) behind the command and the nightly task, running the
learner counter check AND the confirmed snapshot check every time."""

import pytest
from django.core.management import call_command

from confirmations.models import HeadcountSnapshot
from students.models import LearnerCount

from .conftest import confirm


def _snapshot_behind_the_lock(tree, rnd):
    """school1 confirmed with no learners, then a snapshot row appears that no live count backs."""
    conf = confirm(tree, rnd, "school1")
    HeadcountSnapshot.objects.create(
        confirmation=conf, school=tree.school1, class_level="p1", gender="male", count=3
    )
    return f"{tree.school1.code} p1 male: confirmed snapshot 3, live 0"


def test_a_snapshot_difference_makes_the_command_exit_1(tree, rnd, capsys):
    call_command("verify_counts")
    assert "counts verified:" in capsys.readouterr().out
    line = _snapshot_behind_the_lock(tree, rnd)
    with pytest.raises(SystemExit) as exc:
        call_command("verify_counts")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert line in out and "counts verified" not in out


def test_both_checks_run_in_the_command_and_the_nightly_task(tree, rnd, capsys):
    from lec.tasks import verify_counts

    snapshot_line = _snapshot_behind_the_lock(tree, rnd)
    LearnerCount.objects.create(organisation=tree.school2, class_level="p2", gender="female", count=4)
    counter_line = f"{tree.school2.code} p2 female: counter 4, learners 0"
    with pytest.raises(SystemExit):
        call_command("verify_counts")
    out = capsys.readouterr().out.splitlines()
    assert counter_line in out and snapshot_line in out
    assert verify_counts.delay().get()["differences"] == [counter_line, snapshot_line]
