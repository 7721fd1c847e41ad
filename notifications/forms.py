from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications import rules

IN_APP = "in_app"
BY_EMAIL = "email"
CHANNELS = [(IN_APP, _("In Spink only")), (BY_EMAIL, _("In Spink and by e-mail"))]


class PreferencesForm(forms.Form):
    """One choice per kind of notification the user can receive."""

    def __init__(self, *args, user, current: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rules.email_kinds_for(user.role, administrator=bool(user.is_administrator))
        for row in self.rows:
            self.fields[row.kind] = forms.ChoiceField(
                label=row.kind.label,
                choices=CHANNELS,
                widget=forms.RadioSelect,
                initial=BY_EMAIL if current.get(row.kind) else IN_APP,
            )

    def choices(self) -> dict[str, bool]:
        return {kind: value == BY_EMAIL for kind, value in self.cleaned_data.items()}


class ListFilterForm(forms.Form):
    ALL = "all"
    UNREAD = "unread"
    show = forms.ChoiceField(
        label=_("Show"),
        choices=[(ALL, _("All notifications")), (UNREAD, _("Unread only"))],
        required=False,
    )

    @property
    def unread_only(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("show") == self.UNREAD
