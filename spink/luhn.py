"""The Luhn (mod 10) check digit used by Swedish organisation and personal identity numbers."""


def luhn_valid(digits: str) -> bool:
    """True when the last digit of `digits` is the Luhn check digit of the others."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) < 2:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(digits: str) -> str:
    """The digit that makes `digits + digit` Luhn-valid (used by factories and the generator)."""
    for candidate in "0123456789":
        if luhn_valid(digits + candidate):
            return candidate
    raise ValueError(digits)  # unreachable for digit strings
