"""Identity validation (domain.md "Identity")."""

import pytest

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
