"""A real Celery worker on Redis delivers a notification after the transaction commits."""

import time

import pytest
from django.core import mail

from confirmations import services
from confirmations.models import Notification
from tests.conftest import require_redis
from tests.factories import OrgTree

from .test_races import open_round


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_emails_the_lao_when_a_school_confirms(settings):
    require_redis()
    from celery.contrib.testing.worker import start_worker

    from lec.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tree = OrgTree.build()
    tree.users["lao1"].email = "lao1@example.invalid"
    tree.users["lao1"].save()
    rnd = open_round()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            services.confirmation_confirm(acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1,
                                          scope="learners")  # fmt: skip
            note = Notification.objects.get(organisation=tree.lao1, kind="confirmed")
            for _ in range(100):
                note.refresh_from_db()
                if note.emailed_at:
                    break
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = True
    assert note.emailed_at is not None
    assert any("lao1@example.invalid" in m.to for m in mail.outbox)
