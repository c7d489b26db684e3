"""Identity validation (domain.md "Identity")."""

import pytest
from django.utils import translation

from lec.lib.thai import current_be_year
from students import identity
from tests.students.helpers import nid


def test_valid_national_id_passes():
    value = nid(1234567890)
    assert identity.national_id_error(value) is None


def test_known_check_digit():
    # 1×13 + 1×12 + 0 + 1×10 + 7×9 + 0 + 0 + 2×6 + 3×5 + 0 + 7×3 + 0 = 146; 146 mod 11 = 3; 11 − 3 = 8
    assert identity.check_digit("110170023070") == 8
    assert identity.national_id_error("1101700230708") is None


def test_wrong_check_digit_is_refused():
    value = nid(42)
    wrong = value[:12] + str((int(value[12]) + 1) % 10)
    assert identity.national_id_error(wrong) is not None


def test_zero_prefixed_id_is_accepted():
    value = identity.make_national_id("012345678901")
    assert identity.national_id_error(value) is None


def test_nine_prefixed_id_is_refused_even_with_a_good_check_digit():
    value = identity.make_national_id("912345678901")
    assert identity.national_id_error(value) is not None


@pytest.mark.parametrize("bad", ["", "123", "12345678901234", "12345678901a3"])
def test_malformed_ids_are_refused(bad):
    assert identity.national_id_error(bad) is not None


def test_dashes_spaces_nbsp_and_thai_digits_are_normalised():
    value = identity.make_national_id("110170023070")
    thai = value.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    dashed = f"{thai[0]}-{thai[1:5]}-{thai[5:10]}\u00a0{thai[10:12]} {thai[12]}"
    assert identity.normalise(dashed) == value
    assert identity.national_id_error(identity.normalise(dashed)) is None


def test_g_code_valid_lowercase_accepted():
    assert identity.normalise(" g644200000001 ") == "G644200000001"
    assert identity.g_code_error("G644200000001") is None


@pytest.mark.parametrize(
    "bad",
    [
        "G604200000001",  # year before 61
        "G994200000001",  # year after the current one
        "G640000000001",  # province 00 does not exist
        "G649900000001",  # province 99 does not exist
        "G64420000001",  # 11 digits
        "X644200000001",
    ],
)
def test_g_code_with_bad_year_province_or_shape_is_refused(bad):
    assert identity.g_code_error(bad) is not None


def test_masks():
    value = identity.make_national_id("123456789012")
    assert identity.mask(value) == f"1-2345-xxxxx-xx-{value[12]}"
    assert identity.mask("G644200000001") == "G64xxxxxxxx01"


# Written for mutation testing (docs/testing.md "Mutation testing"): the exact message of each refusal (each
# says what to do, so a wrong one is a fault), check digits where a near-miss formula gives another digit, the
# edges of the G-Code years, and the masks and formats of odd values.


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the 13-digit national ID."),
        ("123", "Enter the national ID as 13 digits (dashes and spaces are allowed)."),
        ("9123456789011", "A national ID cannot start with 9. Check the first digit."),
        (
            "1234567890122",
            "This national ID is not valid (its check digit does not match). Check each digit.",
        ),
    ],
)
def test_each_national_id_refusal_says_what_to_do(value, message):
    with translation.override("en"):
        assert identity.national_id_error(value) == message


def test_check_digits_computed_by_hand():
    # 1×13 + 2×12 + 3×11 + 4×10 + 5×9 + 6×8 + 7×7 + 8×6 + 9×5 + 0×4 + 1×3 + 2×2 = 352 = 32 × 11 → (11 − 0) mod 10 = 1
    assert identity.check_digit("123456789012") == 1
    assert identity.national_id_error("1234567890121") is None
    # 3×13 + 1×12 + 0 + … + 0 = 51; 51 mod 11 = 7; 11 − 7 = 4
    assert identity.check_digit("310000000000") == 4
    assert identity.make_national_id("310000000000") == "3100000000004"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter the G-Code."),
        ("G64420000001", "Enter the G-Code as G followed by 12 digits, for example G644200000001."),
        ("G649900000001", "The province code in this G-Code (digits 4–5) is not a Thai province code."),
    ],
)
def test_each_g_code_refusal_says_what_to_do(value, message):
    with translation.override("en"):
        assert identity.g_code_error(value) == message


def test_g_code_years_from_61_to_this_year_inclusive():
    this_year = current_be_year() % 100
    assert identity.g_code_error("G614200000001") is None
    assert identity.g_code_error(f"G{this_year:02d}4200000001") is None
    with translation.override("en"):
        expected = f"The year in this G-Code (digits 2–3) must be between 61 and {this_year}."
        assert identity.g_code_error("G604200000001") == expected
        assert identity.g_code_error(f"G{this_year + 1:02d}4200000001") == expected


def test_masks_of_empty_and_odd_values():
    assert identity.mask("") == ""
    assert identity.mask(None) is None
    assert identity.mask("12345") == "xxxxx"
    assert identity.mask("G12") == "G12" + "x" * 8 + "12"


def test_g_code_like_means_starting_with_g():
    assert identity.is_g_code_like("G644200000001") is True
    assert identity.is_g_code_like("1G44") is False
    assert identity.is_g_code_like("") is False


def test_format_national_id_as_on_the_card():
    assert identity.format_national_id("1101700230708") == "1-1017-00230-70-8"
    assert identity.format_national_id("3100000000004") == "3-1000-00000-00-4"
    assert identity.format_national_id(None) == ""
    assert identity.format_national_id("") == ""
    assert identity.format_national_id("110170023070") == "110170023070"  # 12 digits: as given
    assert identity.format_national_id("G644200000001") == "G644200000001"  # 13 characters, not digits
