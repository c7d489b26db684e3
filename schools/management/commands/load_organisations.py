"""manage.py load_organisations FILE.csv — upsert the organisation tree (api.md)."""

import os

from django.core.management.base import BaseCommand, CommandError

from accounts.services import audit
from lec.lib.csv_table import read_table
from lec.lib.spreadsheets.files import FileRefused
from schools.loader import LOADER_COLUMNS, LoadError, organisations_load


class Command(BaseCommand):
    help = "Load organisations from a CSV in UTF-8 or Windows-874 (code,kind,name_th,name_en,parent_code,lao_type,affiliation[,is_active])."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        try:
            rows = read_table(data, LOADER_COLUMNS)
        except FileRefused as exc:
            self.stderr.write(exc.message)
            raise SystemExit(1)
        try:
            result = organisations_load(rows=rows)
        except LoadError as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise SystemExit(1)
        audit(acting_user=None, action="load_organisations", source="command", file=os.path.basename(file),
              summary=result.summary())  # fmt: skip
        self.stdout.write(result.summary())
