from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from categories.models import CategoryArea, Service
from reporting.models import (
    Activity,
    ActivityStatus,
    CategoryPlan,
    CouncilDecision,
    Goal,
    Kpi,
    KpiDirection,
    KpiSource,
    Strategy,
)
from reporting.plans import services
from reporting.plans.kpis import Period
from spink.accounts import access
from spink.accounts.models import Municipality
from spink.forms import (
    AmountField,
    StateFormMixin,
    VersionedFormMixin,
    model_choice_field,
    seen_state_field,
)

if TYPE_CHECKING:
    from spink.accounts.models import User


class DateInput(forms.DateInput):
    input_type = "date"


class PlanForm(VersionedFormMixin, forms.ModelForm):
    """A plan belongs to a municipality. An administrator, who works for the whole region,
    chooses it (their own municipality, if they have one, is proposed); everyone else writes
    plans for their own municipality only and is never asked, as in the statistics filters.

    Every plan form carries the version of the row it edits and its own key when it creates
    one (spink.forms.VersionedFormMixin); services.save_plan_record checks the version."""

    class Meta:
        model = CategoryPlan
        fields = ["municipality", "area", "year", "title", "current_state_analysis", "adopted_on"]
        widgets = {
            "adopted_on": DateInput,
            "current_state_analysis": forms.Textarea(attrs={"rows": 12}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if access.is_administrator(user):
            model_choice_field(self, "municipality").queryset = Municipality.objects.order_by(
                "name"
            )
            if self.instance.pk is None and user.municipality_id:
                self.initial.setdefault("municipality", user.municipality_id)
        else:
            del self.fields["municipality"]
            if self.instance.pk is None:
                self.instance.municipality_id = user.municipality_id
        model_choice_field(self, "area").queryset = CategoryArea.objects.all()
        cast(forms.IntegerField, self.fields["year"]).min_value = 2000

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        if "municipality" in self.fields:
            # The model's unique constraint is checked by the form itself.
            return cleaned
        # Without the field Django skips the (municipality, area, year) constraint, and a
        # duplicate would only surface as an IntegrityError on save: check it here.
        municipality_id = self.instance.municipality_id
        if municipality_id is None:
            raise forms.ValidationError(
                _("You belong to no municipality, so you cannot write a category plan.")
            )
        area, year = cleaned.get("area"), cleaned.get("year")
        if (
            area
            and year
            and CategoryPlan.objects.filter(municipality_id=municipality_id, area=area, year=year)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "year", _("Your municipality already has a plan for this area and year.")
            )
        return cleaned


class GoalForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["title", "description", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class StrategyForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Strategy
        fields = ["title", "description", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ActivityForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["title", "description", "owner", "status", "start_date", "end_date", "position"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "start_date": DateInput,
            "end_date": DateInput,
        }

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        return cleaned


class ActivityStatusForm(StateFormMixin, forms.Form):
    """An activity's status, changed from the plan's page; `from_status` is the status the
    page showed."""

    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices)
    from_status = seen_state_field()


class KpiForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Kpi
        fields = [
            "name",
            "unit",
            "target_text",
            "target_value",
            "direction",
            "source",
            "service",
            "position",
        ]

    def __init__(self, *args, area=None, **kwargs):
        super().__init__(*args, **kwargs)
        services = Service.objects.filter(is_active=True)
        if area is not None:
            services = services.filter(area=area)
        model_choice_field(self, "service").queryset = services

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        direction = cleaned.get("direction")
        if (
            direction
            and direction != KpiDirection.INFORMATION
            and cleaned.get("target_value") is None
        ):
            self.add_error("target_value", _("A KPI with a target needs a numeric target value."))
        if cleaned.get("source") == KpiSource.REQUESTS_PER_SERVICE and not cleaned.get("service"):
            self.add_error("service", _("Choose the service whose requests are counted."))
        return cleaned


class PeriodForm(forms.Form):
    period_start = forms.DateField(label=_("Period start"), widget=DateInput)
    period_end = forms.DateField(label=_("Period end"), widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end date cannot be before the start date."))
        return cleaned

    @property
    def period(self) -> Period:
        return Period(self.cleaned_data["period_start"], self.cleaned_data["period_end"])

    @classmethod
    def for_year(cls, year: int, *args, **kwargs):
        kwargs.setdefault(
            "initial", {"period_start": dt.date(year, 1, 1), "period_end": dt.date(year, 12, 31)}
        )
        return cls(*args, **kwargs)


class MeasurementForm(VersionedFormMixin, PeriodForm):
    """A manual KPI value for a period. `seen` carries the KPI's values as the page showed
    them (services.measurements_seen), so that correcting a value someone else entered
    meanwhile is refused; `form_key` makes a double post enter it once."""

    value = AmountField(label=_("Value"), max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, kpi: Kpi, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].initial = services.measurements_seen(kpi)


class DecisionForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = CouncilDecision
        fields = ["decided_on", "decision", "decided_by"]
        widgets = {"decided_on": DateInput, "decision": forms.Textarea(attrs={"rows": 4})}
