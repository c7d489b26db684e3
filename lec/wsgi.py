"""WSGI entry point (gunicorn lec.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lec.settings")
application = get_wsgi_application()
