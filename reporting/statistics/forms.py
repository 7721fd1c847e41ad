"""The statistics filters: year, and municipality (administrators) and administration, always
limited to what the user may see. Used by the pages, the exports and the API alike."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reporting.statistics import selectors
from reporting.statistics.selectors import Filters
from spink.accounts import access
from spink.accounts.models import Administration, Municipality, User
from spink.forms import model_choice_field


def default_year(years: list[int]) -> int:
    """The latest year with requests before the current one, else the current year."""
    this_year = timezone.localdate().year
    return next((year for year in years if year < this_year), this_year)


class StatisticsFilterForm(forms.Form):
    year = forms.IntegerField(
        label=_("Year"), min_value=selectors.MIN_YEAR, max_value=selectors.MAX_YEAR
    )
    municipality: forms.ModelChoiceField[Municipality] = forms.ModelChoiceField(
        label=_("Municipality"), queryset=None, required=False, empty_label=_("All")
    )
    administration: forms.ModelChoiceField[Administration] = forms.ModelChoiceField(
        label=_("Administration"), queryset=None, required=False, empty_label=_("All")
    )

    def __init__(self, data, *, user: User, years: list[int] | None = None, **kwargs):
        self.user = user
        super().__init__(data, **kwargs)
        if access.is_administrator(user):
            model_choice_field(self, "municipality").queryset = selectors.municipalities_for(user)
        else:
            del self.fields["municipality"]
        model_choice_field(self, "administration").queryset = selectors.administrations_for(user)
        if years is not None:
            this_year = timezone.localdate().year
            choices = sorted({*years, this_year}, reverse=True)
            chosen = (data or {}).get("year")
            chosen = str(chosen or "")
            # "²".isdigit() is true, but int("²") fails: ASCII digits only.
            if chosen.isascii() and chosen.isdigit() and int(chosen) not in choices:
                choices = sorted({*choices, int(chosen)}, reverse=True)
            self.fields["year"].widget = forms.Select(choices=[(y, y) for y in choices])

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        municipality = cleaned.get("municipality")
        administration = cleaned.get("administration")
        if municipality and administration and administration.municipality_id != municipality.pk:
            self.add_error(
                "administration", _("The administration is not in the chosen municipality.")
            )
        return cleaned

    def filters(self) -> Filters:
        municipality = self.cleaned_data.get("municipality")
        administration = self.cleaned_data.get("administration")
        return Filters(
            year=self.cleaned_data["year"],
            municipality_id=municipality.pk if municipality else None,
            administration_id=administration.pk if administration else None,
        )
