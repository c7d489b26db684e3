"""Issue 12, hole 9: crafted files and parameters are clear refusals, never 500s or stuck jobs."""

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from schools.grid_import import GridProblems, other_schools_import
from tests.factories import RoundFactory

CORPUS = Path(__file__).resolve().parents[1] / "spreadsheets" / "corpus"


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_school_code_excel_turned_into_a_date_is_a_problem_line(tree):
    now = timezone.now()
    rnd = RoundFactory(opens_at=now, closes_at=now + dt.timedelta(days=3))
    data = _xlsx([["รหัส", "ป.1 ชาย", "ป.1 หญิง"], [dt.datetime(2024, 5, 1), 3, 4]])
    with pytest.raises(GridProblems) as refused:
        other_schools_import(lao=tree.lao1, round_=rnd, source=io.BytesIO(data), filename="grid.xlsx",
                             acting_user=tree.users["lao1"])  # fmt: skip
    assert any("row 2" in line for line in refused.value.lines)


def _corrupt(data: bytes, member: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == member else source.read(item.filename))
    return out.getvalue()


@pytest.mark.parametrize("member", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_malformed_xml_in_a_workbook_is_a_refusal(tree, member):
    from lec.lib.spreadsheets import FileRefused

    now = timezone.now()
    rnd = RoundFactory(opens_at=now, closes_at=now + dt.timedelta(days=3))
    # LibreOffice keeps text in xl/sharedStrings.xml (openpyxl writes it inline): a real workbook of the corpus
    data = (CORPUS / "lo_default.xlsx").read_bytes()
    assert member in zipfile.ZipFile(io.BytesIO(data)).namelist()
    bad = _corrupt(data, member, b"<sst><si><t>broken")
    with pytest.raises((FileRefused, GridProblems)):
        other_schools_import(lao=tree.lao1, round_=rnd, source=io.BytesIO(bad), filename="grid.xlsx",
                             acting_user=tree.users["lao1"])  # fmt: skip


@pytest.mark.parametrize("value", ["abc", "999999", "99999999999999999999"])
def test_a_bad_round_parameter_on_pages_is_a_4xx(tree, client, value):
    RoundFactory()
    client.force_login(tree.users["lao1"])
    for path in (
        f"/confirm/{tree.lao1.code}/?round={value}",
        f"/o/{tree.lao1.code}/other-schools/?round={value}",
        f"/o/{tree.lao1.code}/export/headcounts/?round={value}&format=csv&level=institution",
    ):
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
