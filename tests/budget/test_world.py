"""The hand-computed world (tests/budget/conftest.py) priced with the FY2570 example rates, to the satang.

Rates: lunch 36 / 27 / 24 / 22 baht a day × 200 days by institution size 1–40 / 41–100 / 101–120 / 121+ (prek–p6
and CDC children); milk 6.89 × 260 = 1,791.40 a year (prek–p6, CDC); per head a year: prek–k3 1,836, p1–p6 2,052,
m1–m3 3,740, m4–m6 4,104, CDC 1,700; other-affiliation schools get lunch and milk only.

S35 (35 pupils → 36/day): k3 5, p1 10, p6 12, m1 8
  lunch 27 × 36 × 200 = 194,400.00 · milk 27 × 1,791.40 = 48,367.80
  per head 5 × 1,836 + 22 × 2,052 + 8 × 3,740 = 9,180 + 45,144 + 29,920 = 84,244.00 → 327,011.80
CDC20 (20 children → 36/day): cdc2 6, cdc3 14
  lunch 20 × 7,200 = 144,000.00 · milk 20 × 1,791.40 = 35,828.00 · per head 20 × 1,700 = 34,000.00 → 213,828.00
O41 (41 pupils → 27/day, the 40/41 boundary): p1 21, p2 20
  lunch 41 × 27 × 200 = 221,400.00 · milk 41 × 1,791.40 = 73,447.40 → 294,847.40
LAO-A = 327,011.80 + 213,828.00 + 294,847.40 = 835,687.20
S130 (130 pupils → 22/day): k1 20, p1 30, p2 30, m4 20, voc1 30 (no rate covers voc1: reported)
  lunch 80 × 22 × 200 = 352,000.00 · milk 80 × 1,791.40 = 143,312.00
  per head 20 × 1,836 + 60 × 2,052 + 20 × 4,104 = 36,720 + 123,120 + 82,080 = 241,920.00 → 737,232.00
O120 (120 pupils → 24/day, the 120/121 boundary): k2 20, p3 60, m2 40 (m2: nothing for other schools, reported)
  lunch 80 × 24 × 200 = 384,000.00 · milk 80 × 1,791.40 = 143,312.00 → 527,312.00
OCLOSED (closed, 0 pupils) → 0.00; SOPEN (100 live pupils, not confirmed) → missing, 0.00
LAO-B = 737,232.00 + 527,312.00 = 1,264,544.00
Province 50 = national = 2,100,231.20 (province 30's only school is not confirmed)
"""

from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db

LAO_A = {"lunch": "559800.00", "milk": "157643.20", "per_head": "118244.00"}
LAO_B = {"lunch": "736000.00", "milk": "286624.00", "per_head": "241920.00"}
NATIONAL = {"lunch": "1295800.00", "milk": "444267.20", "per_head": "360164.00"}
NATIONAL_PUPILS = {"lunch": 248, "milk": 248, "per_head": 155}


def get(world, who, org, by="item", extra=""):
    r = world.call(
        "get", f"/api/v1/budget?round={world.round.pk}&organisation={org.code}&by={by}{extra}", who
    )
    assert r.status_code == 200, r.content
    return r.json()


def by_item(body):
    return {row["item"]: row["amount"] for row in body["rows"]}


def test_national_by_item_matches_the_hand_computed_figures(world):
    body = get(world, "dept", world.dept)
    assert body["organisation"] == "DLA"
    assert body["round"] == world.round.pk
    assert body["fiscal_year"] == 2570
    assert body["source"] == "confirmed"
    assert by_item(body) == NATIONAL
    assert {row["item"]: row["pupils"] for row in body["rows"]} == NATIONAL_PUPILS
    assert body["total"] == "2100231.20"
    assert body["missing"] == ["30", "50"]  # neither province has confirmed


def test_province_equals_the_sum_of_its_laos(world):
    body = get(world, "p1", world.p1)
    assert by_item(body) == NATIONAL
    assert body["total"] == "2100231.20"
    children = get(world, "p1", world.p1, by="child")
    assert [(r["code"], r["amount"]) for r in children["rows"]] == [
        ("LAO-A", "835687.20"),
        ("LAO-B", "1264544.00"),
    ]
    assert children["missing"] == ["LAO-A", "LAO-B"]  # LAO-A and LAO-B have not confirmed their learners


def test_lao_a_by_item_and_by_child(world):
    body = get(world, "lao_a", world.lao_a)
    assert by_item(body) == LAO_A
    assert body["total"] == "835687.20"
    assert body["missing"] == []
    children = get(world, "lao_a", world.lao_a, by="child")
    assert [(r["code"], r["amount"]) for r in children["rows"]] == [
        ("CDC20", "213828.00"), ("O41", "294847.40"), ("S35", "327011.80")
    ]  # fmt: skip


def test_lao_b_counts_other_schools_lists_the_unconfirmed_school_and_reports_uncovered_levels(world):
    body = get(world, "lao_b", world.lao_b)
    assert by_item(body) == LAO_B
    assert body["total"] == "1264544.00"
    assert body["missing"] == ["SOPEN"]  # the closed LAO school SGONE is not expected to confirm
    assert body["uncovered"] == [
        {"applies_to": "other_school", "class_level": "m2", "item": None, "pupils": 40},
        {"applies_to": "school", "class_level": "voc1", "item": None, "pupils": 30},
    ]
    children = get(world, "lao_b", world.lao_b, by="child")
    assert [(r["code"], r["amount"]) for r in children["rows"]] == [
        ("O120", "527312.00"), ("OCLOSED", "0.00"), ("S130", "737232.00"), ("SOPEN", "0.00")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("s35", {"lunch": "194400.00", "milk": "48367.80", "per_head": "84244.00"}),
        ("cdc", {"lunch": "144000.00", "milk": "35828.00", "per_head": "34000.00"}),
        ("s130", {"lunch": "352000.00", "milk": "143312.00", "per_head": "241920.00"}),
    ],
)
def test_each_institution_by_item(world, name, expected):
    body = get(world, name, getattr(world, name))
    assert by_item(body) == expected
    assert body["total"] == str(sum(Decimal(v) for v in expected.values()))


def test_other_schools_seen_by_their_lao(world):
    assert get(world, "lao_a", world.o41)["total"] == "294847.40"
    assert by_item(get(world, "lao_b", world.o120)) == {
        "lunch": "384000.00",
        "milk": "143312.00",
        "per_head": "0.00",
    }
    assert get(world, "lao_b", world.o_closed)["total"] == "0.00"


def test_national_by_class_level(world):
    body = get(world, "dept", world.dept, by="class_level")
    assert [(r["class_level"], r["pupils"], r["amount"]) for r in body["rows"]] == [
        ("k1", 20, "160548.00"),
        ("k2", 20, "131828.00"),
        ("k3", 5, "54137.00"),
        ("p1", 61, "508755.40"),
        ("p2", 50, "391130.00"),
        ("p3", 60, "395484.00"),
        ("p6", 12, "132520.80"),
        ("m1", 8, "29920.00"),
        ("m2", 40, "0.00"),
        ("m4", 20, "82080.00"),
        ("voc1", 30, "0.00"),
        ("cdc2", 6, "64148.40"),
        ("cdc3", 14, "149679.60"),
    ]
    assert body["total"] == "2100231.20"


def test_school_35_by_class_level(world):
    body = get(world, "s35", world.s35, by="class_level")
    assert [(r["class_level"], r["pupils"], r["amount"]) for r in body["rows"]] == [
        ("k3", 5, "54137.00"),  # 5 × 7,200 + 5 × 1,791.40 + 5 × 1,836
        ("p1", 10, "110434.00"),  # 10 × 7,200 + 10 × 1,791.40 + 10 × 2,052
        ("p6", 12, "132520.80"),  # 12 × 7,200 + 12 × 1,791.40 + 12 × 2,052
        ("m1", 8, "29920.00"),  # 8 × 3,740
    ]


def test_the_same_inputs_give_the_same_amounts_after_unrelated_writes(world):
    first = get(world, "dept", world.dept, by="class_level")
    # Unrelated writes: live counters of a confirmed school and of the unconfirmed one, a new open-round entry.
    from tests.budget.conftest import counts

    counts(world.s35, p1=(40, 40))
    counts(world.s_open, p2=(7, 7))
    from tests.factories import org

    org("lao", world.p2, code="LAO-NEW")
    assert get(world, "dept", world.dept, by="class_level") == first
    assert get(world, "lao_b", world.lao_b)["total"] == "1264544.00"


def test_an_unlock_removes_an_institution_from_the_estimate(world):
    assert get(world, "dept", world.dept)["total"] == "2100231.20"  # cached per province where Redis is on
    r = world.call("post", f"/api/v1/organisations/{world.s35.code}/unlock", "lao_a",
                   {"round": world.round.pk, "scope": "learners", "reason": "แก้ไขข้อมูล"})  # fmt: skip
    assert r.status_code == 200, r.content
    body = get(world, "lao_a", world.lao_a)
    assert body["total"] == str(Decimal("835687.20") - Decimal("327011.80"))
    assert body["missing"] == ["S35"]
    assert get(world, "dept", world.dept)["total"] == str(Decimal("2100231.20") - Decimal("327011.80"))
