"""Operations endpoints: `/healthz` (liveness), `/readyz` (readiness, django-health-check) and `/metrics`
(Prometheus), none of them telling internals to the public.

Who sees details: a caller connected straight from the machine itself (REMOTE_ADDR on loopback and no
`X-Forwarded-For`, which the proxy always adds, so a request that came through haproxy never counts as local),
or one that sends `Authorization: Bearer <LEC_METRICS_TOKEN>`. Everyone else gets `/readyz` as a bare
200/503 `{"status": …}` and `/metrics` as a 404 (as if it did not exist).
"""

import asyncio
import dataclasses
import hmac
import ipaddress
import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

PROBE_PATHS = ("/healthz", "/readyz")


def is_operator(request) -> bool:
    """A direct local caller, or one holding the operations token."""
    token = getattr(settings, "LEC_METRICS_TOKEN", "")
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if (
        token
        and auth.startswith("Bearer ")
        and hmac.compare_digest(auth[7:].strip().encode(), token.encode())
    ):
        return True
    if request.META.get("HTTP_X_FORWARDED_FOR"):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


# ------------------------------------------------------------------------------------------------------------
# Readiness


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration on disk is applied to the database (a node started before `migrate` ran is not ready)."""

    alias: str = "default"

    def run(self):
        try:
            executor = MigrationExecutor(connections[self.alias])
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:  # the database check names the cause; this one only says it could not look
            raise ServiceUnavailable("Could not read the migration history") from exc
        finally:
            connections[self.alias].close()
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migrations not applied")


@dataclasses.dataclass
class ClosingStorage(Storage):
    """django-health-check's storage check (write, read, delete a probe file), closing the database connection
    its thread opened (the database storage keeps files in PostgreSQL)."""

    def run(self):
        try:
            super().run()
        finally:
            connections.close_all()


@dataclasses.dataclass
class Broker(HealthCheck):
    """Redis (the Celery broker and the cache) answers a PING."""

    url: str = dataclasses.field(default="", repr=False)

    def run(self):
        import redis

        try:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
            try:
                client.ping()
            finally:
                client.close()
        except redis.RedisError as exc:
            raise ServiceUnavailable("Redis did not answer") from exc


def readiness_checks() -> list:
    checks: list = [(Database, {}), (Migrations, {}), (ClosingStorage, {})]
    if settings.REDIS_URL:
        checks += [(Broker, {"url": settings.REDIS_URL}), (Cache, {})]
    return checks


class ReadyView(HealthCheckView):
    """django-health-check runs the checks (concurrently, each with a time budget); the answer is api.md's
    200/503 JSON instead of the package's 500 and HTML."""

    def get_checks(self):
        self.checks = readiness_checks()
        return super().get_checks()

    async def get(self, request, *args, **kwargs):
        await super().get(request, *args, **kwargs)
        ok = not any(result.error for result in self.results)
        body = {"status": "ok" if ok else "unavailable"}
        if is_operator(request):
            body["checks"] = {
                type(result.check).__name__: "ok" if not result.error else str(result.error)
                for result in self.results
            }
        return JsonResponse(body, status=200 if ok else 503)


_ready_view = async_to_sync(ReadyView.as_view())


@never_cache
def readyz(request):
    """Readiness: the database answers with every migration applied, the file storage writes and reads, and
    Redis answers when configured. The proxy sends traffic only to nodes answering 200."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _ready_view(request)
    # A sync view whose thread already runs an event loop (an ASGI server's, or a test's browser driver):
    # async_to_sync refuses to nest, so the checks run on a thread of their own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_ready_view, request).result()


@never_cache
def healthz(request):
    """Liveness: the process answers. No database or Redis call (a slow database must not get nodes killed)."""
    return JsonResponse({"ok": True})


class ProbeMiddleware:
    """Answers /healthz and /readyz before host validation and the HTTPS redirect, so the proxy's health checks
    (plain HTTP on the private side, any Host header) work in production mode."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path in PROBE_PATHS:
            return (healthz if request.path == "/healthz" else readyz)(request)
        return self.get_response(request)


# ------------------------------------------------------------------------------------------------------------
# Metrics


def _queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue (Redis lists named after the queue) and those delivered but not
    yet acknowledged (kombu's `unacked` hash): what a scaler of the worker tier watches."""
    if not settings.REDIS_URL:
        return {}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        queues = {name: client.llen(name) for name in getattr(settings, "LEC_CELERY_QUEUES", ("celery",))}
        queues["unacked"] = client.hlen("unacked")
        return queues
    except redis.RedisError:
        return {}
    finally:
        client.close()


class LecCollector:
    """Collected at scrape time from the shared stores, so any web node answers for the whole cluster: job
    counts by kind and state from the Job table (done/failed only ever grow: job rows are kept), and the
    Celery queue lengths from Redis."""

    def collect(self):
        from django.db.models import Count
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        from lec.models import Job

        finished = CounterMetricFamily("lec_jobs_finished", "Background jobs that ended, by kind and state",
                                       labels=["kind", "state"])  # fmt: skip
        active = GaugeMetricFamily(
            "lec_jobs_active", "Background jobs waiting or running", labels=["kind", "state"]
        )
        rows = Job.objects.values_list("kind", "state").annotate(n=Count("id")).order_by()
        for kind, state, n in rows:
            if state in (Job.State.DONE, Job.State.FAILED):
                finished.add_metric([kind, state], n)
            else:
                active.add_metric([kind, state], n)
        yield finished
        yield active
        queue = GaugeMetricFamily("lec_celery_queue_length", "Celery messages in Redis", labels=["queue"])
        for name, length in _queue_lengths().items():
            queue.add_metric([name], length)
        yield queue


def _registry_text() -> bytes:
    import prometheus_client
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        base = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = prometheus_client.REGISTRY
    lec = prometheus_client.CollectorRegistry(auto_describe=False)
    lec.register(LecCollector())
    return prometheus_client.generate_latest(base) + prometheus_client.generate_latest(lec)


@never_cache
def metrics(request):
    if not is_operator(request):
        raise Http404
    from prometheus_client import CONTENT_TYPE_LATEST

    return HttpResponse(_registry_text(), content_type=CONTENT_TYPE_LATEST)
