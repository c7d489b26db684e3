"""Two-factor sign-in in the browser: a province officer must enrol (QR code and the key as text), keeps the
recovery codes, signs out, signs in with the app's code, then recovers with a recovery code; and a forgotten
password is reset by the e-mailed link."""

import base64
import re
import time

import pytest
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def app_code(secret_text: str, steps: int = 0) -> str:
    """What an authenticator app shows for the key typed from the page (RFC 6238, 30 s, 6 digits)."""
    raw = secret_text.replace(" ", "")
    key = base64.b32decode(raw + "=" * (-len(raw) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def sign_out(page):
    page.get_by_role("button", name="ออกจากระบบ").click()
    page.wait_for_url("**/login/")


def test_enrol_sign_in_with_a_code_and_recover_with_a_recovery_code(page, tree, settings):
    settings.LEC_REQUIRE_2FA = True
    officer = tree.users["p1"]
    login(page, officer.username, PASSWORD)
    page.wait_for_url("**/account/two-factor/")
    assert page.locator("#otp-qr svg").is_visible()  # the QR code
    secret = page.locator("#otp-secret").inner_text()
    shot(page, "two-factor-enrol")
    page.get_by_label("รหัสจากแอป").fill(app_code(secret))
    page.get_by_role("button", name="ยืนยัน").click()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    shot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="เก็บรหัสแล้ว ดำเนินการต่อ").click()
    page.wait_for_url("**/o/50/")
    sign_out(page)

    login(page, officer.username, PASSWORD)
    page.wait_for_url("**/account/two-factor/code/")
    page.goto(page.base + "/o/50/")  # nothing before the code
    assert page.url.endswith("/account/two-factor/code/")
    # the next 30 s step: enrolment used this one, and django-otp accepts one step of drift
    page.get_by_label("รหัส", exact=True).fill(app_code(secret, steps=1))
    page.get_by_role("button", name="ดำเนินการต่อ").click()
    page.wait_for_url("**/o/50/")
    sign_out(page)

    login(page, officer.username, PASSWORD)
    page.wait_for_url("**/account/two-factor/code/")
    page.get_by_label("รหัส", exact=True).fill(codes[0])
    page.get_by_role("button", name="ดำเนินการต่อ").click()
    page.wait_for_url("**/o/50/")
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).count() == 1
    page.goto(page.base + "/account/")
    assert "การยืนยันตัวตนสองขั้นตอน" in page.content()
    shot(page, "account-page")


def test_forgotten_password_by_email_link(page, tree):
    clerk = tree.users["school1"]
    clerk.email = "clerk@example.invalid"
    clerk.save()
    page.goto(page.base + "/login/")
    page.get_by_role("link", name="ลืมรหัสผ่าน?").click()
    page.get_by_label("อีเมล").fill("clerk@example.invalid")
    page.get_by_role("button", name="ส่งลิงก์").click()
    page.wait_for_url("**/password/reset/sent/")
    link = re.search(r"https?://\S+/password/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.get_by_label("รหัสผ่านใหม่", exact=True).fill("a-brand-new-passphrase-2569")
    page.get_by_label("ยืนยันการตั้งรหัสผ่านใหม่").fill("a-brand-new-passphrase-2569")
    page.get_by_role("button", name="บันทึกรหัสผ่าน").click()
    page.wait_for_url("**/password/reset/complete/")
    login(page, clerk.username, "a-brand-new-passphrase-2569")
    page.wait_for_url("**/o/1050100001/")
