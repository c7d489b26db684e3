"""Issue 12 hole 1: account takeover through provisioning, replayed as the attack, and the append-only audit log."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import translation

from accounts.models import AuditLog, User
from tests.conftest import require_postgres
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
HEADER = "username,organisation_code,email,first_name,last_name\n"


def upload(text):
    return SimpleUploadedFile("users.csv", text.encode("utf-8"), content_type="text/csv")


def signed_in(client, user):
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def root(db):
    return User.objects.create_superuser("root", "root@example.invalid", PASSWORD)


def snapshot():
    return {u.username: (u.password, u.organisation_id, u.email) for u in User.objects.all()}


def test_department_officer_cannot_take_over_the_superuser(tree, client, root):
    """The review's attack: a CSV naming the superuser with "reset passwords", then passwords.csv."""
    signed_in(client, tree.users["dept"])
    before, audit_before = snapshot(), AuditLog.objects.filter(action="provision_users").count()
    r = client.post("/manage/users/", {
        "file": upload(HEADER + "root,1050100001,evil@example.invalid,,\nnewclerk,1050100001,,,\n"),
        "reset_passwords": "1", "current_password": PASSWORD,
    })  # fmt: skip
    assert r.status_code == 200 and "root" in r.content.decode()
    assert snapshot() == before  # nothing written: not the superuser, not the new clerk on the same file
    assert AuditLog.objects.filter(action="provision_users").count() == audit_before
    assert client.post("/manage/users/passwords.csv").status_code == 302  # no password to download
    assert User.objects.get(username="root").check_password(PASSWORD)


@pytest.mark.parametrize("target", ["dept_peer", "dept_self", "staff"])
def test_accounts_at_or_above_the_uploaders_level_and_staff_are_refused(tree, client, target):
    if target == "dept_peer":
        victim = UserFactory(username="dept_peer", organisation=tree.dept)
    elif target == "staff":
        victim = UserFactory(username="staffer", organisation=tree.school2, is_staff=True)
    else:
        victim = tree.users["dept"]
    signed_in(client, tree.users["dept"])
    victim.refresh_from_db()
    old = victim.password
    client.post("/manage/users/", {"file": upload(HEADER + f"{victim.username},1050100001,,,\n"),
                                   "reset_passwords": "1", "current_password": PASSWORD})  # fmt: skip
    victim.refresh_from_db()
    assert victim.password == old and victim.organisation_id != tree.school1.pk


def test_an_officer_cannot_move_an_account_up_to_their_own_level(tree, client):
    signed_in(client, tree.users["dept"])
    r = client.post("/manage/users/", {"file": upload(HEADER + "u_school1,DLA,,,\n")})
    assert r.status_code == 200
    assert User.objects.get(username="u_school1").organisation == tree.school1


def test_reset_needs_the_officers_own_password(tree, client):
    signed_in(client, tree.users["dept"])
    clerk = tree.users["school1"]
    old = clerk.password
    for wrong in ("", "not-my-password"):
        r = client.post("/manage/users/", {"file": upload(HEADER + "u_school1,1050100001,,,\n"),
                                           "reset_passwords": "1", "current_password": wrong})  # fmt: skip
        assert r.status_code == 200
    clerk.refresh_from_db()
    assert clerk.password == old
    r = client.post("/manage/users/", {"file": upload(HEADER + "u_school1,1050100001,,,\n"),
                                       "reset_passwords": "1", "current_password": PASSWORD})  # fmt: skip
    assert r.status_code == 302
    clerk.refresh_from_db()
    assert clerk.password != old and clerk.must_change_password


def test_the_audit_row_names_every_account_created_moved_and_reset(tree, client):
    signed_in(client, tree.users["dept"])
    csv_text = HEADER + "fresh1,1050100001,,,\nu_school1,1050100002,,,\nu_school2,1050100002,,,\n"
    r = client.post("/manage/users/", {"file": upload(csv_text), "reset_passwords": "1",
                                       "current_password": PASSWORD})  # fmt: skip
    assert r.status_code == 302
    row = AuditLog.objects.get(action="provision_users")
    assert row.username == "u_dept" and row.detail["source"] == "page"
    assert row.detail["created"] == ["fresh1"]
    assert row.detail["moved"] == ["u_school1"]
    assert row.detail["reset"] == ["u_school1", "u_school2"]
    got = client.post("/manage/users/passwords.csv")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert {r["username"] for r in rows} == {"fresh1", "u_school1", "u_school2"}
    assert AuditLog.objects.filter(action="download_passwords", username="u_dept").exists()


def test_the_command_refuses_superusers_and_staff_and_writes_no_password_line(tree, tmp_path, root):
    src = tmp_path / "users.csv"
    src.write_text(HEADER + "root,1050100001,,,\nnewbie,1050100001,,,\n", encoding="utf-8")
    out = tmp_path / "passwords.csv"
    with translation.override("en"), pytest.raises(SystemExit) as exc:
        call_command("provision_users", str(src), "--passwords-out", str(out), "--reset-passwords")
    assert exc.value.code == 1
    assert not out.exists()
    root.refresh_from_db()
    assert root.organisation is None and root.check_password(PASSWORD)
    assert not User.objects.filter(username="newbie").exists()


def test_the_command_on_behalf_of_an_officer_applies_their_level(tree, tmp_path):
    src = tmp_path / "users.csv"
    src.write_text(HEADER + "u_p2,1050100001,,,\n", encoding="utf-8")
    out = tmp_path / "passwords.csv"
    with translation.override("en"), pytest.raises(SystemExit):
        call_command("provision_users", str(src), "--passwords-out", str(out), "--acting-user", "u_p1")
    assert User.objects.get(username="u_p2").organisation == tree.p2


def test_the_admin_offers_no_delete_of_audit_rows(tree, root, client):
    row = AuditLog.objects.create(action="export_learners", username="someone")
    client.force_login(root)
    assert client.get(f"/admin/accounts/auditlog/{row.pk}/delete/").status_code == 403
    assert client.post(
        "/admin/accounts/auditlog/", {"action": "delete_selected", "_selected_action": [row.pk]}
    ).status_code in (200, 302)
    assert AuditLog.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres
def test_the_database_refuses_delete_and_update_of_audit_rows(tree):
    require_postgres()
    row = AuditLog.objects.create(action="export_learners", username="someone", organisation=tree.school1)
    for attempt in (
        lambda: AuditLog.objects.filter(pk=row.pk).delete(),
        lambda: AuditLog.objects.filter(pk=row.pk).update(action="nothing"),
        lambda: AuditLog.objects.filter(pk=row.pk).update(username="someone-else"),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AuditLog.objects.get(pk=row.pk).action == "export_learners"


@pytest.mark.postgres
def test_deleting_a_user_keeps_their_audit_rows_and_name(tree):
    require_postgres()
    victim = UserFactory(username="leaver", organisation=tree.school1)
    AuditLog.objects.create(action="export_learners", user=victim, username="leaver")
    victim.delete()
    row = AuditLog.objects.get(username="leaver")
    assert row.user_id is None and row.action == "export_learners"
