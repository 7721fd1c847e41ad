"""Forms of the follow-up UI. They only collect input: followup.services saves it and
followup.rules decides whether a step is allowed (their refusals become form errors).
"""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from categories.models import OperatingForm, Service
from followup import selectors, services
from followup.models import CheckResult, Control, DeepControl, Feedback, FeedbackCategory, SiteVisit
from followup.validators import EVIDENCE_SIGNATURES, validate_evidence
from providers.forms import DateInput, reason_field
from providers.models import LegalForm, Provider
from spink.accounts.models import PlacementTeam
from spink.forms import StateFormMixin, VersionedFormMixin, model_choice_field, seen_state_field
from spink.typeahead import TypeaheadField, typeahead_field


def text_field(label, rows: int = 3, required: bool = False, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        **kwargs,
    )


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} – {obj.provider.legal_name}"


def _with_blank(choices, label=None):
    return [("", label or _("All")), *choices]


# --- Controls --------------------------------------------------------------------------------


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Provider) -> str:
        return f"{obj.legal_name} ({obj.org_number})"


class ControlStartForm(VersionedFormMixin, forms.Form):
    provider = ProviderChoiceField(
        label=_("Provider to control"),
        queryset=Provider.objects.exclude(legal_form=LegalForm.MUNICIPAL).order_by(
            "legal_name", "pk"
        ),
        help_text=_(
            "The checklist follows the provider's legal form and whether any of its units "
            "needs an IVO permit. Every unit of the provider is covered."
        ),
    )


class ControlFilterForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=_with_blank(Control.Decision.choices), required=False
    )


class CheckForm(VersionedFormMixin, forms.Form):
    """One check's result; it carries the version of the check it was opened on."""

    version_fields = services.CHECK_FIELDS
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[(value, label) for value, label in CheckResult.choices if value != "open"],
        widget=forms.RadioSelect,
    )
    note = text_field(_("Note"), rows=2)
    evidence = forms.FileField(
        label=_("Evidence (optional)"),
        required=False,
        validators=[validate_evidence],
        help_text=_("PDF, PNG, JPG, DOCX or XLSX, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EVIDENCE_SIGNATURES)}),
    )

    def __init__(self, *args, check, **kwargs):
        kwargs.setdefault("prefix", check.kind)
        if check.result != CheckResult.OPEN:
            kwargs.setdefault("initial", {"result": check.result, "note": check.note})
        super().__init__(*args, version_of=check, **kwargs)
        self.check = check


class ControlDecisionForm(StateFormMixin, forms.Form):
    """Approve or not; it carries the decision the page showed (pending)."""

    state_field = "from_decision"
    from_decision = seen_state_field()
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Control.Decision.APPROVED, _("Approve: the provider may be added to the register")),
            (Control.Decision.REJECTED, _("Do not approve")),
        ],
        widget=forms.RadioSelect,
    )
    reason = text_field(_("Reason (required when not approved)"))

    def __init__(self, *args, control, **kwargs):
        super().__init__(*args, seen_state=control.decision, **kwargs)


# --- Feedback --------------------------------------------------------------------------------


def unit_label(unit) -> str:
    return f"{unit.name} – {unit.provider.legal_name}"


def search_units(units: QuerySet, text: str) -> QuerySet:
    return units.filter(name__icontains=text)


def exact_unit(units: QuerySet, text: str) -> QuerySet:
    return units.filter(name__iexact=text)


def request_label(request) -> str:
    # Never the person: a request is shown by its reference and its service only.
    return f"{request.reference} – {request.service.name}"


def search_requests(requests: QuerySet, text: str) -> QuerySet:
    """By reference only (PF-…): never by the person's name or number."""
    return requests.filter(reference__icontains=text).select_related(None).select_related("service")


def exact_request(requests: QuerySet, text: str) -> QuerySet:
    return requests.filter(reference__iexact=text)


class FeedbackForm(VersionedFormMixin, forms.Form):
    """Unit and request are chosen by typing (spink.typeahead: no select of hundreds), among
    those the user may lodge feedback about; the search endpoints answer from these fields."""

    unit = TypeaheadField(
        label=_("Provider unit"),
        scope=selectors.units_for_feedback,
        search=search_units,
        exact=exact_unit,
        label_from_instance=unit_label,
        url_name="followup:feedback-unit-search",
        help_text=_("Type part of the unit's name and choose it in the list."),
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=_with_blank(FeedbackCategory.choices, "–")
    )
    description = text_field(
        _("Description"),
        rows=6,
        required=True,
        help_text=_("What happened, and when. Do not write the person's name or number."),
    )
    placement_request = TypeaheadField(
        label=_("Placement request (optional)"),
        scope=selectors.lodgeable_requests,
        search=search_requests,
        exact=exact_request,
        label_from_instance=request_label,
        url_name="followup:feedback-request-search",
        required=False,
        help_text=_(
            "Type the request's reference (PF-…). Leave it empty if the feedback is not tied "
            "to a request."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        typeahead_field(self, "unit").for_user(user)
        typeahead_field(self, "placement_request").for_user(user)


class FeedbackFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=_with_blank(Feedback.Status.choices), required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=_with_blank(FeedbackCategory.choices), required=False
    )


class FeedbackStepForm(StateFormMixin, forms.Form):
    """A step of the feedback's handling; it carries the status the page showed, so that a
    step sent from a stale page (closed while someone recorded the answer) is refused."""

    from_status = seen_state_field()

    def __init__(self, *args, feedback=None, **kwargs):
        super().__init__(*args, seen_state=feedback.status if feedback else None, **kwargs)


class AnswerForm(FeedbackStepForm):
    provider_answer = text_field(_("The provider's answer"), rows=4)
    provider_answer.reason_required = True  # type: ignore[attr-defined]  # read by includes/field.html


class CloseForm(FeedbackStepForm):
    closing_category = forms.ChoiceField(
        label=_("Closing category"), choices=Feedback.Closing.choices, widget=forms.RadioSelect
    )
    note = text_field(_("Closing note"))


# --- Deep controls ---------------------------------------------------------------------------


class SignalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.get_kind_display()}: {obj.title}"


class FeedbackChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.unit.name} – {obj.get_category_display()} ({obj.created_at:%Y-%m-%d})"


class DeepControlDetailsForm(VersionedFormMixin, forms.Form):
    """The open deep control's checks and site visit; it carries the version it was opened
    on (`version_of=`), and its key when it starts one (DeepControlStartForm)."""

    version_fields = services.DEEP_CONTROL_DETAIL_FIELDS
    reason_details = text_field(_("Background"))
    checks_done = text_field(
        _("Checks done"),
        rows=4,
        help_text=_("E.g. credit and business information, legal database, IVO."),
    )
    site_visit_done = forms.BooleanField(label=_("Event-driven site visit done"), required=False)
    site_visit_date = forms.DateField(label=_("Site visit date"), required=False, widget=DateInput)
    site_visit_notes = text_field(_("Site visit notes"))


class DeepControlStartForm(DeepControlDetailsForm):
    signal = SignalChoiceField(
        label=_("From a signal"),
        queryset=None,
        required=False,
        empty_label=_("Not from a signal"),
    )
    feedback = FeedbackChoiceField(
        label=_("From a feedback"),
        queryset=None,
        required=False,
        empty_label=_("Not from a feedback"),
    )
    unit = UnitChoiceField(
        label=_("Provider unit"),
        queryset=None,
        required=False,
        empty_label=_("The unit of the signal or feedback"),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=_with_blank(DeepControl.Reason.choices, _("From the signal or feedback")),
        required=False,
    )

    field_order = ["signal", "feedback", "unit", "reason", "reason_details", "checks_done"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "signal").queryset = selectors.open_signals()
        model_choice_field(self, "feedback").queryset = selectors.open_feedback()
        model_choice_field(self, "unit").queryset = selectors.units_for_followup()


class DeepControlFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Show"),
        choices=[("", _("All")), ("open", _("Open")), ("decided", _("Decided"))],
        required=False,
    )


class OutcomeForm(VersionedFormMixin, forms.Form):
    """The outcome, decided over the deep control as the page showed it (`version_of=`)."""

    version_fields = services.DEEP_CONTROL_DECISION_FIELDS

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=DeepControl.Outcome.choices, widget=forms.RadioSelect
    )
    reason = reason_field(_("Reason for the outcome"))


class ProposalDecisionForm(VersionedFormMixin, forms.Form):
    """Procurement's decision, over the proposal as the page showed it (`version_of=`)."""

    version_fields = services.PROPOSAL_FIELDS

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (DeepControl.OrderStopDecision.DECIDED, _("Decide a temporary order stop")),
            (DeepControl.OrderStopDecision.DECLINED, _("Decline the proposal")),
        ],
        widget=forms.RadioSelect,
    )
    reason = reason_field(_("Reason for the decision"))


# --- Site visits -----------------------------------------------------------------------------


class SiteVisitPlanForm(VersionedFormMixin, forms.Form):
    unit = UnitChoiceField(label=_("Provider unit"), queryset=None)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.filter(is_active=True)
    )
    operating_form = forms.ModelChoiceField(
        label=_("Operating form"), queryset=OperatingForm.objects.all()
    )
    team = forms.ChoiceField(label=_("Placement team"), choices=PlacementTeam.choices)
    planned_for = forms.DateField(label=_("Planned for"), widget=DateInput)
    joint_with_quality_team = forms.BooleanField(
        label=_("Joint visit with quality & control"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice_field(self, "unit").queryset = selectors.units_for_followup()


class SiteVisitFilterForm(forms.Form):
    team = forms.ChoiceField(
        label=_("Placement team"), choices=_with_blank(PlacementTeam.choices), required=False
    )
    state = forms.ChoiceField(
        label=_("Show"),
        choices=[("", _("All")), ("planned", _("Planned")), ("visited", _("Visited"))],
        required=False,
    )


class SiteVisitRecordForm(VersionedFormMixin, forms.Form):
    """The visit's record; it carries the version of the visit it was opened on."""

    version_fields = services.SITE_VISIT_RECORD_FIELDS

    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput)
    assessment = forms.ChoiceField(
        label=_("Overall assessment"),
        choices=SiteVisit.Assessment.choices,
        widget=forms.RadioSelect,
    )
    register_changes = text_field(
        _("Follow-up changes to the register"),
        help_text=_("What should be updated in the register after the visit."),
    )

    def __init__(self, *args, questions: list[str], answers: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for index, question in enumerate(questions):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=question,
                required=False,
                initial=answers.get(question, ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def answer_fields(self):
        return [self[f"answer_{index}"] for index in range(len(self.questions))]

    def answers(self) -> list[dict]:
        return [
            {"question": question, "answer": self.cleaned_data.get(f"answer_{index}", "")}
            for index, question in enumerate(self.questions)
        ]


class QuestionTemplateForm(VersionedFormMixin, forms.Form):
    """A service's questions; it carries the version of the saved ones (`version_of=`)."""

    version_fields = services.QUESTION_TEMPLATE_FIELDS

    questions = forms.CharField(
        label=_("Questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One question per line."),
    )

    def question_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["questions"].splitlines()]
