"""manage.py load_budget_rates FILE.csv — upsert a year's budget rates (api.md "Budget estimates")."""

from django.core.management.base import BaseCommand, CommandError

from budget.rates import RatesError
from budget.services import rates_load


class Command(BaseCommand):
    help = "Load budget rates from a UTF-8 CSV (fiscal_year,item,applies_to,levels,size_min,size_max,rate,unit,days)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args, file, dry_run=False, **options):
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        try:
            result = rates_load(data=data, dry_run=dry_run)
        except RatesError as exc:
            for line in exc.lines():
                self.stderr.write(line)
            raise SystemExit(1)
        self.stdout.write(result.summary())
