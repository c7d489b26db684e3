"""manage.py import_learners ORG_CODE FILE [--dry-run] [--as USERNAME] (api.md), through the browser's reader."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.models import User
from lec.lib.errors import DomainError
from schools.models import INSTITUTION_KINDS, Organisation
from students.importing import FileRefused, learners_import


class Command(BaseCommand):
    help = "Import learners into one institution from an .xlsx or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("org_code")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Say what would happen; write nothing.")
        parser.add_argument("--as", dest="as_user", default=None, help="The user recorded in history.")

    def handle(self, *args, org_code, file, dry_run, as_user, **options):
        translation.activate(settings.LANGUAGE_CODE)
        organisation = Organisation.objects.filter(code=org_code).first()
        if organisation is None or organisation.kind not in INSTITUTION_KINDS:
            raise CommandError(f"{org_code}: not a school or child development centre")
        user = None
        if as_user:
            user = User.objects.filter(username=as_user).first()
            if user is None:
                raise CommandError(f"{as_user}: no such user")
        try:
            outcome = learners_import(
                organisation=organisation, source=file, filename=file, acting_user=user, dry_run=dry_run
            )
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file")
        except FileRefused as exc:
            self.stdout.write(exc.message)
            self.stdout.write("1 problems")
            raise SystemExit(1)
        except DomainError as exc:
            self.stdout.write(exc.code)
            self.stderr.write(str(exc.message))
            raise SystemExit(1)
        if outcome.ignored:
            self.stderr.write("ignored columns: " + ", ".join(outcome.ignored))
        if not outcome.ok:
            for line in outcome.problem_lines():
                self.stdout.write(line)
            raise SystemExit(1)
        self.stdout.write(outcome.summary())
