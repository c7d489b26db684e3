"""The budget pages at every level: render for each role within a query budget, show the hand-computed figures,
explain a figure down to the snapshot, compare rounds, preview proposed rates without saving, load rates."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from budget.models import BudgetRate
from tests.budget.conftest import RATES

pytestmark = pytest.mark.django_db


def login(client, world, who):
    client.force_login(world.users[who])


@pytest.mark.parametrize(
    ("who", "org", "total"),
    [
        ("dept", "dept", "2,100,231.20"),
        ("p1", "p1", "2,100,231.20"),
        ("lao_a", "lao_a", "835,687.20"),
        ("lao_b", "lao_b", "1,264,544.00"),
        ("s35", "s35", "327,011.80"),
        ("cdc", "cdc", "213,828.00"),
    ],
)
def test_each_level_page_shows_its_total_chart_and_tables(
    client, world, django_assert_max_num_queries, who, org, total
):
    login(client, world, who)
    code = getattr(world, org).code
    client.get(f"/budget/{code}/")  # warm the session and the grants
    with django_assert_max_num_queries(25):
        r = client.get(f"/budget/{code}/?round={world.round.pk}")
    assert r.status_code == 200
    html = r.content.decode()
    assert total in html
    assert 'data-chart="budget"' in html and 'id="chart-data"' in html
    assert "ค่าจัดการเรียนการสอนรายหัว" in html and "อาหารกลางวัน" in html


def test_the_lao_page_lists_the_unconfirmed_school_and_the_uncovered_levels(client, world):
    login(client, world, "lao_b")
    html = client.get(f"/budget/{world.lao_b.code}/").content.decode()
    assert "SOPEN" in html and world.s_open.name_th in html
    assert "ปวช.1" in html  # voc1 pupils: no rate covers them


def test_a_school_user_cannot_see_another_lao_budget(client, world):
    login(client, world, "s35")
    assert client.get(f"/budget/{world.lao_b.code}/").status_code == 404
    assert client.get(f"/budget/{world.s130.code}/explain/").status_code == 404


def test_explain_shows_pupils_rate_days_and_the_snapshot(client, world, django_assert_max_num_queries):
    from confirmations.models import Confirmation

    login(client, world, "lao_a")
    conf = Confirmation.objects.get(organisation=world.s35, round=world.round, scope="learners")
    with django_assert_max_num_queries(25):
        r = client.get(f"/budget/{world.lao_a.code}/explain/?round={world.round.pk}&item=lunch")
    html = r.content.decode()
    assert r.status_code == 200
    assert "27 × 36 × 200" not in html  # one line per class level, not per school
    assert "5 × 36 × 200" in html and "10 × 36 × 200" in html and "12 × 36 × 200" in html  # S35 k3, p1, p6
    assert "21 × 27 × 200" in html  # O41 p1 at the 41–100 band
    assert f"#{conf.pk}" in html and world.users["s35"].username in html
    assert "559,800.00" in html  # LAO-A's lunch


def test_explain_at_the_department_sums_lines_per_rate_row(client, world):
    login(client, world, "dept")
    r = client.get(f"/budget/{world.dept.code}/explain/?round={world.round.pk}&item=milk")
    html = r.content.decode()
    assert "444,267.20" in html
    assert "6.89" in html and "× 260" in html


def test_compare_against_the_previous_round_and_what_if_without_saving(client, world):
    from tests.budget.conftest import make_round

    make_round(year=2568, term=2, state="closed")  # nothing confirmed in it
    login(client, world, "lao_a")
    r = client.get(f"/budget/{world.lao_a.code}/compare/?round={world.round.pk}")
    html = r.content.decode()
    assert r.status_code == 200
    assert "835,687.20" in html  # everything is new against an empty round
    assert world.o41.name_th in html  # among the institutions that changed most
    before = list(BudgetRate.objects.values_list("pk", "rate"))
    proposed = b"fiscal_year,item,applies_to,levels,size_min,size_max,rate,unit,days\n" + \
        b"2570,lunch,other_school,prek|k1|k2|k3|p1|p2|p3|p4|p5|p6,41,100,30,per_day,200\n"  # fmt: skip
    r = client.post(f"/budget/{world.lao_a.code}/compare/?round={world.round.pk}",
                    {"file": SimpleUploadedFile("p.csv", proposed, "text/csv")})  # fmt: skip
    html = r.content.decode()
    # O41: 41 × 30 × 200 = 246,000 instead of 221,400: +24,600
    assert "24,600.00" in html and "860,287.20" in html
    assert list(BudgetRate.objects.values_list("pk", "rate")) == before


def test_what_if_reports_bad_lines(client, world):
    login(client, world, "dept")
    bad = b"fiscal_year,item,applies_to,levels,size_min,size_max,rate,unit,days\n2570,dinner,school,p1,,,1,per_year,\n"
    r = client.post(
        f"/budget/{world.dept.code}/compare/", {"file": SimpleUploadedFile("p.csv", bad, "text/csv")}
    )
    assert "บรรทัด 2" in r.content.decode()


def test_rates_page_lists_the_year_and_only_the_department_loads(
    client, world, django_assert_max_num_queries
):
    login(client, world, "lao_a")
    # Two of its own (the years, the year's rates); the rest is every page's shell (session, user, second-factor
    # devices, grants, the round banner, the bell).
    with django_assert_max_num_queries(15):
        r = client.get("/budget/rates/?fiscal_year=2570")
    assert r.status_code == 200 and "1,836" in r.content.decode()
    assert 'type="file"' not in r.content.decode()
    r = client.post("/budget/rates/", {"file": SimpleUploadedFile("r.csv", RATES.read_bytes(), "text/csv")})
    assert r.status_code == 403


def test_department_checks_then_loads_a_rates_file(client, world):
    login(client, world, "dept")
    new = b"fiscal_year,item,applies_to,levels,size_min,size_max,rate,unit,days\n2571,per_head,cdc,cdc2|cdc3|cdc4|cdc5,,,1800,per_year,\n"
    r = client.post(
        "/budget/rates/", {"file": SimpleUploadedFile("r.csv", new, "text/csv"), "dry_run": "on"}, follow=True
    )
    assert not BudgetRate.objects.filter(fiscal_year=2571).exists()
    assert "บันทึก" in r.content.decode() or "saved" in r.content.decode()
    r = client.post("/budget/rates/", {"file": SimpleUploadedFile("r.csv", new, "text/csv")}, follow=True)
    assert BudgetRate.objects.get(fiscal_year=2571).rate == 1800
    bad = new.replace(b"1800", b"abc")
    r = client.post("/budget/rates/", {"file": SimpleUploadedFile("r.csv", bad, "text/csv")})
    assert "บรรทัด 2" in r.content.decode()
    assert BudgetRate.objects.get(fiscal_year=2571).rate == 1800


def test_home_pages_link_to_the_budget(client, world):
    login(client, world, "lao_a")
    html = client.get(f"/o/{world.lao_a.code}/").content.decode()
    assert f"/budget/{world.lao_a.code}/" in html
