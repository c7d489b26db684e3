"""The API under a schema-driven fuzzer (schemathesis 4): every operation of /api/v1/openapi.json, with inputs
drawn from its schema, called as a school, an LAO and the department with bearer tokens. No answer may be a 5xx,
every answer must be one the schema declares, with the declared content type and body; the counters still match
the learners afterwards (verify_counts). Bounded: LEC_FUZZ_EXAMPLES examples per operation (default 4).
"""

import contextlib
import io
import os
import re

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import PASSWORD, OrgTree, RoundFactory, make_learner

EXAMPLES = int(os.environ.get("LEC_FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("school1", "lao1", "dept")
CALLS: list[tuple[str, str, int]] = []  # (operation, role, status) over the run, for the report


def _load_schema():
    from django.core.wsgi import get_wsgi_application

    # Loaded at collection (schemathesis' lazy fixture loader does not work under pytest 9); the schema view
    # reads no database.
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


schema = _load_schema()


@contextlib.contextmanager
def _keeping_the_test_connection():
    """schemathesis calls the WSGI application itself, whose request signals close "old" connections: on
    PostgreSQL that closed the test's own connection (inside its transaction) after the first call. Django's test
    Client disconnects the same handler around each of its requests (and connects it again after); so do we."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, client):
    """The factory tree with a round and learners, and a token per role; verify_counts when done."""
    tree = OrgTree.build()
    round_ = RoundFactory()
    learner = make_learner(tree.school1)
    tokens = {}
    for name in ROLES:
        r = client.post(
            "/api/v1/auth/token",
            {"username": tree.users[name].username, "password": PASSWORD},
            content_type="application/json",
        )
        tokens[name] = r.json()["token"]
    real = {
        "code": [
            tree.school1.code,
            tree.lao1.code,
            tree.p1.code,
            tree.dept.code,
            tree.other1.code,
            tree.school4.code,
        ],
        "learner_id": [learner.pk],
        "round_id": [round_.pk],
    }
    yield tree, tokens, real
    # After all the examples of one operation: every write went through the services, so the counter table
    # still equals the learners (api.md verify_counts).
    out = io.StringIO()
    call_command("verify_counts", stdout=out)
    assert re.search(r"counts verified: \d+ institutions", out.getvalue()), out.getvalue()


def _aim(case, real):
    """Point about half the generated path parameters at organisations and records that exist, so the fuzzer
    gets past 404 into the handlers; the rest stay random (404 paths are answers to check too)."""
    for name, value in list((case.path_parameters or {}).items()):
        choices = real.get(name)
        if choices and len(str(value)) % 2 == 0:
            case.path_parameters[name] = choices[len(str(value)) % len(choices)]
    query = case.query or {}
    if "round" in query and isinstance(query["round"], int) and query["round"] % 2 == 0:
        query["round"] = real["round_id"][0]


def _reissue(client, tree, tokens, role):
    r = client.post("/api/v1/auth/token", {"username": tree.users[role].username, "password": PASSWORD},
                    content_type="application/json")  # fmt: skip
    tokens[role] = r.json()["token"]


@pytest.mark.django_db
def test_a_multipart_body_without_boundary_is_refused_not_a_500(client):  # fixed: lec.middleware refuses it
    r = client.post("/api/v1/auth/token", data=b'{"username": "", "password": "x"}',
                    content_type="multipart/form-data")  # fmt: skip
    assert r.status_code in (400, 415), r.status_code


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    statuses = sorted({s for _op, _role, s in CALLS})
    print(f"\nfuzzer: {len(CALLS)} calls ({len(CALLS) // len(ROLES)} cases x {len(ROLES)} roles) over "
          f"{len({op for op, _r, _s in CALLS})} paths; statuses seen: {statuses}")  # fmt: skip


@pytest.mark.django_db
def test_an_expired_token_answers_401_before_any_csrf_check(tree, client):
    r = client.post("/api/v1/auth/token", {"username": "u_school1", "password": PASSWORD},
                    content_type="application/json")  # fmt: skip
    token = r.json()["token"]
    client.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {token}")
    client.cookies["sessionid"] = "not-a-session"
    r = client.post("/api/v1/organisations/1050100001/confirm", {"round": 1, "scope": "learners"},
                    content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert (r.status_code, r.json()["code"]) == (401, "not_authenticated")


@pytest.mark.django_db
def test_an_unparseable_body_is_a_400_with_errors(tree, api):
    r = api.client.post("/api/v1/organisations/1050100001/confirm", data=b"\xff{", content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {api.token(tree.users['school1'])}")  # fmt: skip
    assert r.status_code == 400 and "errors" in r.json()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_answers_as_its_schema_says(case, world, client):
    tree, tokens, real = world
    _aim(case, real)
    for role in ROLES:
        with _keeping_the_test_connection():
            response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
        operation = f"{case.method} {case.path}"
        CALLS.append((operation, role, response.status_code))
        if case.method == "DELETE" and case.path == "/api/v1/auth/token":
            _reissue(client, tree, tokens, role)
        case.validate_response(response, checks=CHECKS)
