from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = "Learners"

    def ready(self):
        from . import jobs  # noqa: F401  (registers the learner import and export runners with lec.jobs)
