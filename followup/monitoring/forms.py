"""Forms of the monitoring pages (filters of the inbox, closing a signal)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from followup.models import Severity, Signal
from spink.forms import StateFormMixin, seen_state_field


class SignalFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Signal.Kind.choices]
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("All severities")), *Severity.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Open (new or being handled)")),
            *Signal.Status.choices,
            ("all", _("All statuses")),
        ],
    )

    def filters(self) -> dict[str, str]:
        """The valid filters; an invalid value (an old link) falls back to no filter."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class SignalStepForm(StateFormMixin, forms.Form):
    """Take or close a signal; it carries the status the page showed."""

    from_status = seen_state_field()

    def __init__(self, *args, signal: Signal | None = None, **kwargs):
        super().__init__(*args, seen_state=signal.status if signal else None, **kwargs)


class CloseSignalForm(SignalStepForm):
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("E.g. checked with the provider, deep control started, no action needed."),
    )
