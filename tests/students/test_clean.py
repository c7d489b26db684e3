"""learner_clean: every rule of api.md LearnerIn, as a 400 on the field named (the import path uses it too)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from students.services import learner_clean
from students.services.cleaning import FIELDS, age_reference_date, learner_data
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


# Written for mutation testing (docs/testing.md "Mutation testing"): every refusal's exact message (each says
# what to do), the edges of each limit, and the order of the messages.
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()
OBJECT = "Enter the details as an object."
INCOME = "Enter the income as a number of baht."


def en_clean(org, **kw):
    with translation.override("en"):
        return clean(org, **kw)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            {"g_code": "G644200000001"},
            {"national_id": ["Give either the national ID or the G-Code, not both."]},
        ),
        (
            {"national_id": None, "g_code": ""},
            {"national_id": ["Enter the 13-digit national ID, or the G-Code for a learner without one."]},
        ),
        (
            {"national_id": "123"},
            {"national_id": ["Enter the national ID as 13 digits (dashes and spaces are allowed)."]},
        ),
        (
            {"national_id": "", "g_code": "G649900000001"},
            {"g_code": ["The province code in this G-Code (digits 4–5) is not a Thai province code."]},
        ),
        ({"prefix": " "}, {"prefix": ["Choose the prefix (for example เด็กชาย or เด็กหญิง)."]}),
        (
            {"prefix": "Mr"},
            {"prefix": ["Choose one of these prefixes: เด็กชาย, นาย, สามเณร, เด็กหญิง, นางสาว, นาง."]},
        ),
        ({"first_name": " "}, {"first_name": ["Enter the first name."]}),
        ({"last_name": ""}, {"last_name": ["Enter the last name."]}),
        ({"first_name": "ก" * 101}, {"first_name": ["Shorten this to at most 100 characters."]}),
        ({"last_name": "ก" * 101}, {"last_name": ["Shorten this to at most 100 characters."]}),
        ({"gender": "x"}, {"gender": ["Choose male or female."]}),
        (
            {"prefix": "เด็กหญิง", "gender": "male"},
            {"gender": ["The prefix เด็กหญิง does not match this gender. Correct the prefix or the gender."]},
        ),
        ({"class_level": ""}, {"class_level": ["Choose the class level."]}),
        (
            {"class_level": "zz"},
            {"class_level": ["Choose a class level from the list (for example ป.1 or อ.2)."]},
        ),
        (
            {"level": "cdc3", "class_level": "cdc3"},
            {"class_level": ["A school does not teach the CDC levels. Choose a school class level."]},
        ),
        ({"birth_date": ""}, {"birth_date": ["Enter the date as dd/mm/yyyy in the Buddhist Era."]}),
        ({"birth_date": TOMORROW}, {"birth_date": ["The birth date cannot be in the future."]}),
        ({"enrolled_on": TOMORROW}, {"enrolled_on": ["The enrolment date cannot be in the future."]}),
        ({"student_number": "1" * 21}, {"student_number": ["Shorten this to at most 20 characters."]}),
        ({"room": "1" * 21}, {"room": ["Shorten this to at most 20 characters."]}),
        ({"nationality": "x" * 65}, {"nationality": ["Shorten this to at most 64 characters."]}),
        ({"race": "x" * 65}, {"race": ["Shorten this to at most 64 characters."]}),
        ({"religion": "x" * 65}, {"religion": ["Shorten this to at most 64 characters."]}),
        ({"family_status": "x" * 101}, {"family_status": ["Shorten this to at most 100 characters."]}),
        ({"disadvantage": "rich"}, {"disadvantage": ["Choose a value from the list."]}),
        ({"disability": "poor"}, {"disability": ["Choose a value from the list."]}),
        (
            {"shortages": ["toys"]},
            {"shortages": ["Choose shortages among: books, food, stationery, uniform."]},
        ),
        ({"shortages": 5}, {"shortages": ["Choose shortages among: books, food, stationery, uniform."]}),
        ({"weight_kg": "abc"}, {"weight_kg": ["Enter a number, for example 25.5."]}),
        ({"weight_kg": "0"}, {"weight_kg": ["Enter a number above 0 and at most 300."]}),
        ({"weight_kg": "300.1"}, {"weight_kg": ["Enter a number above 0 and at most 300."]}),
        ({"weight_kg": "Infinity"}, {"weight_kg": ["Enter a number above 0 and at most 300."]}),
        ({"height_cm": "250.1"}, {"height_cm": ["Enter a number above 0 and at most 250."]}),
        ({"father": "x"}, {"father": [OBJECT]}),
        ({"mother": ["x"]}, {"mother": [OBJECT]}),
        ({"guardian": 5}, {"guardian": [OBJECT]}),
        ({"registered_address": "x"}, {"registered_address": [OBJECT]}),
        ({"current_address": "x"}, {"current_address": [OBJECT]}),
        ({"father": {"income": "abc"}}, {"father.income": [INCOME]}),
        ({"mother": {"income": "-1"}}, {"mother.income": [INCOME]}),
        ({"guardian": {"income": "NaN"}}, {"guardian.income": [INCOME]}),
        (
            {"father": {"income": "10,000,001"}},
            {"father.income": ["A monthly income is at most 10,000,000 baht."]},
        ),
        (
            {"mother": {"first_name": "ก" * 201}},
            {"mother.first_name": ["Shorten this to at most 200 characters."]},
        ),
        (
            {"current_address": {"road": "ก" * 201}},
            {"current_address.road": ["Shorten this to at most 200 characters."]},
        ),
    ],
)
def test_each_refusal_names_its_field_and_says_what_to_do(tree, given, expected):
    _, errors = en_clean(tree.school1, **given)
    assert errors == expected


def test_cdc_refusals_say_what_a_cdc_takes(tree):
    _, errors = en_clean(tree.cdc1, level="cdc3", class_level="cdc3", prefix="นาย")
    assert errors == {"prefix": ["A child at a CDC is aged 2–5: choose เด็กชาย or เด็กหญิง."]}
    _, errors = en_clean(tree.cdc1, level="p1", class_level="p1")
    assert errors == {
        "class_level": [
            "A child development centre takes only the levels เด็กเล็ก 2–5 ขวบ. Choose one of them."
        ]
    }


def test_the_age_message_gives_the_date_the_age_and_the_range(tree):
    on = dt.date(2026, 5, 16)
    with translation.override("en"):
        _, errors = learner_clean(
            organisation=tree.school1, data=learner_input(birth_date="2025-01-01"), on=on
        )
        assert errors == {
            "birth_date": [
                "On 16 May 2026 this learner is 1 years old; ป.1 takes ages 5–16. Check the birth date "
                "(dd/mm/yyyy, Buddhist Era) or the class level."
            ]
        }
        _, errors = learner_clean(
            organisation=tree.cdc1,
            data=learner_input("cdc2", class_level="cdc2", birth_date="2021-01-01"),
            on=on,
        )
        assert errors == {
            "birth_date": [
                "On 16 May 2026 this learner is 5 years old; เด็กเล็ก 2 ขวบ takes ages 1–3. Check the birth "
                "date (dd/mm/yyyy, Buddhist Era) or the class level."
            ]
        }
    # the edges of the range: typical − 1 and typical + 10 (a CDC: typical + 1) pass
    for org, level, born in [
        (tree.school1, "p1", "2021-05-16"),  # 5
        (tree.school1, "p1", "2009-05-17"),  # 16
        (tree.cdc1, "cdc2", "2023-05-16"),  # 3
        (tree.cdc1, "cdc2", "2025-05-16"),  # 1
    ]:
        _, errors = learner_clean(
            organisation=org, data=learner_input(level, class_level=level, birth_date=born), on=on
        )
        assert errors == {}, (level, born)


def test_the_age_is_taken_on_the_open_rounds_census_date(tree):
    from tests.factories import RoundFactory

    RoundFactory(census_date=dt.date(2026, 5, 16))
    assert age_reference_date() == dt.date(2026, 5, 16)
    data = learner_input(birth_date="2021-05-17")  # 4 on the census date, 5 from the next day
    _, errors = learner_clean(organisation=tree.school1, data=data)
    assert list(errors) == ["birth_date"]


def test_the_age_is_taken_today_without_an_open_round(tree):
    from tests.factories import RoundFactory

    RoundFactory(census_date=dt.date(2020, 5, 16), state="closed")
    assert age_reference_date() == dt.date.today()


def test_values_at_their_limits_are_accepted_and_normalised(tree):
    born = birth_for("p1")
    cleaned, errors = clean(
        tree.school1,
        prefix="เด็ก ชาย",
        gender="MALE",
        first_name="ก" * 100,
        last_name="ข" * 100,
        birth_date=born.isoformat(),
        enrolled_on=born.isoformat(),  # the same day as the birth is not "before" it
        student_number="1" * 20,
        room="1" * 20,
        nationality="x" * 64,
        family_status="x" * 100,
        shortages="uniform, food",
        weight_kg="300",
        height_cm="1,05.55",
        father={"first_name": "ก" * 200, "income": "10,000,000"},
        mother={"income": "1.5"},
        guardian={"first_name": "", "income": ""},
        registered_address={},
    )
    assert errors == {}
    assert cleaned["prefix"] == "เด็กชาย" and cleaned["gender"] == "male"
    assert cleaned["enrolled_on"] == born and cleaned["shortages"] == ["food", "uniform"]
    assert cleaned["weight_kg"] == Decimal("300") and str(cleaned["height_cm"]) == "105.6"
    assert cleaned["father"]["income"] == 10_000_000 and isinstance(cleaned["father"]["income"], int)
    assert cleaned["mother"]["income"] == 1.5 and cleaned["mother"]["first_name"] == ""
    assert cleaned["guardian"] is None and cleaned["registered_address"] is None
    assert set(cleaned["father"]) == {
        "prefix",
        "first_name",
        "last_name",
        "occupation",
        "income",
        "phone",
        "relation",
    }


def test_a_birth_date_today_and_an_enrolment_today_are_not_in_the_future(tree):
    today = dt.date.today().isoformat()
    with translation.override("en"):
        _, errors = clean(tree.school1, birth_date=today, enrolled_on=today)
    assert list(errors) == ["birth_date"] and "future" not in errors["birth_date"][0]


def test_an_enrolment_before_the_birth_is_refused(tree):
    born = birth_for("p1")
    _, errors = en_clean(tree.school1, enrolled_on=(born - dt.timedelta(days=1)).isoformat())
    assert errors == {"enrolled_on": ["The enrolment date cannot be before the birth date."]}


def test_the_gender_follows_the_prefix_only_when_none_was_given(tree):
    cleaned, errors = clean(tree.school1, prefix="เด็กหญิง", gender="")
    assert errors == {} and cleaned["gender"] == "female"
    cleaned, errors = clean(tree.school1, prefix="เด็กหญิง", gender="Female")
    assert errors == {} and cleaned["gender"] == "female"
    cleaned, errors = clean(tree.school1, prefix="เด็กหญิง", gender="x")
    assert list(errors) == ["gender"] and "gender" not in cleaned


def test_messages_come_in_the_order_of_the_form(tree):
    _, errors = clean(
        tree.school1,
        national_id=None,
        g_code="G1",
        prefix="",
        first_name="",
        last_name="",
        class_level="",
        birth_date="",
        enrolled_on="x",
        room="1" * 21,
        disability="x",
        shortages=["x"],
        weight_kg="x",
        father={"income": "x"},
        current_address="x",
    )
    assert list(errors) == [
        "g_code", "prefix", "first_name", "last_name", "class_level", "birth_date", "enrolled_on", "room",
        "disability", "shortages", "weight_kg", "father.income", "current_address",
    ]  # fmt: skip


def test_learner_data_is_the_record_as_input(tree):
    from students.services import learner_create

    learner = learner_create(organisation=tree.school1, data=learner_input(room="3/1"), acting_user=None)
    data = learner_data(learner)
    assert list(data) == list(FIELDS) and data["room"] == "3/1" and data["class_level"] == "p1"
    cleaned, errors = learner_clean(organisation=tree.school1, data=data)
    assert errors == {} and cleaned["national_id"] == learner.national_id


def test_blank_measures_are_none_and_small_ones_are_kept(tree):
    cleaned, errors = clean(
        tree.school1, weight_kg="", height_cm="0.5", disadvantage="poor", disability="autism"
    )
    assert errors == {}
    assert cleaned["weight_kg"] is None and cleaned["height_cm"] == Decimal("0.5")
    assert cleaned["disadvantage"] == "poor" and cleaned["disability"] == "autism"


def test_a_date_that_does_not_parse_gives_the_parsers_message(tree):
    from lec.lib.thai import DateParseError, parse_date

    with pytest.raises(DateParseError) as parsed:
        parse_date("31/02/2562")
    _, errors = clean(tree.school1, birth_date="31/02/2562", enrolled_on="31/02/2562")
    assert errors == {"birth_date": [str(parsed.value)], "enrolled_on": [str(parsed.value)]}


def test_every_part_of_a_person_or_address_is_checked_after_a_bad_one(tree):
    long = "ก" * 201
    _, errors = en_clean(
        tree.school1,
        father={"income": "abc", "relation": long},
        mother={"income": "-1", "relation": long},
        guardian={"income": "10,000,001", "relation": long},
        registered_address={"house_no": long, "postcode": long},
    )
    assert list(errors) == [
        "father.income", "father.relation", "mother.income", "mother.relation", "guardian.income",
        "guardian.relation", "registered_address.house_no", "registered_address.postcode",
    ]  # fmt: skip


def test_blank_and_small_incomes_and_a_blank_person(tree):
    cleaned, errors = clean(
        tree.school1,
        father={"first_name": "สมศักดิ์", "income": "", "phone": "0811111111"},
        mother={"income": "0"},
        guardian={"income": "0.5"},
        current_address="",
    )
    assert errors == {}
    assert cleaned["father"]["income"] is None and cleaned["father"]["phone"] == "0811111111"
    assert cleaned["mother"]["income"] == 0 and cleaned["guardian"]["income"] == 0.5
    assert cleaned["current_address"] is None
