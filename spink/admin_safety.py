"""The rule every admin of the project follows: the Django admin never reveals a person.

Django's admin lets a query string filter a changelist by any of the model's own fields
(`ModelAdmin.lookup_allowed` checks only relation-spanning lookups against `list_filter`), so
`?person_identity_number__startswith=2012` would find a protected person's number character
by character. Administrators may not see protected persons, and the admin is no place to
browse person data at all, so here:

* a changelist accepts only the parameters its own declared filters and date hierarchy
  generate; anything else answers 400 (`DisallowedModelAdminLookup`);
* person fields (`PersonData.never_shown`) are never searched, sorted, filtered, listed or
  shown on a change or history page;
* what would point at the person (`PersonData.hidden_when_protected`: needs, language, free
  texts about the case, the unit chosen) is never searched, sorted, filtered or listed, and
  is left off the change and history pages of a record about a protected identity;
* drafts stay their author's: a draft request, and every record about one, is left out of
  the admin for everyone but the draft's own social worker.

Each app names its models concerned (`register_person_data`, in its AppConfig.ready()).
`check_admin_safety` (a system check) refuses an admin that is not a `StrictLookupAdmin`, a
history admin that is not a `StrictHistoryAdmin`, and any admin option that names person data,
so that an admin added later follows the rule. Admin methods (callables in `list_display`,
`readonly_fields`) are ordinary code: they must not render person data either.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.filters import FieldListFilter, ListFilter
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest
from simple_history.admin import SimpleHistoryAdmin


@dataclass(frozen=True)
class PersonData:
    """How one model carries person data.

    `request_path` leads from the model to the placement request the record is about ("" for
    the request itself); it decides whether the record concerns a protected identity and
    whether it belongs to someone else's draft.
    """

    request_path: str
    never_shown: frozenset[str] = frozenset()
    hidden_when_protected: frozenset[str] = frozenset()
    # The request's own status and the value of its drafts (drafts stay their author's).
    draft_status: str = "draft"

    @property
    def sensitive(self) -> frozenset[str]:
        return self.never_shown | self.hidden_when_protected

    def request_of(self, obj: Model) -> Model | None:
        for part in filter(None, self.request_path.split(LOOKUP_SEP)):
            obj = getattr(obj, part)
            if obj is None:
                return None
        return obj


# label ("placements.PlacementRequest") → PersonData. Each app that keeps records about a person
# registers them in its AppConfig.ready() (`register_person_data`), so that this module, which
# every admin stands on, knows no product app.
_REGISTRY: dict[str, PersonData] = {}
_RESOLVED: dict[type[Model], PersonData] = {}


def register_person_data(label: str, person_data: PersonData) -> None:
    _REGISTRY[label] = person_data
    _RESOLVED.clear()


def person_data_models() -> dict[type[Model], PersonData]:
    """Every model whose records are about a person, and what in them points at the person
    (as the apps registered them, resolved once the app registry is ready; asked several
    times per admin page, so resolved once)."""
    if len(_RESOLVED) != len(_REGISTRY):
        _RESOLVED.clear()
        _RESOLVED.update(
            {apps.get_model(label): person_data for label, person_data in _REGISTRY.items()}
        )
    return _RESOLVED


def touches_person_data(model: type[Model], path: str) -> bool:
    """Whether a lookup, field path or ordering (`request__person_last_name__startswith`,
    `-needs`) reaches person data of `model` or of any model it relates to, in either
    direction."""
    registry = person_data_models()
    for part in path.lstrip("-").split(LOOKUP_SEP):
        person_data = registry.get(model)
        if person_data is not None and part in person_data.sensitive:
            return True
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # the rest is a transform or a lookup (startswith, year, …)
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


def _names(items: Iterable[Any]) -> list[str]:
    """The field paths among admin options (strings, `(path, FilterClass)` pairs); callables
    and filter classes are code, checked by review."""
    names = []
    for item in items or ():
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, (tuple, list)) and item and isinstance(item[0], str):
            names.append(item[0])
    return names


def _without(items: Sequence[Any], hidden: Iterable[str]) -> list[Any]:
    """`items` (field names, or tuples of names shown on one line) without `hidden`."""
    hidden = set(hidden)
    kept = []
    for item in items:
        if isinstance(item, (tuple, list)):
            line = [name for name in item if name not in hidden]
            if line:
                kept.append(tuple(line))
        elif item not in hidden:
            kept.append(item)
    return kept


# The declared filters' parameters are worked out once per HTTP request, however many query
# parameters it carries (instantiating a related-field filter reads its choices).
_declared_lookups: weakref.WeakKeyDictionary[HttpRequest, dict[int, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


class StrictLookupAdmin(admin.ModelAdmin):
    """The base of every admin in the project (see the module's docstring)."""

    # --- Changelist: declared filters only, no person data -----------------------------------

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if touches_person_data(self.model, lookup):
            return False
        if self._is_limit_choices_to_lookup(lookup, value):
            return True
        return lookup in self.declared_lookups(request)

    def declared_lookups(self, request: HttpRequest | None) -> frozenset[str]:
        """The query parameters the declared list filters and date hierarchy generate."""
        if request is None:
            return self._build_declared_lookups(None)
        per_admin = _declared_lookups.setdefault(request, {})
        if id(self) not in per_admin:
            per_admin[id(self)] = self._build_declared_lookups(request)
        return per_admin[id(self)]

    def _build_declared_lookups(self, request: HttpRequest | None) -> frozenset[str]:
        lookups: set[str] = set()
        if self.date_hierarchy:
            lookups.update(f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day"))
        for spec in self._filter_specs(request):
            # A parameter of None (a filter without one) can never be a lookup asked about.
            lookups.update(name for name in spec.expected_parameters() if name is not None)
        return frozenset(lookups)

    def _filter_specs(self, request: HttpRequest | None) -> list[ListFilter]:
        """The declared filters built as ChangeList.get_filters builds them, with no
        parameters, only to ask which parameters they take."""
        specs: list[ListFilter] = []
        list_filter = self.get_list_filter(request) if request is not None else self.list_filter
        # Without a request (the system check) the filters are built with None, which
        # Django's filters take here; the stubs want a request.
        any_request = cast(HttpRequest, request)
        for item in list_filter:
            if callable(item):
                specs.append(item(any_request, {}, self.model, self))
                continue
            field: Any
            filter_class: Any
            field, filter_class = item if isinstance(item, (tuple, list)) else (item, None)
            field_path = None
            if not isinstance(field, Field):
                field_path = field
                field = get_fields_from_path(self.model, field_path)[-1]
            filter_class = filter_class or FieldListFilter.create
            specs.append(
                filter_class(field, any_request, {}, self.model, self, field_path=field_path)
            )
        return specs

    def _is_limit_choices_to_lookup(self, lookup: str, value: str) -> bool:
        """The raw-id popup of a foreign key with `limit_choices_to` passes those conditions
        in the query string (Django allows exactly these pairs too)."""
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [
            item
            for item in super().get_list_filter(request)
            if not any(touches_person_data(self.model, name) for name in _names([item]))
        ]

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return [
            name
            for name in super().get_search_fields(request)
            # A search field may carry a prefix: ^name, =name, @name.
            if not touches_person_data(self.model, name.lstrip("^=@"))
        ]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        return [item for item in super().get_list_display(request) if not self._shows_person(item)]

    def get_sortable_by(self, request: HttpRequest) -> list[Any]:
        return [item for item in super().get_sortable_by(request) if not self._shows_person(item)]

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [
            item
            for item in super().get_ordering(request)
            if not (isinstance(item, str) and touches_person_data(self.model, item))
        ]

    def _shows_person(self, item: Any) -> bool:
        if not isinstance(item, str):
            item = getattr(item, "__name__", "")
        method = getattr(self, item, None) or getattr(self.model, item, None)
        order_field = getattr(method, "admin_order_field", None)
        return touches_person_data(self.model, item) or (
            isinstance(order_field, str) and touches_person_data(self.model, order_field)
        )

    def to_field_allowed(self, request: HttpRequest, to_field: str) -> bool:
        # `?_to_field=` makes the change page look the object up by that field, and a popup
        # hand that field's value back.
        return not touches_person_data(self.model, to_field) and super().to_field_allowed(
            request, to_field
        )

    # --- Records about a person: drafts and protected identities -----------------------------

    @property
    def person_data(self) -> PersonData | None:
        return person_data_models().get(self.model)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if self.person_data is None:
            return queryset
        prefix = f"{self.person_data.request_path}__" if self.person_data.request_path else ""
        return queryset.exclude(
            Q(**{f"{prefix}status": self.person_data.draft_status})
            & ~Q(**{f"{prefix}social_worker": request.user.pk})
        )

    def hidden_fields(self, request: HttpRequest, obj: Model | None = None) -> frozenset[str]:
        """The fields left off the page of `obj`."""
        if self.person_data is None:
            return frozenset()
        if obj is not None and self.is_protected(obj):
            return self.person_data.sensitive
        return self.person_data.never_shown

    def is_protected(self, obj: Model) -> bool:
        # A placements.PlacementRequest (this module knows no product app).
        placement_request: Any = self.person_data.request_of(obj) if self.person_data else None
        return bool(placement_request is not None and placement_request.protected_identity)

    def get_exclude(
        self, request: HttpRequest, obj: Model | None = None
    ) -> list[str] | tuple[str, ...] | None:
        hidden = self.hidden_fields(request, obj)
        if not hidden:
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or ()), *sorted(hidden)]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        return _without(super().get_fields(request, obj), self.hidden_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        return _without(super().get_readonly_fields(request, obj), self.hidden_fields(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        hidden = self.hidden_fields(request, obj)
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = _without(options.get("fields", ()), hidden)
            if fields:
                fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets


class StrictHistoryAdmin(StrictLookupAdmin, SimpleHistoryAdmin):
    """`StrictLookupAdmin` for models kept with django-simple-history: the history list and
    each old version follow the same rule as the change page."""

    def _require_visible(self, request: HttpRequest, object_id: str) -> None:
        # simple-history finds the object in its history table, not through get_queryset,
        # which is where drafts of others are left out.
        if self.person_data is None:
            return
        try:
            visible = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            visible = False
        if not visible:
            raise Http404

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ):
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_history_list_display(self, request: HttpRequest) -> Sequence[str]:
        return [
            name
            for name in super().get_history_list_display(request)
            if not touches_person_data(self.model, name)
        ]

    def set_history_delta_changes(
        self, request: HttpRequest, historical_records, foreign_keys_are_objs: bool = True
    ) -> None:
        # As SimpleHistoryAdmin's, but a change to a hidden field is not listed.
        previous = None
        for current in historical_records:
            if previous is not None:
                hidden = self.hidden_fields(request, previous.instance) | self.hidden_fields(
                    request, current.instance
                )
                delta = previous.diff_against(
                    current,
                    excluded_fields=hidden,
                    foreign_keys_are_objs=foreign_keys_are_objs,
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current


class ReadOnlyAdmin(StrictLookupAdmin):
    """Records written only by the application's services: shown, never changed here."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# --- The admin site -------------------------------------------------------------------------


def strict_admin_class(admin_class: type[admin.ModelAdmin]) -> type[StrictLookupAdmin]:
    """`admin_class` under the rule of this module: as it is when it already follows it, else
    a subclass that puts the rule first (the admins of Django, DRF, axes and Celery beat)."""
    history = issubclass(admin_class, SimpleHistoryAdmin)
    if issubclass(admin_class, StrictHistoryAdmin if history else StrictLookupAdmin):
        return admin_class
    return type(
        admin_class.__name__,
        (StrictHistoryAdmin if history else StrictLookupAdmin, admin_class),
        {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
    )


class SpinkAdminSite(admin.AdminSite):
    """The project's admin site: whatever is registered follows the rule of this module, so an
    app added later cannot bring an admin that looks person data up."""

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        super().register(
            model_or_iterable, strict_admin_class(admin_class or admin.ModelAdmin), **options
        )


class SpinkAdminConfig(AdminConfig):
    default_site = "spink.admin_safety.SpinkAdminSite"


# --- System check -----------------------------------------------------------------------------

# Options that put a field in a changelist: never person data, protected or not.
CHANGELIST_OPTIONS = (
    "list_display",
    "list_display_links",
    "list_editable",
    "list_filter",
    "search_fields",
    "sortable_by",
    "ordering",
    "history_list_display",
)
# Options that put a field on the change page: never a field that is never shown.
CHANGE_PAGE_OPTIONS = ("fields", "readonly_fields")


def _fieldset_names(fieldsets: Iterable[Any] | None) -> list[str]:
    names: list[Any] = []
    for _name, options in fieldsets or ():
        for item in options.get("fields", ()):
            names.extend(item if isinstance(item, (tuple, list)) else [item])
    return [name for name in names if isinstance(name, str)]


def check_admin_safety(app_configs=None, site: admin.AdminSite | None = None, **kwargs):
    """Every registered admin follows the rule of this module."""
    site = site or admin.site
    errors = []
    registry = person_data_models()
    for model, model_admin in site._registry.items():
        name = type(model_admin).__qualname__
        if not isinstance(model_admin, StrictLookupAdmin):
            errors.append(
                checks.Error(
                    f"{name} does not derive from spink.admin_safety.StrictLookupAdmin.",
                    obj=type(model_admin),
                    id="spink.A001",
                )
            )
        if isinstance(model_admin, SimpleHistoryAdmin) and not isinstance(
            model_admin, StrictHistoryAdmin
        ):
            errors.append(
                checks.Error(
                    f"{name} shows history without spink.admin_safety.StrictHistoryAdmin.",
                    obj=type(model_admin),
                    id="spink.A002",
                )
            )
        options = {
            option: _names(getattr(model_admin, option, None) or ())
            for option in CHANGELIST_OPTIONS
        }
        options["search_fields"] = [path.lstrip("^=@") for path in options["search_fields"]]
        if model_admin.date_hierarchy:
            options["date_hierarchy"] = [model_admin.date_hierarchy]
        for option, paths in options.items():
            for path in paths:
                if touches_person_data(model, path):
                    errors.append(
                        checks.Error(
                            f"{name}.{option} names person data ({path}).",
                            obj=type(model_admin),
                            id="spink.A003",
                        )
                    )
        never_shown = registry[model].never_shown if model in registry else frozenset()
        shown = [
            *(
                path
                for option in CHANGE_PAGE_OPTIONS
                for path in _names(getattr(model_admin, option, None) or ())
            ),
            *_fieldset_names(model_admin.fieldsets),
        ]
        for path in shown:
            if path in never_shown:
                errors.append(
                    checks.Error(
                        f"{name} shows the person field {path} on the change page.",
                        obj=type(model_admin),
                        id="spink.A004",
                    )
                )
        for inline in model_admin.inlines:
            if inline.model in registry:
                errors.append(
                    checks.Error(
                        f"{name} shows {inline.model._meta.label} inline, where a protected "
                        "identity cannot be hidden row by row.",
                        obj=type(model_admin),
                        id="spink.A005",
                    )
                )
    return errors


checks.register(check_admin_safety, checks.Tags.admin)
