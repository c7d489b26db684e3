"""A school clerk adds a learner with a Buddhist Era birth date, finds them in the roster, and is refused a
duplicate identity with the holder named (issue 3)."""

import datetime as dt

import pytest

from students.identity import make_national_id
from students.models import Learner
from students.services import learner_create
from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _be(d: dt.date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year + 543}"


def test_school_user_adds_finds_and_is_refused_a_duplicate(page, tree):
    today = dt.date.today()
    born = dt.date(today.year - 7, 3, 15)  # ป.2 age
    new_id = make_national_id("110170023071")
    held_id = make_national_id("310170023072")
    learner_create(
        organisation=tree.school2,
        data={
            "national_id": held_id,
            "prefix": "เด็กชาย",
            "first_name": "ทดสอบ",
            "last_name": "ที่อื่น",
            "birth_date": dt.date(today.year - 7, 1, 1),
            "class_level": "p2",
        },  # fmt: skip
        acting_user=None,
    )
    login(page, tree.users["school1"].username, PASSWORD)
    page.goto(page.base + f"/o/{tree.school1.code}/learners/")
    shot(page, "learners-roster-empty-1280")
    page.get_by_role("link", name="เพิ่มนักเรียน").first.click()
    page.get_by_label("เลขประจำตัวประชาชน หรือรหัส G").fill(
        f"{new_id[0]}-{new_id[1:5]}-{new_id[5:10]}-{new_id[10:12]}-{new_id[12]}"
    )
    page.locator("#id_prefix").select_option("เด็กหญิง")
    page.locator("#id_first_name").fill("มาลี")
    page.locator("#id_last_name").fill("ศรีสุข")
    page.get_by_label("วันเดือนปีเกิด").fill(_be(born))
    page.get_by_label("ระดับชั้น").select_option("p2")
    page.locator("#id_room").fill("1")
    shot(page, "learners-add-filled-1280")
    page.get_by_role("button", name="เพิ่มนักเรียน").click()
    page.wait_for_load_state()
    assert "เพิ่ม" in page.content() and "มาลี" in page.content()
    learner = Learner.objects.get(national_id=new_id)
    assert learner.birth_date == born and learner.gender == "female"

    page.goto(page.base + f"/o/{tree.school1.code}/learners/")
    page.get_by_label("ค้นหา", exact=True).fill("มาลี")
    page.get_by_role("button", name="แสดง").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="เด็กหญิงมาลี ศรีสุข").is_visible()
    shot(page, "learners-roster-found-1280")

    page.goto(page.base + f"/o/{tree.school1.code}/learners/add/")
    page.get_by_label("เลขประจำตัวประชาชน หรือรหัส G").fill(held_id)
    page.locator("#id_prefix").select_option("เด็กชาย")
    page.locator("#id_first_name").fill("ซ้ำ")
    page.locator("#id_last_name").fill("ทดสอบ")
    page.get_by_label("วันเดือนปีเกิด").fill(_be(born))
    page.get_by_label("ระดับชั้น").select_option("p2")
    page.get_by_role("button", name="เพิ่มนักเรียน").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and tree.school2.name_th in summary.inner_text()
    assert page.get_by_role("link", name="ขอย้ายเข้าสถานศึกษาของคุณ").is_visible()
    shot(page, "learners-duplicate-1280")
    assert Learner.objects.filter(national_id=held_id).count() == 1


def test_roster_on_a_phone(phone_page, tree):
    for i in range(3):
        learner_create(
            organisation=tree.school1,
            data={
                "national_id": make_national_id(f"1101700230{i + 3:02d}"),
                "prefix": "เด็กชาย",
                "first_name": f"ชื่อ{i}",
                "last_name": "ทดสอบ",
                "birth_date": dt.date(dt.date.today().year - 6, 1, 1),
                "class_level": "p1",
                "room": "1",
            },  # fmt: skip
            acting_user=None,
        )
    login(phone_page, tree.users["school1"].username, PASSWORD)
    phone_page.goto(phone_page.base + f"/o/{tree.school1.code}/learners/")
    # the table becomes cards: no horizontal scrolling at 390 px
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392
    shot(phone_page, "learners-roster-390")
    phone_page.goto(phone_page.base + f"/o/{tree.school1.code}/learners/add/")
    shot(phone_page, "learners-add-390")
