"""A school clerk uploads a file with problems, downloads it back with the problems marked, fixes it, uploads the
fixed file and confirms: the learners are imported. Then the export page at phone width."""

import openpyxl
import pytest

from students.models import Learner
from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD
from tests.students.test_import import row, xlsx

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_with_problems_fix_and_confirm(page, tree, tmp_path):
    rows = [row(i) for i in range(1, 6)]
    rows[2][8] = "ป.9"  # not a class level
    rows[4][7] = "1/1/62"  # two-digit year
    bad = tmp_path / "นักเรียน.xlsx"
    bad.write_bytes(xlsx(rows).getvalue())

    login(page, tree.users["school1"].username, PASSWORD)
    page.goto(page.base + f"/o/{tree.school1.code}/import/")
    shot(page, "import-start-desktop")
    page.get_by_label("ไฟล์ข้อมูลนักเรียน (.xlsx หรือ .csv)").set_input_files(str(bad))
    page.get_by_role("button", name="อัปโหลดและตรวจสอบ").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert "มีข้อผิดพลาด" in summary.inner_text()
    body = page.content()
    assert "ไม่ใช่ระดับชั้น" in body and "ปีเป็นเลข 4 หลัก" in body
    assert page.get_by_role("button", name="นำเข้านักเรียนเหล่านี้").count() == 0
    shot(page, "import-problems-desktop")

    with page.expect_download() as info:
        page.get_by_role("link", name="ดาวน์โหลดไฟล์ของคุณที่ทำเครื่องหมายจุดผิดไว้ (.xlsx)").click()
    with open(info.value.path(), "rb") as fh:
        marked = openpyxl.load_workbook(fh).active
    assert marked.cell(row=4, column=9).comment is not None
    assert marked.cell(row=6, column=8).comment is not None
    assert not Learner.objects.exists()

    rows[2][8] = "ป.1"
    rows[4][7] = rows[0][7]
    fixed = tmp_path / "นักเรียน-แก้ไข.xlsx"
    fixed.write_bytes(xlsx(rows).getvalue())
    page.get_by_role("link", name="อัปโหลดไฟล์ที่แก้ไขแล้ว").click()
    page.get_by_label("ไฟล์ข้อมูลนักเรียน (.xlsx หรือ .csv)").set_input_files(str(fixed))
    page.get_by_role("button", name="อัปโหลดและตรวจสอบ").click()
    page.get_by_role("button", name="นำเข้านักเรียนเหล่านี้").wait_for()
    assert "ตรวจสอบก่อนนำเข้า" in page.content()
    shot(page, "import-preview-desktop")
    page.get_by_role("button", name="นำเข้านักเรียนเหล่านี้").click()
    page.wait_for_load_state()
    page.get_by_text("บันทึกแล้ว").wait_for()
    shot(page, "import-done-desktop")
    assert Learner.objects.filter(organisation=tree.school1, status="active").count() == 5


def test_import_and_export_pages_fit_a_phone(phone_page, tree):
    login(phone_page, tree.users["school1"].username, PASSWORD)
    for path, name in ((f"/o/{tree.school1.code}/import/", "import-start-phone"),
                       (f"/o/{tree.school1.code}/export/", "export-phone")):  # fmt: skip
        phone_page.goto(phone_page.base + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways at 390 px ({width} px wide)"
        shot(phone_page, name)


def test_template_download(page, tree):
    login(page, tree.users["school1"].username, PASSWORD)
    page.goto(page.base + f"/o/{tree.school1.code}/import/")
    with page.expect_download() as info:
        page.get_by_role("link", name="ดาวน์โหลดแบบฟอร์ม (.xlsx)").click()
    with open(info.value.path(), "rb") as fh:
        ws = openpyxl.load_workbook(fh).worksheets[0]
    assert ws.cell(row=1, column=3).value == "เลขประจำตัวประชาชน"
