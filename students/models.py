"""Learners and the live headcount counters (design.md "Learners", "Headcounts and budget")."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.models import Organisation

from . import levels


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class LearnerCount(models.Model):
    """Live count of active learners per institution × class level × gender.

    Changed only by students.services in the same transaction as the learner write (under the institution's row
    lock); confirmations copy these rows into snapshots. `manage.py verify_counts` recomputes them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="learner_counts")
    class_level = models.CharField(max_length=8, choices=levels.CHOICES)
    gender = models.CharField(max_length=6, choices=Gender.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "class_level", "gender"], name="learnercount_unique"
            ),
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.class_level} {self.gender}: {self.count}"
