"""Issue 14 point 1: once an institution has confirmed, every learner page says so with the reason and a link to
ask for an unlock, the edit controls are gone, and a refusal that still happens keeps what was typed."""

import pytest

from confirmations.models import UnlockRequest
from students.models import Learner
from tests.confirmations.conftest import confirm
from tests.factories import make_learner
from tests.students.test_pages import form_data

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_every_learner_page_of_a_locked_institution_says_why_and_offers_no_edits(tree, client, rnd):
    learner = make_learner(tree.school1)
    confirm(tree, rnd, "school1")
    login(client, tree.users["school1"])
    code = tree.school1.code
    pages = [f"/o/{code}/learners/", f"/learners/{learner.pk}/", f"/o/{code}/import/", f"/o/{code}/transfers/",
             f"/o/{code}/learners/add/", f"/learners/{learner.pk}/edit/", f"/learners/{learner.pk}/leave/"]  # fmt: skip
    for url in pages:
        html = client.get(url).content.decode()
        assert 'data-testid="lock-notice"' in html, url
        assert "ข้อมูลถูกล็อกแล้ว" in html and rnd.name in html, url  # what is locked, and by which round
        assert f'href="/confirm/{code}/request/"' in html, url  # the way out is one click away
    roster = client.get(f"/o/{code}/learners/").content.decode()
    assert f"/o/{code}/learners/add/" not in roster and f"/o/{code}/promotion/" not in roster
    detail = client.get(f"/learners/{learner.pk}/").content.decode()
    assert f"/learners/{learner.pk}/edit/" not in detail and f"/learners/{learner.pk}/leave/" not in detail
    assert 'enctype="multipart/form-data"' not in client.get(f"/o/{code}/import/").content.decode()
    assert f"/o/{code}/transfers/request/" not in client.get(f"/o/{code}/transfers/").content.decode()
    home = client.get(f"/o/{code}/").content.decode()
    assert f"/o/{code}/learners/add/" not in home and f"/o/{code}/import/" not in home


def test_unlocked_pages_show_no_lock_notice(tree, client, rnd):
    html = login(client, tree.users["school1"]).get(f"/o/{tree.school1.code}/learners/").content.decode()
    assert 'data-testid="lock-notice"' not in html and f"/o/{tree.school1.code}/learners/add/" in html


def test_a_refused_add_comes_back_filled_with_the_error_summary(tree, client, rnd):
    login(client, tree.users["school1"])
    confirm(tree, rnd, "school1")  # locked between opening the form and sending it
    r = client.post(f"/o/{tree.school1.code}/learners/add/", form_data(first_name="มะลิวัลย์", room="ห้องเจ็ด"))
    html = r.content.decode()
    assert r.status_code == 200 and "มีข้อผิดพลาด" in html and "ยืนยันข้อมูล" in html
    assert 'value="มะลิวัลย์"' in html and 'value="ห้องเจ็ด"' in html
    assert not Learner.objects.exists()


def test_a_refused_edit_keeps_the_typed_values(tree, client, rnd):
    learner = make_learner(tree.school1)
    login(client, tree.users["school1"])
    confirm(tree, rnd, "school1")
    data = form_data(identity=learner.national_id, prefix="เด็กชาย", first_name="ชื่อที่พิมพ์ใหม่", version=1)
    r = client.post(f"/learners/{learner.pk}/edit/", data)
    html = r.content.decode()
    assert r.status_code == 200 and "มีข้อผิดพลาด" in html and 'value="ชื่อที่พิมพ์ใหม่"' in html
    assert Learner.objects.get(pk=learner.pk).first_name != "ชื่อที่พิมพ์ใหม่"


def test_the_unlock_request_page_answers_at_the_field_then_sends(tree, client, rnd):
    confirm(tree, rnd, "school1")
    login(client, tree.users["school1"])
    url = f"/confirm/{tree.school1.code}/request/"
    assert client.get(url).status_code == 200
    r = client.post(url, {"round": rnd.pk, "scope": "learners", "reason": ""})
    html = r.content.decode()
    assert r.status_code == 400 and 'id="id_reason_error"' in html and "มีข้อผิดพลาด" in html
    r = client.post(url, {"round": rnd.pk, "scope": "learners", "reason": "ป.1 บันทึกซ้ำสองคน"})
    assert r.status_code == 302 and UnlockRequest.objects.get().reason == "ป.1 บันทึกซ้ำสองคน"
    roster = client.get(f"/o/{tree.school1.code}/learners/").content.decode()
    assert "รอ อปท. พิจารณา" in roster and f'href="{url}"' not in roster  # asked once, the page says so
