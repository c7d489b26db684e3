"""The Celery application; tasks run eagerly when REDIS_URL is unset."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lec.settings")

app = Celery("lec")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
