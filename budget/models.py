"""Budget rates per fiscal year (api.md "Budget estimates"): data the department loads each year, never constants."""

from decimal import Decimal

from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from lec.lib import levels


class Item(models.TextChoices):
    LUNCH = "lunch", _("School lunch")
    MILK = "milk", _("Supplementary milk")
    PER_HEAD = "per_head", _("Per-head subsidy")


class AppliesTo(models.TextChoices):
    SCHOOL = "school", _("LAO schools")
    CDC = "cdc", _("Child development centres")
    OTHER_SCHOOL = "other_school", _("Other-affiliation schools")


class Unit(models.TextChoices):
    PER_DAY = "per_day", _("baht per pupil per day")
    PER_YEAR = "per_year", _("baht per pupil per year")


class RateLike:
    """What the estimate needs of a rate, shared by stored rates and the rows of a file being checked or previewed."""

    @property
    def key(self) -> tuple:
        """api.md's upsert key (without the fiscal year): one rate of a year."""
        return (self.item, self.applies_to, self.levels, self.size_min)

    @property
    def level_codes(self) -> tuple[str, ...]:
        return tuple(c for c in self.levels.split("|") if c)

    @property
    def level_labels(self) -> str:
        return ", ".join(levels.BY_CODE[c].short if c in levels.BY_CODE else c for c in self.level_codes)

    @property
    def band_text(self) -> str:
        low = "" if self.size_min is None else f"{self.size_min:,}"
        high = "" if self.size_max is None else f"{self.size_max:,}"
        if not low and not high:
            return "–"
        return f"{low or '0'}–{high}" if high else f"{low}+"

    @property
    def factor(self) -> Decimal:
        """Baht per pupil for the year: rate × days, or the rate itself for a yearly rate."""
        return self.rate * (self.days or 1) if self.unit == Unit.PER_DAY else self.rate

    def covers_size(self, size: int) -> bool:
        return (self.size_min is None or size >= self.size_min) and (
            self.size_max is None or size <= self.size_max
        )

    def overlaps(self, other: "RateLike") -> bool:
        """Same year, item and kind, a level in common and pupil bands that meet: the estimate could not choose."""
        if (self.fiscal_year, self.item, self.applies_to) != (
            other.fiscal_year,
            other.item,
            other.applies_to,
        ):
            return False
        if not set(self.level_codes) & set(other.level_codes):
            return False
        low = max(self.size_min or 0, other.size_min or 0)
        highs = [h for h in (self.size_max, other.size_max) if h is not None]
        return not highs or low <= min(highs)


class BudgetRate(RateLike, models.Model):
    """One rate: baht per pupil (per day × days, or per year) of one item, for some class levels of one kind of
    institution whose confirmed pupil count lies in [size_min, size_max] (a blank bound is no bound)."""

    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year (B.E.)"))
    item = models.CharField(_("item"), max_length=16, choices=Item.choices)
    applies_to = models.CharField(_("applies to"), max_length=16, choices=AppliesTo.choices)
    # Level codes joined by "|" in domain.md's order, so "p1|k1" and "k1|p1" are the same row.
    levels = models.CharField(_("class levels"), max_length=200)
    size_min = models.PositiveIntegerField(_("from pupils"), null=True, blank=True)
    size_max = models.PositiveIntegerField(_("to pupils"), null=True, blank=True)
    rate = models.DecimalField(_("rate (baht)"), max_digits=12, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    loaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["fiscal_year", "item", "applies_to", "levels", "size_min"]
        constraints = [
            # api.md's upsert key; a blank size_min is one value (NULLs would otherwise never collide).
            models.UniqueConstraint(
                "fiscal_year",
                "item",
                "applies_to",
                "levels",
                Coalesce("size_min", models.Value(-1), output_field=models.IntegerField()),
                name="budgetrate_key",
            ),
        ]
        indexes = [models.Index(fields=["fiscal_year"], name="budgetrate_year")]
        verbose_name = _("budget rate")
        verbose_name_plural = _("budget rates")

    def __str__(self):
        return (
            f"FY{self.fiscal_year} {self.item} {self.applies_to} {self.levels} {self.band_text}: {self.rate}"
        )

    def clean(self):
        """The admin's checks, as the loader's: known levels, a sane band and days, no overlap in the year."""
        from django.core.exceptions import ValidationError

        errors = {}
        codes = [c.strip() for c in (self.levels or "").split("|")]
        if not all(c in levels.BY_CODE for c in codes):
            errors["levels"] = _("Use class-level codes separated by |, such as k1|k2|k3.")
        else:
            self.levels = level_key(codes)
        if self.size_min is not None and self.size_max is not None and self.size_min > self.size_max:
            errors["size_max"] = _("The upper bound is below the lower bound.")
        if (self.unit == Unit.PER_DAY) != bool(self.days):
            errors["days"] = _("Give days for a daily rate, and only for a daily rate.")
        if not errors:
            others = BudgetRate.objects.filter(
                fiscal_year=self.fiscal_year, item=self.item, applies_to=self.applies_to
            ).exclude(pk=self.pk)
            clash = next((o for o in others if self.overlaps(o)), None)
            if clash is not None:
                errors["levels"] = _("These levels and pupil band overlap another rate: %(rate)s") % {
                    "rate": clash
                }
        if errors:
            raise ValidationError(errors)


def level_key(codes) -> str:
    """The stored form of a set of level codes: domain.md order, joined by "|"."""
    return "|".join(sorted(set(codes), key=lambda c: levels.ORDER.get(c, 99)))
