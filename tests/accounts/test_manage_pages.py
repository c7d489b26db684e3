"""The department provisions accounts in the browser (/manage/users/) and downloads the passwords once."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
USER_HEADER = "username,organisation_code,email,first_name,last_name\n"


def login(client, user):
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302


def upload(text, encoding="utf-8"):
    return SimpleUploadedFile("users.csv", text.encode(encoding), content_type="text/csv")


def test_department_provisions_users_and_downloads_passwords_once(tree, client):
    login(client, tree.users["dept"])
    assert (
        client.post(
            "/manage/users/", {"file": upload(USER_HEADER + "clerk9,1050100001,,สมชาย,ใจดี\n")}
        ).status_code
        == 302
    )
    assert User.objects.get(username="clerk9").organisation == tree.school1
    r = client.post("/manage/users/passwords.csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["username"] for row in rows] == ["clerk9"] and len(rows[0]["password"]) >= 12
    again = client.post("/manage/users/passwords.csv")
    assert again.status_code == 302  # shown once only


def test_a_windows_874_file_provisions_like_the_learner_import(tree, client):
    login(client, tree.users["dept"])
    f = upload(USER_HEADER + "clerk6,1050100001,,สมหญิง,รักดี\n", encoding="cp874")
    assert client.post("/manage/users/", {"file": f}).status_code == 302
    assert User.objects.get(username="clerk6").first_name == "สมหญิง"


def test_a_missing_column_is_shown_and_nobody_created(tree, client):
    login(client, tree.users["dept"])
    page = client.post("/manage/users/", {"file": upload("username\nclerk5\n")}).content.decode()
    assert "organisation_code" in page and not User.objects.filter(username="clerk5").exists()


@pytest.mark.parametrize("role", ["p1", "lao1", "school1"])
def test_other_roles_may_not_manage_users(tree, client, role):
    login(client, tree.users[role])
    assert client.get("/manage/users/").status_code == 403
    assert client.post("/manage/users/passwords.csv").status_code == 403


def test_initial_passwords_never_sit_in_the_session_table(tree, client):
    """Issue 12 hole 10: the session table lives for hours in PostgreSQL and its backups."""
    from django.contrib.sessions.models import Session

    login(client, tree.users["dept"])
    client.post("/manage/users/", {"file": upload(USER_HEADER + "clerk8,1050100001,,สมหญิง,ใจดี\n")})
    r = client.post("/manage/users/passwords.csv")
    password = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))[0]["password"]
    client.post("/manage/users/", {"file": upload(USER_HEADER + "clerk7,1050100001,,สมศรี,ใจดี\n")})
    stored = [s.get_decoded() for s in Session.objects.all()]
    assert stored and not any(password in str(data) for data in stored)
    assert not any(
        "clerk7" in str(data) for data in stored
    )  # the waiting download is not in the session either
    rows = list(
        csv.DictReader(io.StringIO(client.post("/manage/users/passwords.csv").content.decode("utf-8-sig")))
    )
    assert [row["username"] for row in rows] == ["clerk7"]
