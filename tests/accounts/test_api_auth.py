"""Token auth, /me, organisation endpoints and the lockout (api.md "Authentication")."""

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_axes():
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    cache.clear()


def token_call(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        data={"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_token_me_and_revoke(tree, client, api):
    user = tree.users["lao1"]
    r = token_call(client, user.username, PASSWORD)
    assert r.status_code == 200
    body = r.json()
    assert (
        set(body) == {"token", "expires_at"} and "+" in body["expires_at"] or body["expires_at"].endswith("Z")
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}
    me = client.get("/api/v1/me", **auth).json()
    assert me["username"] == user.username
    assert me["organisation"]["code"] == "5010101" and me["organisation"]["parent_code"] == "50"
    assert "unlock_children" in me["permissions"] and "edit_learners" not in me["permissions"]
    assert client.delete("/api/v1/auth/token", **auth).status_code == 204
    r = client.get("/api/v1/me", **auth)
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_bad_credentials_401_then_lockout_429_for_that_pair_only(tree, client):
    user = tree.users["school1"]
    for _ in range(5):
        r = token_call(client, user.username, "wrong")
        assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    r = token_call(client, user.username, PASSWORD)
    assert r.status_code == 429 and r.json()["code"] == "throttled"
    assert int(r["Retry-After"]) == 1800
    # another user at the same address, and the same user elsewhere, are not affected
    assert token_call(client, tree.users["school2"].username, PASSWORD).status_code == 200
    assert token_call(client, user.username, PASSWORD, ip="10.0.0.2").status_code == 200


def test_login_page_failures_count_toward_the_api_lockout(tree, client):
    user = tree.users["school1"]
    for _ in range(5):
        client.post("/login/", {"username": user.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    assert token_call(client, user.username, PASSWORD).status_code == 429


def test_success_before_the_fifth_failure_resets_the_count(tree, client):
    user = tree.users["school1"]
    for _ in range(4):
        token_call(client, user.username, "wrong")
    assert token_call(client, user.username, PASSWORD).status_code == 200
    for _ in range(4):
        assert token_call(client, user.username, "wrong").status_code == 401
    assert token_call(client, user.username, PASSWORD).status_code == 200


def test_organisation_endpoints_hide_other_subtrees(tree, api):
    lao_user = tree.users["lao1"]
    r = api.get("/api/v1/organisations/1050100001", lao_user)
    assert r.status_code == 200 and r.json()["kind"] == "school"
    r = api.get("/api/v1/organisations/1050300001", lao_user)  # a school of another LAO
    assert r.status_code == 404 and r.json() == {"detail": "ไม่พบข้อมูล", "code": "not_found"}
    assert api.get("/api/v1/organisations/nope", lao_user).json()["code"] == "not_found"
    kids = api.get("/api/v1/organisations/5010101/children", lao_user).json()
    assert {k["code"] for k in kids} == {"1050100001", "1050100002", "2050100001", "9050100001"}
    kids = api.get("/api/v1/organisations/5010101/children?kind=other_school", lao_user).json()
    assert [k["code"] for k in kids] == ["9050100001"]
    r = api.get("/api/v1/organisations/5010101/children?kind=castle", lao_user)
    assert r.status_code == 400 and "kind" in r.json()["errors"]


def test_unauthenticated_and_unknown_routes_answer_json(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    r = client.get("/api/v1/no/such/route")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_malformed_body_is_a_400_with_dotted_errors_in_the_callers_language(client):
    r = client.post("/api/v1/auth/token", data={"username": 5}, content_type="application/json",
                    HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid" and body["errors"]["password"] == ["This field is required."]


def test_openapi_declares_error_responses(client):
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/organisations/{code}"]["get"]
    assert {"200", "401", "403", "404"} <= set(op["responses"])
