"""manage.py provision_users FILE.csv --passwords-out OUT.csv (api.md)."""

import csv
import os

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import PROVISION_COLUMNS, ProvisionError, users_provision
from lec.lib.csv_table import read_table
from lec.lib.spreadsheets.files import FileRefused


class Command(BaseCommand):
    help = "Create or update users from a CSV; initial passwords go to a 0600 file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--passwords-out", required=True)
        parser.add_argument("--reset-passwords", action="store_true")
        parser.add_argument(
            "--acting-user",
            help="the officer on whose behalf the file is loaded (their level limits which accounts it touches)",
        )

    def handle(self, *args, file, passwords_out, reset_passwords, acting_user=None, **options):
        actor = None
        if acting_user:
            actor = User.objects.select_related("organisation").filter(username=acting_user).first()
            if actor is None:
                raise CommandError(f"no such user: {acting_user}")
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise CommandError(f"no such file: {file}")
        try:
            rows = read_table(data, PROVISION_COLUMNS)
        except FileRefused as exc:
            self.stderr.write(exc.message)
            raise SystemExit(1)
        try:
            result = users_provision(
                rows=rows, reset_passwords=reset_passwords, acting_user=actor, source="command"
            )
        except ProvisionError as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise SystemExit(1)
        fd = os.open(passwords_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["username", "password"])
            writer.writerows(result.passwords)
        self.stdout.write(f"created {len(result.created)}, updated {result.updated}")
