"""The department loads organisations in the browser (/manage/organisations/); nobody else may."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from schools.models import Organisation
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302


def upload(text, name="f.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


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


def test_a_windows_874_file_loads_like_the_learner_import(tree, client):
    login(client, tree.users["dept"])
    f = upload(ORG_HEADER + "5099996,lao,อบต.ทดสอบ,,50,sao,\n", encoding="cp874")
    assert client.post("/manage/organisations/", {"file": f}).status_code == 302
    assert Organisation.objects.get(code="5099996").name_th == "อบต.ทดสอบ"


def test_a_file_in_another_encoding_is_refused_with_a_message(tree, client):
    login(client, tree.users["dept"])
    f = upload(ORG_HEADER + "X,lao,อบต.,,50,sao,\n", encoding="utf-16")
    page = client.post("/manage/organisations/", {"file": f}).content.decode()
    assert "UTF-8" in page and not Organisation.objects.filter(code="X").exists()


def test_a_missing_file_is_asked_for(tree, client):
    login(client, tree.users["dept"])
    page = client.post("/manage/organisations/", {}).content.decode()
    assert "มีข้อผิดพลาด" in page and not Organisation.objects.filter(code="X").exists()


@pytest.mark.parametrize("role", ["p1", "lao1", "school1"])
def test_other_roles_may_not_load_organisations(tree, client, role):
    login(client, tree.users[role])
    assert client.get("/manage/organisations/").status_code == 403
