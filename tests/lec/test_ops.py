"""/healthz, /readyz and /metrics: what they check, and that the public learns nothing from them."""

import pytest
from django.db.migrations.executor import MigrationExecutor

from lec.models import Job

PUBLIC = {"REMOTE_ADDR": "203.0.113.7"}
THROUGH_PROXY = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}


def test_healthz_answers_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz", **PUBLIC)
    assert response.status_code == 200
    assert response.json() == {"ok": True}


@pytest.mark.django_db(transaction=True)
def test_readyz_checks_database_migrations_and_storage_for_a_local_caller(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    expected = {"Database": "ok", "Migrations": "ok", "ClosingStorage": "ok"}
    if settings.REDIS_URL:
        expected |= {"Broker": "ok", "Cache": "ok"}
    assert body["checks"] == expected
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("meta", [PUBLIC, THROUGH_PROXY])
def test_readyz_tells_the_public_only_ok_or_not(client, meta):
    response = client.get("/readyz", **meta)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_while_a_migration_is_not_applied(client, monkeypatch):
    real = MigrationExecutor.migration_plan

    def one_missing(self, targets, clean_start=False):
        plan = real(self, targets, clean_start)
        return plan or [("lec.migrations.9999_future", False)]

    monkeypatch.setattr(MigrationExecutor, "migration_plan", one_missing)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["Migrations"] == "Unavailable: 1 migrations not applied"
    public = client.get("/readyz", **PUBLIC)
    assert public.status_code == 503
    assert public.json() == {"status": "unavailable"}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["Broker"] == "Unavailable: Redis did not answer"
    assert "127.0.0.1:1" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_readyz_with_the_token_shows_details_from_outside(client, settings):
    settings.LEC_METRICS_TOKEN = "s3cret-token"
    body = client.get("/readyz", HTTP_AUTHORIZATION="Bearer s3cret-token", **PUBLIC).json()
    assert body["checks"]["Database"] == "ok"
    wrong = client.get("/readyz", HTTP_AUTHORIZATION="Bearer nope", **PUBLIC).json()
    assert "checks" not in wrong


@pytest.mark.django_db(transaction=True)
def test_probes_answer_in_production_mode_whatever_the_host_header(client, settings):
    """haproxy checks web nodes over plain HTTP by address: no HTTPS redirect, no DisallowedHost 400."""
    settings.ALLOWED_HOSTS = ["lec.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.1.2.3:8081")
        assert response.status_code == 200, path
    assert client.get("/", HTTP_HOST="10.1.2.3:8081").status_code == 400


@pytest.mark.parametrize("meta", [PUBLIC, THROUGH_PROXY])
def test_metrics_are_not_public(client, db, meta):
    response = client.get("/metrics", **meta)
    assert response.status_code == 404
    assert b"django_http" not in response.content


def test_metrics_answer_a_local_caller_with_requests_and_job_outcomes(client, db):
    Job.objects.create(kind=Job.Kind.IMPORT_LEARNERS, state=Job.State.DONE)
    Job.objects.create(kind=Job.Kind.IMPORT_LEARNERS, state=Job.State.DONE)
    Job.objects.create(kind=Job.Kind.EXPORT_LEARNERS, state=Job.State.FAILED)
    Job.objects.create(kind=Job.Kind.EXPORT_LEARNERS, state=Job.State.PENDING)
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text
    assert 'lec_jobs_finished_total{kind="import_learners",state="done"} 2.0' in text
    assert 'lec_jobs_finished_total{kind="export_learners",state="failed"} 1.0' in text
    assert 'lec_jobs_active{kind="export_learners",state="pending"} 1.0' in text


def test_metrics_answer_the_token_from_anywhere(client, db, settings):
    settings.LEC_METRICS_TOKEN = "s3cret-token"
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", **THROUGH_PROXY).status_code == 200
    )
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-tokeX", **PUBLIC).status_code == 404


def test_metrics_count_the_celery_queue(client, db, settings):
    from tests.conftest import require_redis

    require_redis()
    import redis

    settings.LEC_CELERY_QUEUES = ("lec-test-metrics-queue",)
    conn = redis.Redis.from_url(settings.REDIS_URL)
    conn.delete("lec-test-metrics-queue")
    conn.rpush("lec-test-metrics-queue", "a", "b", "c")
    try:
        text = client.get("/metrics").content.decode()
    finally:
        conn.delete("lec-test-metrics-queue")
    assert 'lec_celery_queue_length{queue="lec-test-metrics-queue"} 3.0' in text


def test_signed_in_users_stay_signed_in_when_the_cache_is_wiped(client, tree):
    """Sessions live in the database: a Redis restart (every cached key gone) signs no one out."""
    from django.core.cache import cache

    client.force_login(tree.users["school1"])
    assert client.get("/api/v1/me").status_code == 200
    cache.clear()
    response = client.get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == tree.users["school1"].username


@pytest.mark.django_db(transaction=True)
def test_readyz_checks_the_database_file_storage(client, settings):
    from lec.filestore.models import StoredFile

    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "lec.filestore.storage.DatabaseStorage"}}
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["checks"]["ClosingStorage"] == "ok"
    assert not StoredFile.objects.exists()  # the probe file was deleted again
