"""The learner jobs this app runs in the background, registered with lec.jobs (imported by StudentsConfig.ready)."""

from lec.jobs import register
from lec.models import Job

from .exporting import export_job
from .importing import import_job

register(Job.Kind.IMPORT_LEARNERS, import_job)
register(Job.Kind.EXPORT_LEARNERS, export_job)
