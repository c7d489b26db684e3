"""JSON-lines logs: one object per line with the request id; every 500 logged with its traceback, DEBUG off,
without passwords, usernames or national IDs."""

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.urls import include, path

from lec.logs import JsonFormatter, mask

NATIONAL_ID = "1103700012346"


def _boom(request):
    raise RuntimeError(f"could not place learner {NATIONAL_ID} (1-1037-00012-34-6)")


def _fine(request):
    logging.getLogger("lec.test").warning("looked up %s", NATIONAL_ID)
    return HttpResponse("ok")


urlpatterns = [path("boom/", _boom), path("fine/", _fine), path("", include("lec.urls"))]


@pytest.fixture
def json_lines():
    """The configured JSON console handler (settings.LOGGING), writing into a buffer for the test."""
    handler = next(h for h in logging.getLogger("django").handlers if isinstance(h.formatter, JsonFormatter))
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    lec_test = logging.getLogger("lec.test")
    lec_test.addHandler(handler)

    def read():
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield read
    lec_test.removeHandler(handler)
    handler.setStream(old)


def test_mask_hides_national_ids_written_any_way():
    assert (
        mask(f"id {NATIONAL_ID}, also 1-1037-00012-34-6 and 1 1037 00012 34 6")
        == "id [id], also [id] and [id]"
    )
    assert mask("phone 0812345678, amount 12345678901234") == "phone 0812345678, amount 12345678901234"


def test_formatter_writes_one_json_object_with_the_fields():
    record = logging.LogRecord("lec.x", logging.INFO, __file__, 1, "saved %s", (NATIONAL_ID,), None)
    record.status, record.duration_ms = 201, 12.5
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO" and entry["logger"] == "lec.x" and entry["message"] == "saved [id]"
    assert entry["status"] == 201 and entry["duration_ms"] == 12.5
    assert {"ts", "request_id", "user_id", "path"} <= entry.keys()


@pytest.mark.urls(__name__)
def test_an_unhandled_exception_is_logged_with_traceback_and_request_id_debug_off(
    client, tree, settings, json_lines
):
    settings.DEBUG = False
    user = tree.users["school1"]
    client.force_login(user)
    client.raise_request_exception = False
    response = client.post(
        "/boom/",
        {"password": "hunter2-Secret!", "national_id": NATIONAL_ID},
        HTTP_X_REQUEST_ID="req-abc-123",
    )
    assert response.status_code == 500
    assert response["X-Request-ID"] == "req-abc-123"
    errors = [e for e in json_lines() if e["logger"] == "django.request" and e["level"] == "ERROR"]
    assert len(errors) == 1
    entry = errors[0]
    assert entry["request_id"] == "req-abc-123"
    assert entry["user_id"] == user.pk
    assert entry["path"] == "/boom/"
    assert "RuntimeError: could not place learner [id] ([id])" in entry["traceback"]
    assert "in _boom" in entry["traceback"]
    everything = json.dumps(json_lines())
    assert NATIONAL_ID not in everything and "1-1037-00012-34-6" not in everything
    assert "hunter2-Secret!" not in everything
    assert user.username not in everything
    access = [e for e in json_lines() if e["logger"] == "lec.request"]
    assert access[-1]["status"] == 500 and access[-1]["request_id"] == "req-abc-123"


@pytest.mark.urls(__name__)
def test_each_request_gets_an_id_and_one_access_line(client, db, json_lines):
    response = client.get("/fine/?q=" + NATIONAL_ID)
    generated = response["X-Request-ID"]
    assert len(generated) == 32
    lines = json_lines()
    warning = next(e for e in lines if e["logger"] == "lec.test")
    assert warning["message"] == "looked up [id]" and warning["request_id"] == generated
    access = next(e for e in lines if e["logger"] == "lec.request")
    assert access["request_id"] == generated and access["status"] == 200 and access["path"] == "/fine/"
    assert access["duration_ms"] >= 0 and access["user_id"] is None
    assert NATIONAL_ID not in json.dumps(lines)


@pytest.mark.urls(__name__)
def test_a_request_id_that_is_not_an_id_is_replaced(client, db):
    response = client.get("/fine/", HTTP_X_REQUEST_ID='x" onload="alert(1)')
    assert response["X-Request-ID"] != 'x" onload="alert(1)'
    assert len(response["X-Request-ID"]) == 32


def test_an_api_500_is_logged_with_traceback_and_request_id(client, tree, settings, json_lines, monkeypatch):
    from accounts import policy

    def broken(user):
        raise KeyError(f"grant for {NATIONAL_ID}")

    monkeypatch.setattr(policy, "granted_actions", broken)
    settings.DEBUG = False
    client.force_login(tree.users["school1"])
    client.raise_request_exception = False
    response = client.get("/api/v1/me", HTTP_X_REQUEST_ID="api-req-7")
    assert response.status_code == 500
    errors = [e for e in json_lines() if e["logger"] == "django.request" and e["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["request_id"] == "api-req-7"
    assert "KeyError" in errors[0]["traceback"] and "in broken" in errors[0]["traceback"]
    assert NATIONAL_ID not in json.dumps(json_lines())


def test_the_request_id_and_user_id_travel_with_a_celery_task():
    """Set as task headers when a request queues a task; set again around the task in the worker."""
    from types import SimpleNamespace

    from lec import logs

    tokens = [logs.request_id_var.set("req-42"), logs.user_id_var.set(7)]
    headers = {}
    logs._before_publish(headers=headers)
    for var, token in zip((logs.request_id_var, logs.user_id_var), tokens, strict=True):
        var.reset(token)
    assert headers == {"request_id": "req-42", "user_id": 7}

    task = SimpleNamespace(name="lec.tasks.run_job", request=SimpleNamespace(headers=headers))
    logs._task_prerun(task=task, task_id="t-1")
    record = logging.LogRecord("lec.jobs", logging.WARNING, __file__, 1, "claimed", (), None)
    entry = json.loads(JsonFormatter().format(record))
    logs._task_postrun(task=task)
    assert (entry["request_id"], entry["user_id"], entry["task"]) == ("req-42", 7, "lec.tasks.run_job[t-1]")
    assert logs.request_id_var.get() is None and logs.user_id_var.get() is None
