"""Forgotten password by e-mail (one-hour single-use links, no user enumeration) and an LAO officer's reset of
its own institutions' accounts (one-time password shown once, forced change, audited, never outside or above)."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import AuditLog, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "another-long-passphrase-2569"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()


def test_the_same_answer_for_a_known_and_an_unknown_address(tree, client):
    user = tree.users["school1"]
    user.email = "clerk@example.invalid"
    user.save()
    known = client.post("/password/reset/", {"email": "clerk@example.invalid"})
    unknown = client.post("/password/reset/", {"email": "nobody@example.invalid"})
    assert known.status_code == unknown.status_code == 302 and known.url == unknown.url
    a, b = client.get(known.url), client.get(unknown.url)
    assert a.status_code == b.status_code == 200 and [t.name for t in a.templates] == [
        t.name for t in b.templates
    ]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["clerk@example.invalid"]
    assert AuditLog.objects.filter(action="password_reset_request").count() == 2


def test_the_link_works_once_and_ends_every_token(tree, client, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    user = tree.users["lao1"]
    user.email = "lao@example.invalid"
    user.save()
    token = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD},
                        content_type="application/json").json()["token"]  # fmt: skip
    client.post("/password/reset/", {"email": "lao@example.invalid"})
    link = re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    browser = Client()
    form_url = browser.get(link).url  # Django moves the token into the session
    r = browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert r.status_code == 302 and r.url == "/password/reset/complete/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    again = Client().get(link, follow=True)
    assert "new_password1" not in again.content.decode()  # used once: the link is dead
    assert AuditLog.objects.filter(action="password_reset_done", username=user.username).exists()


def test_the_login_page_links_to_the_reset(client):
    assert "/password/reset/" in client.get("/login/").content.decode()


def sign_in(user):
    c = Client()
    assert c.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return c


def test_an_lao_officer_resets_its_institutions_account(tree):
    officer, clerk = tree.users["lao1"], tree.users["school1"]
    c = sign_in(officer)
    listing = c.get("/account/resets/").content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert "u_school1" in listing and "u_cdc1" in listing
    assert "u_school3" not in listing and "u_lao2" not in listing and "u_lao1" not in listing
    r = c.post("/account/resets/u_school1/")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    password = re.search(r'id="one-time-password">([A-Za-z0-9]+)<', r.content.decode()).group(1)
    clerk.refresh_from_db()
    assert clerk.check_password(password) and clerk.must_change_password
    c2 = Client()
    assert c2.post("/login/", {"username": clerk.username, "password": password}).status_code == 302
    assert c2.get("/").url == "/password/"  # forced change at next sign-in
    row = AuditLog.objects.get(action="password_reset_by_officer")
    assert row.username == "u_lao1" and row.object_ref == "u_school1" and row.organisation == tree.school1


@pytest.mark.parametrize("target", ["u_school3", "u_lao2", "u_p1", "staffer", "u_lao1"])
def test_never_outside_the_subtree_or_at_or_above_the_officers_level(tree, target):
    UserFactory(username="staffer", organisation=tree.school2, is_staff=True)
    c = sign_in(tree.users["lao1"])
    before = User.objects.get(username=target).password
    assert c.post(f"/account/resets/{target}/").status_code == 404
    assert User.objects.get(username=target).password == before


def test_an_institution_user_resets_nobody(tree):
    c = sign_in(tree.users["school1"])
    assert c.post("/account/resets/u_school2/").status_code == 404


def test_the_audit_trail_page_shows_the_subtree_only_with_thai_labels_and_no_national_ids(tree):
    from accounts.services import audit

    audit(acting_user=tree.users["school1"], action="learner_view", organisation=tree.school1,
          object_ref="1101700203451")  # fmt: skip
    audit(acting_user=tree.users["school3"], action="export_learners", organisation=tree.school3)
    c = sign_in(tree.users["lao1"])
    html = c.get("/account/audit/").content.decode().split("<tbody>")[1].split("</tbody>")[0]
    assert "u_school1" in html and "1101700203451" not in html and "[id]" in html
    assert "u_school3" not in html  # lao2's school: outside lao1
    assert "learner_view" not in html and "ดูข้อมูลนักเรียน" in html  # the Thai label, not the code
    filtered = c.get("/account/audit/?action=export_learners").content.decode()
    assert "u_school1" not in filtered.split("<tbody>")[1]


def test_rounds_and_the_command_line_organisation_load_are_audited(tree, tmp_path):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from confirmations.rounds import round_close, round_create, round_open

    dept = tree.users["dept"]
    now = timezone.now()
    round_ = round_create(acting_user=dept, academic_year=2569, term=1, census_date=now.date(),
                          opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=9))  # fmt: skip
    round_open(acting_user=dept, round_id=round_.pk)
    round_close(acting_user=dept, round_id=round_.pk)
    got = list(
        AuditLog.objects.filter(object_ref=str(round_.pk)).order_by("pk").values_list("action", "username")
    )
    assert got == [("round_create", "u_dept"), ("round_open", "u_dept"), ("round_close", "u_dept")]
    src = tmp_path / "orgs.csv"
    src.write_text("code,kind,name_th,name_en,parent_code,lao_type,affiliation\n"
                   "1050100077,school,โรงเรียนใหม่,,5010101,,\n", encoding="utf-8")  # fmt: skip
    call_command("load_organisations", str(src))
    row = AuditLog.objects.get(action="load_organisations")
    assert row.detail["source"] == "command" and row.detail["file"] == "orgs.csv"
