"""The Celery application; tasks run eagerly when REDIS_URL is unset."""

import os

from celery import Celery

from lec.logs import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lec.settings")

app = Celery("lec")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
connect_celery_signals()  # JSON log lines in the worker, with the request id that queued each task
