"""Number formats of the UI (spink.templatetags.spink_format) and the table wrapper
(spink.templatetags.spink_layout): Swedish by default, English keeps English formats."""

from decimal import Decimal

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from spink.templatetags.spink_format import format_number, kilometres, money_per_day, number

NBSP = "\xa0"


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    ("value", "swedish", "english"),
    [
        (Decimal("5980.00"), f"5{NBSP}980{NBSP}kr/dygn", f"5,980{NBSP}kr/day"),
        (Decimal("12345.5"), f"12{NBSP}345,50{NBSP}kr/dygn", f"12,345.50{NBSP}kr/day"),
        (980, f"980{NBSP}kr/dygn", f"980{NBSP}kr/day"),
        ("1250000", f"1{NBSP}250{NBSP}000{NBSP}kr/dygn", f"1,250,000{NBSP}kr/day"),
        (None, "–", "–"),
        ("", "–", "–"),
    ],
)
def test_money_per_day_in_each_language(value, swedish, english):
    with translation.override("sv"):
        assert money_per_day(value) == swedish
    with translation.override("en"):
        assert money_per_day(value) == english


@pytest.mark.parametrize(
    ("value", "swedish", "english"),
    [
        (3.44, f"3,4{NBSP}km", f"3.4{NBSP}km"),
        (18.2, f"18{NBSP}km", f"18{NBSP}km"),
        (1234.6, f"1{NBSP}235{NBSP}km", f"1,235{NBSP}km"),
        (0.0, f"0,0{NBSP}km", f"0.0{NBSP}km"),
        (None, "–", "–"),
    ],
)
def test_distances_have_one_decimal_below_ten_km_and_whole_km_above(value, swedish, english):
    with translation.override("sv"):
        assert kilometres(value) == swedish
    with translation.override("en"):
        assert kilometres(value) == english


def test_numbers_are_grouped_with_a_no_break_space_and_a_decimal_comma_in_swedish():
    with translation.override("sv"):
        assert number(7425) == f"7{NBSP}425"
        assert number(Decimal("0.125"), 1) == "0,1"
        assert number(Decimal("1234.5"), "2") == f"1{NBSP}234,50"
        assert number(12) == "12"
        assert format_number("not a number") == "not a number"
    with translation.override("en"):
        assert number(7425) == "7,425"
        assert number(Decimal("1234.5"), 2) == "1,234.50"


def test_filters_in_a_template_and_years_stay_ungrouped():
    source = "{% load spink_format %}{{ price|money_per_day }} · {{ count|number }} · {{ year }}"
    with translation.override("sv"):
        assert render(source, price=Decimal("5980"), count=10000, year=2024) == (
            f"5{NBSP}980{NBSP}kr/dygn · 10{NBSP}000 · 2024"
        )
    with translation.override("en"):
        assert render(source, price=Decimal("5980"), count=10000, year=2024) == (
            f"5,980{NBSP}kr/day · 10,000 · 2024"
        )


def test_table_scroll_is_a_labelled_focusable_region():
    by_caption = render(
        '{% load spink_layout %}{% table_scroll %}<table class="table">'
        '<caption class="visually-hidden">Units, newest first</caption></table>'
        "{% endtable_scroll %}"
    )
    assert by_caption.startswith(
        '<div class="table-scroll" role="region" aria-labelledby="caption-'
    )
    assert 'tabindex="0"' in by_caption
    label_id = by_caption.split('aria-labelledby="', 1)[1].split('"', 1)[0]
    assert f'<caption id="{label_id}" class="visually-hidden">Units, newest first</caption>' in (
        by_caption
    )

    kept = render(
        '{% load spink_layout %}{% table_scroll %}<table><caption id="mine">X</caption></table>'
        "{% endtable_scroll %}"
    )
    assert 'aria-labelledby="mine"' in kept and kept.count('id="mine"') == 1

    by_heading = render(
        "{% load spink_layout %}{% table_scroll heading %}<table></table>{% endtable_scroll %}",
        heading="units-heading",
    )
    assert 'aria-labelledby="units-heading"' in by_heading

    with pytest.raises(TemplateSyntaxError):
        render("{% load spink_layout %}{% table_scroll %}<table></table>{% endtable_scroll %}")


@pytest.mark.parametrize(
    "typed", ["4800,50", "4 800,50", "4\xa0800,50", "4\u202f800,50", " 4800.50 "]
)
def test_amounts_are_read_as_people_type_them_in_swedish(typed):
    from spink.forms import AmountField

    with translation.override("sv"):
        assert AmountField(max_digits=9, decimal_places=2).clean(typed) == Decimal("4800.50")


def test_an_amount_that_is_no_number_is_refused_with_the_reason():
    from django.core.exceptions import ValidationError

    from spink.forms import AmountField

    with translation.override("sv"), pytest.raises(ValidationError) as refused:
        AmountField(max_digits=9, decimal_places=2).clean("fyra tusen")
    assert "Fyll i ett tal." in refused.value.messages
