"""manage.py load_organisations FILE.csv — upsert the organisation tree (api.md)."""

import csv

from django.core.management.base import BaseCommand, CommandError

from schools.loader import LOADER_COLUMNS, LoadError, organisations_load


class Command(BaseCommand):
    help = "Load organisations from a UTF-8 CSV (code,kind,name_th,name_en,parent_code,lao_type,affiliation[,is_active])."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                header = [h.strip() for h in (reader.fieldnames or [])]
                missing = [c for c in LOADER_COLUMNS if c not in header]
                if missing:
                    self.stderr.write(f"line 1: missing columns: {', '.join(missing)}")
                    raise SystemExit(1)
                reader.fieldnames = header
                rows = [(reader.line_num, row) for row in reader]
        except UnicodeDecodeError:
            raise CommandError("the file is not UTF-8")
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        try:
            result = organisations_load(rows=rows)
        except LoadError as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise SystemExit(1)
        self.stdout.write(result.summary())
