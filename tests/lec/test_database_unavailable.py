"""While the database is away (a restart, a failover), requests fail fast and say so: 503 with Retry-After, JSON
under /api/v1, a page that needs no database elsewhere — not a bare 500 a client cannot tell from a bug."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client


def _down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


@pytest.mark.django_db
def test_an_api_call_while_the_database_is_away_is_a_retryable_503(tree, api, monkeypatch):
    token = api.token(tree.users["school1"])
    monkeypatch.setattr("lec.api.token_user", _down)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"


@pytest.mark.django_db
def test_a_page_while_the_database_is_away_is_a_retryable_503_without_a_traceback(monkeypatch):
    monkeypatch.setattr(SessionStore, "load", _down)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "ลองใหม่" in response.content.decode() or "Try again" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_any_other_server_error_stays_a_500(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionStore, "load", broken)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/")
    assert response.status_code == 500
    assert "Retry-After" not in response
