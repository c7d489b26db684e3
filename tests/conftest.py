"""Shared fixtures, and the switch that turns a skipped test into a failure in CI.

With LEC_REQUIRE_SERVICES=1 (set by .ci/run) a test skipped because PostgreSQL, Redis, GNU gettext or
Chromium is missing fails instead of passing quietly.
"""

import os

import pytest

from tests.factories import OrgTree

collect_ignore = [] if os.environ.get("LEC_BENCH") else ["perf"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("LEC_REQUIRE_SERVICES") == "1" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"skipped while LEC_REQUIRE_SERVICES=1 (a service CI must have is missing): {reason}"
        )


def pytest_configure(config):
    from django.conf import settings

    # WhiteNoise warns on every request cycle when STATIC_ROOT does not exist (it is made by collectstatic).
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)


@pytest.fixture(autouse=True)
def _thai_by_default(settings):
    settings.LANGUAGE_CODE = "th"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_login_failures_carried_over():
    """The per-address and global sign-in failure limits (accounts/throttle.py) count across requests in a
    window; every test starts with none, so the suite's own failed sign-ins never throttle a later test."""
    from accounts import throttle

    throttle.forget()


@pytest.fixture
def tree(db) -> OrgTree:
    """Two provinces; each with two LAOs; schools, CDCs and other-affiliation schools; a user per organisation."""
    return OrgTree.build()


@pytest.fixture
def api(client):
    """A JSON client for /api/v1 with a bearer token per user."""
    from tests.factories import ApiClient

    return ApiClient(client)


def require_postgres():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def require_redis():
    from django.conf import settings

    if not settings.REDIS_URL:
        pytest.skip("needs Redis (set REDIS_URL)")
