"""Two-factor sign-in (issue 12, ASVS L2): who must enrol, enrolment with a QR code, the code after the password,
recovery codes, the lockout, the admin behind it, the administrator's audited reset, and the API (api.md)."""

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditLog, User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(settings):
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    cache.clear()
    settings.LEC_REQUIRE_2FA = True


def code(device, steps=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def allow_reuse(user):
    """django-otp refuses a code already used (its time step); tests sign in again within the same 30 s."""
    TOTPDevice.objects.filter(user=user).update(last_t=-1, throttling_failure_count=0)


def sign_in(username, password=PASSWORD):
    c = Client()
    assert c.post("/login/", {"username": username, "password": password}).status_code == 302
    return c


def enrol(c, user):
    page = c.get("/account/two-factor/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'id="otp-secret"' in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key  # the key shown as text
    r = c.post("/account/two-factor/", {"code": code(device)})
    assert r.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", r.content.decode())
    assert len(codes) == 10
    return TOTPDevice.objects.get(user=user, confirmed=True), codes


@pytest.mark.parametrize("role", ["dept", "p1"])
def test_officers_must_enrol_before_anything_else(tree, role):
    user = tree.users[role]
    c = sign_in(user.username)
    assert c.get("/").url == "/account/two-factor/"
    assert c.get(f"/o/{user.organisation.code}/").url == "/account/two-factor/"
    assert c.get("/api/v1/me").status_code == 401  # the session cannot go round it through the API
    device, _codes = enrol(c, user)
    assert c.get(f"/o/{user.organisation.code}/").status_code == 200
    assert AuditLog.objects.filter(action="2fa_enrol", username=user.username).exists()


def test_staff_and_the_admin_are_behind_it_too(tree):
    root = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    c = sign_in("root")
    assert c.get("/admin/").url == "/account/two-factor/"
    enrol(c, root)
    assert c.get("/admin/").status_code == 200


def test_institution_and_lao_users_are_not_forced_and_nobody_is_with_the_switch_off(tree, settings):
    for role in ("school1", "lao1"):
        assert sign_in(tree.users[role].username).get("/account/").status_code == 200
    settings.LEC_REQUIRE_2FA = False
    assert sign_in(tree.users["dept"].username).get("/account/").status_code == 200


def test_the_code_is_asked_after_the_password_and_a_recovery_code_works_once(tree):
    user = tree.users["school1"]  # optional for an institution, but once enrolled it is asked
    device, codes = enrol(sign_in(user.username), user)
    c = sign_in(user.username)
    assert c.get("/").url == "/account/two-factor/code/"
    assert c.get("/account/").url == "/account/two-factor/code/"
    allow_reuse(user)
    assert c.post("/account/two-factor/code/", {"code": code(device)}).status_code == 302
    assert c.get("/account/").status_code == 200
    c2 = sign_in(user.username)
    assert c2.post("/account/two-factor/code/", {"code": codes[0]}).status_code == 302
    assert c2.get("/account/").status_code == 200
    c3 = sign_in(user.username)
    r = c3.post("/account/two-factor/code/", {"code": codes[0]})  # used up
    assert r.status_code == 200 and c3.get("/account/").url == "/account/two-factor/code/"


def test_wrong_codes_count_toward_the_lockout(tree):
    user = tree.users["school2"]
    enrol(sign_in(user.username), user)
    c = sign_in(user.username)
    statuses = [c.post("/account/two-factor/code/", {"code": "000000"}).status_code for _ in range(6)]
    assert statuses[-1] in (403, 429)  # locked out: axes counted the wrong codes
    assert Client().post("/login/", {"username": user.username, "password": PASSWORD}).status_code != 302


def test_an_administrator_resets_a_lost_device_and_it_is_audited(tree):
    user = tree.users["p1"]
    enrol(sign_in(user.username), user)
    root = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    boss = Client()
    boss.force_login(root)
    boss.get("/")  # the administrator has no device yet: enrol first (LEC_REQUIRE_2FA)
    enrol(boss, root)
    r = boss.post("/admin/accounts/user/", {"action": "reset_second_factor", "_selected_action": [user.pk]})
    assert r.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    row = AuditLog.objects.get(action="2fa_reset")
    assert row.username == "root" and row.object_ref == user.username
    assert sign_in(user.username).get("/").url == "/account/two-factor/"  # enrols again


def token_call(c, username, otp=None, password=PASSWORD):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return c.post("/api/v1/auth/token", data=body, content_type="application/json", REMOTE_ADDR="10.2.0.1")


def test_the_api_asks_for_the_code_once_a_device_is_confirmed(tree, client):
    user = tree.users["lao1"]
    assert token_call(client, user.username).status_code == 200  # no device yet: password alone
    device, codes = enrol(sign_in(user.username), user)
    r = token_call(client, user.username)
    assert r.status_code == 401 and r.json()["code"] == "otp_required"
    allow_reuse(user)
    assert token_call(client, user.username, otp=code(device)).status_code == 200
    assert token_call(client, user.username, otp=codes[1]).status_code == 200
    assert token_call(client, user.username, otp=codes[1]).status_code == 401  # a recovery code works once


def test_a_wrong_api_code_counts_as_a_failure_for_the_lockout(tree, client):
    user = tree.users["school4"]
    device, _codes = enrol(sign_in(user.username), user)
    for _ in range(5):
        r = token_call(client, user.username, otp="123456")
        assert r.status_code == 401 and r.json()["code"] == "not_authenticated"
    allow_reuse(user)
    r = token_call(client, user.username, otp=code(device))
    assert r.status_code == 429 and int(r["Retry-After"]) == 1800


def test_a_device_is_asked_for_in_the_admin_and_the_api_even_with_the_switch_off(tree, settings):
    root = User.objects.create_superuser("root", "root@example.invalid", PASSWORD)
    enrol(sign_in("root"), root)
    settings.LEC_REQUIRE_2FA = False
    c = sign_in("root")  # the password alone
    assert c.get("/admin/").url == "/account/two-factor/code/"
    assert c.get("/admin/accounts/auditlog/").url == "/account/two-factor/code/"
    r = c.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "not_authenticated"


def test_the_gate_costs_no_query_for_a_user_without_a_device(tree):
    """The flag on the user row answers "has a device?" (issue 16): no device table is read per page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = Client()
    c.force_login(tree.users["school1"])
    assert c.get("/").status_code in (200, 302)
    with CaptureQueriesContext(connection) as queries:
        assert c.get("/").status_code in (200, 302)
    assert not [q["sql"] for q in queries if "otp_" in q["sql"]]


def test_a_device_confirmed_in_another_session_is_asked_for_in_this_one(tree):
    user = tree.users["lao1"]
    before = sign_in(user.username)
    landing = before.get("/").url
    assert "two-factor" not in landing  # no device: the password alone
    enrol(sign_in(user.username), user)  # a second browser
    user.refresh_from_db()
    assert user.has_second_factor
    assert before.get("/").url == "/account/two-factor/code/"
    TOTPDevice.objects.filter(user=user).delete()  # e.g. deleted in django-otp's own admin
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.filter(user=user).delete()
    user.refresh_from_db()
    assert not user.has_second_factor
    assert before.get("/").url == landing


def test_users_who_enrolled_before_the_flag_keep_their_second_factor(tree):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0004_user_has_second_factor")
    user = tree.users["p1"]
    enrol(sign_in(user.username), user)
    User.objects.filter(pk=user.pk).update(has_second_factor=False)  # as it was before the migration
    migration.flag_users_with_devices(apps, None)
    user.refresh_from_db()
    assert user.has_second_factor
    assert sign_in(user.username).get("/").url == "/account/two-factor/code/"
