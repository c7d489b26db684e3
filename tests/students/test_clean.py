"""learner_clean: every rule of api.md LearnerIn, as a 400 on the field named (the import path uses it too)."""

import datetime as dt

import pytest

from students.services import learner_clean
from tests.students.helpers import birth_for, learner_input, nid

pytestmark = pytest.mark.django_db


def clean(org, **kw):
    return learner_clean(organisation=org, data=learner_input(**kw), on=dt.date.today())


def test_valid_input_is_normalised(tree):
    raw = nid(77)
    cleaned, errors = clean(
        tree.school1, national_id=f"{raw[0]}-{raw[1:5]}-{raw[5:10]}-{raw[10:12]}-{raw[12]}", class_level="ป.1"
    )
    assert errors == {}
    assert cleaned["national_id"] == raw and cleaned["g_code"] is None
    assert cleaned["class_level"] == "p1" and cleaned["gender"] == "male"


def test_g_code_in_the_national_id_column_is_taken_as_g_code(tree):
    cleaned, errors = clean(tree.school1, national_id="g644200000001")
    assert errors == {} and cleaned["g_code"] == "G644200000001" and cleaned["national_id"] is None


def test_both_identities_refused_on_national_id(tree):
    _, errors = clean(tree.school1, g_code="G644200000001")
    assert "national_id" in errors


def test_no_identity_refused(tree):
    _, errors = clean(tree.school1, national_id=None)
    assert "national_id" in errors


def test_bad_check_digit_on_national_id(tree):
    value = nid(5)
    _, errors = clean(tree.school1, national_id=value[:12] + str((int(value[12]) + 3) % 10))
    assert list(errors) == ["national_id"]


def test_bad_g_code_on_g_code(tree):
    _, errors = clean(tree.school1, national_id=None, g_code="G649900000001")
    assert list(errors) == ["g_code"]


def test_school_cannot_take_cdc_level_and_cdc_cannot_take_school_level(tree):
    _, errors = clean(tree.school1, level="cdc3", class_level="cdc3")
    assert "class_level" in errors
    _, errors = clean(tree.cdc1, level="p1", class_level="p1")
    assert "class_level" in errors
    _, errors = clean(tree.cdc1, level="cdc3", class_level="เด็กเล็ก 3 ขวบ")
    assert errors == {}


def test_prefix_disagreeing_with_gender_is_on_gender(tree):
    _, errors = clean(tree.school1, prefix="เด็กหญิง", gender="male")
    assert list(errors) == ["gender"]
    cleaned, errors = clean(tree.school1, prefix="นางสาว", level="m6", class_level="m6")
    assert errors == {} and cleaned["gender"] == "female"


def test_unknown_prefix_refused(tree):
    _, errors = clean(tree.school1, prefix="Mr")
    assert "prefix" in errors


def test_age_must_fit_the_level(tree):
    today = dt.date.today()
    _, errors = clean(tree.school1, class_level="p1", birth_date=dt.date(today.year - 1, 1, 1).isoformat())
    assert "birth_date" in errors
    _, errors = clean(tree.school1, class_level="k1", birth_date=dt.date(today.year - 30, 1, 1).isoformat())
    assert "birth_date" in errors
    # over-age but within typical + 10 is accepted (repeaters, late starters)
    _, errors = clean(tree.school1, class_level="p1", birth_date=dt.date(today.year - 15, 1, 1).isoformat())
    assert errors == {}
    # a CDC allows only typical + 1
    _, errors = clean(
        tree.cdc1, level="cdc2", class_level="cdc2", birth_date=dt.date(today.year - 5, 1, 1).isoformat()
    )
    assert "birth_date" in errors


def test_buddhist_era_birth_date_is_accepted(tree):
    born = birth_for("p1")
    cleaned, errors = clean(tree.school1, birth_date=f"{born.day:02d}/{born.month:02d}/{born.year + 543}")
    assert errors == {} and cleaned["birth_date"] == born


def test_future_birth_date_refused(tree):
    _, errors = clean(tree.school1, birth_date=(dt.date.today() + dt.timedelta(days=3)).isoformat())
    assert "birth_date" in errors


def test_optional_fields_only_when_given(tree):
    cleaned, errors = clean(tree.school1)
    assert errors == {} and "room" not in cleaned and "enrolled_on" not in cleaned
    cleaned, errors = clean(
        tree.school1,
        room=" 1/2 ",
        shortages=["food", "books"],
        disadvantage="poor",
        disability="",
        weight_kg="20.5",
        father={"first_name": "สมศักดิ์", "income": "15,000"},
        current_address={"house_no": "12", "province": "เชียงใหม่"},
    )
    assert errors == {}
    assert cleaned["room"] == "1/2" and cleaned["shortages"] == ["books", "food"]
    assert cleaned["disability"] is None and str(cleaned["weight_kg"]) == "20.5"
    assert cleaned["father"]["income"] == 15000 and cleaned["current_address"]["province"] == "เชียงใหม่"


def test_bad_codes_refused(tree):
    _, errors = clean(tree.school1, disadvantage="rich", shortages=["toys"], weight_kg="-3")
    assert set(errors) == {"disadvantage", "shortages", "weight_kg"}


def test_messages_are_thai(tree):
    _, errors = clean(tree.school1, first_name="")
    assert "ชื่อ" in errors["first_name"][0]
