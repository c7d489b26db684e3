"""Issue 12 hole 7: tokens and other sessions no longer outlive a password change or reset; sign out everywhere
for the user and for an administrator; all audited."""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import AuditLog, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-new-long-passphrase-2569"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()


def token_for(client, username, password=PASSWORD):
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password},
                    content_type="application/json")  # fmt: skip
    assert r.status_code == 200, r.content
    return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}


def browser(username, password=PASSWORD):
    c = Client()
    assert c.post("/login/", {"username": username, "password": password}).status_code == 302
    assert c.get("/account/").status_code == 200
    return c


def test_a_password_change_revokes_tokens_and_other_sessions_but_keeps_this_one(tree, client):
    user = tree.users["lao1"]
    auth = token_for(client, user.username)
    other = browser(user.username)
    me = browser(user.username)
    r = me.post("/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                               "new_password2": NEW_PASSWORD})  # fmt: skip
    assert r.status_code == 302
    assert client.get("/api/v1/me", **auth).status_code == 401  # the stolen token is dead
    assert other.get("/account/").status_code == 302  # the other browser is signed out
    assert me.get("/account/").status_code == 200  # this one stays
    row = AuditLog.objects.get(action="password_change")
    assert row.username == user.username and row.detail["tokens_revoked"] == 1


def test_sign_out_everywhere_from_the_account_page(tree, client):
    user = tree.users["school1"]
    auth = token_for(client, user.username)
    other = browser(user.username)
    me = browser(user.username)
    page = me.get("/account/").content.decode()
    assert "/account/sign-out-everywhere/" in page
    assert me.post("/account/sign-out-everywhere/").status_code == 302
    assert client.get("/api/v1/me", **auth).status_code == 401
    assert other.get("/account/").status_code == 302
    assert me.get("/account/").status_code == 200
    assert AuditLog.objects.filter(action="sign_out_everywhere", object_ref=user.username).exists()


def test_an_administrator_signs_a_user_out_everywhere(tree, client):
    admin = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    victim = tree.users["p1"]
    auth = token_for(client, victim.username)
    theirs = browser(victim.username)
    boss = Client()
    boss.force_login(admin)
    r = boss.post("/admin/accounts/user/", {"action": "sign_out_everywhere", "_selected_action": [victim.pk]})
    assert r.status_code == 302
    assert client.get("/api/v1/me", **auth).status_code == 401
    assert theirs.get("/account/").status_code == 302
    row = AuditLog.objects.get(action="sign_out_everywhere")
    assert row.username == "root" and row.object_ref == victim.username


def test_token_issue_and_revoke_are_audited(tree, client):
    user = tree.users["school2"]
    auth = token_for(client, user.username)
    assert client.delete("/api/v1/auth/token", **auth).status_code == 204
    actions = list(AuditLog.objects.filter(username=user.username).values_list("action", flat=True))
    assert "token_issue" in actions and "token_revoke" in actions


def test_a_password_set_in_the_admin_revokes_the_users_tokens(tree, client):
    admin = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    victim = tree.users["lao2"]
    auth = token_for(client, victim.username)
    boss = Client()
    boss.force_login(admin)
    r = boss.post(f"/admin/accounts/user/{victim.pk}/password/",
                  {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})  # fmt: skip
    assert r.status_code == 302
    assert client.get("/api/v1/me", **auth).status_code == 401
