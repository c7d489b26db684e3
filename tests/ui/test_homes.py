"""Issue 14 point 2: a bell with the unread count on every page (cached: no query per page), a notifications page
that marks what it shows as read, and a "what needs you now" panel on every role's home."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from confirmations import services
from confirmations.models import Notification
from tests.confirmations.conftest import confirm, confirm_lao1, counts, enter

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_the_bell_counts_unread_notices_and_the_page_marks_them_read(tree, client, rnd):
    confirm(tree, rnd, "school1")  # the LAO is told
    login(client, tree.users["lao1"])
    html = client.get(f"/o/{tree.lao1.code}/").content.decode()
    assert 'data-testid="unread">1<' in html
    page = client.get("/notifications/").content.decode()
    assert "list-group-item-info" in page and tree.school1.name_th in page
    html = client.get(f"/o/{tree.lao1.code}/").content.decode()
    assert 'data-testid="unread"' not in html and not Notification.objects.filter(read=False).exists()


def test_the_bell_reads_its_count_from_the_cache_until_something_changes(
    tree, client, rnd, django_capture_on_commit_callbacks
):
    confirm(tree, rnd, "school1")
    login(client, tree.users["lao1"])
    client.get(f"/o/{tree.lao1.code}/")
    with CaptureQueriesContext(connection) as seen:
        client.get(f"/o/{tree.lao1.code}/learners/")
    assert not [q for q in seen.captured_queries if "confirmations_notification" in q["sql"]]
    with django_capture_on_commit_callbacks(execute=True):
        confirm(
            tree, rnd, "school2"
        )  # a new notice bumps the LAO's generation (on commit): the page recounts
    html = client.get(f"/o/{tree.lao1.code}/learners/").content.decode()
    assert 'data-testid="unread">2<' in html


def test_the_institution_home_is_the_rounds_task_list_and_says_why_it_was_unlocked(tree, client, rnd):
    counts(tree.school1, p1=(3, 2))
    login(client, tree.users["school1"])
    html = client.get(f"/o/{tree.school1.code}/").content.decode()
    assert 'data-testid="needs-you"' in html and "สิ่งที่คุณต้องทำตอนนี้" in html
    for link in (f"/o/{tree.school1.code}/learners/", f"/confirm/{tree.school1.code}/check/?scope=learners"):
        assert f'href="{link}' in html
    assert "ยังไม่ยืนยัน" in html
    confirm(tree, rnd, "school1")
    services.confirmation_unlock(acting_user=tree.users["lao1"], round_id=rnd.pk, organisation=tree.school1,
                                 scope="learners", reason="ชั้น ป.1 ขาดไป 2 คน")  # fmt: skip
    html = client.get(f"/o/{tree.school1.code}/").content.decode()
    assert 'data-testid="unlocked-banner"' in html and "ชั้น ป.1 ขาดไป 2 คน" in html
    dashboard = client.get(f"/confirm/{tree.school1.code}/").content.decode()
    assert "ชั้น ป.1 ขาดไป 2 คน" in dashboard  # the confirmation page says it too
    confirm(tree, rnd, "school1")
    assert 'data-testid="unlocked-banner"' not in client.get(f"/o/{tree.school1.code}/").content.decode()


def test_the_lao_home_lists_who_is_late_the_requests_and_the_schools_not_entered(tree, client, rnd):
    confirm(tree, rnd, "school1")
    services.unlock_request_create(acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1,
                                   scope="learners", reason="ย้ายเข้า")  # fmt: skip
    html = login(client, tree.users["lao1"]).get(f"/o/{tree.lao1.code}/").content.decode()
    assert "สถานศึกษา 2 แห่งยังไม่ยืนยัน" in html  # school2 and cdc1
    assert f'href="/confirm/{tree.school2.code}/"' in html and f'href="/confirm/{tree.cdc1.code}/"' in html
    assert "คำขอปลดล็อก 1 รายการรอคุณพิจารณา" in html and f"/confirm/{tree.lao1.code}/#requests" in html
    assert "โรงเรียนสังกัดอื่น 1 แห่งยังไม่ได้กรอกจำนวน" in html and f"/o/{tree.lao1.code}/other-schools/" in html


def test_the_province_and_department_homes_list_who_is_late_and_the_clock(tree, client, rnd):
    confirm_lao1(tree, rnd)  # its institutions and its learners
    enter(rnd, tree.other1, p1=(1, 1))
    confirm(tree, rnd, "lao1", scope="other_schools")
    html = login(client, tree.users["p1"]).get(f"/o/{tree.p1.code}/").content.decode()
    assert "อปท. 1 แห่งยังไม่ยืนยัน" in html and f'href="/confirm/{tree.lao2.code}/"' in html
    assert (
        f'href="/confirm/{tree.lao1.code}/"'
        not in html.split('data-testid="needs-you"')[1].split("</section>")[0]
    )
    html = login(client, tree.users["dept"]).get(f"/o/{tree.dept.code}/").content.decode()
    assert "จังหวัด 2 จังหวัดยังไม่ยืนยัน" in html and rnd.name in html and "เหลือเวลา 13 วัน" in html


def test_a_cdc_home_task_list_speaks_of_young_children_not_pupils(tree, client, rnd):
    login(client, tree.users["cdc1"])
    html = client.get(f"/o/{tree.cdc1.code}/").content.decode()
    assert "ตรวจสอบข้อมูลเด็กเล็ก" in html and "ตรวจสอบข้อมูลนักเรียน" not in html
    login(client, tree.users["school1"])
    html = client.get(f"/o/{tree.school1.code}/").content.decode()
    assert "ตรวจสอบข้อมูลนักเรียน" in html
