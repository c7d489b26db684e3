"""The learner-file reader and the import (api.md import_learners): a corpus of bad files built here, each
refused with its message and nothing written; our template, LEC's report layout, idempotent re-import."""

import codecs
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.management import call_command

from students.importing import FileRefused, annotate, learners_import, read_table
from students.models import Learner
from tests.students.helpers import birth_for, nid

HEAD = ["ลำดับที่", "เลขประจำตัวนักเรียน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "เพศ",
        "วันเดือนปีเกิด", "ระดับชั้น", "ห้องเรียน"]  # fmt: skip


def be(d: dt.date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year + 543}"


def row(n=1, identity=None, prefix="เด็กชาย", first="สมชาย", last="ใจดี", gender="ชาย", birth=None, level="ป.1",
        room="1"):  # fmt: skip
    return [
        n,
        f"{n:05d}",
        identity or nid(),
        prefix,
        first,
        last,
        gender,
        birth or be(birth_for("p1")),
        level,
        room,
    ]


def xlsx(rows, head=HEAD, title=None, sheet="นักเรียน", before=None) -> io.BytesIO:
    wb = openpyxl.Workbook()
    ws = wb.active
    if before:
        ws.title = "สรุป"
        ws.append(before)
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    if title:
        ws.append([title])
    ws.append(head)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def csv_bytes(rows, head=HEAD, encoding="utf-8-sig") -> io.BytesIO:
    lines = [",".join(str(c) for c in r) for r in [head, *rows]]
    return io.BytesIO(("\r\n".join(lines) + "\r\n").encode(encoding))


def run(org, f, name="learners.xlsx", dry_run=False, user=None):
    return learners_import(organisation=org, source=f, filename=name, acting_user=user, dry_run=dry_run)


def problems(outcome):
    return [p.line() for p in outcome.problems]


# --- the happy paths ----------------------------------------------------------------------------------------


def test_template_import_creates_then_reimport_changes_nothing(tree):
    rows = [row(i) for i in range(1, 6)]
    out = run(tree.school1, xlsx(rows), dry_run=True)
    assert (out.created, out.updated, out.unchanged, out.problems) == (5, 0, 0, [])
    assert not Learner.objects.exists()
    out = run(tree.school1, xlsx(rows))
    assert out.summary() == "created 5, updated 0, unchanged 0"
    assert Learner.objects.filter(organisation=tree.school1, status="active").count() == 5
    out = run(tree.school1, xlsx(rows))
    assert out.summary() == "created 0, updated 0, unchanged 5"


def test_changed_values_are_updates_matched_by_identity(tree):
    rows = [row(1), row(2)]
    run(tree.school1, xlsx(rows))
    rows[1][5] = "ใจงาม"
    out = run(tree.school1, xlsx(rows))
    assert out.summary() == "created 0, updated 1, unchanged 1"
    assert Learner.objects.get(national_id=rows[1][2]).last_name == "ใจงาม"


def test_lec_report_layout_with_title_and_merged_headers(tree):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["รายงานรายละเอียดข้อมูลนักเรียน ปีการศึกษา 2569 ภาคเรียนที่ 1"])
    ws.append(["จังหวัด", "อำเภอ", "อปท.", "สถานศึกษา", "ลำดับที่", "เลขประจำตัวนักเรียน", "ข้อมูลนักเรียน",
               None, None, "วันเดือนปีเกิด", "เชื้อชาติ", "สัญชาติ", "ศาสนา", "เลขประจำตัวประชาชน", "ระดับชั้น",
               "ห้องเรียน", "ข้อมูลบิดา", None])  # fmt: skip
    ws.append([None] * 6 + ["คำนำหน้า", "ชื่อ", "นามสกุล"] + [None] * 7 + ["ชื่อ", "นามสกุล"])
    ws.merge_cells("A1:R1")
    for col in "ABCDEFJKLMNOP":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("G2:I2")
    ws.merge_cells("Q2:R2")
    g_code = "G644200000001"
    ws.append(["เชียงใหม่", "เมือง", "เทศบาลนครเชียงใหม่", "โรงเรียนเทศบาลวัดเกตการาม", 1, "101", "เด็กหญิง",
               "มาลี", "มีสุข", be(birth_for("p2")), "ไทย", "ไทย", "พุทธ", nid(), "ประถมศึกษาปีที่ 2", "1",
               "สมศักดิ์", "มีสุข"])  # fmt: skip
    ws.append([None, None, None, None, 2, "102", "เด็กชาย", "ต่อ", "ไร้สัญชาติ", be(birth_for("p2")), "ไทใหญ่",
               "-", "พุทธ", g_code, "ประถมศึกษาปีที่ 2", "1", None, None])  # fmt: skip
    ws.merge_cells("A4:A5")  # a merged cell in the data area
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    result = run(tree.school1, out)
    assert problems(result) == []
    assert result.header_row == 2
    assert set(result.ignored) == {"จังหวัด", "อำเภอ", "อปท.", "สถานศึกษา"}
    girl = Learner.objects.get(first_name="มาลี")
    assert (girl.gender, girl.class_level, girl.religion) == ("female", "p2", "พุทธ")
    assert girl.father["first_name"] == "สมศักดิ์"
    assert Learner.objects.get(g_code=g_code).gender == "male"


def test_sheet_is_picked_by_its_headers(tree):
    out = run(tree.school1, xlsx([row(1)], before=["สรุปจำนวนนักเรียน", 25]))
    assert out.sheet == "นักเรียน" and out.created == 1


def test_headers_match_english_aliases_zero_width_and_spaces(tree):
    head = ["national_id", "Prefix", "First\u200b name", " Last  name ", "birth date", "Class level", "สีผม"]
    out = run(tree.school1, xlsx([[nid(), "เด็กชาย", "ก", "ข", be(birth_for("p1")), "p1", "ดำ"]], head=head))
    assert problems(out) == [] and out.created == 1
    assert out.ignored == ["สีผม"]


def test_identity_forms_are_normalised(tree):
    a, b, c, d = nid(), nid(), nid(), nid()
    rows = [
        row(1, identity=f"{a[0]}-{a[1:5]}-{a[5:10]}-{a[10:12]}-{a[12]}"),
        row(2, identity=f"{b[:4]}\xa0{b[4:]} "),
        row(3, identity=int(c)),
        row(4, identity=d.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))),
    ]
    out = run(tree.school1, xlsx(rows))
    assert problems(out) == []
    assert set(Learner.objects.values_list("national_id", flat=True)) == {a, b, c, d}


def test_date_forms(tree):
    birth = birth_for("p1")
    rows = [
        row(1, birth=be(birth)),
        row(2, birth=f"{birth.day:02d}/{birth.month:02d}/{birth.year}"),
        row(3, birth=birth.isoformat()),
        row(4, birth=dt.datetime(birth.year, birth.month, birth.day)),
        row(5, birth=(birth - dt.date(1899, 12, 30)).days),
    ]
    out = run(tree.school1, xlsx(rows))
    assert problems(out) == []
    assert set(Learner.objects.values_list("birth_date", flat=True)) == {birth}


def test_blank_rows_are_skipped_and_rows_numbered_as_in_the_sheet(tree):
    rows = [row(1), [None] * 10, ["", " ", "\u200b"], row(2, level="ป.99")]
    out = run(tree.school1, xlsx(rows))
    assert problems(out)[0].startswith("row 5, column ระดับชั้น: ")
    assert out.rows == 2


def test_cdc_template_with_gender_following_the_prefix(tree):
    head = [h for h in HEAD if h != "เพศ"]
    r = row(1, prefix="เด็กหญิง", level="เด็กเล็ก 3 ขวบ", birth=be(birth_for("cdc3")))
    del r[6]
    out = run(tree.cdc1, xlsx([r], head=head))
    assert problems(out) == []
    assert Learner.objects.get().gender == "female"


# --- CSV encodings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874"])
def test_csv_encodings_accepted(tree, encoding):
    out = run(tree.school1, csv_bytes([row(1, first="สมศรี")], encoding=encoding), "learners.csv")
    assert problems(out) == []
    assert Learner.objects.get().first_name == "สมศรี"


def test_csv_in_utf16_is_refused_and_nothing_written(tree):
    with pytest.raises(FileRefused, match="UTF-8"):
        run(tree.school1, csv_bytes([row(1)], encoding="utf-16"), "learners.csv")
    assert not Learner.objects.exists()


def test_csv_in_another_encoding_is_refused(tree):
    data = io.BytesIO(csv_bytes([row(1)]).getvalue() + b"\x81\x82\xff\xfe")
    with pytest.raises(FileRefused, match="Windows-874"):
        run(tree.school1, data, "learners.csv")
    assert not Learner.objects.exists()


# --- the corpus of bad files: each refused with its message, nothing written -----------------------------------


def test_missing_required_column_rejects_the_file(tree):
    head = [h for h in HEAD if h != "วันเดือนปีเกิด"]
    r = row(1)
    del r[7]
    with pytest.raises(FileRefused) as exc:
        run(tree.school1, xlsx([r], head=head))
    assert "วันเดือนปีเกิด" in exc.value.message
    assert not Learner.objects.exists()


def test_number_that_lost_its_leading_zero_is_a_problem_never_padded(tree):
    from students.identity import make_national_id

    zero = make_national_id("012345678901")
    out = run(tree.school1, xlsx([row(1), row(2, identity=int(zero))]))
    assert len(out.problems) == 1
    line = problems(out)[0]
    assert line.startswith("row 3, column เลขประจำตัวประชาชน: ") and "12" in line
    assert not Learner.objects.exists()


def test_scientific_notation_is_a_problem(tree):
    out = run(tree.school1, csv_bytes([row(1, identity="1.10170E+12")]), "x.csv")
    assert problems(out)[0].startswith("row 2, column เลขประจำตัวประชาชน: ")
    assert "scientific" in out.problems[0].message or "วิทยาศาสตร์" in out.problems[0].message
    assert not Learner.objects.exists()


def test_formula_cell_is_a_problem(tree):
    out = run(tree.school1, xlsx([row(1), row(2, first="=A1&B1")]))
    assert [(p.row, p.column, p.kind) for p in out.problems] == [(3, "ชื่อ", "formula")]
    assert not Learner.objects.exists()


def test_two_digit_year_is_refused(tree):
    out = run(tree.school1, xlsx([row(1, birth="15/05/62")]))
    assert [(p.row, p.column, p.kind) for p in out.problems] == [(2, "วันเดือนปีเกิด", "date")]
    assert not Learner.objects.exists()


def test_bad_check_digit_reported_with_row_and_column(tree):
    bad = nid()[:12] + str((int(nid()[12]) + 1) % 10)
    good = nid()
    out = run(tree.school1, xlsx([row(1, identity=good), row(2, identity=good[:12] + bad[12])]))
    assert problems(out)[0].startswith("row 3, column เลขประจำตัวประชาชน: ")
    assert not Learner.objects.exists()


def test_same_identity_twice_in_the_file(tree):
    same = nid()
    out = run(tree.school1, xlsx([row(1, identity=same), row(2, identity=same)]))
    assert [(p.row, p.kind) for p in out.problems] == [(3, "duplicate")]
    assert not Learner.objects.exists()


def test_identity_active_elsewhere_is_a_transfer_candidate(tree):
    held = nid()
    run(tree.school2, xlsx([row(1, identity=held)]))
    out = run(tree.school1, xlsx([row(1), row(2, identity=held)]))
    assert (
        problems(out) == [f"row 3, column เลขประจำตัวประชาชน: active at {tree.school2.code}", "1 problems"][:1]
    )
    assert out.candidates[0]["code"] == tree.school2.code and out.candidates[0]["row"] == 3
    assert Learner.objects.filter(organisation=tree.school1).count() == 0


def test_confirmed_institution_refuses_imports(tree):
    from lec.lib.errors import DomainError

    type(tree.school1).objects.filter(pk=tree.school1.pk).update(learners_locked=True)
    with pytest.raises(DomainError) as exc:
        run(tree.school1, xlsx([row(1)]))
    assert exc.value.code == "confirmed_locked"
    assert not Learner.objects.exists()


def test_file_over_20_mb_is_refused_before_reading(tree):
    big = io.BytesIO(b"a,b\r\n" + b"x" * (20 * 1024 * 1024 + 1))
    with pytest.raises(FileRefused, match="20"):
        run(tree.school1, big, "big.csv")


def test_more_than_50000_rows_is_refused(tree):
    line = ",".join(str(c) for c in row(1)) + "\r\n"
    data = (",".join(HEAD) + "\r\n" + line * 50_001).encode()
    with pytest.raises(FileRefused, match="50,000"):
        run(tree.school1, io.BytesIO(data), "many.csv")
    assert not Learner.objects.exists()


def test_zip_bomb_is_refused_quickly(tree):
    import time

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    data.seek(0)
    started = time.monotonic()
    with pytest.raises(FileRefused, match="MB"):
        run(tree.school1, data)
    assert time.monotonic() - started < 2


def test_xlsx_with_absurd_member_count_is_refused(tree):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        for i in range(2_500):
            z.writestr(f"xl/media/{i}.bin", b"x")
    data.seek(0)
    with pytest.raises(FileRefused):
        run(tree.school1, data)


def test_not_a_spreadsheet_is_refused(tree):
    with pytest.raises(FileRefused):
        run(tree.school1, io.BytesIO(b"\xd0\xcf\x11\xe0old excel"), "old.xls")
    with pytest.raises(FileRefused):
        run(tree.school1, io.BytesIO(b"PK\x03\x04broken"), "broken.xlsx")


def test_one_bad_row_means_nothing_is_written(tree):
    out = run(tree.school1, xlsx([row(i) for i in range(1, 20)] + [row(20, prefix="คุณ")]))
    assert [(p.row, p.column) for p in out.problems] == [(21, "คำนำหน้า")]
    assert not Learner.objects.exists()


def test_messages_are_thai(tree):
    out = run(tree.school1, xlsx([row(1, level="ชั้นพิเศษ")]))
    assert "ไม่ใช่ระดับชั้น" in out.problems[0].message


# --- the annotated workbook ----------------------------------------------------------------------------------


def test_annotated_workbook_marks_problem_cells(tree):
    f = xlsx([row(1), row(2, birth="31/02/2562")])
    out = run(tree.school1, f)
    data = annotate(f, "x.xlsx", out.as_dict())
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = ws.cell(row=3, column=8)
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and cell.comment is not None
    assert ws.cell(row=1, column=11).value == "ปัญหาที่พบ"
    assert ws.cell(row=3, column=11).value.startswith("วันเดือนปีเกิด: ")


def test_annotated_workbook_from_csv(tree):
    f = csv_bytes([row(1, level="ป.9")])
    out = run(tree.school1, f, "x.csv")
    ws = openpyxl.load_workbook(io.BytesIO(annotate(f, "x.csv", out.as_dict()))).active
    assert ws.cell(row=2, column=9).comment is not None


# --- the command -----------------------------------------------------------------------------------------------


def _save(tmp_path, f, name="learners.xlsx"):
    path = tmp_path / name
    path.write_bytes(f.getvalue())
    return str(path)


def test_command_imports_and_reports(tree, tmp_path, capsys):
    path = _save(tmp_path, xlsx([row(1), row(2)]))
    call_command("import_learners", tree.school1.code, path, "--dry-run")
    assert capsys.readouterr().out.strip() == "created 2, updated 0, unchanged 0"
    assert not Learner.objects.exists()
    call_command("import_learners", tree.school1.code, path, "--as", tree.users["school1"].username)
    assert capsys.readouterr().out.strip() == "created 2, updated 0, unchanged 0"
    assert Learner.objects.count() == 2
    assert Learner.history.filter(history_user=tree.users["school1"]).count() == 2
    call_command("import_learners", tree.school1.code, path)
    assert capsys.readouterr().out.strip() == "created 0, updated 0, unchanged 2"


def test_command_exits_1_with_problem_lines(tree, tmp_path, capsys):
    path = _save(tmp_path, xlsx([row(1, level="ป.9"), row(2, birth="1/1/62")]))
    with pytest.raises(SystemExit) as exc:
        call_command("import_learners", tree.school1.code, path)
    assert exc.value.code == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("row 2, column ระดับชั้น: ")
    assert lines[1].startswith("row 3, column วันเดือนปีเกิด: ")
    assert lines[-1] == "2 problems"
    assert not Learner.objects.exists()


def test_command_refuses_confirmed_institution(tree, tmp_path, capsys):
    type(tree.school1).objects.filter(pk=tree.school1.pk).update(learners_locked=True)
    path = _save(tmp_path, xlsx([row(1)]))
    with pytest.raises(SystemExit) as exc:
        call_command("import_learners", tree.school1.code, path)
    assert exc.value.code == 1
    assert "confirmed_locked" in capsys.readouterr().out
    assert not Learner.objects.exists()


def test_reader_alone_reports_header_row_and_unknown_columns():
    table = read_table(xlsx([row(1)], head=[*HEAD, "หมายเหตุ"], title="รายชื่อนักเรียน"), "x.xlsx")
    assert table.header_row == 2 and table.ignored == ["หมายเหตุ"] and table.rows[0].number == 3


def test_bom_only_once(tree):
    data = codecs.BOM_UTF8 + csv_bytes([row(1)], encoding="utf-8").getvalue()
    out = run(tree.school1, io.BytesIO(data), "x.csv")
    assert out.created == 1
