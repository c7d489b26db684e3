"""Rounds, confirmations, their event log, unlock requests and headcount snapshots (design.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Round(models.Model):
    """One census of one academic year (Buddhist Era) and term, with the window the department sets."""

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

    class Meta:
        ordering = ["-academic_year", "-term"]
        constraints = [
            models.UniqueConstraint(fields=["academic_year", "term"], name="round_year_term_unique"),
            models.UniqueConstraint(
                fields=["state"], condition=models.Q(state="open"), name="round_one_open"
            ),
        ]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _("Academic year %(year)s, term %(term)s") % {"year": self.academic_year, "term": self.term}
