"""Demo data for seed_demo: the open round of term 2, 2569, with some demo institutions already confirmed."""

import datetime

from django.utils import timezone

from accounts.models import User
from schools.models import Organisation, Round

from . import rounds as round_services
from . import services
from .models import Confirmation, Scope

# Confirmed in the demo (by the admin, standing in for their staff); demo_school and demo_cdc are left to do it.
CONFIRMED = [
    (code, Scope.LEARNERS) for code in ("1050100002", "1050000001", "5000001", "2050300001", "1030000001")
]


def seed(stdout) -> None:
    now = timezone.now()
    round_ = Round.objects.filter(academic_year=2569, term=2).first()
    if round_ is None:
        round_ = Round.objects.create(
            academic_year=2569,
            term=2,
            census_date=datetime.date(2026, 11, 10),
            opens_at=now - datetime.timedelta(days=7),
            closes_at=(now + datetime.timedelta(days=14)).replace(hour=9, minute=30, second=0, microsecond=0),
        )
    if round_.state == Round.State.PLANNED and not Round.objects.filter(state=Round.State.OPEN).exists():
        round_ = round_services.round_open(acting_user=None, round_id=round_.pk)
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    done = 0
    if round_.state == Round.State.OPEN and admin is not None:
        for code, scope in CONFIRMED:
            org = Organisation.objects.filter(code=code).first()
            if (
                org is None
                or Confirmation.objects.filter(
                    round=round_, organisation=org, scope=scope, state=Confirmation.State.CONFIRMED
                ).exists()
            ):
                continue
            services.confirmation_confirm(
                acting_user=admin, round_id=round_.pk, organisation=org, scope=scope
            )
            done += 1
    stdout.write(f"round: {round_.name} ({round_.state}), {done} demo confirmations added")
