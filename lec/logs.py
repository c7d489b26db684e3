"""Structured logs: one JSON object per line for web and worker, each carrying the request id.

- The request id comes from the `X-Request-ID` header the proxy (haproxy) sets, or is made here; it is answered
  in the response's `X-Request-ID`, sent along with every Celery task the request queues (a task header, with
  the user id) and set again around the task in the worker, so one id ties the proxy's log, the web node's and
  the worker's.
- Every log line: ts, level, logger, message, request_id, user_id, path, status, duration_ms (when known), and
  the traceback for an error. Never a username, a password or a national ID: 13-digit sequences (with or
  without dashes) are masked in messages and tracebacks alike, and the path is logged without its query.
- RequestLogMiddleware writes one access line per request; Django's own `django.request` logger writes every
  unhandled exception with its traceback, DEBUG or not (settings.LOGGING sends both through JsonFormatter).
"""

import contextvars
import datetime as dt
import json
import logging
import re
import time
import traceback
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# 13 digits in a row, or written 1-2345-67890-12-3 / with spaces: a Thai national ID (or any such number).
_NATIONAL_ID = re.compile(r"(?<!\d)\d(?:[ -]?\d){12}(?!\d)")
MASK = "[id]"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("lec_request_id", default=None)
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("lec_user_id", default=None)
path_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("lec_path", default=None)
task_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("lec_task", default=None)

access_logger = logging.getLogger("lec.request")


def mask(text: str) -> str:
    return _NATIONAL_ID.sub(MASK, text)


def new_request_id() -> str:
    return uuid.uuid4().hex


def incoming_request_id(meta) -> str:
    """The proxy's id when it looks like one (bounded, no spaces or quotes), else a fresh one."""
    value = (meta.get(_META_KEY) or "").strip()
    return value if _VALID_ID.match(value) else new_request_id()


class MaskNationalIds(logging.Filter):
    """Masks 13-digit sequences in the message of every record (for any handler, JSON or not)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Context (request id, user id, path, task) comes from context variables set by
    RequestLogMiddleware and the Celery signals below; `extra={"status": …, "duration_ms": …}` adds fields."""

    EXTRA_FIELDS = ("status", "duration_ms", "method", "job_id", "task_id")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "user_id": getattr(record, "user_id", None) or user_id_var.get(),
            "path": getattr(record, "path", None) or path_var.get(),
        }
        task = task_var.get()
        if task:
            entry["task"] = task
        for field in self.EXTRA_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["traceback"] = mask("".join(traceback.format_exception(*record.exc_info)))
        elif record.stack_info:
            entry["traceback"] = mask(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


class RequestLogMiddleware:
    """First in the chain: sets the request id (and answers it), then logs one line when the response is ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = incoming_request_id(request.META)
        tokens = [
            (request_id_var, request_id_var.set(request.request_id)),
            (path_var, path_var.set(mask(request.path))),
            (user_id_var, user_id_var.set(None)),
        ]
        started = time.monotonic()
        try:
            response = self.get_response(request)
            user_id_var.set(_user_id(request))
            response[REQUEST_ID_HEADER] = request.request_id
            access_logger.info(
                "%s %s %s",
                request.method,
                mask(request.path),
                response.status_code,
                extra={
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "method": request.method,
                },
            )
            return response
        finally:
            for var, token in reversed(tokens):
                var.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # By now the session and token middleware have named the user: error lines logged in the view carry it.
        user_id_var.set(_user_id(request))


# ------------------------------------------------------------------------------------------------------------
# Celery: the request id travels as a task header and is set again around the task in the worker.


def _before_publish(headers=None, **_kwargs):
    if headers is None:
        return
    request_id, user_id = request_id_var.get(), user_id_var.get()
    if request_id and "request_id" not in headers:
        headers["request_id"] = request_id
    if user_id and "user_id" not in headers:
        headers["user_id"] = user_id


def _task_prerun(task=None, task_id=None, **_kwargs):
    request = getattr(task, "request", None)
    headers = getattr(request, "headers", None) or {}
    request_id = getattr(request, "request_id", None) or headers.get("request_id")
    user_id = getattr(request, "user_id", None) or headers.get("user_id")
    task._lec_log_tokens = [  # restored in _task_postrun
        (request_id_var, request_id_var.set(request_id or request_id_var.get() or new_request_id())),
        (user_id_var, user_id_var.set(user_id or user_id_var.get())),
        (task_var, task_var.set(f"{task.name}[{task_id}]")),
    ]


def _task_postrun(task=None, **_kwargs):
    for var, token in reversed(getattr(task, "_lec_log_tokens", [])):
        try:
            var.reset(token)
        except ValueError:  # set in another context (eager tasks run inline): just clear it
            var.set(None)
    task._lec_log_tokens = []


def _setup_logging(**_kwargs):
    """The worker keeps Django's LOGGING (JSON lines) instead of Celery's own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect_celery_signals() -> None:
    from celery import signals

    signals.setup_logging.connect(_setup_logging, weak=False, dispatch_uid="lec.logs.setup")
    signals.before_task_publish.connect(_before_publish, weak=False, dispatch_uid="lec.logs.publish")
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="lec.logs.prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="lec.logs.postrun")
