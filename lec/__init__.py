"""LEC: settings, URLs, the Celery app, the API root and the helpers every app shares."""

from .celery import app as celery_app

__all__ = ["celery_app"]
