"""Learners and the live headcount counters (design.md "Learners", "Headcounts and budget")."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from lec.lib import levels
from schools.models import Organisation


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


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    GRADUATED = "graduated", _("Graduated")
    NO_IDENTITY = "no_identity", _("No identity")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    DECEASED = "deceased", _("Deceased")


LEAVE_REASONS = tuple(s for s in Status.values if s != Status.ACTIVE)

PREFIX_GENDER = {
    "เด็กชาย": Gender.MALE,
    "นาย": Gender.MALE,
    "สามเณร": Gender.MALE,
    "เด็กหญิง": Gender.FEMALE,
    "นางสาว": Gender.FEMALE,
    "นาง": Gender.FEMALE,
}
PREFIXES = tuple(PREFIX_GENDER)

DISADVANTAGES = {
    "forced_labour": _("Forced labour"),
    "sexual_exploitation": _("Sexual exploitation"),
    "orphan": _("Orphan"),
    "child_labour": _("Child labour"),
    "street_child": _("Street child"),
    "hiv_affected": _("Affected by HIV/AIDS"),
    "minority": _("Ethnic minority"),
    "abused": _("Abused"),
    "poor": _("Poor"),
    "drug_affected": _("Affected by drugs"),
    "other": _("Other"),
}
DISABILITIES = {
    "visual": _("Visual impairment"),
    "hearing": _("Hearing impairment"),
    "intellectual": _("Intellectual disability"),
    "physical_health": _("Physical or health impairment"),
    "learning": _("Learning disability"),
    "speech_language": _("Speech and language impairment"),
    "behavioural_emotional": _("Behavioural or emotional disorder"),
    "autism": _("Autism"),
    "multiple": _("Multiple disabilities"),
}
SHORTAGES = {
    "books": _("Books"),
    "food": _("Food"),
    "stationery": _("Stationery"),
    "uniform": _("Uniform"),
}
PERSON_KEYS = ("prefix", "first_name", "last_name", "occupation", "income", "phone", "relation")
ADDRESS_KEYS = ("house_no", "moo", "road", "subdistrict", "district", "province", "postcode")


class Learner(models.Model):
    """A school student or a CDC child, in exactly one institution at a time.

    Exactly one identity (national_id or g_code); an identity is active in at most one institution in the
    country (partial unique indexes). `level_order` is the class level's position in domain.md order, kept
    so the roster is ordered by an index. Parents and addresses are JSON: the roster never reads them."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="learners", verbose_name=_("institution")
    )
    national_id = models.CharField(_("national ID"), max_length=13, null=True, blank=True)
    g_code = models.CharField(_("G-Code"), max_length=13, null=True, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    race = models.CharField(_("race"), max_length=64, blank=True, default="")
    nationality = models.CharField(_("nationality"), max_length=64, blank=True, default="")
    religion = models.CharField(_("religion"), max_length=64, blank=True, default="")
    student_number = models.CharField(_("student number"), max_length=20, blank=True, default="")
    enrolled_on = models.DateField(_("enrolment date"))
    class_level = models.CharField(_("class level"), max_length=8, choices=levels.CHOICES)
    level_order = models.PositiveSmallIntegerField(editable=False)
    room = models.CharField(_("room"), max_length=20, blank=True, default="")
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=5, decimal_places=1, null=True, blank=True)
    family_status = models.CharField(_("family status"), max_length=100, blank=True, default="")
    disadvantage = models.CharField(_("disadvantage"), max_length=32, null=True, blank=True)
    disability = models.CharField(_("disability"), max_length=32, null=True, blank=True)
    shortages = models.JSONField(_("shortages"), default=list, blank=True)
    father = models.JSONField(_("father"), null=True, blank=True)
    mother = models.JSONField(_("mother"), null=True, blank=True)
    guardian = models.JSONField(_("guardian"), null=True, blank=True)
    registered_address = models.JSONField(_("registered address"), null=True, blank=True)
    current_address = models.JSONField(_("current address"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_note = models.CharField(_("note"), max_length=500, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")
        ordering = ["level_order", "room", "last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(national_id__isnull=False, g_code__isnull=True)
                    | models.Q(national_id__isnull=True, g_code__isnull=False)
                ),
                name="learner_one_identity",
            ),
            models.UniqueConstraint(
                fields=["national_id"], condition=models.Q(status="active"), name="learner_active_national_id"
            ),
            models.UniqueConstraint(
                fields=["g_code"], condition=models.Q(status="active"), name="learner_active_g_code"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organisation", "status", "level_order", "room", "last_name", "first_name", "id"],
                name="learner_roster",
            ),
            models.Index(
                fields=["status", "level_order", "room", "last_name", "first_name", "id"],
                name="learner_subtree_order",
            ),
            models.Index(fields=["national_id"], name="learner_national_id"),
            models.Index(fields=["g_code"], name="learner_g_code"),
        ]

    def __str__(self):
        return f"{self.prefix}{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs):
        self.level_order = levels.ORDER.get(self.class_level, 99)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("students:learner", args=[self.pk])

    @property
    def identity(self) -> str:
        return self.national_id or self.g_code or ""

    @property
    def is_active(self) -> bool:
        return self.status == Status.ACTIVE

    @property
    def level(self) -> "levels.Level":
        return levels.BY_CODE[self.class_level]

    def get_disadvantage_label(self) -> str:
        return str(DISADVANTAGES.get(self.disadvantage, "")) if self.disadvantage else ""

    def get_disability_label(self) -> str:
        return str(DISABILITIES.get(self.disability, "")) if self.disability else ""

    def shortage_labels(self) -> list[str]:
        return [str(SHORTAGES[s]) for s in self.shortages or [] if s in SHORTAGES]


class Transfer(models.Model):
    """A receiving institution's request to move a learner in; the sending side (or its LAO) decides."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    learner = models.ForeignKey(Learner, on_delete=models.PROTECT, related_name="transfers")
    identity = models.CharField(max_length=13)
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="transfers_in")
    class_level = models.CharField(_("class level"), max_length=8, choices=levels.CHOICES)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("reason"), max_length=500, blank=True, default="")
    requested_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner"], condition=models.Q(state="pending"), name="transfer_one_pending"
            ),
        ]
        indexes = [
            models.Index(fields=["to_organisation", "state"], name="transfer_to_state"),
            models.Index(fields=["from_organisation", "state"], name="transfer_from_state"),
        ]

    def __str__(self):
        return f"{self.identity}: {self.from_organisation_id} → {self.to_organisation_id} ({self.state})"


class PromotionBatch(models.Model):
    """One promotion of one institution; `changes` records every learner it touched so undo restores exactly:
    [[learner_id, from_level, to_level or null (graduated), version after], ...]."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="promotions")
    on = models.DateField()
    changes = models.JSONField(default=list)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"promotion {self.pk} of {self.organisation_id}"
