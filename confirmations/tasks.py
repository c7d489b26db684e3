"""Celery tasks for rounds: thin, idempotent wrappers that take ids and call confirmations' round services and
notifications. Nothing here imports confirmations.services (services → tasks → notifications, one way)."""

from celery import shared_task
from django.db import transaction

from schools.models import Round

from . import notifications, rounds


def deliver_after_commit(notification_id: int) -> None:
    """Queue the e-mail of a notification once the transaction that created it commits."""
    transaction.on_commit(lambda: deliver_notification.delay(notification_id))


@shared_task
def rounds_tick() -> list:
    """Beat: open rounds at opens_at, close them at closes_at."""
    return rounds.rounds_tick()


@shared_task
def send_round_reminders() -> int:
    """Beat: remind organisations not yet confirmed, LEC_REMINDER_DAYS before the close, once each."""
    round_ = Round.objects.filter(state=Round.State.OPEN).first()
    if round_ is None:
        return 0
    return notifications.round_send_reminders(round_id=round_.pk, deliver=deliver_after_commit)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(notification_id: int) -> int:
    """E-mail one in-app notification to the people of its organisation (once)."""
    return notifications.notification_deliver(notification_id=notification_id)
