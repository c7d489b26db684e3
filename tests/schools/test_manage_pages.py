"""The department loads organisations and provisions accounts in the browser; nobody else may."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from schools.models import Organisation
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302


def upload(text, name="f.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


ORG_HEADER = "code,kind,name_th,name_en,parent_code,lao_type,affiliation\n"


def test_department_loads_organisations(tree, client):
    login(client, tree.users["dept"])
    r = client.post("/manage/organisations/", {"file": upload(ORG_HEADER + "5099999,lao,อบต.ใหม่,,50,sao,\n")})
    assert r.status_code == 302
    assert Organisation.objects.get(code="5099999").path == "DLA/50/5099999"
    assert "สร้าง 1" in client.get(r.url).content.decode()


def test_a_bad_line_is_shown_and_nothing_saved(tree, client):
    login(client, tree.users["dept"])
    text = ORG_HEADER + "5099998,lao,อบต.ใหม่,,50,sao,\n5099997,lao,อบต.ผิด,,NOPE,sao,\n"
    page = client.post("/manage/organisations/", {"file": upload(text)}).content.decode()
    assert "มีข้อผิดพลาด" in page and "line 3: " in page and "NOPE" in page
    assert not Organisation.objects.filter(code__in=["5099998", "5099997"]).exists()


def test_a_non_utf8_file_is_refused_with_a_message(tree, client):
    login(client, tree.users["dept"])
    f = SimpleUploadedFile(
        "f.csv", (ORG_HEADER + "X,lao,อบต.,,50,sao,\n").encode("cp874"), content_type="text/csv"
    )
    page = client.post("/manage/organisations/", {"file": f}).content.decode()
    assert "UTF-8" in page and not Organisation.objects.filter(code="X").exists()


@pytest.mark.parametrize("role", ["p1", "lao1", "school1"])
def test_other_roles_may_not_manage(tree, client, role):
    login(client, tree.users[role])
    assert client.get("/manage/organisations/").status_code == 403
    assert client.get("/manage/users/").status_code == 403


def test_department_provisions_users_and_downloads_passwords_once(tree, client):
    login(client, tree.users["dept"])
    text = "username,organisation_code,email,first_name,last_name\nclerk9,1050100001,,สมชาย,ใจดี\n"
    assert client.post("/manage/users/", {"file": upload(text)}).status_code == 302
    assert User.objects.get(username="clerk9").organisation == tree.school1
    r = client.post("/manage/users/passwords.csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["username"] for row in rows] == ["clerk9"] and len(rows[0]["password"]) >= 12
    again = client.post("/manage/users/passwords.csv")
    assert again.status_code == 302  # shown once only
