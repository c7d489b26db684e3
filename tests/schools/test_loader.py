"""load_organisations: upsert, any order, atomic, every bad line reported (api.md)."""

import pytest
from django.core.management import call_command
from django.utils import translation

from schools.models import Organisation

pytestmark = pytest.mark.django_db

HEADER = "code,kind,name_th,name_en,parent_code,lao_type,affiliation\n"
GOOD = (
    "S1,school,โรงเรียนหนึ่ง,,L1,,\n"  # child before its parents: any order works
    "L1,lao,อบต.หนึ่ง,SAO One,P1,sao,\n"
    "O1,other_school,โรงเรียนสังกัดอื่น,,L1,,obec\n"
    "DLA,department,กรม,,,,\n"
    "P1,province,สถจ.หนึ่ง,,DLA,,\n"
    "C1,cdc,ศพด.หนึ่ง,,L1,,\n"
)


def load(tmp_path, text, name="orgs.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys, path, language="en"):
    code = 0
    try:
        with translation.override(language):
            call_command("load_organisations", str(path))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out.strip(), out.err.strip()


def test_loads_in_any_order_and_builds_paths(tmp_path, capsys):
    code, out, _ = run(capsys, load(tmp_path, HEADER + GOOD))
    assert code == 0
    assert out == "created 6, updated 0, unchanged 0"
    s1 = Organisation.objects.get(code="S1")
    assert s1.path == "DLA/P1/L1/S1"
    assert s1.lao.code == "L1" and s1.province.code == "P1"
    assert Organisation.objects.get(code="L1").lao_type == "sao"


def test_loading_twice_changes_nothing(tmp_path, capsys):
    path = load(tmp_path, HEADER + GOOD)
    run(capsys, path)
    before = list(Organisation.objects.values_list("id", "path", "updated_at"))
    code, out, _ = run(capsys, path)
    assert (code, out) == (0, "created 0, updated 0, unchanged 6")
    assert list(Organisation.objects.values_list("id", "path", "updated_at")) == before


def test_changed_name_parent_and_active_flag_are_updated(tmp_path, capsys):
    run(capsys, load(tmp_path, HEADER + GOOD + "L2,lao,อบต.สอง,,P1,sao,\n"))
    moved = HEADER.strip() + ",is_active\nS1,school,โรงเรียนหนึ่ง (ใหม่),,L2,,,1\nC1,cdc,ศพด.หนึ่ง,,L1,,,0\n"
    code, out, _ = run(capsys, load(tmp_path, moved, "moved.csv"))
    assert (code, out) == (0, "created 0, updated 2, unchanged 0")
    s1 = Organisation.objects.get(code="S1")
    assert (s1.name_th, s1.path, s1.lao.code) == ("โรงเรียนหนึ่ง (ใหม่)", "DLA/P1/L2/S1", "L2")
    c1 = Organisation.objects.get(code="C1")
    assert c1.is_active is False and c1.closed_on is not None
    assert Organisation.objects.filter(code="O1").exists()  # absent from the file: untouched


def test_moving_an_lao_moves_its_subtree(tmp_path, capsys):
    run(capsys, load(tmp_path, HEADER + GOOD + "P2,province,สถจ.สอง,,DLA,,\n"))
    code, _, _ = run(capsys, load(tmp_path, HEADER + "L1,lao,อบต.หนึ่ง,SAO One,P2,sao,\n", "move.csv"))
    assert code == 0
    s1 = Organisation.objects.get(code="S1")
    assert s1.path == "DLA/P2/L1/S1" and s1.province.code == "P2"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X1,castle,ปราสาท,,L1,,", "unknown kind"),
        ("X1,school,โรงเรียน,,NOPE,,", "unknown parent_code NOPE"),
        ("X1,school,โรงเรียน,,P1,,", "parent P1 is a province; a school needs a lao"),
        ("X1,school,,,L1,,", "name_th is required"),
        ("X1,lao,อบต.,,P1,village,", "lao_type must be one of"),
        ("X1,school,โรงเรียน,,L1,sao,", "lao_type is only for LAOs"),
        ("X1,other_school,โรงเรียน,,L1,,church", "affiliation must be one of"),
        ("S1,cdc,โรงเรียนหนึ่ง,,L1,,", "kind cannot change from school to cdc"),
        ("X1,province,สถจ.,,,,", "parent_code is required"),
    ],
)
def test_each_kind_of_bad_row_is_reported_and_nothing_is_written(tmp_path, capsys, row, message):
    run(capsys, load(tmp_path, HEADER + GOOD))
    before = Organisation.objects.count()
    text = HEADER + "NEW1,school,โรงเรียนใหม่,,L1,,\n" + row + "\n"
    code, out, err = run(capsys, load(tmp_path, text, "bad.csv"))
    assert code == 1
    assert err.startswith("line 3: ") and message in err
    assert Organisation.objects.count() == before  # the good NEW1 row was not written either


def test_duplicate_code_in_file_reports_the_second_line(tmp_path, capsys):
    code, _, err = run(capsys, load(tmp_path, HEADER + GOOD + "S1,school,ซ้ำ,,L1,,\n"))
    assert code == 1
    assert "line 8: code S1 appears twice in the file (first at line 2)" in err
    assert Organisation.objects.count() == 0


def test_every_bad_line_is_reported(tmp_path, capsys):
    code, _, err = run(capsys, load(tmp_path, HEADER + "A,castle,x,,,,\nB,school,,,Z,,\n"))
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith("line 2: ") and lines[1].startswith("line 3: ")


def test_bom_is_accepted(tmp_path, capsys):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + GOOD).encode("utf-8"))
    code, out, _ = run(capsys, path)
    assert (code, out) == (0, "created 6, updated 0, unchanged 0")


def test_reasons_are_in_thai_for_thai_officers(tmp_path, capsys):
    code, _, err = run(capsys, load(tmp_path, HEADER + "X1,school,โรงเรียน,,NOPE,,\n"), language="th")
    assert code == 1 and err == "line 2: ไม่พบหน่วยงานต้นสังกัดรหัส NOPE"


def test_windows_874_is_accepted_like_the_learner_import(tmp_path, capsys):
    path = tmp_path / "thai.csv"
    path.write_bytes((HEADER + GOOD).encode("cp874"))
    code, out, _ = run(capsys, path)
    assert (code, out) == (0, "created 6, updated 0, unchanged 0")
    assert Organisation.objects.get(code="L1").name_th == "อบต.หนึ่ง"


def test_an_unknown_encoding_is_refused_and_nothing_loaded(tmp_path, capsys):
    path = tmp_path / "utf16.csv"
    path.write_bytes((HEADER + GOOD).encode("utf-16"))
    code, _, err = run(capsys, path)
    assert code == 1 and "Windows-874" in err
    assert Organisation.objects.count() == 0


def test_a_missing_column_is_reported_on_line_1(tmp_path, capsys):
    code, _, err = run(capsys, load(tmp_path, "code,kind,name_th\nA,department,กรม\n"))
    assert code == 1 and err.startswith("line 1: missing columns: name_en, parent_code")
