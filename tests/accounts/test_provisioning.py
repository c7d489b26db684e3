"""provision_users (api.md): creation with default grants, moves, 0600 password file, bad rows."""

import csv
import os
import stat

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts import policy
from accounts.models import User

pytestmark = pytest.mark.django_db
HEADER = "username,organisation_code,email,first_name,last_name\n"


def run(tmp_path, text, *extra):
    src = tmp_path / "users.csv"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "passwords.csv"
    try:
        with translation.override("en"):
            call_command("provision_users", str(src), "--passwords-out", str(out), *extra)
    except SystemExit as exc:
        return exc.code, out
    return 0, out


def read(out):
    with open(out, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_creates_users_with_default_grants_and_a_private_password_file(tree, tmp_path, client):
    code, out = run(
        tmp_path, HEADER + "clerk1,1050100001,clerk1@example.invalid,สมศรี,ใจดี\nlao_a,5010101,,,\n"
    )
    assert code == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = read(out)
    assert [r["username"] for r in rows] == ["clerk1", "lao_a"]
    assert all(len(r["password"]) >= 12 for r in rows)
    clerk = User.objects.get(username="clerk1")
    assert clerk.organisation == tree.school1 and clerk.must_change_password
    assert policy.can(clerk, "edit_learners", tree.school1)
    assert not policy.can(clerk, "view_subtree", tree.school2)
    # the browser asks for a new password first
    r = client.post("/login/", {"username": "clerk1", "password": rows[0]["password"]})
    assert r.status_code == 302
    assert client.get("/").url == "/password/"


def test_existing_user_is_moved_and_keeps_password_unless_reset(tree, tmp_path):
    run(tmp_path, HEADER + "clerk1,1050100001,,,\n")
    old_hash = User.objects.get(username="clerk1").password
    code, out = run(tmp_path, HEADER + "clerk1,5010101,new@example.invalid,,\n")
    assert code == 0 and read(out) == []  # truncated anew: nobody created this run
    clerk = User.objects.get(username="clerk1")
    assert (
        clerk.organisation == tree.lao1
        and clerk.password == old_hash
        and clerk.email == "new@example.invalid"
    )
    assert policy.can(clerk, "unlock_children", tree.school1)
    assert not policy.can(clerk, "edit_learners", tree.school1)  # LAO defaults replaced the school ones
    code, out = run(tmp_path, HEADER + "clerk1,5010101,,,\n", "--reset-passwords")
    assert [r["username"] for r in read(out)] == ["clerk1"]
    assert User.objects.get(username="clerk1").password != old_hash


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x1,NOPE,,,", "unknown organisation_code NOPE"),
        ("x1,9050100001,,,", "other-affiliation schools have no users"),
        ("x1,1050100001,not-an-email,,", "not a valid address"),
        ("bad name!,1050100001,,,", "username may contain only"),
    ],
)
def test_bad_rows_write_nothing(tree, tmp_path, capsys, row, message):
    code, out = run(tmp_path, HEADER + "good1,1050100001,,,\n" + row + "\n")
    assert code == 1
    err = capsys.readouterr().err
    assert "line 3: " in err and message in err
    assert not User.objects.filter(username__in=["good1", "x1"]).exists()


def test_windows_874_file_is_accepted_like_the_learner_import(tree, tmp_path):
    src = tmp_path / "users.csv"
    src.write_bytes((HEADER + "clerk7,1050100001,,สมศรี,ใจดี\n").encode("cp874"))
    out = tmp_path / "passwords.csv"
    with translation.override("en"):
        call_command("provision_users", str(src), "--passwords-out", str(out))
    clerk = User.objects.get(username="clerk7")
    assert (clerk.first_name, clerk.last_name, clerk.organisation) == ("สมศรี", "ใจดี", tree.school1)
    assert [r["username"] for r in read(out)] == ["clerk7"]


def test_a_missing_column_is_refused_before_anything_is_written(tree, tmp_path, capsys):
    code, _ = run(tmp_path, "username,organisation_code\nclerk8,1050100001\n")
    assert code == 1 and "line 1: missing columns: email, first_name, last_name" in capsys.readouterr().err
    assert not User.objects.filter(username="clerk8").exists()
