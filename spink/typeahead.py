"""A server-side typeahead for long lists (units, providers, requests): no select offers
more than about fifty options.

The field renders a text input (`role="combobox"`) and a hidden input carrying the chosen
id. With htmx the text input asks the field's search URL for at most `LIMIT` options
(`search_response`, a `role="listbox"` of `role="option"` buttons) and static/js/typeahead.js
lets the user choose one with the mouse or the keyboard. Without JavaScript the typed text is
posted as is and `TypeaheadField.clean` resolves it: one match is the choice; none or several
are a field error naming up to `CANDIDATES` of them, so that the user can type more.

Each use decides what its user may see: the field takes `scope` (user -> queryset) and
`search` (queryset, text -> queryset). The search endpoint answers from the same field of the
same form, bound to the same user (`TypeaheadField.for_user`), never from a broader query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

LIMIT = 20  # options the search endpoint answers at most
CANDIDATES = 10  # candidates a "several matches" error names at most
MAX_TEXT = 100  # longer text is cut before it is searched
TEXT_SUFFIX = "_text"  # the visible input is named `<name>_text`; the hidden one `<name>`

Scope = Callable[[Any], QuerySet[Any]]
Search = Callable[[QuerySet[Any], str], QuerySet[Any]]


class TypeaheadWidget(forms.Widget):
    """A text input (the combobox), the hidden id and the listbox the options land in."""

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.search_url = ""
        self.listbox_label = ""

    def value_from_datadict(self, data, files, name: str) -> tuple[str, str]:
        return (str(data.get(name, "") or ""), str(data.get(name + TEXT_SUFFIX, "") or ""))

    def value_omitted_from_data(self, data, files, name: str) -> bool:
        return name not in data and name + TEXT_SUFFIX not in data

    def id_for_label(self, id_: str) -> str:
        return id_  # the label names the text input, which carries the field's id

    def render(self, name, value, attrs=None, renderer=None):
        chosen, text = value if isinstance(value, tuple) else ("", "")
        attrs = self.build_attrs(self.attrs, attrs)
        input_id = attrs.pop("id", None) or f"id_{name}"
        attrs.pop("required", None)  # the form says so in the label; the browser need not
        listbox_id = f"{input_id}_listbox"
        extra = format_html_join(
            " ",
            '{}="{}"',
            (
                (key, "" if val is True else val)
                for key, val in sorted(attrs.items())
                if val is not None and val is not False
            ),
        )
        return format_html(
            '<div class="typeahead" data-typeahead>'
            '<input type="text" name="{text_name}" id="{input_id}" value="{text}" '
            'maxlength="{max_text}" autocomplete="off" role="combobox" '
            'aria-autocomplete="list" aria-expanded="false" aria-controls="{listbox_id}" '
            'hx-get="{url}" hx-trigger="input changed delay:250ms, search" '
            'hx-target="#{listbox_id}" hx-swap="innerHTML" hx-sync="this:replace" {extra}>'
            '<input type="hidden" name="{name}" value="{chosen}" data-typeahead-id>'
            '<div class="typeahead__listbox" id="{listbox_id}" role="listbox" '
            'aria-label="{listbox_label}" hidden></div>'
            "</div>",
            text_name=name + TEXT_SUFFIX,
            input_id=input_id,
            text=text,
            max_text=MAX_TEXT,
            listbox_id=listbox_id,
            url=self.search_url,
            extra=extra,
            name=name,
            chosen=chosen,
            listbox_label=self.listbox_label,
        )


class TypeaheadField(forms.Field):
    """Chooses one record of `scope(user)` by typing: see the module's docstring.

    `search(queryset, text)` narrows the queryset to the records matching the text;
    `exact(queryset, text)` (optional) picks, among several matches, the one the text names
    exactly (a unit called "Vågen" beside "Vågen Majorna"). `label_from_instance` is what the
    user sees of a record, in the options, in the input once chosen and in the errors (so it
    must show nothing the form may not: no person); `url_name` names the search endpoint.
    The form binds the field to its user with `for_user`.
    """

    widget = TypeaheadWidget
    default_error_messages = {
        "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"],
        "no_match": _("No match for “%(text)s”. Check the spelling or type less."),
        "several": _("Several matches: %(candidates)s – type more."),
    }

    def __init__(
        self,
        *,
        scope: Scope,
        search: Search,
        url_name: str,
        label_from_instance: Callable[[Any], str] = str,
        exact: Search | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.scope = scope
        self.search = search
        self.exact = exact
        self.url_name = url_name
        self.label_from_instance = label_from_instance
        self.queryset: QuerySet[Any] | None = None
        self.resolved: Model | None = None

    def for_user(self, user: Any) -> TypeaheadField:
        """Bind the field to the user whose scope it offers (the form's __init__ calls it)."""
        self.queryset = self.scope(user)
        widget = cast(TypeaheadWidget, self.widget)
        widget.search_url = reverse(self.url_name)
        widget.listbox_label = str(self.label or "")
        return self

    def _scope(self) -> QuerySet[Any]:
        if self.queryset is None:
            raise RuntimeError("TypeaheadField used before for_user(user) bound it to a user")
        return self.queryset

    def matches(self, text: str, limit: int = LIMIT) -> list[Any]:
        """The records in scope matching `text`, at most `limit` (in the scope's order)."""
        text = text.strip()[:MAX_TEXT]
        if not text:
            return []
        return list(self.search(self._scope(), text)[:limit])

    # --- Rendering ---------------------------------------------------------------------------

    def prepare_value(self, value: Any) -> tuple[str, str]:
        """(id, text) for the widget: from the posted pair, a record or an initial id."""
        if isinstance(value, tuple):
            chosen, text = value
            if self.resolved is not None:  # posted and resolved: show what it resolved to
                return (str(self.resolved.pk), self.label_from_instance(self.resolved))
            return (chosen, text)
        if isinstance(value, Model):
            return (str(value.pk), self.label_from_instance(value))
        if value in (None, ""):
            return ("", "")
        record = self._in_scope(str(value))
        return (str(record.pk), self.label_from_instance(record)) if record else ("", "")

    def _in_scope(self, chosen: str) -> Any:
        if not chosen.isascii() or not chosen.isdigit():
            return None
        return self._scope().filter(pk=int(chosen)).first()

    # --- Cleaning ----------------------------------------------------------------------------

    def clean(self, value: Any) -> Any:
        self.resolved = None
        chosen, text = value if isinstance(value, tuple) else ("", str(value or ""))
        chosen, text = chosen.strip(), text.strip()[:MAX_TEXT]
        if not chosen and not text:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        if chosen:
            # Chosen from the options (JavaScript), or carried over from an earlier post; the
            # text, when there is one, must still name it (else the user typed anew).
            record = self._in_scope(chosen)
            if record is not None and (not text or text == self.label_from_instance(record)):
                return self._resolve(record)
            if not text:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return self._resolve(self._from_text(text))

    def _resolve(self, record: Any) -> Any:
        self.resolved = record
        return record

    def _from_text(self, text: str) -> Any:
        found = self.matches(text, limit=CANDIDATES + 1)
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValidationError(
                self.error_messages["no_match"], code="no_match", params={"text": text}
            )
        if self.exact is not None:
            exact = list(self.exact(self.search(self._scope(), text), text)[:2])
            if len(exact) == 1:
                return exact[0]
        names = [self.label_from_instance(record) for record in found[:CANDIDATES]]
        if len(found) > CANDIDATES:
            names.append("…")
        raise ValidationError(
            self.error_messages["several"], code="several", params={"candidates": "; ".join(names)}
        )


def typeahead_field(form: forms.BaseForm, name: str) -> TypeaheadField:
    """`form.fields[name]` as the TypeaheadField it is (to the type checker, a plain Field)."""
    return cast(TypeaheadField, form.fields[name])


def render_options(field: TypeaheadField, text: str) -> str:
    """The listbox's options for `text`: at most LIMIT buttons, or one saying none match."""
    if not text.strip():
        return ""
    found = field.matches(text)
    if not found:
        return format_html(
            '<div class="typeahead__option typeahead__option--none" role="option" '
            'aria-disabled="true" aria-selected="false">{}</div>',
            gettext("No matches"),
        )
    return format_html_join(
        "",
        '<button type="button" class="typeahead__option" role="option" tabindex="-1" '
        'aria-selected="false" data-value="{}">{}</button>',
        ((record.pk, field.label_from_instance(record)) for record in found),
    )


def search_text(request: HttpRequest) -> str:
    """The typed text: `q`, or the `<name>_text` the widget's input sends with htmx."""
    if "q" in request.GET:
        return str(request.GET.get("q", ""))
    for key in request.GET:
        if key.endswith(TEXT_SUFFIX):
            return str(request.GET.get(key, ""))
    return ""


def search_response(request: HttpRequest, field: TypeaheadField) -> HttpResponse:
    """The search endpoint's answer, from a field its form bound to the request's user."""
    response = HttpResponse(render_options(field, search_text(request)))
    response["Cache-Control"] = "private, no-store"
    return response
