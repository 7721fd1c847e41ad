"""Forms of the placement request UI. They only collect input: placements.services saves it
and placements.rules decides whether an action is allowed (their refusals become form errors).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from categories.models import Service, Subcategory
from placements import rules, search, worklists
from placements.models import (
    OPEN_STATUSES,
    REQUEST_EDITABLE_FIELDS,
    PersonGender,
    PlacementRequest,
    RequestStatus,
    Urgency,
)
from spink.accounts import access
from spink.accounts.models import PlacementTeam, Role, User
from spink.forms import AmountField, VersionedFormMixin, choice_field, model_choice_field


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def text_field(label, rows: int = 3, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


# --- The request itself ------------------------------------------------------------------------


class SubcategoryField(forms.ModelChoiceField):
    """Subcategories of the chosen service; with no service chosen yet, all of them, named
    with their service (the page narrows the list with htmx when a service is picked)."""

    narrowed = False

    def label_from_instance(self, obj: Subcategory) -> str:
        return obj.name if self.narrowed else f"{obj.service.name}: {obj.name}"


class RequestForm(VersionedFormMixin, forms.ModelForm):
    """A social worker's draft. The fields are the ones services.create_request accepts; the
    form carries the version of the draft its author opened and the key of the rendered form
    (spink.forms.VersionedFormMixin)."""

    version_fields = REQUEST_EDITABLE_FIELDS

    def request_fields(self) -> dict:
        return self.service_fields()

    FIELDSETS = [
        (
            _("The need"),
            [
                "kind",
                "service",
                "subcategory",
                "urgency",
                "wanted_start",
                "expected_length",
                "decision_reference",
            ],
        ),
        (
            _("The person"),
            [
                "person_identity_number",
                "person_is_reserve_number",
                "person_first_name",
                "person_last_name",
                "person_address",
                "person_gender",
                "protected_identity",
            ],
        ),
        (
            _("Needs"),
            [
                "needs",
                "needs_co_morbidity",
                "needs_protected_housing",
                "needs_wheelchair_access",
                "needs_pets",
                "language",
            ],
        ),
        (_("Preferred location"), ["preferred_municipality", "preferred_area"]),
    ]

    subcategory = SubcategoryField(
        label=_("Subcategory"),
        queryset=Subcategory.objects.none(),
        required=False,
        empty_label=_("Not specified"),
    )

    class Meta:
        model = PlacementRequest
        fields = REQUEST_EDITABLE_FIELDS
        widgets = {
            "wanted_start": DateInput,
            "needs": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "person_is_reserve_number": _("Tick when the person has no personal identity number."),
            "person_gender": _(
                "Only needed for a reserve number: otherwise it is read from the personal "
                "identity number."
            ),
            "protected_identity": _(
                "The person's name, number and address are then shown only to you and the "
                "assigned placement officer, and never in lists or exports."
            ),
            "needs": _("What the person needs from the placement. Do not repeat the name here."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "service").queryset = Service.objects.filter(is_active=True)
        self.fields["service"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("placements:subcategory-options"),
                "hx-target": f"#{self['subcategory'].auto_id}",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )
        self.fields["subcategory"].help_text = _("Choose a service first.")
        service_id = self._chosen_service_id()
        field = cast(SubcategoryField, self.fields["subcategory"])
        if service_id:
            field.narrowed = True
            field.help_text = ""
            field.queryset = Subcategory.objects.filter(service_id=service_id, is_active=True)
        else:
            field.queryset = Subcategory.objects.filter(is_active=True).select_related("service")
        self.fields["person_identity_number"].widget.attrs["autocomplete"] = "off"
        self.fields["person_gender"].required = False  # read from the personal number

    def clean_person_gender(self) -> str:
        return self.cleaned_data.get("person_gender") or PersonGender.OTHER

    def _chosen_service_id(self) -> str | None:
        if self.is_bound:
            value = self.data.get(self.add_prefix("service"))
        else:
            value = self.initial.get("service")
        value = str(getattr(value, "pk", value) or "")
        return value if value.isascii() and value.isdigit() else None

    def fieldsets(self):
        for legend, names in self.FIELDSETS:
            yield legend, [self[name] for name in names]


# --- Social worker's actions -------------------------------------------------------------------


class ReasonForm(forms.Form):
    """A required reason: withdraw, none chosen, no provider found."""

    reason = text_field(_("Reason"))

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label


class RecommendationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        offering = obj.offering
        return (
            f"{offering.unit.name} ({offering.unit.provider.legal_name}, "
            f"{offering.operating_form.name})"
        )


class ChoiceForm(forms.Form):
    recommendation = RecommendationChoiceField(
        label=_("Chosen provider"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    start_date = forms.DateField(label=_("Placement start"), widget=DateInput)

    def __init__(self, *args, placement: PlacementRequest, **kwargs):
        kwargs.setdefault("prefix", "choose")
        super().__init__(*args, **kwargs)
        recommendations = placement.recommendations.select_related(
            "offering__unit__provider", "offering__operating_form"
        )
        model_choice_field(self, "recommendation").queryset = recommendations


class MessageForm(forms.Form):
    text = text_field(_("Message"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "message")
        super().__init__(*args, **kwargs)


class DeviationForm(forms.Form):
    description = text_field(
        _("What went wrong in Spink's handling?"),
        rows=4,
        help_text=_("Describe the handling, not the person."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "deviation")
        super().__init__(*args, **kwargs)


class DeviationNoteForm(forms.Form):
    note = text_field(_("Note"))

    def __init__(self, *args, deviation_id: int, **kwargs):
        kwargs.setdefault("prefix", f"deviation-{deviation_id}")
        super().__init__(*args, **kwargs)


# --- Placement officer's actions ---------------------------------------------------------------


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class AssignForm(forms.Form):
    officer = OfficerChoiceField(label=_("Placement officer"), queryset=User.objects.none())

    def __init__(self, *args, placement: PlacementRequest, **kwargs):
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        # The officers the rules would let take the request (services.assign checks again).
        officers = User.objects.filter(
            role=Role.PLACEMENT_OFFICER,
            is_active=True,
            municipality_id=placement.administration.municipality_id,
        ).order_by("first_name", "last_name", "pk")
        take = rules.REQUEST_WORKFLOW["take"]
        allowed = [o.pk for o in officers if take.allowed(o, placement)]
        model_choice_field(self, "officer").queryset = officers.filter(pk__in=allowed).exclude(
            # None (nobody assigned yet) excludes nobody: Django reads pk=None as IS NULL.
            pk=placement.assigned_officer_id  # type: ignore[misc]
        )


class RecommendationSetForm(forms.Form):
    """The shortlisted units to send as one recommendation set: per unit whether it goes, its
    daily price and a comment; one message for them all. Field names carry the offering's id
    (`include_12`, `daily_price_12`, `comment_12`)."""

    message = text_field(
        _("Message to the social worker"),
        rows=4,
        required=False,
        help_text=_("One message with the whole set: what to weigh, whom to call first."),
    )
    accept_price_flag = forms.BooleanField(label=_("I have checked the prices"), required=False)

    ITEM_FIELDS = ("offering", "daily_price", "comment")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        self.price_flags: dict[int, str] = {}  # by offering id, once the services raised them
        for candidate in self.candidates:
            pk = candidate.offering.pk
            name = candidate.unit.name
            self.fields[f"include_{pk}"] = forms.BooleanField(
                label=_("Send %(unit)s") % {"unit": name}, required=False, initial=True
            )
            price = AmountField(
                label=_("Daily price (SEK) for %(unit)s") % {"unit": name},
                required=False,
                max_digits=9,
                decimal_places=2,
                min_value=0.01,
                initial=candidate.daily_price,
                help_text=_("Required for direct procurement."),
            )
            self.fields[f"daily_price_{pk}"] = price
            self.fields[f"comment_{pk}"] = text_field(
                _("Comment on %(unit)s") % {"unit": name}, rows=2, required=False
            )

    def rows(self):
        """Each candidate with its bound fields and price flag, for the template."""
        for candidate in self.candidates:
            pk = candidate.offering.pk
            yield {
                "candidate": candidate,
                "include": self[f"include_{pk}"],
                "daily_price": self[f"daily_price_{pk}"],
                "comment": self[f"comment_{pk}"],
                "price_flag": self.price_flags.get(pk),
            }

    def chosen(self) -> list:
        """The included candidates, in the shortlist's order (after is_valid)."""
        return [c for c in self.candidates if self.cleaned_data.get(f"include_{c.offering.pk}")]

    def service_items(self) -> list[dict]:
        """The services' items of the included units (after is_valid)."""
        return [
            {
                "offering": candidate.offering.pk,
                "daily_price": self.cleaned_data.get(f"daily_price_{candidate.offering.pk}"),
                "comment": self.cleaned_data.get(f"comment_{candidate.offering.pk}") or "",
            }
            for candidate in self.chosen()
        ]

    def place_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the services' errors (items.N.field) next to the field of that unit."""
        chosen = self.chosen()
        for key, messages in errors.items():
            index, _dot, field = key.removeprefix("items.").partition(".")
            if index.isdigit() and int(index) < len(chosen) and field in self.ITEM_FIELDS:
                pk = chosen[int(index)].offering.pk
                name = f"include_{pk}" if field == "offering" else f"{field}_{pk}"
                for message in messages:
                    self.add_error(name, message)
            else:
                for message in messages:
                    self.add_error(None, message)

    def flag(self, flags: dict[int, str]) -> None:
        """Show the services' price flags (by the item's index) next to their units."""
        chosen = self.chosen()
        self.price_flags = {chosen[index].offering.pk: text for index, text in flags.items()}


# --- Lists -------------------------------------------------------------------------------------


SCOPE_LABELS = {
    access.RequestListScope.MINE: _("My requests"),
    access.RequestListScope.ORG_UNIT: _("My organisation unit's requests"),
    access.RequestListScope.ADMINISTRATION: _("The whole administration's requests"),
}


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class SearchField(forms.CharField):
    """One search term: a reference, an identity number or a name (placements.search)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("help_text", _("Reference (PF-…), personal identity number or name."))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"type": "search", "autocomplete": "off"})
        )
        super().__init__(required=False, max_length=search.MAX_TERM_LENGTH, **kwargs)

    def clean(self, value) -> search.SearchTerm | None:
        return search.parse(super().clean(value))


class RequestFilterForm(forms.Form):
    q = SearchField()
    scope = forms.ChoiceField(label=_("Show"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *RequestStatus.choices]
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        required=False,
        queryset=Service.objects.all(),
        to_field_name="code",
        empty_label=_("All services"),
    )
    officer = forms.ModelChoiceField(
        label=_("Placement officer"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("All officers"),
    )
    submitted_from = forms.DateField(label=_("Submitted from"), required=False, widget=DateInput)
    submitted_to = forms.DateField(label=_("Submitted to"), required=False, widget=DateInput)
    worklist = forms.ChoiceField(label=_("Worklist"), required=False)

    # The list whose worklists (placements.worklists) the form offers; None: none.
    worklist_list: str | None = worklists.REQUEST_LIST

    def __init__(self, data, *args, user: User, **kwargs):
        self.user = user
        super().__init__(data, *args, **kwargs)
        model_choice_field(self, "officer").queryset = access.placement_officers_of(user)
        offered = [
            worklist
            for worklist in worklists.WORKLISTS.values()
            if worklist.list_url_name == self.worklist_list and worklist.available_to(user)
        ]
        if offered:
            choice_field(self, "worklist").choices = [
                ("", _("All")),
                *[(worklist.key, worklist.label) for worklist in offered],
            ]
        else:
            del self.fields["worklist"]
        if "scope" in self.fields:
            self.scopes = access.request_list_scopes(user)
            choice_field(self, "scope").choices = [
                (scope.value, SCOPE_LABELS[scope]) for scope in self.scopes
            ]
            self.fields["scope"].initial = self.default_scope

    @property
    def default_scope(self) -> access.RequestListScope:
        """Mine for a social worker; an administrator has no requests of their own."""
        if access.is_administrator(self.user):
            return self.scopes[-1]
        return access.RequestListScope.MINE

    @property
    def chosen_scope(self) -> access.RequestListScope:
        chosen = self.is_valid() and self.cleaned_data.get("scope")
        return access.RequestListScope(chosen) if chosen else self.default_scope

    @property
    def chosen_scope_label(self):
        return SCOPE_LABELS[self.chosen_scope]

    @property
    def search_term(self) -> search.SearchTerm | None:
        return self.cleaned_data.get("q") if self.is_valid() else None

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", _("The end date lies before the start date."))
        return data

    def filter(self, queryset):
        if "scope" in self.fields:
            queryset = queryset.filter(**access.request_list_filter(self.user, self.chosen_scope))
        if not self.is_valid():
            # A search that cannot be read (a mistyped identity number) finds nothing: the
            # whole list beside the field's error would look like its answer.
            return queryset.none() if "q" in self.errors else queryset
        data = self.cleaned_data
        queryset = search.apply(self.user, queryset, data.get("q"))
        worklist = worklists.get(data.get("worklist"))
        if worklist is not None:
            queryset = worklist.filter(self.user, queryset)
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("service"):
            queryset = queryset.filter(service=data["service"])
        if data.get("officer"):
            queryset = queryset.filter(assigned_officer=data["officer"])
        # Whole local days, as bounds on the column itself (so the indexes on it serve).
        if data.get("submitted_from"):
            queryset = queryset.filter(submitted_at__gte=_day_start(data["submitted_from"]))
        if data.get("submitted_to"):
            end = data["submitted_to"] + dt.timedelta(days=1)
            queryset = queryset.filter(submitted_at__lt=_day_start(end))
        return queryset


class SearchForm(RequestFilterForm):
    """The header's search: every request the user may see, whatever its status or team."""

    scope = None  # type: ignore[assignment]
    worklist_list = None
    field_order = ["q", "status", "service", "officer", "submitted_from", "submitted_to"]
    chosen_scope_label = _("Search for placement requests")


QUEUE_STATUSES = [status for status in RequestStatus if status in OPEN_STATUSES]


class QueueFilterForm(RequestFilterForm):
    # The queue is the team's, not the social worker's own (None removes the inherited field).
    scope = None  # type: ignore[assignment]
    team = forms.ChoiceField(label=_("Team"), choices=PlacementTeam.choices, required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("All")), *Urgency.choices]
    )
    mine = forms.BooleanField(label=_("Only requests assigned to me"), required=False)

    worklist_list = worklists.QUEUE
    field_order = [
        "q",
        "worklist",
        "team",
        "urgency",
        "service",
        "status",
        "mine",
        "officer",
        "submitted_from",
        "submitted_to",
    ]

    def __init__(self, data, *args, user: User, **kwargs):
        self.default_team = user.placement_team or PlacementTeam.CHILDREN_YOUTH
        if data is not None and not data.get("team"):
            data = data.copy()
            data["team"] = self.default_team
        super().__init__(data, *args, user=user, **kwargs)
        choice_field(self, "status").choices = [
            ("", _("All open")),
            *[(s.value, s.label) for s in QUEUE_STATUSES],
        ]

    @property
    def chosen_team(self) -> str:
        return (self.is_valid() and self.cleaned_data.get("team")) or self.default_team

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if not self.is_valid():
            return queryset
        if self.cleaned_data.get("urgency"):
            queryset = queryset.filter(urgency=self.cleaned_data["urgency"])
        if self.cleaned_data.get("mine"):
            queryset = queryset.filter(assigned_officer=self.user)
        return queryset
