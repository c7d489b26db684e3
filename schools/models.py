"""The organisation tree: department → province → LAO → school / CDC / other-affiliation school."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    PROVINCE = "province", _("Provincial office")
    LAO = "lao", _("Local administrative organisation")
    SCHOOL = "school", _("School")
    CDC = "cdc", _("Child development centre")
    OTHER_SCHOOL = "other_school", _("Other-affiliation school")


INSTITUTION_KINDS = (Kind.SCHOOL, Kind.CDC)
# The kind a parent must have, per kind (api.md load_organisations).
PARENT_KIND = {
    Kind.DEPARTMENT: None,
    Kind.PROVINCE: Kind.DEPARTMENT,
    Kind.LAO: Kind.PROVINCE,
    Kind.SCHOOL: Kind.LAO,
    Kind.CDC: Kind.LAO,
    Kind.OTHER_SCHOOL: Kind.LAO,
}
DEPTH = {Kind.DEPARTMENT: 0, Kind.PROVINCE: 1, Kind.LAO: 2, Kind.SCHOOL: 3, Kind.CDC: 3, Kind.OTHER_SCHOOL: 3}


class LaoType(models.TextChoices):
    PAO = "pao", _("Provincial administrative organisation")
    CITY = "city_municipality", _("City municipality")
    TOWN = "town_municipality", _("Town municipality")
    SUBDISTRICT = "subdistrict_municipality", _("Subdistrict municipality")
    SAO = "sao", _("Subdistrict administrative organisation")
    PATTAYA = "pattaya", _("Pattaya City")


class Affiliation(models.TextChoices):
    OBEC = "obec", _("OBEC")
    BPP = "bpp", _("Border Patrol Police")
    PRIVATE = "private", _("Private")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """One row per organisation at any level. `path` (codes joined by '/') makes a subtree one prefix query;
    `province` and `lao` point at the ancestors of those kinds (or the row itself) for cheap grouping."""

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name_th = models.CharField(_("Thai name"), max_length=255)
    name_en = models.CharField(_("English name"), max_length=255, blank=True, default="")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    province = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    lao = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    lao_type = models.CharField(_("LAO type"), max_length=32, choices=LaoType.choices, blank=True, default="")
    affiliation = models.CharField(
        _("affiliation"), max_length=16, choices=Affiliation.choices, blank=True, default=""
    )
    is_active = models.BooleanField(_("active"), default=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Other-affiliation schools only: the class level codes the school teaches (lec.lib.levels.SCHOOL_CODES, in
    # order), which the LAO's headcount grid shows and accepts counts for; None = not known, every level shown.
    levels_taught = models.JSONField(_("class levels taught"), null=True, blank=True, default=None)
    # Edit locks, set only by confirmations.services in the transaction that confirms or unlocks (design.md).
    learners_locked = models.BooleanField(default=False, editable=False)
    other_schools_locked = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [
            models.Index(fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "kind"], name="org_parent_kind"),
            models.Index(fields=["lao", "kind"], name="org_lao_kind"),
            models.Index(fields=["province", "kind"], name="org_province_kind"),
        ]
        permissions = [
            ("view_subtree", "View the organisation and everything under it"),
            ("edit_learners", "Add, edit and remove learners"),
            ("import_learners", "Import learners from files"),
            ("approve_transfers", "Approve or reject transfers"),
            ("confirm_own", "Confirm the organisation's own data"),
            ("request_unlock", "Ask the parent level to unlock"),
            ("unlock_children", "Unlock child organisations"),
            ("edit_other_schools", "Enter other-affiliation headcounts"),
            ("manage_rounds", "Manage confirmation rounds"),
            ("manage_organisations", "Manage organisations"),
            ("manage_users", "Manage users"),
            ("export_learners", "Export learners"),
            ("view_full_identity", "See national IDs unmasked"),
        ]

    def __str__(self):
        return f"{self.name_th} ({self.code})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("schools:organisation", args=[self.code])

    @property
    def is_institution(self) -> bool:
        return self.kind in INSTITUTION_KINDS

    @property
    def subtree_prefix(self) -> str:
        return self.path + "/"

    def is_ancestor_or_self_of(self, other: "Organisation") -> bool:
        return other.path == self.path or other.path.startswith(self.subtree_prefix)

    def name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "th").startswith("en") and self.name_en:
            return self.name_en
        return self.name_th


def organisation_by_code(code: str) -> Organisation | None:
    """The organisation with this code, or None: `Organisation.objects.filter(code=code).first()` as one plain
    query. Every request that names an organisation asks it first (accounts.policy.access_organisation), and the
    ORM's building and compiling cost more than the answer (issue 16)."""
    table = Organisation._meta.db_table
    found = list(Organisation.objects.raw(f"SELECT * FROM {table} WHERE code = %s LIMIT 1", [str(code)]))
    return found[0] if found else None


def subtree_q(path: str, field: str = "path"):
    """Q for `field` in the subtree rooted at `path` (the root included)."""
    return models.Q(**{field: path}) | models.Q(**{f"{field}__startswith": path + "/"})


class KindManager(models.Manager):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


class Department(Organisation):
    objects = KindManager(Kind.DEPARTMENT)

    class Meta:
        proxy = True
        verbose_name = _("department")


class Province(Organisation):
    objects = KindManager(Kind.PROVINCE)

    class Meta:
        proxy = True
        verbose_name = _("provincial office")
        verbose_name_plural = _("provincial offices")


class LAO(Organisation):
    objects = KindManager(Kind.LAO)

    class Meta:
        proxy = True
        verbose_name = _("LAO")
        verbose_name_plural = _("LAOs")


class School(Organisation):
    objects = KindManager(Kind.SCHOOL)

    class Meta:
        proxy = True
        verbose_name = _("school")
        verbose_name_plural = _("schools")


class ChildDevelopmentCentre(Organisation):
    objects = KindManager(Kind.CDC)

    class Meta:
        proxy = True
        verbose_name = _("child development centre")
        verbose_name_plural = _("child development centres")


class OtherAffiliationSchool(Organisation):
    objects = KindManager(Kind.OTHER_SCHOOL)

    class Meta:
        proxy = True
        verbose_name = _("other-affiliation school")
        verbose_name_plural = _("other-affiliation schools")


class RoundQuerySet(models.QuerySet):
    def share_locked(self, pk: int) -> "Round | None":
        """The round read under a shared row lock (PostgreSQL's FOR SHARE), so a close waits for the writes and
        transitions in flight and they see it closed afterwards; a plain read elsewhere. Call in a transaction."""
        from django.db import connections

        connection = connections[self.db]
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(self.model._meta.db_table)
            found = list(self.raw(f"SELECT * FROM {table} WHERE id = %s FOR SHARE", [pk]))
            return found[0] if found else None
        return self.filter(pk=pk).first()


class Round(models.Model):
    """One census of one academic year (Buddhist Era) and term, with the window the department sets.

    Master data every app reads (the edit lock, other-affiliation entries, imports), so it lives here at the
    bottom with the tree; its transitions (open, close) are confirmations' services."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    academic_year = models.PositiveSmallIntegerField(_("academic year (B.E.)"))
    term = models.PositiveSmallIntegerField(_("term"), choices=[(1, "1"), (2, "2")])
    census_date = models.DateField(_("census date"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.PLANNED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-academic_year", "-term"]
        constraints = [
            models.UniqueConstraint(fields=["academic_year", "term"], name="round_year_term_unique"),
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="open"), name="round_one_open"
            ),
        ]
        db_table = "confirmations_round"  # moved from confirmations without touching the table
        verbose_name = _("round")
        verbose_name_plural = _("rounds")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _("Academic year %(year)s, term %(term)s") % {"year": self.academic_year, "term": self.term}

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class OtherSchoolEntry(models.Model):
    """An LAO's headcount entry for one other-affiliation school in one round (api.md "Other-affiliation
    headcounts"). The counts per class level × gender are OtherSchoolCount rows; levels absent count 0."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="other_school_entries")
    school = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="other_school_entries")
    lao = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    closed = models.BooleanField(default=False)
    entered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "school"], name="otherschoolentry_unique")]
        indexes = [models.Index(fields=["round", "lao"], name="otherentry_round_lao")]
        verbose_name = _("other-affiliation headcount entry")
        verbose_name_plural = _("other-affiliation headcount entries")

    def __str__(self):
        return f"{self.school_id} @ round {self.round_id}"


class OtherSchoolCount(models.Model):
    entry = models.ForeignKey(OtherSchoolEntry, on_delete=models.CASCADE, related_name="counts")
    class_level = models.CharField(max_length=8)
    male = models.PositiveIntegerField(default=0)
    female = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "class_level"], name="otherschoolcount_unique")
        ]
        verbose_name = _("other-affiliation headcount")
        verbose_name_plural = _("other-affiliation headcounts")

    def __str__(self):
        return f"{self.entry_id} {self.class_level}: {self.male}/{self.female}"
