"""The LAO's pages for other-affiliation schools: the headcount grid (one request, all or nothing, what was typed
kept), the list with add/close, the organisation-page panel; isolation, permissions and query budgets."""

import pytest
from django.utils.html import escape

from lec.lib.errors import other_schools_locked
from schools.models import Kind, Organisation, OtherSchoolEntry
from schools.services import other_school_headcounts_save
from tests.factories import org
from tests.schools.test_other_services import make_round

GRID = "/o/5010101/other-schools/headcounts/"


@pytest.fixture
def rnd(db):
    return make_round()


@pytest.fixture
def lao_client(client, tree):
    client.force_login(tree.users["lao1"])
    return client


def grid_data(cells: dict, closed=()) -> dict:
    data = dict(cells)
    for code in closed:
        data[f"{code}.closed"] = "1"
    return data


def test_grid_shows_each_school_with_its_cells(lao_client, tree, rnd):
    r = lao_client.get(GRID)
    assert r.status_code == 200
    html = r.content.decode()
    assert "โรงเรียนบ้านหนองหอย (สพฐ.)" in html
    assert 'name="9050100001.p1.male"' in html and 'name="9050100001.closed"' in html
    assert 'name="9050100001.cdc2.male"' not in html  # school levels only
    assert "9050300001" not in html  # another LAO's school
    assert "schools/other_grid.js" in html and "<script>" not in html


def test_saving_the_grid_writes_every_school_at_once(lao_client, tree, rnd):
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003", name_th="โรงเรียนปิดไปแล้ว")
    r = lao_client.post(GRID, grid_data({"9050100001.p1.male": "๑๒", "9050100001.p1.female": "10",
                                         "9050100001.k1.male": ""}, closed=[other3.code]))  # fmt: skip
    assert r.status_code == 302
    entry = OtherSchoolEntry.objects.get(school=tree.other1, round=rnd)
    assert [(c.class_level, c.male, c.female) for c in entry.counts.all()] == [("p1", 12, 10)]
    assert OtherSchoolEntry.objects.get(school=other3).closed
    page = lao_client.get(r.url).content.decode()
    assert "บันทึก" in page and 'value="12"' in page


def test_a_bad_cell_saves_nothing_and_keeps_what_was_typed(lao_client, tree, rnd):
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003")
    r = lao_client.post(GRID, {"9050100001.p1.male": "12", "9050100001.p2.female": "-4",
                               f"{other3.code}.m1.male": "abc", f"{other3.code}.m1.female": "7"})  # fmt: skip
    assert r.status_code == 200
    html = r.content.decode()
    assert "มีข้อผิดพลาด" in html  # the error summary
    assert 'href="#f-9050100001-p2-female"' in html and 'href="#f-9050100003-m1-male"' in html
    assert 'value="-4"' in html and 'value="abc"' in html and 'value="12"' in html and 'value="7"' in html
    assert 'aria-invalid="true"' in html
    assert not OtherSchoolEntry.objects.exists()


def test_closed_with_learners_is_refused_on_the_closed_box(lao_client, tree, rnd):
    r = lao_client.post(GRID, grid_data({"9050100001.p1.male": "3"}, closed=["9050100001"]))
    assert r.status_code == 200 and 'href="#f-9050100001-closed"' in r.content.decode()
    assert not OtherSchoolEntry.objects.exists()


def test_a_blank_school_stays_not_entered(lao_client, tree, rnd):
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003")
    r = lao_client.post(GRID, {"9050100001.p1.male": "1", f"{other3.code}.p1.male": ""})
    assert r.status_code == 302
    assert list(OtherSchoolEntry.objects.values_list("school__code", flat=True)) == ["9050100001"]


def test_blanking_an_entered_school_is_an_error_not_a_silent_change(lao_client, tree, rnd):
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=None, entries={
        "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 5, "female": 5}]}})  # fmt: skip
    r = lao_client.post(GRID, {"9050100001.p1.male": ""})
    assert r.status_code == 200 and 'href="#f-9050100001-closed"' in r.content.decode()
    assert OtherSchoolEntry.objects.get().counts.get().male == 5


def test_locked_grid_is_read_only_and_a_post_is_refused(lao_client, tree, rnd):
    Organisation.objects.filter(pk=tree.lao1.pk).update(other_schools_locked=True)
    html = lao_client.get(GRID).content.decode()
    assert (
        "ยืนยันแล้ว" in html and 'type="submit" class="btn btn-primary px-4"' not in html and "disabled" in html
    )
    r = lao_client.post(GRID, {"9050100001.p1.male": "3"}, HTTP_REFERER="http://testserver" + GRID)
    assert r.status_code == 302 and not OtherSchoolEntry.objects.exists()
    refusal = escape(str(other_schools_locked(tree.lao1).message))
    assert refusal in lao_client.get(GRID).content.decode()  # the refusal is said, not swallowed


def test_round_not_open_is_read_only(lao_client, tree):
    make_round(state="closed")
    html = lao_client.get(GRID).content.decode()
    assert "ปิดรอบ" in html and "disabled" in html
    assert lao_client.post(GRID, {"9050100001.p1.male": "3"}).status_code in (302, 409)
    assert not OtherSchoolEntry.objects.exists()


def test_copy_from_previous_round_prefills_only(lao_client, tree):
    old = make_round(2568, 2)
    other_school_headcounts_save(lao=tree.lao1, round_=old, acting_user=None, entries={
        "9050100001": {"closed": False, "counts": [{"class_level": "p4", "male": 21, "female": 19}]}})  # fmt: skip
    old.state = "closed"
    old.save()
    new = make_round(2569, 1)
    html = lao_client.get(GRID).content.decode()
    assert "?copy=previous" in html or 'name="copy" value="previous"' in html
    html = lao_client.get(GRID + "?copy=previous").content.decode()
    assert 'name="9050100001.p4.male" value="21"' in html and 'value="19"' in html
    assert not OtherSchoolEntry.objects.filter(round=new).exists()


def test_the_province_may_read_the_grid_but_not_save(client, tree, rnd):
    client.force_login(tree.users["p1"])
    html = client.get(GRID).content.decode()
    assert "9050100001" in html and "disabled" in html
    assert client.post(GRID, {"9050100001.p1.male": "3"}).status_code == 403
    assert not OtherSchoolEntry.objects.exists()


@pytest.mark.parametrize("user", ["lao2", "school1", "p2"])
def test_other_laos_and_institutions_get_404(client, tree, rnd, user):
    client.force_login(tree.users[user])
    for url in (GRID, "/o/5010101/other-schools/", "/o/5010101/other-schools/add/",
                "/o/5010101/other-schools/9050100001/close/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post(GRID, {"9050100001.p1.male": "3"}).status_code == 404
    assert not OtherSchoolEntry.objects.exists()


def test_an_lao_cannot_reach_another_laos_school_through_its_own_url(lao_client, tree):
    assert lao_client.get("/o/5010101/other-schools/9050300001/close/").status_code == 404
    assert (
        lao_client.post("/o/5010101/other-schools/9050300001/close/", {"closed_on": "01/05/2569"}).status_code
        == 404
    )
    assert Organisation.objects.get(code="9050300001").is_active


def test_grid_page_query_budget_with_many_schools(lao_client, tree, rnd, django_assert_max_num_queries):
    entries = {}
    for i in range(45):
        code = f"905017{i:04d}"
        org(Kind.OTHER_SCHOOL, tree.lao1, code=code)
        entries[code] = {"closed": False, "counts": [{"class_level": "p1", "male": i, "female": 1}]}
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, entries=entries, acting_user=None)
    lao_client.get(GRID)
    with django_assert_max_num_queries(16):
        r = lao_client.get(GRID)
    assert r.status_code == 200 and r.content.decode().count('<tbody class="other-school') == 46
    data = {f"{code}.p2.female": "3" for code in entries}
    with django_assert_max_num_queries(30):
        assert lao_client.post(GRID, data).status_code == 302
    assert OtherSchoolEntry.objects.filter(round=rnd).count() == 45


def test_list_page_add_and_close(lao_client, tree, rnd, django_assert_max_num_queries):
    for i in range(30):
        org(Kind.OTHER_SCHOOL, tree.lao1, code=f"905016{i:04d}")
    lao_client.get("/o/5010101/other-schools/")
    with django_assert_max_num_queries(12):
        html = lao_client.get("/o/5010101/other-schools/").content.decode()
    assert "9050160029" in html and "ยังไม่" in html
    r = lao_client.post("/o/5010101/other-schools/add/", {"code": "", "name_th": "", "affiliation": ""})
    assert r.status_code == 200 and "มีข้อผิดพลาด" in r.content.decode()
    r = lao_client.post("/o/5010101/other-schools/add/",
                        {"code": "1050100001", "name_th": "ซ้ำ", "affiliation": "obec"})  # fmt: skip
    assert r.status_code == 200 and 'value="ซ้ำ"' in r.content.decode()
    r = lao_client.post("/o/5010101/other-schools/add/",
                        {"code": "9050100099", "name_th": "โรงเรียนเปิดใหม่", "affiliation": "private"})  # fmt: skip
    assert r.status_code == 302
    new = Organisation.objects.get(code="9050100099")
    assert new.parent == tree.lao1 and new.kind == "other_school" and new.affiliation == "private"
    r = lao_client.post("/o/5010101/other-schools/9050100099/close/", {"closed_on": "๓๑/๑๒/๒๕๙๙"})
    assert (
        r.status_code == 200 and Organisation.objects.get(code="9050100099").is_active
    )  # future date refused
    r = lao_client.post("/o/5010101/other-schools/9050100099/close/", {"closed_on": "01/05/2569"})
    assert r.status_code == 302
    new.refresh_from_db()
    assert not new.is_active and new.closed_on.isoformat() == "2026-05-01"
    assert lao_client.post("/o/5010101/other-schools/9050100099/reopen/").status_code == 302
    assert Organisation.objects.get(code="9050100099").is_active


def test_province_cannot_add_or_close(client, tree, rnd):
    client.force_login(tree.users["p1"])
    assert client.get("/o/5010101/other-schools/").status_code == 200
    assert client.get("/o/5010101/other-schools/add/").status_code == 403
    r = client.post("/o/5010101/other-schools/add/", {"code": "X9", "name_th": "ก", "affiliation": "obec"})
    assert r.status_code == 403 and not Organisation.objects.filter(code="X9").exists()
    assert (
        client.post("/o/5010101/other-schools/9050100001/close/", {"closed_on": "01/05/2569"}).status_code
        == 403
    )


def test_organisation_page_panel_and_menu(lao_client, tree, rnd):
    html = lao_client.get("/o/5010101/").content.decode()
    assert "/o/5010101/other-schools/headcounts/" in html
    assert "ยังไม่" in html  # 1 not entered
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=None,
                                 entries={"9050100001": {"closed": True}})  # fmt: skip
    html = lao_client.get("/o/9050100001/").content.decode()
    assert "/o/5010101/other-schools/headcounts/" in html


def test_a_school_user_has_no_menu_link(client, tree, rnd):
    client.force_login(tree.users["school1"])
    assert "other-schools" not in client.get("/o/1050100001/").content.decode()


def test_names_and_typed_values_are_escaped_in_the_grid(lao_client, tree, rnd):
    org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100004", name_th='<script>alert("x")</script>')
    r = lao_client.post(GRID, {"9050100004.p1.male": '"><img src=x onerror=alert(1)>'})
    html = r.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert not OtherSchoolEntry.objects.exists()


def test_a_save_by_someone_else_after_the_page_opened_is_not_overwritten(lao_client, tree, rnd):
    other3 = org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003")
    html = lao_client.get(GRID).content.decode()
    assert 'name="9050100001.version" value=""' in html
    # A colleague saves school 1 while this page is open.
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=tree.users["lao1"], entries={
        "9050100001": {"closed": False, "counts": [{"class_level": "p1", "male": 30, "female": 30}]}})  # fmt: skip
    r = lao_client.post(GRID, {"9050100001.version": "", "9050100001.p1.male": "3",
                               f"{other3.code}.version": "", f"{other3.code}.p1.male": "8"})  # fmt: skip
    html = r.content.decode()
    assert r.status_code == 200 and "60" in html and 'href="#f-9050100001-closed"' in html
    assert OtherSchoolEntry.objects.get().counts.get().male == 30  # theirs kept, and nothing else written
    # The page now carries the new version: saving again is a deliberate replacement.
    version = OtherSchoolEntry.objects.get().updated_at.isoformat()
    assert f'name="9050100001.version" value="{version}"' in html
    r = lao_client.post(GRID, {"9050100001.version": version, "9050100001.p1.male": "3",
                               f"{other3.code}.version": "", f"{other3.code}.p1.male": "8"})  # fmt: skip
    assert r.status_code == 302
    assert OtherSchoolEntry.objects.get(school=tree.other1).counts.get().male == 3


def test_after_saving_a_copy_the_page_does_not_copy_again(lao_client, tree, rnd):
    r = lao_client.post(GRID + "?copy=previous", {"9050100001.p1.male": "3"})
    assert r.status_code == 302 and r.url == GRID
