"""Browser journey (issue 4): the school confirms, the LAO confirms, the school's edit is refused, the province
unlocks the LAO, the LAO unlocks the school, the school edits, sees what changed, and confirms again."""

import pytest
from django.db import transaction

from confirmations import services
from confirmations.models import Confirmation
from lec.lib.errors import DomainError
from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD, OrgTree, RoundFactory


def national_id(stem: str) -> str:
    total = sum(int(d) * (13 - i) for i, d in enumerate(stem))
    return stem + str((11 - total % 11) % 10)


def add_learner(tree, nid):
    from students.services import learner_create

    with transaction.atomic():
        return learner_create(
            organisation=tree.school1,
            data={"national_id": nid, "prefix": "เด็กชาย", "first_name": "สมชาย", "last_name": "ใจดี",
                  "birth_date": "2019-05-01", "class_level": "p1"},
            acting_user=tree.users["school1"],
        )  # fmt: skip


def unlock_row(page, name, reason):
    row = page.locator("tr", has_text=name).first
    row.locator("summary").click()
    row.locator("textarea").fill(reason)
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_confirm_unlock_and_confirm_again(page):
    tree = OrgTree.build()
    rnd = RoundFactory()
    add_learner(tree, national_id("110170012345"))
    for name in ("school2", "cdc1"):
        services.confirmation_confirm(acting_user=tree.users[name], round_id=rnd.pk, organisation=getattr(tree, name),
                                      scope="learners")  # fmt: skip

    # the school confirms
    login(page, "u_school1", PASSWORD)
    page.goto(page.base + f"/confirm/{tree.school1.code}/")
    shot(page, "confirm-school-tasks")
    page.locator("ol").get_by_role("link", name="ยืนยันข้อมูล", exact=True).click()
    page.get_by_text("จำนวนนักเรียนที่จะยืนยัน").wait_for()
    shot(page, "confirm-school-check")
    page.get_by_role("button", name="ยืนยันข้อมูล", exact=True).click()
    page.get_by_text("ยืนยันข้อมูลแล้วเมื่อ").first.wait_for()
    page.context.clear_cookies()

    # the LAO confirms its learners
    login(page, "u_lao1", PASSWORD)
    page.goto(page.base + f"/confirm/{tree.lao1.code}/")
    shot(page, "confirm-lao-dashboard")
    page.get_by_role("link", name="ตรวจสอบและยืนยัน").first.click()
    page.get_by_role("button", name="ยืนยันข้อมูล", exact=True).click()
    page.get_by_text("ยืนยันข้อมูลแล้วเมื่อ").first.wait_for()
    assert Confirmation.objects.get(round=rnd, organisation=tree.lao1, scope="learners").state == "confirmed"
    page.context.clear_cookies()

    # the school's edit is refused while confirmed
    with pytest.raises(DomainError) as exc:
        add_learner(tree, national_id("110170012346"))
    assert exc.value.code == "confirmed_locked"

    # the province unlocks the LAO, then the LAO unlocks the school
    login(page, "u_p1", PASSWORD)
    page.goto(page.base + f"/confirm/{tree.p1.code}/")
    shot(page, "confirm-province-dashboard")
    unlock_row(page, tree.lao1.name_th, "โรงเรียนขอแก้ไขข้อมูลนักเรียนย้ายเข้า")
    page.get_by_text("แก้ไขข้อมูลได้อีกครั้ง").first.wait_for()
    page.context.clear_cookies()
    login(page, "u_lao1", PASSWORD)
    page.goto(page.base + f"/confirm/{tree.lao1.code}/")
    unlock_row(page, tree.school1.name_th, "มีนักเรียนย้ายเข้า 1 คน")
    page.get_by_text("แก้ไขข้อมูลได้อีกครั้ง").first.wait_for()
    assert Confirmation.objects.get(round=rnd, organisation=tree.school1).state == "open"
    page.context.clear_cookies()

    # the school edits, sees what changed, and confirms again
    add_learner(tree, national_id("110170012346"))
    login(page, "u_school1", PASSWORD)
    page.goto(page.base + f"/confirm/{tree.school1.code}/check/")
    page.get_by_text("สิ่งที่เปลี่ยนไปตั้งแต่ยืนยันเมื่อ").wait_for()
    assert page.get_by_text("เพิ่มนักเรียน 1 คน").is_visible()
    assert page.get_by_text("1 → 2").first.is_visible()
    shot(page, "confirm-school-changes")
    page.get_by_role("button", name="ยืนยันข้อมูล", exact=True).click()
    page.get_by_text("ยืนยันข้อมูลแล้วเมื่อ").first.wait_for()
    assert Confirmation.objects.get(round=rnd, organisation=tree.school1).state == "confirmed"


@pytest.mark.django_db(transaction=True)
def test_dashboards_fit_a_phone(phone_page):
    tree = OrgTree.build()
    RoundFactory()
    page = phone_page
    for user, code in (("u_lao1", tree.lao1.code), ("u_p1", tree.p1.code), ("u_school1", tree.school1.code)):
        page.context.clear_cookies()
        login(page, user, PASSWORD)
        page.goto(page.base + f"/confirm/{code}/")
        page.get_by_text("ยืนยันข้อมูลภายใน").wait_for()
        shot(page, f"confirm-phone-{code}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, (code, width)
        for button in page.locator("main .btn:visible").all():
            box = button.bounding_box()
            assert box is None or box["height"] >= 35, (code, button.inner_text(), box)
