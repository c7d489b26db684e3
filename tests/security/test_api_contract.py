"""Issue 12, holes 12-14: hostile values and answers that broke api.md's contract, each replayed as the attack.

Every answer under /api/v1 is JSON with api.md's body {"detail", "code", "errors" on 400}."""

import json

import pytest

from tests.factories import PASSWORD, RoundFactory, make_learner


def _body(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), (
        response.status_code,
        response.content[:200],
    )
    return response.json()


def _is_400(response, field: str | None = None) -> dict:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = _body(response)
    assert body["code"] == "invalid" and body["detail"] and isinstance(body["errors"], dict)
    if field is not None:
        assert field in body["errors"], body
    return body


# --- hole 13: the contract -------------------------------------------------------------------------------


def test_a_405_under_the_api_is_json(tree, api):
    response = api.client.put("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {api.token(tree.users['school1'])}")
    assert response.status_code == 405
    assert _body(response)["code"] == "invalid"


def test_an_unparseable_body_is_a_thai_400_with_errors(tree, api):
    user = tree.users["school1"]
    response = api.client.post(
        f"/api/v1/organisations/{tree.school1.code}/learners",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token(user)}",
    )
    body = _is_400(response, "__all__")
    assert "JSON" in body["detail"] and "Cannot parse" not in body["detail"]
    english = api.client.post(
        f"/api/v1/organisations/{tree.school1.code}/learners",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token(user)}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert _is_400(english)["detail"] == "The request body is not valid JSON."
    assert body["detail"] != "The request body is not valid JSON."  # Thai by default


def test_an_oversized_body_is_a_json_400(tree, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", {"note": "x" * 5000},
                        tree.users["school1"])  # fmt: skip
    _is_400(response)


def test_an_unhandled_error_is_a_json_500(tree, api, settings, monkeypatch):
    from accounts import policy

    def broken(user):
        raise KeyError("boom")

    monkeypatch.setattr(policy, "granted_actions", broken)
    settings.DEBUG = False
    api.client.raise_request_exception = False
    response = api.get("/api/v1/me", tree.users["school1"])
    assert response.status_code == 500
    assert _body(response)["detail"]


def test_a_write_without_credentials_is_401_before_csrf(tree, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer expired-or-made-up"}):
        response = csrf_client.post("/api/v1/rounds", data="{}", content_type="application/json", **headers)
        assert response.status_code == 401, response.content
        assert _body(response)["code"] == "not_authenticated"
    # a signed-in session without the CSRF token is still refused 403, as before
    csrf_client.force_login(tree.users["dept"])
    response = csrf_client.post("/api/v1/rounds", data="{}", content_type="application/json")
    assert response.status_code == 403 and _body(response)["code"] == "forbidden"


def test_a_body_that_is_not_json_is_refused(tree, api):
    response = api.client.post(
        f"/api/v1/organisations/{tree.school1.code}/learners",
        data="prefix=x",
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {api.token(tree.users['school1'])}",
    )
    assert response.status_code == 415
    assert _body(response)["code"] == "invalid"


# --- hole 12: hostile values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organisations/{code}%00/learners",
        "/api/v1/organisations/{code}/learners?search=a%00b",
        "/api/v1/organisations/{code}/learners?status=active%00",
        "/api/v1/transfers?state=pending%00",
    ],
)
def test_nul_in_path_or_query_is_400(tree, api, path):
    _is_400(api.get(path.format(code=tree.school1.code), tree.users["school1"]))


def test_nul_in_a_json_body_is_400_on_its_field(tree, api):
    user = tree.users["school1"]
    learner = make_learner(tree.school1)
    RoundFactory()
    response = api.post(f"/api/v1/learners/{learner.pk}/leave",
                        {"reason": "dropped_out", "left_on": "2024-01-01", "note": "a\u0000b"}, user)  # fmt: skip
    _is_400(response, "note")
    nested = api.post(f"/api/v1/organisations/{tree.school1.code}/learners",
                      {"first_name": "x", "father": {"first_name": "a\u0000"}}, user)  # fmt: skip
    _is_400(nested, "father.first_name")


def test_nul_on_the_unauthenticated_token_endpoint_is_400(client, tree):
    response = client.post("/api/v1/auth/token", data=json.dumps({"username": "u\u0000", "password": "x"}),
                           content_type="application/json")  # fmt: skip
    _is_400(response, "username")


def test_a_huge_username_on_the_token_endpoint_is_not_a_500(client, tree):
    response = client.post("/api/v1/auth/token", data=json.dumps({"username": "u" * 300, "password": PASSWORD}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code in (400, 401), response.content
    _body(response)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organisations/{code}/learners?page=9223372036854775808",
        "/api/v1/organisations/{code}/learners?page=9223372036854775807",
        "/api/v1/transfers?page=9223372036854775807",
        "/api/v1/unlock-requests?page=9223372036854775807",
    ],
)
def test_a_huge_page_number_is_400(tree, api, path):
    _is_400(api.get(path.format(code=tree.school1.code), tree.users["lao1"]), "page")


def test_nul_on_a_page_form_or_query_is_400(tree, client):
    client.force_login(tree.users["school1"])
    response = client.get(f"/o/{tree.school1.code}/learners/?q=a%00")
    assert response.status_code == 400


# --- hole 14: silent damage ------------------------------------------------------------------------------


def _learner_body(**extra) -> dict:
    from tests.students.helpers import learner_input

    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in learner_input("p1").items()}
    body.update(extra)
    return body


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"father": {"first_name": "ก" * 201}}, "father.first_name"),
        ({"guardian": {"occupation": "x" * 201}}, "guardian.occupation"),
        ({"current_address": {"road": "x" * 201}}, "current_address.road"),
        ({"mother": {"income": 1e308}}, "mother.income"),
    ],
)
def test_nested_values_out_of_bounds_are_refused_not_cut(tree, api, extra, field):
    from students.models import Learner

    response = api.post(f"/api/v1/organisations/{tree.school1.code}/learners", _learner_body(**extra),
                        tree.users["school1"])  # fmt: skip
    _is_400(response, field)
    assert not Learner.objects.exists()


def test_long_reasons_are_refused(tree, api):
    learner = make_learner(tree.school1)
    response = api.post(f"/api/v1/learners/{learner.pk}/leave",
                        {"reason": "dropped_out", "left_on": "2024-01-01", "note": "x" * 10_000},
                        tree.users["school1"])  # fmt: skip
    _is_400(response, "note")
    round_ = RoundFactory()
    response = api.post(f"/api/v1/organisations/{tree.school1.code}/unlock-requests",
                        {"round": round_.pk, "scope": "learners", "reason": "x" * 10_000},
                        tree.users["school1"])  # fmt: skip
    _is_400(response, "reason")


def test_an_empty_headcount_put_is_refused(tree, api):
    from tests.factories import make_other_school_entry

    round_ = RoundFactory()
    make_other_school_entry(tree.other1, round_, p1=(3, 4))
    response = api.put(f"/api/v1/other-schools/{tree.other1.code}/headcounts?round={round_.pk}", {},
                       tree.users["lao1"])  # fmt: skip
    body = _is_400(response)
    assert "closed" in body["errors"] and "counts" in body["errors"]
    entry = api.get(
        f"/api/v1/other-schools/{tree.other1.code}/headcounts?round={round_.pk}", tree.users["lao1"]
    )
    assert any(c["male"] == 3 for c in entry.json()["counts"])


def test_the_openapi_schema_states_bounds_and_required_fields(client):
    schema = client.get("/api/v1/openapi.json").json()
    text = json.dumps(schema)
    entry = schema["components"]["schemas"]["EntryIn"]
    assert set(entry["required"]) >= {"closed", "counts"}
    assert '"maximum": 100000' in text  # page
    assert '"maxLength": 1000' in text  # reasons
