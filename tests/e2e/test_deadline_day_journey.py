"""Browser journey (issue 14): deadline day for a school and its LAO. The school's home is a task list; it
confirms; its pages say the data is locked and offer an unlock request; the LAO's bell counts the request, its home
lists who holds it back; it reminds a blocker and unlocks the school, whose home then says why. At 1280 and 390 px."""

import pytest

from confirmations.models import Notification, UnlockRequest
from tests.e2e.conftest import login, shot
from tests.factories import PASSWORD, OrgTree, RoundFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_deadline_day_locked_request_remind_unlock(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    tree = OrgTree.build()
    RoundFactory()

    # the school: its home is the round's task list; it confirms from there
    login(page, "u_school1", PASSWORD)
    page.get_by_test_id("needs-you").wait_for()
    shot(page, f"deadline-school-home-{width}")
    page.get_by_test_id("needs-you").get_by_role("link", name="ยืนยันข้อมูล", exact=True).click()
    page.get_by_role("button", name="ยืนยันข้อมูล", exact=True).click()
    page.get_by_text("ยืนยันข้อมูลแล้วเมื่อ").first.wait_for()

    # locked: the roster says so, offers no add button, and leads to the unlock request
    page.goto(page.base + f"/o/{tree.school1.code}/learners/")
    notice = page.get_by_test_id("lock-notice")
    notice.wait_for()
    assert page.get_by_role("link", name="เพิ่มนักเรียน").count() == 0
    shot(page, f"deadline-school-locked-{width}")
    notice.get_by_role("link", name="ขอปลดล็อก").click()
    page.get_by_role("button", name="ส่งคำขอ").click()  # no reason: answered at the field
    page.locator("#id_reason_error").wait_for()
    page.get_by_label("ต้องแก้ไขอะไร และเพราะอะไร").fill("ป.1 บันทึกซ้ำสองคน")
    page.get_by_role("button", name="ส่งคำขอ").click()
    page.wait_for_load_state()
    assert UnlockRequest.objects.filter(state="pending").count() == 1
    page.context.clear_cookies()

    # the LAO: the bell counts what came in; its home lists the blockers and the request
    login(page, "u_lao1", PASSWORD)
    bell = page.get_by_test_id("bell" if width > 990 else "bell-phone")
    assert bell.locator(".badge").inner_text().split()[0] == "2"  # the school confirmed, then asked to unlock
    panel = page.get_by_test_id("needs-you")
    assert "คำขอปลดล็อก 1 รายการ" in panel.inner_text()
    shot(page, f"deadline-lao-home-{width}")
    panel.get_by_role("link", name="ดูรายชื่อและส่งคำเตือน").click()
    blocker = page.get_by_test_id("blocker").filter(has_text=tree.school2.name_th)
    blocker.get_by_role("button", name="ส่งคำเตือน").click()
    page.get_by_text("ส่งคำเตือนถึงผู้ใช้ของ").wait_for()
    assert Notification.objects.filter(kind="nudge", organisation=tree.school2).count() == 1
    shot(page, f"deadline-lao-dashboard-{width}")
    page.locator("#requests").scroll_into_view_if_needed()
    page.get_by_role("button", name="อนุมัติและยกเลิกการยืนยัน").click()
    page.wait_for_load_state()
    page.context.clear_cookies()

    # the school is told why, on its home
    login(page, "u_school1", PASSWORD)
    banner = page.get_by_test_id("unlocked-banner")
    banner.wait_for()
    assert "ป.1 บันทึกซ้ำสองคน" in banner.inner_text()
    shot(page, f"deadline-school-unlocked-{width}")
