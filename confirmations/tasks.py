"""Celery tasks for rounds: thin, idempotent wrappers over confirmations.services that take ids."""

from celery import shared_task

from schools.models import Round

from . import services


@shared_task
def rounds_tick() -> list:
    """Beat: open rounds at opens_at, close them at closes_at."""
    return services.rounds_tick()


@shared_task
def send_round_reminders() -> int:
    """Beat: remind organisations not yet confirmed, LEC_REMINDER_DAYS before the close, once each."""
    rnd = Round.objects.filter(state=Round.State.OPEN).first()
    return services.round_send_reminders(round_id=rnd.pk) if rnd else 0


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def deliver_notification(notification_id: int) -> int:
    """E-mail one in-app notification to the people of its organisation (once)."""
    return services.notification_deliver(notification_id=notification_id)
