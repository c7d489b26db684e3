"""Issue 14 point 9: the headcount grid shows only the class levels an other-affiliation school teaches
(Organisation.levels_taught; None = not known, every level shown). A count for a level not taught is refused,
naming the school and the level, whether it comes from a tampered form, the import file or the API, and nothing
is written; the LAO changes the levels from the grid page, suggested from the latest round with learners."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lec.lib.errors import Invalid
from schools.models import Kind, Organisation, OtherSchoolCount, OtherSchoolEntry
from schools.services import (
    levels_label,
    other_school_headcount_save,
    other_school_headcounts_save,
    other_school_levels_set,
)
from tests.factories import org
from tests.schools.test_other_services import make_round
from tests.students.test_import import xlsx

GRID = "/o/5010101/other-schools/headcounts/"
PRIMARY = ["p1", "p2", "p3", "p4", "p5", "p6"]


@pytest.fixture
def rnd(db):
    return make_round()


@pytest.fixture
def lao_client(client, tree):
    client.force_login(tree.users["lao1"])
    return client


@pytest.fixture
def primary(tree):
    """other1 teaches ป.1–ป.6 only; other3 of the same LAO is not known (every level)."""
    tree.other1.levels_taught = PRIMARY
    tree.other1.save()
    return org(Kind.OTHER_SCHOOL, tree.lao1, code="9050100003", name_th="โรงเรียนเอกชนทุกชั้น")


def _inputs(html: str, code: str) -> set[str]:
    return set(re.findall(rf'name="{code}\.(\w+)\.(?:male|female)"', html))


def test_levels_label_shortens_runs():
    assert levels_label(PRIMARY) == "ป.1–ป.6"
    assert levels_label(["k1", "k2", "k3", "p1", "m1"]) == "อ.1–ป.1, ม.1"
    assert levels_label(["prek"]) == "เตรียมอนุบาล"


def test_a_primary_school_shows_only_primary_inputs(lao_client, tree, rnd, primary):
    html = lao_client.get(GRID).content.decode()
    assert _inputs(html, tree.other1.code) == set(PRIMARY)
    for level in ("prek", "k1", "k3", "m1", "m6", "voc1"):
        assert f'name="{tree.other1.code}.{level}.male"' not in html  # no อนุบาล / ม. / ปวช. input
    assert len(_inputs(html, primary.code)) == 19  # not known: every school level
    assert "ชั้นที่เปิดสอน" in html and "ป.1–ป.6" in html


def test_a_tampered_post_for_a_level_not_taught_is_refused_and_nothing_written(
    lao_client, tree, rnd, primary
):
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=tree.users["lao1"], entries={
        tree.other1.code: {"closed": False, "counts": [{"class_level": "p1", "male": 5, "female": 5}]}})  # fmt: skip
    before = list(
        OtherSchoolCount.objects.values_list("entry__school__code", "class_level", "male", "female")
    )
    r = lao_client.post(GRID, {f"{tree.other1.code}.p1.male": "7", f"{tree.other1.code}.m1.male": "12",
                               f"{primary.code}.m1.male": "3"})  # fmt: skip
    assert r.status_code == 200
    html = r.content.decode()
    assert "โรงเรียนบ้านหนองหอย (สพฐ.) ไม่ได้เปิดสอน ม.1" in html  # names the school and the level
    assert "มีข้อผิดพลาด" in html and 'href="#f-9050100001-closed"' in html
    assert (
        list(OtherSchoolCount.objects.values_list("entry__school__code", "class_level", "male", "female"))
        == before
    )
    assert not OtherSchoolEntry.objects.filter(school=primary).exists()  # all or nothing: the good school too
    # zeros for a level not taught mean nothing and are accepted
    r = lao_client.post(GRID, {f"{tree.other1.code}.p1.male": "7", f"{tree.other1.code}.m1.male": "0"})
    assert r.status_code == 302
    assert OtherSchoolCount.objects.get(entry__school=tree.other1, class_level="p1").male == 7


def test_an_import_with_a_level_not_taught_is_refused_by_row_and_level(client, tree, rnd, primary):
    client.force_login(tree.users["lao1"])
    code = tree.other1.code
    book = xlsx([[primary.code, "ม.1", 4, 4], [code, "ป.1", 10, 12], [code, "ม.2", 3, 0]],
                head=["รหัสโรงเรียน", "ระดับชั้น", "ชาย", "หญิง"])  # fmt: skip
    r = client.post(f"/o/{tree.lao1.code}/other-schools/import/",
                    {"round": rnd.pk, "file": SimpleUploadedFile("grid.xlsx", book.getvalue())})  # fmt: skip
    body = r.content.decode()
    assert r.status_code == 200
    assert "row 4, column ชาย: โรงเรียนบ้านหนองหอย (สพฐ.) ไม่ได้เปิดสอน ม.2" in body
    assert not OtherSchoolEntry.objects.exists()


def test_the_api_save_refuses_a_level_not_taught_and_keeps_zeros(tree, rnd, primary):
    with pytest.raises(Invalid) as caught:
        other_school_headcount_save(school=tree.other1, round_=rnd, closed=False, acting_user=tree.users["lao1"],
                                    counts=[{"class_level": "p1", "male": 1, "female": 0},
                                            {"class_level": "m1", "male": 0, "female": 2}])  # fmt: skip
    assert list(caught.value.errors) == ["counts.1.female"]
    assert not OtherSchoolEntry.objects.exists()
    entry = other_school_headcount_save(school=tree.other1, round_=rnd, closed=False, acting_user=tree.users["lao1"],
                                        counts=[{"class_level": "p1", "male": 1, "female": 0},
                                                {"class_level": "m1", "male": 0, "female": 0}])  # fmt: skip
    assert [(c.class_level, c.male) for c in entry.counts.all()] == [("p1", 1)]


def test_the_control_changes_the_levels_and_keeps_what_was_typed(lao_client, tree, rnd, primary):
    r = lao_client.post(GRID, {"levels_for": primary.code, f"{primary.code}.teaches": ["k1", "k2", "k3"],
                               f"{tree.other1.code}.p2.female": "9"})  # fmt: skip
    assert r.status_code == 200
    html = r.content.decode()
    assert Organisation.objects.get(pk=primary.pk).levels_taught == ["k1", "k2", "k3"]
    assert _inputs(html, primary.code) == {"k1", "k2", "k3"}
    assert "อ.1–อ.3" in html
    assert 'name="9050100001.p2.female" value="9"' in html  # typed elsewhere, kept (not saved)
    assert not OtherSchoolEntry.objects.exists()
    r = lao_client.post(GRID, {"levels_unknown": primary.code})
    assert Organisation.objects.get(pk=primary.pk).levels_taught is None
    assert len(_inputs(r.content.decode(), primary.code)) == 19


def test_removing_a_level_that_holds_learners_is_refused(lao_client, tree, rnd, primary):
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=tree.users["lao1"], entries={
        primary.code: {"closed": False, "counts": [{"class_level": "m1", "male": 4, "female": 1}]}})  # fmt: skip
    r = lao_client.post(GRID, {"levels_for": primary.code, f"{primary.code}.teaches": PRIMARY,
                               f"{primary.code}.m1.male": "4", f"{primary.code}.m1.female": "1"})  # fmt: skip
    html = r.content.decode()
    assert "ม.1" in html and "ล้าง" in html  # "clear them first"
    assert Organisation.objects.get(pk=primary.pk).levels_taught is None
    with pytest.raises(Invalid) as caught:
        other_school_levels_set(school=primary, levels=PRIMARY, acting_user=tree.users["lao1"])
    assert "5" in caught.value.errors["levels"][0] and "ม.1" in caught.value.errors["levels"][0]
    with pytest.raises(Invalid):
        other_school_levels_set(school=primary, levels=["x9"], acting_user=tree.users["lao1"])
    with pytest.raises(Invalid):
        other_school_levels_set(school=primary, levels=[], acting_user=tree.users["lao1"])


def test_the_control_suggests_the_levels_of_the_latest_round(lao_client, tree, primary):
    old = make_round(year=2568, term=2, state="open")
    other_school_headcounts_save(lao=tree.lao1, round_=old, acting_user=tree.users["lao1"], entries={
        primary.code: {"closed": False, "counts": [{"class_level": "k2", "male": 4, "female": 1},
                                                   {"class_level": "p1", "male": 0, "female": 3}]}})  # fmt: skip
    old.state = "closed"
    old.save()
    make_round()
    html = lao_client.get(GRID).content.decode()
    assert "แนะนำจาก" in html and "อ.2, ป.1" in html
    ticked = set(re.findall(rf'name="{primary.code}\.teaches" value="(\w+)" checked', html))
    assert ticked == {"k2", "p1"}
    assert len(_inputs(html, primary.code)) == 19  # only a suggestion: nothing hidden until saved


def test_a_reader_sees_no_control_and_a_past_round_shows_every_saved_number(client, tree, rnd, primary):
    other_school_headcounts_save(lao=tree.lao1, round_=rnd, acting_user=tree.users["lao1"], entries={
        tree.other1.code: {"closed": False, "counts": [{"class_level": "p1", "male": 2, "female": 2}]}})  # fmt: skip
    OtherSchoolCount.objects.filter(class_level="p1").update(
        class_level="m4"
    )  # saved before the levels were set
    client.force_login(tree.users["p1"])
    html = client.get(GRID).content.decode()
    assert "levels_for" not in html
    assert "m4" in _inputs(html, tree.other1.code)  # a level holding learners is never hidden
