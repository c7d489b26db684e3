"""Budget writes: loading a year's rates (api.md `load_budget_rates`), all or nothing, audited."""

import dataclasses

from django.db import transaction

from accounts.services import audit

from .models import BudgetRate
from .rates import RateRow, RatesError, decode, merge, overlap_problems, read_rates


@dataclasses.dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    years: list = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


def rates_check(data: bytes) -> list[RateRow]:
    """The file's rows if it could be loaded as it is (RatesError otherwise); nothing is written."""
    rows = read_rates(decode(data))
    stored = list(BudgetRate.objects.filter(fiscal_year__in={r.fiscal_year for r in rows}))
    problems = overlap_problems(merge(stored, rows))
    if problems:
        raise RatesError(problems)
    return rows


def rates_load(*, data: bytes, acting_user=None, ip: str | None = None, dry_run: bool = False) -> LoadResult:
    """Upsert every row on (fiscal_year, item, applies_to, levels, size_min), or nothing when any line is bad."""
    with transaction.atomic():
        rows = read_rates(decode(data))
        years = sorted({r.fiscal_year for r in rows})
        # Lock the years' rows so two uploads of the same year cannot both pass the overlap check.
        stored = list(BudgetRate.objects.select_for_update().filter(fiscal_year__in=years))
        problems = overlap_problems(merge(stored, rows))
        if problems:
            raise RatesError(problems)
        result = _upsert(rows, {(r.fiscal_year, *r.key): r for r in stored}, acting_user, dry_run)
        result.years = years
        if not dry_run:
            audit(
                acting_user=acting_user,
                action="load_budget_rates",
                ip=ip,
                years=years,
                summary=result.summary(),
            )
    return result


def _upsert(rows: list[RateRow], stored: dict, acting_user, dry_run: bool) -> LoadResult:
    result = LoadResult()
    user = acting_user if getattr(acting_user, "pk", None) else None
    for row in rows:
        found = stored.get((row.fiscal_year, *row.key))
        if found is None:
            result.created += 1
            if not dry_run:
                BudgetRate.objects.create(fiscal_year=row.fiscal_year, item=row.item, applies_to=row.applies_to,
                                          levels=row.levels, size_min=row.size_min, loaded_by=user,
                                          **row.values())  # fmt: skip
            continue
        changed = {f: v for f, v in row.values().items() if getattr(found, f) != v}
        if not changed:
            result.unchanged += 1
            continue
        result.updated += 1
        if not dry_run:
            for field, value in changed.items():
                setattr(found, field, value)
            found.loaded_by = user
            found.save(update_fields=[*changed, "loaded_by", "updated_at"])
    return result
