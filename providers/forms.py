"""Forms of the register UI. They only collect input: providers.services saves it and
providers.rules decides whether a change is allowed (their refusals become form errors).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm, Service, Subcategory
from providers import rules
from providers.models import (
    AGREEMENT_EDITABLE_FIELDS,
    PROVIDER_EDITABLE_FIELDS,
    UNIT_EDITABLE_FIELDS,
    FrameworkAgreement,
    PriceSource,
    Provider,
    PublicationStatus,
    Unit,
    UnitService,
)
from spink.forms import (
    AmountField,
    StateFormMixin,
    VersionedFormMixin,
    model_choice_field,
    seen_state_field,
)
from spink.web import add_refusal

__all__ = ["add_refusal"]  # followup's forms and views import it from here


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def reason_field(label) -> forms.CharField:
    # Not required by the form: the services refuse a change without a reason, and their
    # message is the one shown, so the rule lives in one place. It is marked required for
    # the user all the same.
    field = forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "aria-required": "true"}),
    )
    field.reason_required = True  # type: ignore[attr-defined]  # read by includes/field.html
    return field


# --- Status and stops ---------------------------------------------------------------------------


class StatusForm(StateFormMixin, forms.Form):
    """A status change. It carries the status the page showed (`from_status`), so that of
    two changes sent from pages showing the same status (publish in one tab, remove in
    another) only the first is applied."""

    to_status = forms.ChoiceField(
        label=_("New status"), choices=PublicationStatus.choices, widget=forms.RadioSelect
    )
    reason = reason_field(_("Reason for the status change"))
    from_status = seen_state_field()

    def __init__(self, *args, unit: Unit, **kwargs):
        kwargs.setdefault("prefix", "status")
        super().__init__(*args, seen_state=unit.status, **kwargs)
        self.offer_transitions(unit)

    def offer_transitions(self, unit: Unit) -> None:
        # Offer only the workflow's next steps (rules.UNIT_WORKFLOW); any status is accepted
        # so that a stale or forged choice is refused by the rules with their own message.
        self.fields["to_status"].widget.choices = [
            (status, PublicationStatus(status).label) for status in rules.allowed_transitions(unit)
        ]


class StopForm(StateFormMixin, forms.Form):
    """Decide or lift a stop; `from_stop` is whether the page showed one."""

    state_field = "from_stop"
    stop = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    from_stop = forms.NullBooleanField(widget=forms.HiddenInput, required=False)

    unit_field = ""  # the unit's flag of this kind of stop

    def __init__(self, *args, unit: Unit, **kwargs):
        active = getattr(unit, self.unit_field)
        super().__init__(*args, seen_state=active, **kwargs)
        self.active = active
        self.fields["stop"].initial = "0" if active else "1"

    def refuse_stale(self, error, unit: Unit) -> None:
        """Decided or lifted meanwhile: keep the reason, offer the step from the state now."""
        active = getattr(unit, self.unit_field)
        super().refuse_stale(error, active)
        self.active = active
        data = cast(MutableMapping[str, Any], self.data)  # refuse_stale made it a copy
        data[self.add_prefix("stop")] = "0" if active else "1"


class RecommendationStopForm(StopForm):
    unit_field = "recommendation_stop"
    reason = reason_field(_("Reason for the recommendation stop decision"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "recommendation")
        super().__init__(*args, **kwargs)


class OrderStopForm(StopForm):
    unit_field = "order_stop"
    reason = reason_field(_("Reason for the order stop decision"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "order")
        super().__init__(*args, **kwargs)


# --- Providers, units and offerings -------------------------------------------------------------


class ProviderForm(VersionedFormMixin, forms.ModelForm):
    """Carries the version of the provider it was opened on, and its own key when it
    creates one (spink.forms)."""

    class Meta:
        model = Provider
        fields = PROVIDER_EDITABLE_FIELDS


class UnitForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Unit
        fields = UNIT_EDITABLE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def clean(self):
        # The database constraints would only say "constraint violated"; name the field instead.
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        age_min, age_max = data.get("age_min"), data.get("age_max")
        if age_min is not None and age_max is not None and age_max < age_min:
            self.add_error("age_max", _("The oldest age cannot be below the youngest age."))
        places, available = data.get("places"), data.get("available_places")
        if places is not None and available is not None and available > places:
            self.add_error(
                "available_places", _("Available places cannot exceed the number of places.")
            )
        return data


class SubcategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Subcategory) -> str:
        return f"{obj.service.name}: {obj.name}"


class OfferingForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True)
    )
    operating_form = forms.ModelChoiceField(
        label=_("Operating form"), queryset=OperatingForm.objects.all()
    )
    subcategories = SubcategoryChoiceField(
        label=_("Subcategories"),
        queryset=Subcategory.objects.filter(is_active=True).select_related("service"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only subcategories of the chosen service."),
    )


# --- Prices -------------------------------------------------------------------------------------


class OfferingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: UnitService) -> str:
        return f"{obj.service.name} ({obj.operating_form.name})"


class PriceForm(forms.Form):
    """A new daily price of one of the unit's offerings, from a date until further notice."""

    offering = OfferingChoiceField(label=_("Service"), queryset=UnitService.objects.none())
    daily_price = AmountField(
        label=_("Daily price (SEK)"), max_digits=9, decimal_places=2, min_value=0.01
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        widget=DateInput(),
        help_text=_("The price valid until then ends the day before."),
    )
    source = forms.ChoiceField(label=_("Source"), choices=PriceSource.choices)

    def __init__(self, *args, unit, **kwargs):
        kwargs.setdefault("prefix", "price")
        super().__init__(*args, **kwargs)
        offerings = unit.offerings.select_related("service", "operating_form")
        cast(OfferingChoiceField, self.fields["offering"]).queryset = offerings


# --- IVO permits ---------------------------------------------------------------------------------


class PermitForm(forms.Form):
    """A new IVO permit of a unit, for services it offers."""

    permit_number = forms.CharField(label=_("Permit number"), max_length=40)
    services = forms.ModelMultipleChoiceField(
        label=_("Services covered"),
        queryset=Service.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    target_group = forms.CharField(label=_("Target group"), max_length=200, required=False)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(
        label=_("Valid to"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for a permit until further notice."),
    )

    def __init__(self, *args, unit, **kwargs):
        kwargs.setdefault("prefix", "permit")
        super().__init__(*args, **kwargs)
        offered = Service.objects.filter(offerings__unit=unit).distinct().order_by("name_sv")
        cast(forms.ModelMultipleChoiceField, self.fields["services"]).queryset = offered


class RenewPermitForm(forms.Form):
    valid_to = forms.DateField(
        label=_("New end"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for until further notice."),
    )

    def __init__(self, *args, permit, **kwargs):
        kwargs.setdefault("prefix", f"renew-{permit.pk}")
        super().__init__(*args, **kwargs)


class RevokePermitForm(forms.Form):
    revoked_on = forms.DateField(label=_("Revoked from"), widget=DateInput())
    reason = reason_field(_("Reason (IVO's decision)"))

    def __init__(self, *args, permit, **kwargs):
        kwargs.setdefault("prefix", f"revoke-{permit.pk}")
        super().__init__(*args, **kwargs)


# --- Framework agreements -----------------------------------------------------------------------


class AgreementForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = FrameworkAgreement
        fields = AGREEMENT_EDITABLE_FIELDS
        widgets = {
            "services": forms.CheckboxSelectMultiple,
            "valid_from": DateInput,
            "valid_to": DateInput,
        }

    def clean(self):
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The agreement cannot end before it starts."))
        return data


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name} – {obj.provider.legal_name}"


class AdmitUnitForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit to admit"), queryset=Unit.objects.none())
    admitted_on = forms.DateField(label=_("Admitted on"), widget=DateInput)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "unit").queryset = units
