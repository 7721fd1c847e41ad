"""Web glue of optimistic concurrency (spink.concurrency) and once-only creates
(spink.idempotency), shared by every app's forms and views.

* An edit form carries the version of the record it was rendered with (`seen`, a signed
  snapshot of the edited fields); the service compares it under its row lock and refuses a
  stale save with concurrency.StaleEdit. The view then shows the refusal on the form, which
  keeps the user's input and now carries the version saved (`refuse_stale`), so that saving
  again, having checked, goes through.
* A workflow form (a status change, a decision) carries the state its user saw in a hidden
  field of its own (`StateFormMixin`), checked by concurrency.check_state.
* A create form carries a key of its own (`form_key`); `create_once` makes its record at
  most once however often the form is posted, and `made_by_this_form` (asked before the form
  is validated) sends a repeated post to the record the first one made.

A form posted without `seen` or the state field (an old page, a test) claims nothing and is
saved as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, TypeVar, cast

from django import forms
from django.db.models import Model
from django.http import QueryDict

from spink import concurrency
from spink.idempotency.keys import FormKeyField, made_before, once

T = TypeVar("T")


class AmountField(forms.DecimalField):
    """A number as people type it in Swedish: "4 800,50", with spaces (ordinary, no-break or
    thin) between the thousands, a decimal comma or point. Localized like every number field."""

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "")
        return super().to_python(value)


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """`form.fields[name]` as the ModelChoiceField (or ModelMultipleChoiceField) it is: to the
    type checker, `form.fields` holds plain Fields."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """`form.fields[name]` as the ChoiceField it is (see model_choice_field)."""
    return cast(forms.ChoiceField, form.fields[name])


def _editable_copy(data: Mapping[str, Any]) -> MutableMapping[str, Any]:
    """A copy of a bound form's data that can be changed (a QueryDict's copy is mutable)."""
    return cast("QueryDict | dict[str, Any]", data).copy()


def _without_id(form: forms.Form, *names: str) -> None:
    """Hidden control fields need no id (nothing labels them), and a page often shows several
    forms carrying them (a status form, a stop form): without ids they never clash."""
    for name in names:
        if name in form.fields:
            form.fields[name].widget.attrs["id"] = False


class VersionedFormMixin(forms.Form):
    """`seen` (the version of the record the form edits) and `form_key` (this rendered
    form's key). The record is a ModelForm's instance, or `version_of` for a plain form;
    its version covers `version_fields` (default: a ModelForm's Meta.fields), the same list
    the service checks."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)
    form_key = FormKeyField()

    CONTROL_FIELDS: tuple[str, ...] = ("seen", "form_key")
    version_fields: Sequence[str] | None = None

    def __init__(self, *args, version_of: Model | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        _without_id(self, *self.CONTROL_FIELDS)
        self.version_of = version_of if version_of is not None else getattr(self, "instance", None)
        if self.version_of is not None and self.version_of.pk is not None:
            self.fields["seen"].initial = concurrency.seen_token(
                self.version_of, self.get_version_fields()
            )

    def get_version_fields(self) -> list[str]:
        if self.version_fields is not None:
            return list(self.version_fields)
        return list(self._meta.fields)  # type: ignore[attr-defined]  # a ModelForm's

    @property
    def seen_version(self) -> str | None:
        """The version the user saw, for the service's `seen` (None: no claim)."""
        return self.cleaned_data.get("seen") or None

    @property
    def key(self) -> str:
        return self.cleaned_data.get("form_key") or ""

    def service_fields(self) -> dict[str, Any]:
        """The cleaned fields for the services, without the form's own control fields."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.CONTROL_FIELDS
        }

    def show_saved_version(self, token: str) -> None:
        """After a stale save: keep the user's input, but carry the version now saved, so
        that saving again (having checked) goes through."""
        data = _editable_copy(self.data)
        data[self.add_prefix("seen")] = token
        self.data = data

    def refuse_stale(self, error: concurrency.StaleEdit, saved: Model | None = None) -> None:
        """Show a stale save's refusal on the form (which keeps the user's input) and carry
        the version saved now (`saved`, or the record read again)."""
        self.add_error(None, str(error.message))
        if saved is None and self.version_of is not None and self.version_of.pk is not None:
            saved = type(self.version_of)._default_manager.get(pk=self.version_of.pk)
        if saved is not None:
            self.show_saved_version(concurrency.seen_token(saved, self.get_version_fields()))


class StateFormMixin(forms.Form):
    """A workflow form that carries, in the hidden field `state_field`, the state of the
    record its user saw (set from `seen_state=` when rendered), for the service's
    concurrency.check_state."""

    state_field = "from_status"

    def __init__(self, *args, seen_state: Any = None, **kwargs):
        super().__init__(*args, **kwargs)
        _without_id(self, self.state_field)
        if seen_state is not None:
            self.fields[self.state_field].initial = seen_state

    @property
    def seen_state(self) -> Any:
        """The state the user saw (None: the post claims nothing)."""
        value = self.cleaned_data.get(self.state_field)
        return None if value in (None, "") else value

    def service_fields(self) -> dict[str, Any]:
        return {
            name: value for name, value in self.cleaned_data.items() if name != self.state_field
        }

    def show_current_state(self, value: Any) -> None:
        """After a refusal over a stale state: keep the user's input, carry the state now."""
        data = _editable_copy(self.data)
        field = self.fields[self.state_field]
        data[self.add_prefix(self.state_field)] = field.widget.format_value(
            field.prepare_value(value)
        )
        self.data = data

    def refuse_stale(self, error: concurrency.StaleEdit, now: Any) -> None:
        self.add_error(None, str(error.message))
        self.show_current_state(now)


def seen_state_field() -> forms.CharField:
    """The hidden field of a StateFormMixin form."""
    return forms.CharField(widget=forms.HiddenInput, required=False)


def made_by_this_form(actor, form: VersionedFormMixin, *, scope: str) -> str | None:
    """When the same create form is posted again: the url of the record it made. Ask before
    validating, which the second post could fail against its own first record (a unique
    name or number); the view then redirects to it."""
    if not form.is_bound:
        return None
    return made_before(actor=actor, key=form.data.get(form.add_prefix("form_key")), scope=scope)


def create_once(
    actor, form: VersionedFormMixin, *, scope: str, create: Callable[[], T], url: Callable[[T], str]
) -> tuple[T, str] | tuple[None, str]:
    """Make a create form's record at most once per rendered form (its `form_key`).

    Returns (record, its url); when the same form was posted before, (None, the url of the
    record it made). A refusal raised by `create` undoes the claim too, so the corrected form
    can be posted again with the same key.
    """
    with once(actor=actor, key=form.key, scope=scope) as claim:
        if claim.repeated:
            return None, claim.previous_url or ""
        record = create()
        target = url(record)
        claim.made(target)
        return record, target
