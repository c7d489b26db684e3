"""GET /budget and /budget/export as api.md writes them: shapes, 2-place decimal strings, 404/400, the schema, the
export's headers and rows, its audit row; and the size bands at their boundaries."""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest

from accounts.models import AuditLog
from budget import selectors
from budget.engine import Estimate, RateBook
from tests.budget.conftest import make_round

pytestmark = pytest.mark.django_db
AMOUNT = re.compile(r"^\d+\.\d\d$")


def test_shapes_and_two_place_amounts_for_every_by(world):
    base = f"/api/v1/budget?round={world.round.pk}&organisation={world.lao_b.code}"
    keys = {"item": {"item", "pupils", "amount"}, "child": {"code", "name_th", "amount"},
            "class_level": {"class_level", "pupils", "amount"}}  # fmt: skip
    for by, row_keys in keys.items():
        body = world.call("get", f"{base}&by={by}", "lao_b").json()
        assert set(body) == {
            "organisation",
            "round",
            "fiscal_year",
            "source",
            "rows",
            "total",
            "missing",
            "uncovered",
        }
        assert body["rows"] and all(set(r) == row_keys for r in body["rows"])
        assert all(AMOUNT.match(r["amount"]) for r in body["rows"]) and AMOUNT.match(body["total"])
    body = world.call("get", base, "lao_b").json()  # by=item is the default
    assert [r["item"] for r in body["rows"]] == ["lunch", "milk", "per_head"]


def test_default_round_is_the_open_one_and_fiscal_year_follows_it(world):
    body = world.call("get", f"/api/v1/budget?organisation={world.s35.code}", "s35").json()
    assert (body["round"], body["fiscal_year"], body["total"]) == (world.round.pk, 2570, "327011.80")


def test_a_fiscal_year_without_rates_is_a_400_on_fiscal_year(world):
    r = world.call("get", f"/api/v1/budget?round={world.round.pk}&organisation=DLA&fiscal_year=2590", "dept")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid" and "fiscal_year" in r.json()["errors"]


def test_invisible_organisations_and_unknown_rounds_are_404(world):
    r = world.call("get", f"/api/v1/budget?round={world.round.pk}&organisation={world.lao_b.code}", "lao_a")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = world.call("get", f"/api/v1/budget?round={world.round.pk}&organisation=NOPE", "dept")
    assert r.status_code == 404
    r = world.call("get", "/api/v1/budget?round=99999&organisation=DLA", "dept")
    assert r.status_code == 404
    r = world.call(
        "get", f"/api/v1/budget/export?round={world.round.pk}&organisation={world.lao_b.code}", "s35"
    )
    assert r.status_code == 404
    assert world.api.client.get("/api/v1/budget?organisation=DLA").status_code == 401


def test_bad_parameters_are_400(world):
    r = world.call("get", f"/api/v1/budget?round={world.round.pk}&organisation=DLA&by=province", "dept")
    assert r.status_code == 400 and "by" in r.json()["errors"]
    r = world.call("get", f"/api/v1/budget/export?round={world.round.pk}&organisation=DLA&format=pdf", "dept")
    assert r.status_code == 400 and "format" in r.json()["errors"]
    r = world.call(
        "get", f"/api/v1/budget/export?round={world.round.pk}&organisation=DLA&level=nation", "dept"
    )
    assert r.status_code == 400 and "level" in r.json()["errors"]


def test_the_openapi_schema_declares_every_response(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/budget", "/api/v1/budget/export"):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"200", "400", "401", "403", "404"} <= set(responses)
    budget = spec["paths"]["/api/v1/budget"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert budget["$ref"].endswith("BudgetOut")


def test_csv_export_per_lao_and_per_institution_is_logged(world):
    r = world.call(
        "get", f"/api/v1/budget/export?round={world.round.pk}&organisation=DLA&format=csv&level=lao", "dept"
    )
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["รหัส", "ชื่อ", "อาหารกลางวัน", "อาหารเสริม (นม)", "ค่าจัดการเรียนการสอนรายหัว", "รวม"]
    assert rows[1:] == [
        ["LAO-C", "อบต.ซี", "0.00", "0.00", "0.00", "0.00"],
        ["LAO-A", "เทศบาลตำบลเอ", "559800.00", "157643.20", "118244.00", "835687.20"],
        ["LAO-B", "อบต.บี", "736000.00", "286624.00", "241920.00", "1264544.00"],
    ]
    log = AuditLog.objects.filter(action="export_budget").get()
    assert (
        log.detail["rows"] == 3 and log.detail["format"] == "csv" and log.detail["filter"]["level"] == "lao"
    )
    assert log.user == world.users["dept"]


def test_xlsx_export_per_institution(world):
    r = world.call("get", f"/api/v1/budget/export?round={world.round.pk}&organisation={world.lao_b.code}&format=xlsx",
                   "lao_b")  # fmt: skip
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["รหัส", "ชื่อ", "อาหารกลางวัน", "อาหารเสริม (นม)", "ค่าจัดการเรียนการสอนรายหัว", "รวม"]
    got = {row[0]: [Decimal(str(v)) for v in row[2:]] for row in rows[1:]}
    assert got == {
        "S130": [Decimal("352000"), Decimal("143312"), Decimal("241920"), Decimal("737232")],
        "O120": [Decimal("384000"), Decimal("143312"), Decimal("0"), Decimal("527312")],
        "OCLOSED": [Decimal("0")] * 4,
        "SOPEN": [Decimal("0")] * 4,
    }
    assert "SGONE" not in got  # a closed school with no amount is not listed
    assert AuditLog.objects.filter(action="export_budget", detail__format="xlsx").count() == 1


# ------------------------------------------------------------------------------------------- size bands


@pytest.fixture
def lunch_book(db):
    from django.core.management import call_command

    from tests.budget.conftest import RATES

    call_command("load_budget_rates", str(RATES), stdout=io.StringIO())
    return selectors.rate_book(2570)


@pytest.mark.parametrize(
    ("size", "per_day"),
    [(1, 36), (40, 36), (41, 27), (100, 27), (101, 24), (120, 24), (121, 22), (5000, 22)],
)
def test_lunch_band_boundaries(lunch_book, size, per_day):
    est = Estimate()
    est.add_group(lunch_book, "school", "p1", size, 10)
    est.finish(lunch_book)
    assert est.by_item()["lunch"] == [10, Decimal(10 * per_day * 200)]


def test_a_band_gap_is_reported_for_that_item_only():
    from budget.rates import RateRow

    rows = [RateRow(2, 2570, "lunch", "school", "p1", 1, 40, Decimal(36), "per_day", 200),
            RateRow(3, 2570, "milk", "school", "p1", None, None, Decimal("6.89"), "per_day", 260)]  # fmt: skip
    est = Estimate()
    book = RateBook(2570, rows)
    est.add_group(book, "school", "p1", 55, 7)
    est.finish(book)
    assert est.uncovered_rows() == [
        {"applies_to": "school", "class_level": "p1", "item": "lunch", "pupils": 7}
    ]
    assert est.total == Decimal("6.89") * 260 * 7


def test_an_earlier_round_has_no_confirmed_numbers(world):
    old = make_round(year=2568, term=2, state="closed")
    body = world.call(
        "get", f"/api/v1/budget?round={old.pk}&organisation=DLA&fiscal_year=2570", "dept"
    ).json()
    assert body["total"] == "0.00" and body["missing"] == ["30", "50"]


def test_every_path_adds_up_to_the_same_national_total(world):
    """Per-institution (true sizes), per-LAO and per-province (sizes bucketed by band edges) agree to the satang."""
    base = f"/api/v1/budget/export?round={world.round.pk}&organisation=DLA&format=csv"
    totals = []
    for level in ("institution", "lao"):
        rows = list(
            csv.reader(
                io.StringIO(world.call("get", f"{base}&level={level}", "dept").content.decode("utf-8-sig"))
            )
        )
        totals.append(sum(Decimal(r[-1]) for r in rows[1:]))
    by_child = world.call(
        "get", f"/api/v1/budget?round={world.round.pk}&organisation=DLA&by=child", "dept"
    ).json()
    totals.append(sum(Decimal(r["amount"]) for r in by_child["rows"]))
    assert totals == [Decimal("2100231.20")] * 3


def test_band_edges_priced_in_sql_at_every_level(db):
    """Schools of 40, 41, 100, 101, 120 and 121 confirmed pupils (all in p1): lunch at 36, 27, 27, 24, 24, 22 a day
    × 200 days, the same whether priced school by school or grouped by band in the national query."""
    from django.core.management import call_command
    from django.utils import timezone

    from confirmations.models import Confirmation, HeadcountSnapshot
    from tests.budget.conftest import RATES
    from tests.factories import org

    call_command("load_budget_rates", str(RATES), stdout=io.StringIO())
    rnd = make_round()
    dept = org("department", code="DLA")
    lao = org("lao", org("province", dept, code="10"), code="L1")
    expected = {}
    for size, per_day in ((40, 36), (41, 27), (100, 27), (101, 24), (120, 24), (121, 22)):
        school = org("school", lao, code=f"S{size}")
        conf = Confirmation.objects.create(round=rnd, organisation=school, scope="learners", state="confirmed",
                                           confirmed_at=timezone.now())  # fmt: skip
        HeadcountSnapshot.objects.create(
            confirmation=conf, school=school, class_level="p1", gender="male", count=size
        )
        expected[school.pk] = Decimal(size * per_day * 200)
    book = selectors.rate_book(2570)
    per_school = {
        row["school_id"]: sum((rate.factor * n for _l, n, priced in row["groups"] for i, rate in priced if i == "lunch"),
                              Decimal(0))
        for row in selectors.institution_rows(rnd, dept, book)
    }  # fmt: skip
    assert per_school == expected
    lunch = sum(expected.values())
    assert lunch == Decimal("2642600")
    assert selectors.estimate(rnd, dept, book).by_item()["lunch"] == [523, lunch]
    assert selectors.estimate(rnd, lao, book).by_item()["lunch"] == [523, lunch]
