"""Round management (design.md "Rounds"): create, open and close a round, by hand or on time (the beat task).

A round is master data in schools.models; its transitions are these services. Closing share-waits for the
confirmation transitions in flight (they hold the round FOR SHARE, see confirmations.services)."""

import logging
from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.services import audit
from lec.lib.errors import Code, DomainError, Forbidden, Invalid, invalid
from schools.models import Organisation, Round

from .selectors.rounds import FIRST_YEAR, LAST_YEAR, all_rounds

OPENED, CLOSED = "opened", "closed"  # what rounds_tick did to a round
log = logging.getLogger(__name__)


def _require_rounds(acting_user) -> None:
    if acting_user is None:  # the beat task
        return
    if not policy.can_nationally(acting_user, "manage_rounds"):
        raise Forbidden()


MAX_DISTANCE = timedelta(days=731)  # a round opens and closes within two years of its census date


def validate_round_dates(census_date, opens_at: datetime, closes_at: datetime) -> None:
    """Refuse a round whose census date is outside 2000–2200, or opening or closing more than two years
    from its census date: such a round (year 1 at +14:00) once stored made every round list fail. 400s on the
    fields, all at once."""
    errors: dict[str, list] = {}
    if not FIRST_YEAR <= census_date.year <= LAST_YEAR:
        errors["census_date"] = [_("The census date must be between the years %(a)s and %(b)s (AD).")
                                 % {"a": FIRST_YEAR, "b": LAST_YEAR}]  # fmt: skip
    else:
        census = datetime.combine(census_date, time(12), tzinfo=UTC)
        for field, value in (("opens_at", opens_at), ("closes_at", closes_at)):
            if abs(value - census) > MAX_DISTANCE:
                errors[field] = [_("A round opens and closes within two years of its census date.")]
    if "closes_at" not in errors and "opens_at" not in errors and closes_at <= opens_at:
        errors["closes_at"] = [_("The round must close after it opens.")]
    if errors:
        raise Invalid(errors)


def round_create(
    *, acting_user, academic_year: int, term: int, census_date, opens_at: datetime, closes_at: datetime
) -> Round:
    _require_rounds(acting_user)
    if term not in (1, 2):
        raise invalid("term", _("The term is 1 or 2."))
    if not 2500 <= academic_year <= 2700:
        raise invalid("academic_year", _("Give the academic year in the Buddhist Era, for example 2569."))
    validate_round_dates(census_date, opens_at, closes_at)
    with transaction.atomic():
        if Round.objects.filter(academic_year=academic_year, term=term).exists():
            raise DomainError(_("This round already exists."), code=Code.ROUND_EXISTS)
        try:
            with transaction.atomic():
                round_ = Round.objects.create(
                    academic_year=academic_year,
                    term=term,
                    census_date=census_date,
                    opens_at=opens_at,
                    closes_at=closes_at,
                )
        except IntegrityError:
            raise DomainError(_("This round already exists."), code=Code.ROUND_EXISTS) from None
        audit(acting_user=acting_user, action="round_create", object_ref=str(round_.pk),
              academic_year=academic_year, term=term)  # fmt: skip
        return round_


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
        audit(acting_user=acting_user, action="round_open", object_ref=str(round_.pk))
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
        audit(acting_user=acting_user, action="round_close", object_ref=str(round_.pk))
    return round_


def rounds_tick(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Open planned rounds whose time has come and close open rounds past closes_at (the beat task). Only rounds
    with readable dates are considered, and one round that fails is logged and skipped: it never stops the
    others from opening or closing on time."""
    now = now or timezone.now()
    done = []
    due_to_close = (
        all_rounds().filter(state=Round.State.OPEN, closes_at__lte=now).values_list("pk", flat=True)
    )
    for pk in list(due_to_close):
        if _tick_one(round_close, pk):
            done.append((pk, CLOSED))
    due_to_open = all_rounds().filter(state=Round.State.PLANNED, opens_at__lte=now, closes_at__gt=now)
    for pk in list(due_to_open.order_by("opens_at").values_list("pk", flat=True)):
        if not Round.objects.filter(state=Round.State.OPEN).exists() and _tick_one(round_open, pk):
            done.append((pk, OPENED))
    return done


def _tick_one(transition, pk: int) -> bool:
    try:
        transition(acting_user=None, round_id=pk)
    except Exception:  # one broken round must not stop the beat task for every other round
        log.exception("rounds_tick: round %s could not change state", pk)
        return False
    return True
