"""spink.typeahead: the field resolves typed text within its scope, and only there."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from providers.models import Unit
from spink.typeahead import TypeaheadField, typeahead_field
from tests.factories import ProviderFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # the messages' msgids; the UI shows them in Swedish
        yield


def units_of(provider) -> object:
    """The scope: here the form is bound to a provider (in the app, to a user)."""
    return Unit.objects.filter(provider=provider).select_related("provider").order_by("name", "pk")


class UnitForm(forms.Form):
    unit = TypeaheadField(
        label="Enhet",
        scope=units_of,
        search=lambda units, text: units.filter(name__icontains=text),
        exact=lambda units, text: units.filter(name__iexact=text),
        label_from_instance=lambda unit: unit.name,
        url_name="followup:feedback-unit-search",
    )

    def __init__(self, *args, scope_of, **kwargs):
        super().__init__(*args, **kwargs)
        typeahead_field(self, "unit").for_user(scope_of)


@pytest.fixture
def mine():
    return ProviderFactory()


@pytest.fixture
def units(mine):
    return {
        name: UnitFactory(provider=mine, name=name)
        for name in ["Vågen", "Vågen Majorna", "Solhem Kortedala", "Björken"]
    }


def post(provider, text="", chosen=""):
    form = UnitForm({"unit": chosen, "unit_text": text}, scope_of=provider)
    form.is_valid()
    return form


def test_one_match_is_the_choice(mine, units):
    form = post(mine, "kortedala")
    assert form.cleaned_data["unit"] == units["Solhem Kortedala"]


def test_no_match_is_an_error_that_keeps_the_text(mine, units):
    form = post(mine, "Ekbacken")
    assert form.errors["unit"] == ["No match for “Ekbacken”. Check the spelling or type less."]
    assert 'value="Ekbacken"' in str(form["unit"])


def test_several_matches_name_the_candidates(mine, units):
    form = post(mine, "e")  # Vågen, Vågen Majorna, Solhem Kortedala, Björken
    (error,) = form.errors["unit"]
    assert error.startswith("Several matches: ")
    assert all(name in error for name in units)
    assert 'value="e"' in str(form["unit"])


def test_several_matches_name_ten_at_most(mine):
    for number in range(15):
        UnitFactory(provider=mine, name=f"Hem {number:02}")
    (error,) = post(mine, "Hem").errors["unit"]
    assert error.count("Hem ") == 10 and error.endswith("; … – type more.")


def test_a_name_given_exactly_wins_over_longer_ones(mine, units):
    assert post(mine, "vågen").cleaned_data["unit"] == units["Vågen"]


def test_the_scope_is_respected(mine, units):
    other = UnitFactory(provider=ProviderFactory(), name="Kortedala Annat")
    assert post(mine, "kortedala").cleaned_data["unit"] == units["Solhem Kortedala"]
    assert post(mine, "Annat").errors["unit"][0].startswith("No match")
    assert post(other.provider, "Annat").cleaned_data["unit"] == other


def test_a_chosen_id_in_scope_is_taken(mine, units):
    chosen = units["Vågen Majorna"]
    assert post(mine, "Vågen Majorna", chosen=str(chosen.pk)).cleaned_data["unit"] == chosen
    assert post(mine, "", chosen=str(chosen.pk)).cleaned_data["unit"] == chosen


def test_a_crafted_id_outside_the_scope_is_refused(mine, units):
    other = UnitFactory(provider=ProviderFactory(), name="Hemligt")
    form = post(mine, "", chosen=str(other.pk))
    assert "unit" in form.errors and "unit" not in form.cleaned_data
    # With its name typed too, the text is searched in scope: still not found.
    form = post(mine, "Hemligt", chosen=str(other.pk))
    assert form.errors["unit"][0].startswith("No match")
    assert post(mine, "", chosen="1; DROP").errors["unit"]


def test_text_typed_anew_over_an_earlier_choice_is_resolved_again(mine, units):
    earlier = units["Vågen Majorna"]
    form = post(mine, "Björken", chosen=str(earlier.pk))
    assert form.cleaned_data["unit"] == units["Björken"]


def test_required_and_optional(mine, units):
    assert post(mine).errors["unit"]
    form = UnitForm({}, scope_of=mine)
    form.fields["unit"].required = False
    assert form.is_valid() and form.cleaned_data["unit"] is None


def test_the_widget_is_a_combobox_with_a_hidden_id(mine, units):
    chosen = units["Björken"]
    html = str(UnitForm(initial={"unit": chosen.pk}, scope_of=mine)["unit"])
    for part in [
        'role="combobox"',
        'aria-autocomplete="list"',
        'aria-expanded="false"',
        'aria-controls="id_unit_listbox"',
        'id="id_unit_listbox" role="listbox"',
        'hx-trigger="input changed delay:250ms, search"',
        'name="unit_text" id="id_unit" value="Björken"',
        f'<input type="hidden" name="unit" value="{chosen.pk}"',
    ]:
        assert part in html


def test_a_resolved_choice_is_shown_with_its_id_after_another_fields_error(mine, units):
    class WithMore(UnitForm):
        note = forms.CharField()

    form = WithMore({"unit_text": "björk"}, scope_of=mine)
    assert not form.is_valid() and "unit" not in form.errors
    html = str(form["unit"])
    assert 'value="Björken"' in html and f'value="{units["Björken"].pk}"' in html
