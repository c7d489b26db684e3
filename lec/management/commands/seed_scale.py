"""manage.py seed_scale --fraction F — a synthetic, national-shaped data set for benchmarks (api.md, issue 7).

F = 1.0: 76 provinces, about 7,850 LAOs of the real type proportions, 1,100 schools, 18,000 CDCs, 30,000
other-affiliation schools, about 1.5 M learners; F = 0.01 one hundredth of each (at least one province).
Everything is derived from a fixed random seed, so running it again on the same database finds every
organisation, user and learner already there and adds nothing. On PostgreSQL learners go in with COPY.

Choices: other-affiliation schools get no user (they have no staff in LEC, their LAO enters their
headcounts); seeded learners get no history rows (history starts with the first real change).
"""

import argparse
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import User
from confirmations.seeding import ConfirmationPlan, seed_round_state
from lec.lib import generations
from schools.models import Kind, Organisation
from students.models import Learner

from ._scale.learners import create_learners
from ._scale.organisations import create_organisations, create_users, open_round
from ._scale.plan import plan_organisations

DEFAULT_PASSWORD = "lec-scale-2569"
SEED = 2569


class Command(BaseCommand):
    help = "Seed a synthetic national-shaped data set of the given fraction (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--fraction", type=float, required=True, help="1.0 = the whole country")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every seeded user")
        parser.add_argument("--force", action="store_true", help="allow in production mode")
        parser.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)

    def log(self, msg: str):
        if self.verbosity >= 2:
            self.stderr.write(f"[{time.monotonic() - self.t0:7.1f}s] {msg}")

    def handle(self, *args, fraction, password, force, seed, verbosity=1, **options):
        if getattr(settings, "PRODUCTION", False) and not force:
            raise CommandError(
                "seed_scale is refused in production mode (LEC_ENV=production); add --force to insist."
            )
        if not 0 < fraction <= 1.0:
            raise CommandError("--fraction must be in (0, 1]")
        self.verbosity, self.t0 = verbosity, time.monotonic()
        plan = plan_organisations(fraction, random.Random(seed))
        self.log(f"planned {len(plan)} organisations")
        with transaction.atomic():
            orgs = create_organisations(plan)
        self.log("organisations in place")
        with transaction.atomic():
            create_users(plan, orgs, password)
        self.log("users in place")
        with transaction.atomic():
            round_ = open_round()
        confirm = ConfirmationPlan(plan, random.Random(seed + 1))
        counts = create_learners(plan, orgs, round_, random.Random(seed + 2), self.log)
        self.log("learners in place")
        seed_round_state(plan=plan, orgs=orgs, round_=round_, confirm=confirm, counts=counts,
                         rng=random.Random(seed + 3), log=self.log)  # fmt: skip
        self.log("round state in place")
        generations.bump_everything()  # written around the services: no cached total may survive it
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        for kind in Kind.values:
            self.stdout.write(f"{kind}: {Organisation.objects.filter(kind=kind).count()}")
        self.stdout.write(f"learner: {Learner.objects.count()}")
        self.stdout.write(f"user: {User.objects.count()}")
