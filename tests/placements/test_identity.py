import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from placements.identity import age_on, parse_personal_number, validate_reserve_number

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("value", "normalised", "birth", "gender"),
    [
        ("20120315-2382", "20120315-2382", dt.date(2012, 3, 15), "female"),
        ("201203152382", "20120315-2382", dt.date(2012, 3, 15), "female"),
        ("120315-2382", "20120315-2382", dt.date(2012, 3, 15), "female"),
        ("811218-9876", "19811218-9876", dt.date(1981, 12, 18), "male"),
        ("191212121212", "19121212-1212", dt.date(1912, 12, 12), "male"),
        ("121212+1212", "19121212-1212", dt.date(1912, 12, 12), "male"),
    ],
)
def test_valid_personal_numbers_give_birth_date_and_gender(value, normalised, birth, gender):
    parsed = parse_personal_number(value, today=TODAY)
    assert (parsed.normalised, parsed.birth_date, parsed.gender) == (normalised, birth, gender)


def test_coordination_number_gives_the_real_birth_day():
    parsed = parse_personal_number("701063-2391", today=TODAY)
    assert parsed.is_coordination_number
    assert parsed.birth_date == dt.date(1970, 10, 3)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("20120315-2383", "check_digit"),
        ("2012-03-15", "format"),
        ("abc", "format"),
        ("20121315-2380", "date"),  # month 13, Luhn-valid
    ],
)
def test_invalid_personal_numbers_get_a_clear_error(value, code):
    with pytest.raises(ValidationError) as excinfo:
        parse_personal_number(value, today=TODAY)
    assert excinfo.value.code == code


def test_reserve_numbers_are_accepted_without_check_digit():
    assert validate_reserve_number("r-2026 0042") == "R-20260042"
    with pytest.raises(ValidationError):
        validate_reserve_number("!!")


def test_age_counts_whole_years():
    assert age_on(dt.date(2012, 3, 15), dt.date(2026, 3, 14)) == 13
    assert age_on(dt.date(2012, 3, 15), dt.date(2026, 3, 15)) == 14
