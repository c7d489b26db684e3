"""Issue 12 hole 3 (second half): besides axes' username+address lockout, failures per address and everywhere
are limited, so spraying one password over many usernames is throttled; X-Forwarded-For is not believed
without a trusted proxy."""

import pytest
from django.core.cache import cache

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    cache.clear()
    yield
    cache.clear()


def token_call(client, username, password, ip="10.0.0.9", **extra):
    return client.post(
        "/api/v1/auth/token",
        data={"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
        **extra,
    )


def test_spraying_30_usernames_from_one_address_is_throttled(tree, client, settings):
    settings.LEC_LOGIN_ADDRESS_FAILURES = 20
    answers = [token_call(client, f"victim{i}", "Password123").status_code for i in range(30)]
    assert answers[:20] == [401] * 20  # each username failed once only: axes alone never locks
    assert set(answers[20:]) == {429}
    r = token_call(client, tree.users["school1"].username, PASSWORD)  # even the right password waits
    assert r.status_code == 429 and r.json()["code"] == "throttled" and 0 < int(r["Retry-After"]) <= 900
    assert token_call(client, tree.users["school1"].username, PASSWORD, ip="10.0.0.10").status_code == 200


def test_the_login_page_answers_429_in_thai_for_a_spraying_address(tree, client, settings):
    settings.LEC_LOGIN_ADDRESS_FAILURES = 20
    for i in range(20):
        client.post("/login/", {"username": f"victim{i}", "password": "Password123"}, REMOTE_ADDR="10.0.0.9")
    r = client.post("/login/", {"username": "u_school1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 429 and int(r["Retry-After"]) > 0
    assert "ลองใหม่" in r.content.decode()


def test_a_global_limit_throttles_spraying_from_many_addresses(tree, client, settings):
    settings.LEC_LOGIN_GLOBAL_FAILURES = 25
    answers = [token_call(client, f"victim{i}", "x", ip=f"10.1.{i}.1").status_code for i in range(30)]
    assert answers[:25] == [401] * 25 and set(answers[25:]) == {429}


def test_own_x_forwarded_for_does_not_change_the_address_without_a_trusted_proxy(tree, client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    user = tree.users["school1"]
    for i in range(5):
        r = token_call(client, user.username, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        assert r.status_code == 401
    r = token_call(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert r.status_code == 429  # the rotating header was not believed: the pair is locked


def test_with_one_trusted_proxy_only_the_hop_it_added_counts(tree, rf, settings):
    from lec.lib.net import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.5")
    assert client_ip(request) == "192.0.2.5"  # the client's own "6.6.6.6" is ignored
