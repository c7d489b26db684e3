"""Buddhist Era dates and Thai digits."""

import datetime as dt

import pytest
from django.utils import translation

from lec.lib import thai


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/05/2562", dt.date(2019, 5, 15)),
        ("15/05/2019", dt.date(2019, 5, 15)),
        ("๑๕/๐๕/๒๕๖๒", dt.date(2019, 5, 15)),
        ("2019-05-15", dt.date(2019, 5, 15)),
        ("1/2/2565", dt.date(2022, 2, 1)),
    ],
)
def test_parse_dates(text, expected):
    assert thai.parse_date(text) == expected


@pytest.mark.parametrize("text", ["15/05/62", "31/02/2562", "15/05/1800", "", "yesterday"])
def test_bad_dates_are_refused(text):
    with pytest.raises(thai.DateParseError):
        thai.parse_date(text)


def test_format_dates_in_thai():
    with translation.override("th"):
        assert thai.format_date(dt.date(2026, 6, 10)) == "10 มิ.ย. 2569"
        assert thai.format_date(dt.date(2026, 6, 10), long=True) == "10 มิถุนายน 2569"
        assert thai.format_date_input(dt.date(2019, 5, 15)) == "15/05/2562"


def test_age_in_completed_years():
    assert thai.age_on(dt.date(2020, 6, 11), dt.date(2026, 6, 10)) == 5
    assert thai.age_on(dt.date(2020, 6, 10), dt.date(2026, 6, 10)) == 6
