from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from categories.models import (
    Activity,
    ActivityStatus,
    CategoryArea,
    CategoryPlan,
    CouncilDecision,
    Goal,
    Kpi,
    KpiDirection,
    KpiSource,
    Service,
    Strategy,
)
from categories.plans.kpis import Period


class DateInput(forms.DateInput):
    input_type = "date"


class PlanForm(forms.ModelForm):
    class Meta:
        model = CategoryPlan
        fields = ["area", "year", "title", "current_state_analysis", "adopted_on"]
        widgets = {
            "adopted_on": DateInput,
            "current_state_analysis": forms.Textarea(attrs={"rows": 12}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = CategoryArea.objects.all()
        self.fields["year"].min_value = 2000


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["title", "description", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class StrategyForm(forms.ModelForm):
    class Meta:
        model = Strategy
        fields = ["title", "description", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ActivityForm(forms.ModelForm):
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
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        return cleaned


class ActivityStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices)


class KpiForm(forms.ModelForm):
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
        self.fields["service"].queryset = services

    def clean(self):
        cleaned = super().clean()
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


class MeasurementForm(PeriodForm):
    value = forms.DecimalField(label=_("Value"), max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DecisionForm(forms.ModelForm):
    class Meta:
        model = CouncilDecision
        fields = ["decided_on", "decision", "decided_by"]
        widgets = {"decided_on": DateInput, "decision": forms.Textarea(attrs={"rows": 4})}
