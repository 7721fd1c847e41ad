"""Swedish organisation numbers: NNNNNN-NNNN with a Luhn check digit."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from spink.luhn import luhn_valid

# ASCII digits: `\d` would also take the digits of other scripts (and store them).
_ORG_NUMBER = re.compile(r"^(?:16)?([0-9]{6})-?([0-9]{4})$")


def normalise_org_number(value: str) -> str:
    """'5560001234', '556000-1234' and '16556000-1234' all become '556000-1234'."""
    match = _ORG_NUMBER.match((value or "").replace(" ", "").strip())
    return f"{match.group(1)}-{match.group(2)}" if match else (value or "").strip()


def validate_org_number(value: str) -> None:
    match = _ORG_NUMBER.match((value or "").replace(" ", "").strip())
    if not match:
        raise ValidationError(
            _("Enter an organisation number as ten digits, NNNNNN-NNNN."), code="format"
        )
    digits = match.group(1) + match.group(2)
    if not luhn_valid(digits):
        raise ValidationError(
            _("The organisation number %(value)s has a wrong check digit (last digit)."),
            code="check_digit",
            params={"value": f"{match.group(1)}-{match.group(2)}"},
        )
