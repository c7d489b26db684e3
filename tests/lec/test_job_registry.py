"""lec.jobs knows no app: each app registers the runners of its Job kinds (students in students/jobs.py)."""

import pytest

from lec.jobs import register, runner_for
from lec.models import Job
from students.exporting import export_job
from students.importing import import_job


def test_every_job_kind_has_the_runner_of_the_app_that_owns_it():
    assert runner_for(Job.Kind.IMPORT_LEARNERS) is import_job
    assert runner_for(Job.Kind.EXPORT_LEARNERS) is export_job
    assert set(Job.Kind.values) == {Job.Kind.IMPORT_LEARNERS, Job.Kind.EXPORT_LEARNERS}


def test_a_kind_cannot_get_a_second_runner():
    with pytest.raises(ValueError, match="already has a runner"):
        register(Job.Kind.IMPORT_LEARNERS, lambda job: None)
    assert runner_for(Job.Kind.IMPORT_LEARNERS) is import_job


def test_a_kind_without_a_runner_is_an_error_not_a_silent_no_op():
    with pytest.raises(LookupError, match="no runner registered"):
        runner_for("import_other_schools")
