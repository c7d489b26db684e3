"""manage.py verify_counts (api.md): recount live headcounts from learners and compare with the counter table,
and every confirmed snapshot with the counts it was copied from. Exit 0 when all agree, 1 with one line each."""

import sys

from django.core.management.base import BaseCommand

from confirmations.verification import verify_counts


class Command(BaseCommand):
    help = "Recompute live headcounts from learners and compare with the counters and confirmed snapshots."

    def handle(self, *args, **options):
        institutions, lines = verify_counts()
        if lines:
            for line in lines:
                self.stdout.write(line)
            sys.exit(1)
        self.stdout.write(f"counts verified: {institutions} institutions")
