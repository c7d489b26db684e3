"""Which round a page or request is about."""

from django.db.models import QuerySet
from django.utils import timezone

from schools.models import Round


def open_round() -> Round | None:
    return Round.objects.filter(state=Round.State.OPEN).first()


def banner_round() -> Round | None:
    """The open round for the banner on every page, with `days_left` / `hours_left` for the countdown."""
    round_ = open_round()
    if round_ is not None:
        left = max(round_.closes_at - timezone.now(), timezone.timedelta(0))
        round_.days_left = left.days
        round_.hours_left = left.seconds // 3600
    return round_


def current_round(round_id=None) -> Round | None:
    """The round asked for, else the open one, else the most recent."""
    if round_id:
        return Round.objects.filter(pk=round_id).first()
    return open_round() or Round.objects.order_by("-academic_year", "-term").first()


def rounds() -> QuerySet[Round]:
    return Round.objects.order_by("-academic_year", "-term")
