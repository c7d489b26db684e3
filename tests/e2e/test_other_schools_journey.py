"""An LAO officer enters the other-affiliation headcount grid in the browser: totals follow the typing, a closed
school's row becomes zero, a bad cell saves nothing and keeps what was typed, then the grid saves and the LAO
confirms the scope; and the grid is usable at phone width."""

import pytest

from schools.models import Kind, Organisation, OtherSchoolEntry
from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD, org
from tests.schools.test_other_services import make_round

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def cell(page, code, level, gender):
    return page.locator(f'[name="{code}.{level}.{gender}"]')


def test_lao_enters_a_grid_with_a_closed_school_and_confirms(page, tree):
    rnd = make_round()
    closed = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003", name_th="โรงเรียนเอกชนที่ปิดไปแล้ว",
                 affiliation="private")  # fmt: skip
    login(page, tree.users["lao1"].username, PASSWORD)
    page.wait_for_url("**/o/5010101/")
    page.get_by_role("link", name="บันทึกจำนวนนักเรียน").click()
    page.wait_for_url("**/o/5010101/other-schools/headcounts/")

    cell(page, "9050100001", "p1", "male").fill("12")
    cell(page, "9050100001", "p1", "female").fill("๑๐")  # Thai digits
    cell(page, "9050100001", "k2", "male").fill("5")
    school = page.locator('tbody[data-school="9050100001"]')
    assert school.locator(".js-school-total").inner_text() == "27"
    assert page.locator("#grand-total .js-grand-total").inner_text() == "27"

    cell(page, closed.code, "p3", "female").fill("4")
    # found within its own school's rows: the grid lists schools not yet entered first, so the order moves
    page.locator(f'tbody[data-school="{closed.code}"]').get_by_label(
        "โรงเรียนปิดกิจการหรือยุบรวมแล้ว (ไม่มีนักเรียน)"
    ).check()
    assert cell(page, closed.code, "p3", "female").input_value() == "0"
    assert cell(page, closed.code, "p3", "female").get_attribute("readonly") is not None

    cell(page, "9050100001", "p2", "male").fill("-3")
    shot(page, "other-grid-typed-desktop")
    page.get_by_role("button", name="บันทึกทุกโรงเรียน").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and "มีข้อผิดพลาด" in summary.inner_text()
    assert "ต่ำกว่า 0" in summary.inner_text()
    assert cell(page, "9050100001", "p2", "male").input_value() == "-3"
    assert cell(page, "9050100001", "p1", "male").input_value() == "12"
    assert not OtherSchoolEntry.objects.exists()
    shot(page, "other-grid-error-desktop")

    summary.get_by_role("link").first.click()
    cell(page, "9050100001", "p2", "male").fill("3")
    page.get_by_role("button", name="บันทึกทุกโรงเรียน").click()
    page.wait_for_load_state()
    assert "บันทึกจำนวนนักเรียนของ 2 โรงเรียนแล้ว" in page.locator("#action-messages").inner_text()
    entry = OtherSchoolEntry.objects.get(school=tree.other1, round=rnd)
    assert {c.class_level: (c.male, c.female) for c in entry.counts.all()} == {"k2": (5, 0), "p1": (12, 10),
                                                                               "p2": (3, 0)}  # fmt: skip
    assert OtherSchoolEntry.objects.get(school=closed).closed
    shot(page, "other-grid-saved-desktop")

    confirm = page.get_by_role("link", name="ตรวจสอบและยืนยัน")
    if confirm.count() == 0:
        pytest.skip("the confirmations app's confirm step is not installed")
    confirm.click()
    page.wait_for_load_state()
    shot(page, "other-grid-confirm-step")
    page.get_by_role("button", name="ยืนยันข้อมูล").click()
    page.wait_for_load_state()
    assert Organisation.objects.get(pk=tree.lao1.pk).other_schools_locked
    page.goto(page.base + "/o/5010101/other-schools/headcounts/")
    assert "ยืนยันแล้ว" in page.content()
    assert cell(page, "9050100001", "p1", "male").is_disabled()
    assert page.get_by_role("button", name="บันทึกทุกโรงเรียน").count() == 0


def test_grid_works_at_phone_width(phone_page, tree):
    make_round()
    for i in range(5):
        org(Kind.OTHER_SCHOOL, tree.lao1, code=f"905010010{i}", name_th=f"โรงเรียนบ้านทดสอบ {i} (สพฐ.)")
    login(phone_page, tree.users["lao1"].username, PASSWORD)
    phone_page.goto(phone_page.base + "/o/5010101/other-schools/headcounts/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    field = cell(phone_page, "9050100001", "p1", "male")
    field.fill("7")
    box = field.bounding_box()
    assert box["height"] >= 44
    assert phone_page.get_by_role("button", name="บันทึกทุกโรงเรียน").bounding_box()["height"] >= 44
    shot(phone_page, "other-grid-phone")
    phone_page.get_by_role("button", name="บันทึกทุกโรงเรียน").click()
    phone_page.wait_for_load_state()
    assert OtherSchoolEntry.objects.get(school=tree.other1).counts.get().male == 7
    phone_page.goto(phone_page.base + "/o/5010101/other-schools/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the list scrolls sideways at 390 px ({width} px wide)"
    shot(phone_page, "other-list-phone")


def test_the_officer_sets_a_schools_class_levels_on_a_phone(phone_page, tree):
    """Issue 14 point 9: "ชั้นที่เปิดสอน" per school; once set, the grid offers only those levels, and the number
    typed before changing them is still there."""
    make_round()
    login(phone_page, tree.users["lao1"].username, PASSWORD)
    phone_page.goto(phone_page.base + "/o/5010101/other-schools/headcounts/")
    assert cell(phone_page, "9050100001", "m1", "male").count() == 1  # not known yet: every level
    cell(phone_page, "9050100001", "p2", "female").fill("6")
    school = phone_page.locator('tbody[data-school="9050100001"]')
    school.locator("details.levels-taught summary").click()
    for level in ("เตรียมอนุบาล", "อ.1", "อ.2", "อ.3", "ม.1", "ม.2", "ม.3", "ม.4", "ม.5", "ม.6", "ปวช.1",
                  "ปวช.2", "ปวช.3"):  # fmt: skip
        box = school.get_by_label(level, exact=False).first
        assert box.bounding_box()["height"] >= 20
        box.uncheck()
    save = school.get_by_role("button", name="บันทึกชั้นที่เปิดสอน")
    assert save.bounding_box()["height"] >= 31
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    save.click()
    phone_page.wait_for_load_state()
    assert Organisation.objects.get(pk=tree.other1.pk).levels_taught == ["p1", "p2", "p3", "p4", "p5", "p6"]
    assert cell(phone_page, "9050100001", "m1", "male").count() == 0
    assert cell(phone_page, "9050100001", "p2", "female").input_value() == "6"
    assert "ป.1–ป.6" in school.inner_text()
    shot(phone_page, "other-grid-levels-phone")
    phone_page.get_by_role("button", name="บันทึกทุกโรงเรียน").click()
    phone_page.wait_for_load_state()
    assert OtherSchoolEntry.objects.get(school=tree.other1).counts.get().female == 6
