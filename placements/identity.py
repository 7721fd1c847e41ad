"""Swedish personal identity numbers (personnummer, samordningsnummer) and reserve numbers."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from spink.luhn import luhn_valid

# ASCII digits: `\d` would also take the digits of other scripts (and store them).
_PERSONAL_NUMBER = re.compile(r"^([0-9]{2})?([0-9]{6})([-+]?)([0-9]{4})$")
_RESERVE_NUMBER = re.compile(r"^[0-9A-Za-z-]{6,13}$")


@dataclass(frozen=True)
class PersonalNumber:
    normalised: str  # YYYYMMDD-NNNN
    birth_date: dt.date
    gender: str  # "female" / "male"
    is_coordination_number: bool


def parse_personal_number(value: str, today: dt.date | None = None) -> PersonalNumber:
    """Validate a personnummer or samordningsnummer; derive birth date and legal gender."""
    text = (value or "").replace(" ", "").strip()
    match = _PERSONAL_NUMBER.match(text)
    if not match:
        raise ValidationError(
            _("Enter the personal identity number as YYYYMMDD-NNNN."), code="format"
        )
    century, short_date, separator, tail = match.groups()
    if not luhn_valid(short_date + tail):
        raise ValidationError(
            _("The personal identity number has a wrong check digit (last digit)."),
            code="check_digit",
        )
    year, month, day = int(short_date[:2]), int(short_date[2:4]), int(short_date[4:6])
    coordination = day > 60  # samordningsnummer: birth day + 60
    if coordination:
        day -= 60
    today = today or timezone.localdate()
    if century:
        full_year = int(century) * 100 + year
    else:
        # Ten digits: the most recent matching year, a hundred more with '+' (aged 100+).
        full_year = (today.year // 100) * 100 + year
        if full_year > today.year:
            full_year -= 100
        if separator == "+":
            full_year -= 100
    try:
        birth_date = dt.date(full_year, month, day)
    except ValueError:
        raise ValidationError(
            _("The personal identity number does not contain a valid date."), code="date"
        ) from None
    if birth_date > today:
        raise ValidationError(_("The birth date lies in the future."), code="future")
    gender = "female" if int(tail[2]) % 2 == 0 else "male"
    return PersonalNumber(
        normalised=f"{full_year:04d}{month:02d}{int(short_date[4:6]):02d}-{tail}",
        birth_date=birth_date,
        gender=gender,
        is_coordination_number=coordination,
    )


def validate_reserve_number(value: str) -> str:
    text = (value or "").replace(" ", "").strip().upper()
    if not _RESERVE_NUMBER.match(text):
        raise ValidationError(
            _("A reserve number has 6–13 letters, digits or hyphens."), code="reserve_format"
        )
    return text


def person_key(identity_number: str) -> str:
    """A keyed hash of the number: equal for the same person, useless without the key."""
    key = settings.PERSON_KEY_SECRET.encode()
    return hmac.new(key, identity_number.encode(), hashlib.sha256).hexdigest()


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
