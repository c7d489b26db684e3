"""load_budget_rates (api.md): upsert on (fiscal_year, item, applies_to, levels, size_min), all or nothing,
`line N: reason` for each bad line and exit status 1."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from budget.models import BudgetRate
from tests.budget.conftest import RATES

pytestmark = pytest.mark.django_db

HEADER = "fiscal_year,item,applies_to,levels,size_min,size_max,rate,unit,days\n"


def load(tmp_path, text: str, *args):
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("load_budget_rates", str(path), *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_the_example_file_loads_and_loading_it_again_changes_nothing(tmp_path):
    code, out, _ = load(tmp_path, RATES.read_text(encoding="utf-8"))
    assert (code, out.strip()) == (0, "created 20, updated 0, unchanged 0")
    lunch = BudgetRate.objects.get(fiscal_year=2570, item="lunch", applies_to="school", size_min=41)
    assert (lunch.size_max, lunch.rate, lunch.unit, lunch.days) == (100, Decimal("27"), "per_day", 200)
    assert lunch.levels == "prek|k1|k2|k3|p1|p2|p3|p4|p5|p6"
    milk = BudgetRate.objects.get(fiscal_year=2570, item="milk", applies_to="cdc")
    assert (milk.size_min, milk.size_max, milk.rate, milk.days) == (None, None, Decimal("6.89"), 260)
    code, out, _ = load(tmp_path, RATES.read_text(encoding="utf-8"))
    assert (code, out.strip()) == (0, "created 0, updated 0, unchanged 20")


def test_a_changed_rate_is_updated_on_its_key_and_levels_in_any_order_are_the_same_row(tmp_path):
    load(tmp_path, HEADER + "2570,per_head,school,m1|m2|m3,,,3740,per_year,\n")
    code, out, _ = load(tmp_path, HEADER + "2570,per_head,school,m3|m1|m2,,,3800.50,per_year,\n")
    assert (code, out.strip()) == (0, "created 0, updated 1, unchanged 0")
    assert BudgetRate.objects.get().rate == Decimal("3800.50")


def test_bad_lines_are_each_reported_and_nothing_is_written(tmp_path):
    text = HEADER + "\n".join([
        "2570,per_head,school,m1|m2|m3,,,3740,per_year,",  # line 2: good
        "70,lunch,school,p1,,,36,per_day,200",  # 3: not a B.E. year
        "2570,dinner,school,p1,,,36,per_day,200",  # 4
        "2570,lunch,temple,p1,,,36,per_day,200",  # 5
        "2570,lunch,school,p1|x9,,,36,per_day,200",  # 6: unknown level
        "2570,lunch,cdc,p1,,,36,per_day,200",  # 7: CDCs do not teach p1
        "2570,lunch,school,p1,50,40,36,per_day,200",  # 8: min > max
        "2570,lunch,school,p1,,,abc,per_day,200",  # 9
        "2570,lunch,school,p1,,,36,per_week,200",  # 10
        "2570,lunch,school,p1,,,36,per_day,",  # 11: days missing
        "2570,per_head,school,p1,,,2052,per_year,200",  # 12: days on a yearly rate
        "2570,per_head,school,m3|m2|m1,,,1,per_year,",  # 13: the same key as line 2
        "2570,lunch,school,p1,-1,,36,per_day,200",  # 14: negative bound
        "2570,lunch,school,p1|p1,,,36,per_day,200",  # 15: a level twice
        "2570,lunch,school,p1,,,1.23456,per_day,200",  # 16: too many decimals
    ]) + "\n"  # fmt: skip
    code, out, err = load(tmp_path, text)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"line {n}" for n in range(3, 17)]
    assert lines[10].startswith("line 13: ") and lines[10].endswith(
        " 2"
    )  # names the first line with that key
    assert BudgetRate.objects.count() == 0


def test_overlapping_bands_are_refused_within_the_file_and_against_stored_rates(tmp_path):
    code, _, err = load(tmp_path, HEADER + "2570,lunch,school,p1|p2,1,40,36,per_day,200\n"
                        "2570,lunch,school,p2|p3,40,100,27,per_day,200\n")  # fmt: skip
    assert code == 1 and err.startswith("line 3: ")
    load(tmp_path, HEADER + "2570,lunch,school,p1|p2,1,40,36,per_day,200\n")
    code, _, err = load(tmp_path, HEADER + "2570,lunch,school,p2,,,30,per_day,200\n")
    assert code == 1 and err.startswith("line 2: ") and "p1|p2" in err
    # The 40/41 boundary touches nothing; another year or item never overlaps.
    code, out, _ = load(tmp_path, HEADER + "2570,lunch,school,p2,41,,27,per_day,200\n"
                        "2571,lunch,school,p2,,,30,per_day,200\n2570,milk,school,p2,,,6.89,per_day,260\n")  # fmt: skip
    assert (code, out.strip()) == (0, "created 3, updated 0, unchanged 0")


def test_a_file_without_the_columns_or_not_utf8_is_refused(tmp_path):
    code, _, err = load(tmp_path, "fiscal_year,item,rate\n2570,lunch,36\n")
    assert code == 1 and err.startswith("line 1: ")
    path = tmp_path / "874.csv"
    path.write_bytes((HEADER + "2570,lunch,school,p1,,,36,per_day,200 ค่าอาหาร\n").encode("cp874"))
    with pytest.raises(SystemExit) as exc:
        call_command("load_budget_rates", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert exc.value.code == 1


def test_dry_run_writes_nothing(tmp_path):
    code, out, _ = load(tmp_path, RATES.read_text(encoding="utf-8"), "--dry-run")
    assert (code, out.strip()) == (0, "created 20, updated 0, unchanged 0")
    assert BudgetRate.objects.count() == 0


def test_the_admin_refuses_an_overlapping_or_malformed_rate(tmp_path):
    from django.core.exceptions import ValidationError

    load(tmp_path, HEADER + "2570,lunch,school,p1|p2,1,40,36,per_day,200\n")
    clash = BudgetRate(fiscal_year=2570, item="lunch", applies_to="school", levels="p2", size_min=30, size_max=50,
                       rate=Decimal(30), unit="per_day", days=200)  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        clash.full_clean()
    assert "levels" in exc.value.message_dict
    bad = BudgetRate(fiscal_year=2570, item="milk", applies_to="school", levels="p9", rate=Decimal(1), unit="per_year",
                     days=5)  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert {"levels", "days"} <= set(exc.value.message_dict)
    fine = BudgetRate(fiscal_year=2570, item="lunch", applies_to="school", levels="p2|p1", size_min=41,
                      rate=Decimal(27), unit="per_day", days=200)  # fmt: skip
    fine.full_clean()
    assert fine.levels == "p1|p2"
