"""Round management (design.md "Rounds"): create, open and close a round, by hand or on time (the beat task).

A round is master data in schools.models; its transitions are these services. Closing share-waits for the
confirmation transitions in flight (they hold the round FOR SHARE, see confirmations.services)."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from lec.lib.errors import Code, DomainError, Forbidden, invalid
from schools.models import Organisation, Round

OPENED, CLOSED = "opened", "closed"  # what rounds_tick did to a round


def _require_rounds(acting_user) -> None:
    if acting_user is None:  # the beat task
        return
    if not policy.can_nationally(acting_user, "manage_rounds"):
        raise Forbidden()


def round_create(
    *, acting_user, academic_year: int, term: int, census_date, opens_at: datetime, closes_at: datetime
) -> Round:
    _require_rounds(acting_user)
    if term not in (1, 2):
        raise invalid("term", _("The term is 1 or 2."))
    if not 2500 <= academic_year <= 2700:
        raise invalid("academic_year", _("Give the academic year in the Buddhist Era, for example 2569."))
    if closes_at <= opens_at:
        raise invalid("closes_at", _("The round must close after it opens."))
    with transaction.atomic():
        if Round.objects.filter(academic_year=academic_year, term=term).exists():
            raise DomainError(_("This round already exists."), code=Code.ROUND_EXISTS)
        try:
            with transaction.atomic():
                return Round.objects.create(
                    academic_year=academic_year,
                    term=term,
                    census_date=census_date,
                    opens_at=opens_at,
                    closes_at=closes_at,
                )
        except IntegrityError:
            raise DomainError(_("This round already exists."), code=Code.ROUND_EXISTS) from None


def round_open(*, acting_user, round_id: int) -> Round:
    """planned → open, now (opens_at becomes now if it was later)."""
    _require_rounds(acting_user)
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_id)
        if round_.state != Round.State.PLANNED:
            raise DomainError(_("Only a planned round can be opened."), code=Code.INVALID_TRANSITION)
        if Round.objects.filter(state=Round.State.OPEN).exclude(pk=round_.pk).exists():
            raise DomainError(_("Another round is open: close it first."), code=Code.INVALID_TRANSITION)
        now = timezone.now()
        round_.state = Round.State.OPEN
        round_.opens_at = min(round_.opens_at, now)
        try:
            with transaction.atomic():
                round_.save(update_fields=["state", "opens_at"])
        except IntegrityError:
            raise DomainError(
                _("Another round is open: close it first."), code=Code.INVALID_TRANSITION
            ) from None
    return round_


def round_close(*, acting_user, round_id: int) -> Round:
    """open → closed, now: every confirmation is frozen as it is, and the edit locks are cleared for the next
    term (snapshots and events stay). Organisations not confirmed are reported by selectors.missed()."""
    _require_rounds(acting_user)
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_id)  # waits for transitions holding FOR SHARE
        if round_.state != Round.State.OPEN:
            raise DomainError(_("Only an open round can be closed."), code=Code.INVALID_TRANSITION)
        now = timezone.now()
        round_.state = Round.State.CLOSED
        round_.closes_at = min(round_.closes_at, now)
        round_.save(update_fields=["state", "closes_at"])
        Organisation.objects.filter(Q(learners_locked=True) | Q(other_schools_locked=True)).update(
            learners_locked=False, other_schools_locked=False
        )
    return round_


def rounds_tick(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Open planned rounds whose time has come and close open rounds past closes_at (the beat task)."""
    now = now or timezone.now()
    done = []
    for round_ in Round.objects.filter(state=Round.State.OPEN, closes_at__lte=now):
        round_close(acting_user=None, round_id=round_.pk)
        done.append((round_.pk, CLOSED))
    for round_ in Round.objects.filter(
        state=Round.State.PLANNED, opens_at__lte=now, closes_at__gt=now
    ).order_by("opens_at"):
        if not Round.objects.filter(state=Round.State.OPEN).exists():
            round_open(acting_user=None, round_id=round_.pk)
            done.append((round_.pk, OPENED))
    return done
