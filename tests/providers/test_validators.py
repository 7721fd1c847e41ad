import pytest
from django.core.exceptions import ValidationError

from providers.validators import normalise_org_number, validate_org_number
from tests.factories import ProviderFactory


@pytest.mark.parametrize("value", ["556016-0680", "5560160680", "16556016-0680", "802002-4280"])
def test_valid_org_numbers_pass(value):
    validate_org_number(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("556016-0681", "check_digit"),
        ("556016-068", "format"),
        ("55601606800", "format"),
        ("ABC016-0680", "format"),
        ("", "format"),
    ],
)
def test_invalid_org_numbers_get_a_clear_error(value, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_org_number(value)
    assert excinfo.value.code == code


def test_org_numbers_are_normalised():
    assert normalise_org_number("16 5560160680") == "556016-0680"


@pytest.mark.django_db
def test_org_number_is_unique_whatever_its_spelling():
    ProviderFactory(org_number="556016-0680")
    duplicate = ProviderFactory.build(org_number="5560160680", municipality=None)
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean(exclude=["municipality"])
    assert "org_number" in excinfo.value.message_dict
