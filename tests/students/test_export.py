"""Exports (api.md "Exports"): encoding, escaping, masking, audit, query budget, and the export → import round trip."""

import csv
import datetime as dt
import hashlib
import io

import openpyxl
import pytest

from accounts.models import AuditLog
from students.exporting import escape, template_workbook
from students.importing import SPECS, learners_import
from students.models import Learner
from students.services import learner_clean, learners_bulk_upsert
from tests.factories import RoundFactory
from tests.students.helpers import learner_input


def add(org, n=3, **kw):
    items = []
    for i in range(n):
        data = learner_input(first_name=kw.get("first_name", f"ชื่อ{i}"), last_name=kw.get("last_name", f"สกุล{i}"),
                             room="1", student_number=f"{i:05d}")  # fmt: skip
        if org.kind == "cdc":
            data = learner_input("cdc3", prefix="เด็กหญิง", first_name=f"เด็ก{i}", last_name="ดี")
        cleaned, errors = learner_clean(organisation=org, data=data)
        assert not errors, errors
        items.append(cleaned)
    learners_bulk_upsert(organisation=org, items=items, acting_user=None)
    return items


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_export_has_bom_template_headers_and_thai_values(tree, api):
    add(tree.school1, 2)
    r = api.get(
        f"/api/v1/organisations/{tree.school1.code}/learners/export?format=csv", tree.users["school1"]
    )
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = read_csv(r)
    assert rows[0][:10] == ["ลำดับที่", "เลขประจำตัวนักเรียน", "เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล",
                            "เพศ", "วันเดือนปีเกิด", "ระดับชั้น", "ห้องเรียน"]  # fmt: skip
    first = rows[1]
    assert first[6] == "ชาย" and first[8] == "ประถมศึกษาปีที่ 1"
    day, month, year = first[7].split("/")
    assert int(year) > 2500 and len(day) == 2
    assert len(first[2].replace("-", "")) == 13 and "x" not in first[2]


def test_export_masks_identities_above_the_lao(tree, api):
    items = add(tree.school1, 1)
    r = api.get(f"/api/v1/organisations/{tree.p1.code}/learners/export?format=csv", tree.users["p1"])
    row = read_csv(r)[1]
    nid = items[0]["national_id"]
    assert row[2] == f"{nid[0]}-{nid[1:5]}-xxxxx-xx-{nid[12]}"
    r = api.get(f"/api/v1/organisations/{tree.lao1.code}/learners/export?format=csv", tree.users["lao1"])
    assert read_csv(r)[1][2].replace("-", "") == nid


def test_export_is_audited_with_rows_and_checksum(tree, api):
    add(tree.school1, 3)
    r = api.get(
        f"/api/v1/organisations/{tree.school1.code}/learners/export?format=csv", tree.users["school1"]
    )
    body = b"".join(r.streaming_content)
    log = AuditLog.objects.get(action="export_learners")
    assert log.user == tree.users["school1"] and log.organisation == tree.school1
    assert log.detail["rows"] == 3 and log.detail["checksum"] == hashlib.sha256(body).hexdigest()
    assert log.detail["filter"]["status"] == "active" and log.detail["format"] == "csv"


def test_xlsx_export_identity_as_text_and_audited(tree, api):
    items = add(tree.school1, 2)
    r = api.get(
        f"/api/v1/organisations/{tree.school1.code}/learners/export?format=xlsx", tree.users["school1"]
    )
    assert r.status_code == 200
    body = b"".join(r.streaming_content)
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    cell = ws.cell(row=2, column=3)
    assert cell.value in {i["national_id"] for i in items} and cell.number_format == "@"
    log = AuditLog.objects.get(action="export_learners")
    assert log.detail["rows"] == 2 and log.detail["checksum"] == hashlib.sha256(body).hexdigest()


def test_formula_like_cells_are_escaped_in_csv_and_xlsx(tree, api):
    add(tree.school1, 1, first_name="=HYPERLINK(1)", last_name="+66 81")
    r = api.get(
        f"/api/v1/organisations/{tree.school1.code}/learners/export?format=csv", tree.users["school1"]
    )
    row = read_csv(r)[1]
    assert row[4] == "'=HYPERLINK(1)" and row[5] == "'+66 81"
    r = api.get(
        f"/api/v1/organisations/{tree.school1.code}/learners/export?format=xlsx", tree.users["school1"]
    )
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    assert ws.cell(row=2, column=5).value == "'=HYPERLINK(1)" and ws.cell(row=2, column=5).data_type == "s"
    assert [escape(v) for v in ("@x", "\tx", "\rx", "-1", "ok")] == ["'@x", "'\tx", "'\rx", "'-1", "ok"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_imports_back_unchanged(tree, api, fmt):
    add(tree.school1, 4)
    Learner.objects.filter(organisation=tree.school1).update(
        weight_kg="25.5", shortages=["books", "food"], disadvantage="poor",
        father={"prefix": "นาย", "first_name": "พ่อ", "last_name": "ดี", "occupation": "ค้าขาย", "income": 15000,
                "phone": "0812345678", "relation": ""},
    )  # fmt: skip
    r = api.get(
        f"/api/v1/organisations/{tree.school1.code}/learners/export?format={fmt}", tree.users["school1"]
    )
    body = b"".join(r.streaming_content)
    out = learners_import(organisation=tree.school1, source=io.BytesIO(body), filename=f"x.{fmt}",
                          acting_user=None, dry_run=True)  # fmt: skip
    assert [p.line() for p in out.problems] == []
    assert out.summary() == "created 0, updated 0, unchanged 4"


def test_status_filter_and_bad_values(tree, api):
    add(tree.school1, 2)
    from students.services import learner_leave

    learner_leave(
        learner_id=Learner.objects.first().pk, reason="graduated", left_on=dt.date.today(), acting_user=None
    )
    base = f"/api/v1/organisations/{tree.school1.code}/learners/export"
    user = tree.users["school1"]
    assert len(read_csv(api.get(base + "?format=csv", user))) == 2
    assert len(read_csv(api.get(base + "?format=csv&status=all", user))) == 3
    assert len(read_csv(api.get(base + "?format=csv&status=graduated", user))) == 2
    r = api.get(base + "?format=csv&status=nope", user)
    assert r.status_code == 400 and "status" in r.json()["errors"]
    assert api.get(base + "?format=pdf", user).status_code == 400


def test_export_of_another_province_is_404_and_unauthenticated_is_401(tree, api):
    path = f"/api/v1/organisations/{tree.school4.code}/learners/export?format=csv"
    assert api.get(path, tree.users["school1"]).status_code == 404
    assert api.get(path).status_code == 401


def test_export_query_count_does_not_grow_with_rows(tree, api, django_assert_max_num_queries):
    add(tree.school1, 30)
    add(tree.school2, 30)
    api.token(tree.users["lao1"])
    with django_assert_max_num_queries(10):
        r = api.get(f"/api/v1/organisations/{tree.lao1.code}/learners/export?format=csv", tree.users["lao1"])
        assert len(read_csv(r)) == 61


def _round(state="open"):
    from django.utils import timezone

    now = timezone.now()
    return RoundFactory(academic_year=2569, term=1, opens_at=now, state=state)


def test_headcount_export_per_institution_with_dmc_row(tree, api):
    add(tree.school1, 3)
    add(tree.cdc1, 2)
    rnd = _round()
    r = api.get(f"/api/v1/headcounts/export?round={rnd.pk}&organisation={tree.lao1.code}&format=csv"
                "&level=institution", tree.users["lao1"])  # fmt: skip
    assert r.status_code == 200
    rows = read_csv(r)
    assert rows[0][:3] == ["รหัส", "ชื่อ", "สถานะ"]
    p1 = rows[0].index("ป.1 ชาย")
    assert rows[1][p1] == "DMC 04"
    by_code = {row[0]: row for row in rows[2:]}
    assert by_code[tree.school1.code][p1] == "3" and by_code[tree.school1.code][-1] == "3"
    assert by_code[tree.cdc1.code][-1] == "2" and by_code[tree.cdc1.code][2] == "ยังไม่ยืนยัน"
    assert AuditLog.objects.get(action="export_headcounts").detail["rows"] == 3


def test_headcount_export_per_lao_xlsx(tree, api):
    add(tree.school1, 3)
    add(tree.school3, 1)
    rnd = _round()
    r = api.get(f"/api/v1/headcounts/export?round={rnd.pk}&organisation={tree.p1.code}&format=xlsx&level=lao",
                tree.users["p1"])  # fmt: skip
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    totals = {row[0]: row[-1] for row in rows[2:]}
    assert totals == {tree.lao1.code: 3, tree.lao2.code: 1}
    bad = api.get(f"/api/v1/headcounts/export?round={rnd.pk}&organisation={tree.p1.code}&level=nation",
                  tree.users["p1"])  # fmt: skip
    assert bad.status_code == 400


def test_template_has_drop_downs_and_text_identity():
    ws = openpyxl.load_workbook(io.BytesIO(template_workbook())).worksheets[0]
    assert ws.cell(row=1, column=3).value == "เลขประจำตัวประชาชน"
    assert ws.cell(row=2, column=3).number_format == "@"
    ranges = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert {"D2:D5000", "G2:G5000", "I2:I5000"} <= set(ranges)


def test_template_marks_required_columns_and_explains_every_column_with_an_example():
    from students.importing import read_table

    data = template_workbook()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    data_sheet, help_sheet = wb.worksheets[0], wb["คำอธิบาย"]
    marked = {c.value for c in data_sheet[1] if c.comment is not None}
    assert marked == {"เลขประจำตัวประชาชน", "คำนำหน้า", "ชื่อ", "นามสกุล", "วันเดือนปีเกิด", "ระดับชั้น"}
    rows = {r[0]: r for r in help_sheet.iter_rows(min_row=5, values_only=True)}
    assert len(rows) == data_sheet.max_column
    assert rows["วันเดือนปีเกิด"][1] == "จำเป็น" and rows["ห้องเรียน"][1] in ("", None)
    assert rows["เลขประจำตัวประชาชน"][3] == "1103700012346"
    # The example lives on the instructions sheet only: the template itself imports as an empty table.
    assert len(read_table(io.BytesIO(data), "template.xlsx").rows) == 0


@pytest.mark.parametrize("field", ["father", "guardian", "registered_address", "current_address"])
def test_a_learner_with_one_person_or_address_exports_it_in_its_columns(tree, api, field):
    """Most learners have no parent, guardian or address recorded, and their rows skip those columns at once;
    one object recorded, whichever it is, must still reach its own columns."""
    add(tree.school1, 2)
    value = {"first_name": "ทดสอบ"} if field in ("father", "guardian") else {"subdistrict": "ทดสอบ"}
    Learner.objects.filter(organisation=tree.school1, first_name="ชื่อ1").update(**{field: value})
    r = api.get(
        f"/api/v1/organisations/{tree.school1.code}/learners/export?format=csv", tree.users["school1"]
    )
    head, *rows = read_csv(r)
    sub = "first_name" if field in ("father", "guardian") else "subdistrict"
    heading = next(s.th for s in SPECS if s.field == f"{field}.{sub}")
    filled = {row[4]: [head[i] for i, cell in enumerate(row) if cell == "ทดสอบ"] for row in rows}
    assert filled == {"ชื่อ0": [], "ชื่อ1": [heading]}
