"""The confirmation pages: each level's dashboard (with query budgets over many children), the confirm step,
unlock and request forms, reports with the API's numbers, events, notifications, rounds."""

import pytest

from confirmations import selectors
from confirmations.models import Confirmation, Notification, UnlockRequest
from schools.models import Kind
from tests.factories import org

from .conftest import confirm, confirm_lao1, counts, enter


def login(client, user):
    client.force_login(user)
    return client


def test_institution_home_is_a_task_list_with_the_round(tree, client, rnd):
    counts(tree.school1, p1=(3, 2))
    r = login(client, tree.users["school1"]).get(f"/confirm/{tree.school1.code}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "ตรวจสอบข้อมูลนักเรียน" in html and "ยืนยันข้อมูล" in html and "ยังไม่ยืนยัน" in html
    assert "data-countdown" in html and rnd.name in html


def test_confirm_step_shows_the_counts_then_confirms(tree, client, rnd):
    counts(tree.school1, p1=(1234, 2))
    login(client, tree.users["school1"])
    html = client.get(f"/confirm/{tree.school1.code}/check/").content.decode()
    assert "1,234" in html and "1,236" in html and "ป.1" in html and "แก้ไขข้อมูลนักเรียนไม่ได้" in html
    r = client.post(f"/confirm/{tree.school1.code}/check/", {"round": rnd.pk, "scope": "learners"})
    assert r.status_code == 302
    assert Confirmation.objects.get(organisation=tree.school1).state == "confirmed"
    html = client.get(r.url).content.decode()
    assert "ยืนยันข้อมูลแล้วเมื่อ" in html and "ยืนยันแล้ว" in html


def test_confirm_refusal_is_shown_as_a_message(tree, client, rnd):
    login(client, tree.users["lao1"])
    url = f"/confirm/{tree.lao1.code}/check/"
    r = client.post(url, {"round": rnd.pk, "scope": "learners"}, HTTP_REFERER="http://testserver" + url)
    assert r.status_code == 302
    html = client.get(url).content.decode()
    assert "ยืนยันข้อมูลก่อน" in html and tree.school1.code in html
    assert not Confirmation.objects.exists()


def test_lao_dashboard_lists_states_blockers_and_requests(tree, client, rnd):
    confirm(tree, rnd, "school1")
    from confirmations import services

    services.unlock_request_create(acting_user=tree.users["school1"], round_id=rnd.pk, organisation=tree.school1,
                                   scope="learners", reason="นักเรียนย้ายเข้า")  # fmt: skip
    html = login(client, tree.users["lao1"]).get(f"/confirm/{tree.lao1.code}/").content.decode()
    assert "รอปลดล็อก" in html and "นักเรียนย้ายเข้า" in html and "ยังไม่ยืนยัน" in html
    # no pale disabled button: the page says why it cannot confirm yet and links each blocker to its page
    assert 'data-testid="why-not-yet"' in html and f'href="/confirm/{tree.school2.code}/"' in html
    assert "tag-missing" in html  # other1 has no entry


def test_lao_unlocks_and_decides_from_its_dashboard(tree, client, rnd):
    confirm(tree, rnd, "school1")
    confirm(tree, rnd, "school2")
    from confirmations import services

    req = services.unlock_request_create(acting_user=tree.users["school2"], round_id=rnd.pk, organisation=tree.school2,
                                         scope="learners", reason="แก้ชื่อ")  # fmt: skip
    login(client, tree.users["lao1"])
    r = client.post(
        f"/confirm/{tree.school1.code}/unlock/", {"round": rnd.pk, "scope": "learners", "reason": "ตรวจ"}
    )
    assert r.status_code == 302
    assert Confirmation.objects.get(organisation=tree.school1).state == "open"
    r = client.post(f"/unlock-requests/{req.pk}/decide/", {"decision": "reject", "reason": "ถูกต้องแล้ว"})
    assert r.status_code == 302 and UnlockRequest.objects.get(pk=req.pk).state == "rejected"


def test_school_asks_to_unlock(tree, client, rnd):
    confirm(tree, rnd, "school1")
    login(client, tree.users["school1"])
    r = client.post(
        f"/confirm/{tree.school1.code}/request/", {"round": rnd.pk, "scope": "learners", "reason": "ย้ายเข้า"}
    )
    assert r.status_code == 302 and UnlockRequest.objects.get().state == "pending"
    assert "รอปลดล็อก" in client.get(r.url).content.decode()


def test_province_bulk_unlock_shows_a_result_per_item(tree, client, rnd):
    confirm_lao1(tree, rnd)
    login(client, tree.users["p1"])
    r = client.post(f"/confirm/{tree.p1.code}/unlock-children/",
                    {"round": rnd.pk, "codes": [tree.lao1.code, tree.lao2.code], "reason": "ตรวจใหม่"})  # fmt: skip
    assert r.status_code == 302  # post/redirect/get: refreshing the result page sends nothing again
    for _ in range(2):
        again = client.get(r.url)
        html = again.content.decode()
        assert again.status_code == 200 and "ยกเลิกการยืนยันแล้ว" in html and "ข้อมูลนี้ยังไม่ได้ยืนยัน" in html


def test_report_page_shows_the_api_numbers(tree, client, rnd):
    counts(tree.school1, p1=(1500, 20))
    confirm(tree, rnd, "school1")
    enter(rnd, tree.other1, p2=(5, 5))
    login(client, tree.users["p1"])
    html = client.get(
        f"/confirm/{tree.p1.code}/report/?round={rnd.pk}&source=live&scope=all"
    ).content.decode()
    data = selectors.headcounts(rnd, tree.p1, source="live", scope="all")
    assert data["total"] == 1530 and "1,530" in html and "1,500" in html
    html = client.get(
        f"/confirm/{tree.p1.code}/report/?round={rnd.pk}&source=confirmed&by=child"
    ).content.decode()
    assert "1,520" in html and tree.lao1.name_th in html


def test_events_and_notifications_pages(tree, client, rnd):
    confirm(tree, rnd, "school1")
    login(client, tree.users["lao1"])
    html = client.get(f"/confirm/{tree.lao1.code}/events/").content.decode()
    # who acted is named by organisation; usernames and network addresses are for the department (issue 14)
    assert "u_school1" not in html and tree.school1.name_th in html
    html = client.get("/notifications/").content.decode()
    assert "ยืนยันข้อมูลแล้ว" in html and tree.school1.name_th in html
    client.post("/notifications/")
    assert not Notification.objects.filter(organisation=tree.lao1, read=False).exists()


def test_rounds_page_creates_opens_and_closes(tree, client):
    login(client, tree.users["dept"])
    r = client.post("/rounds/", {"academic_year": "2570", "term": "1", "census_date": "10/06/2570",
                                 "opens_on": "15/05/2570", "closes_on": "30/06/2570"})  # fmt: skip
    assert r.status_code == 302
    rnd = selectors.rounds().get()
    assert rnd.census_date.isoformat() == "2027-06-10" and rnd.state == "planned"
    r = client.post("/rounds/", {"academic_year": "2570", "term": "1", "census_date": "10/06/2570",
                                 "opens_on": "15/05/2570", "closes_on": "01/05/2570"})  # fmt: skip
    html = r.content.decode()
    assert "มีข้อผิดพลาด" in html and "วันปิดรอบต้องอยู่หลังวันเปิดรอบ" in html and 'value="2570"' in html
    client.post(f"/rounds/{rnd.pk}/open/")
    rnd.refresh_from_db()
    assert rnd.state == "open"
    client.post(f"/rounds/{rnd.pk}/close/")
    rnd.refresh_from_db()
    assert rnd.state == "closed"
    assert client.get("/rounds/").status_code == 200
    login(client, tree.users["p1"])
    assert client.get("/rounds/").status_code == 404


def test_pages_hide_other_organisations(tree, client, rnd):
    login(client, tree.users["lao1"])
    assert client.get(f"/confirm/{tree.lao2.code}/").status_code == 404
    assert client.get(f"/confirm/{tree.school3.code}/report/").status_code == 404
    assert client.get(f"/confirm/{tree.school1.code}/check/").status_code == 403


# query budgets: each dashboard with 120 children -------------------------------------------------------


@pytest.mark.parametrize("level", ["lao", "province", "department"])
def test_dashboard_queries_do_not_grow_with_children(tree, client, rnd, django_assert_max_num_queries, level):
    n = 120
    if level == "lao":
        parent, user = tree.lao1, tree.users["lao1"]
        for i in range(n):
            s = org(Kind.SCHOOL if i % 3 else Kind.CDC, parent, code=f"1059{i:06d}")
            counts(s, **({"p1": (i, 1)} if i % 3 else {"cdc3": (1, i)}))
            if i % 2:
                Confirmation.objects.create(round=rnd, organisation=s, scope="learners", state="confirmed")
    elif level == "province":
        parent, user = tree.p1, tree.users["p1"]
        for i in range(n):
            lao = org(Kind.LAO, parent, code=f"5099{i:04d}")
            s = org(Kind.CDC, lao, code=f"2099{i:06d}")
            counts(s, cdc2=(1, 1))
            if i % 2:
                Confirmation.objects.create(round=rnd, organisation=lao, scope="learners", state="confirmed")
    else:
        parent, user = tree.dept, tree.users["dept"]
        for i in range(n):
            prov = org(Kind.PROVINCE, parent, code=f"P{i:03d}")
            lao = org(Kind.LAO, prov, code=f"L{i:05d}")
            org(Kind.SCHOOL, lao, code=f"S{i:05d}")
    login(client, user)
    client.get(f"/confirm/{parent.code}/")  # warm the session
    with django_assert_max_num_queries(24):
        r = client.get(f"/confirm/{parent.code}/")
    assert r.status_code == 200
    assert r.content.decode().count('data-label="สถานะ"') >= 100
    with django_assert_max_num_queries(18):
        assert client.get(f"/confirm/{parent.code}/report/?by=child").status_code == 200


def test_events_and_notifications_pages_keep_their_budget(tree, client, rnd, django_assert_max_num_queries):
    from confirmations.models import ConfirmationEvent

    schools = [org(Kind.SCHOOL, tree.lao1, code=f"10507{i:05d}") for i in range(110)]
    ConfirmationEvent.objects.bulk_create(
        ConfirmationEvent(round=rnd, organisation=s, scope="learners", action="confirm", actor_username="x")
        for s in schools
    )
    Notification.objects.bulk_create(
        Notification(kind="confirmed", round=rnd, organisation=tree.lao1, subject=s, scope="learners")
        for s in schools
    )
    login(client, tree.users["lao1"])
    client.get(f"/confirm/{tree.lao1.code}/events/")
    with django_assert_max_num_queries(14):
        assert client.get(f"/confirm/{tree.lao1.code}/events/").status_code == 200
    with django_assert_max_num_queries(16):  # + marking the page's notices read and the new unread count
        html = client.get("/notifications/").content.decode()
    assert html.count("list-group-item-info") == 30  # a page of unread notices, highlighted as new
    html = client.get("/notifications/").content.decode()
    assert html.count("list-group-item-info") == 0  # seen is read: the same page again has nothing new


def test_lao_confirm_step_lists_only_the_children_of_that_scope(tree, client, rnd):
    counts(tree.school3, p1=(4, 5))
    enter(rnd, tree.other2, p2=(7, 8))
    login(client, tree.users["lao2"])
    other = client.get(f"/confirm/{tree.lao2.code}/check/?scope=other_schools").content.decode()
    assert tree.other2.name_th in other and tree.school3.name_th not in other
    learners = client.get(f"/confirm/{tree.lao2.code}/check/?scope=learners").content.decode()
    assert tree.school3.name_th in learners and tree.other2.name_th not in learners
