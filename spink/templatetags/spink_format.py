"""Number formats of the UI in the active language.

Swedish: ``5 980 kr/dygn``, ``12 345,50`` (thousands with a no-break space, decimal comma);
English: ``5,980 kr/day``, ``12,345.50``. The separators come from Django's locale formats
(``django/conf/locale/<lang>/formats.py``); ``USE_THOUSAND_SEPARATOR`` stays off so that years,
ids and other bare integers in templates and URLs are never grouped: grouping is asked for
here, where a quantity is shown. Machine-readable output (CSV/XLSX exports, the API) does not
use these filters.

    {% load spink_format %}
    {{ offering.daily_price|money_per_day }}   5 980 kr/dygn
    {{ count|number }}                         1 234
    {{ share|number:1 }}                       12,5
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import gettext

register = template.Library()

EMPTY = "–"


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def format_number(value, decimals: int | None = None) -> str:
    """``value`` grouped in thousands in the active language. ``decimals=None``: as many as
    needed up to two, none for a whole number (``5 980``, ``5 980,50``); an int: exactly that
    many. Not a number: returned unchanged (``None`` and ``""`` as an en dash)."""
    number = _as_decimal(value)
    if number is None:
        return EMPTY if value is None or value == "" else str(value)
    if decimals is None:
        decimals = 0 if number == number.to_integral_value() else 2
    return formats.number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.filter(is_safe=False)
def number(value, decimals=None) -> str:
    """A count, sum or ratio for people to read: ``{{ value|number }}``,
    ``{{ value|number:1 }}``."""
    return format_number(value, None if decimals in (None, "") else int(decimals))


@register.filter(is_safe=False)
def money(value) -> str:
    """An amount in kronor without the unit: ``5 980``, ``5 980,50``."""
    return format_number(value)


@register.filter(is_safe=False)
def money_per_day(value) -> str:
    """A daily price: ``5 980 kr/dygn`` (Swedish), ``5,980 kr/day`` (English); ``–`` if none.

    The unit follows the number with a no-break space, so that a price never breaks across
    lines."""
    amount = format_number(value)
    if amount == EMPTY or _as_decimal(value) is None:
        return amount
    # The msgid is the one placements' timeline already uses ("%(price)s kr/day").
    text = gettext("%(price)s kr/day") % {"price": amount}
    return text.replace(f"{amount} ", f"{amount}\xa0", 1)


def format_kilometres(distance) -> str:
    """A distance for people to read: one decimal under 10 km (``3,4`` in Swedish), whole
    kilometres from there (``12``); ``–`` if none."""
    number = _as_decimal(distance)
    if number is None:
        return EMPTY
    decimals = 1 if number < 10 else 0
    if number < 1000:  # no thousands to group: the short way (matching formats hundreds)
        return f"{number:.{decimals}f}".replace(".", formats.get_format("DECIMAL_SEPARATOR"))
    # Rounded here: Django's number_format cuts the decimals it does not show.
    return format_number(round(number, decimals), decimals)


@register.filter(is_safe=False)
def kilometres(value) -> str:
    """``{{ candidate.distance_km|kilometres }}``: ``3,4 km``, ``12 km`` (a no-break space
    before the unit); ``–`` if none."""
    amount = format_kilometres(value)
    return amount if amount == EMPTY else f"{amount}\xa0km"
