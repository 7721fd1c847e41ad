from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from followup.models import MonitoringFile, MonitoringRun, MonitoringSource, Signal
from spink.admin_safety import ReadOnlyAdmin, StrictHistoryAdmin

# --- Basic monitoring -------------------------------------------------------------------------
# Sources are configured here. Runs and signals are read-only: runs are written by the
# monitoring job, signals change only through the team's inbox (followup.monitoring.services).


class MonitoringSourceForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), required=False, max_length=500, assume_scheme="https")
    # The token is a secret: never sent back to the browser; left empty, it is kept.
    token = forms.CharField(
        label=_("access token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Sent as a bearer token. Leave empty to keep the current token."),
    )
    clear_token = forms.BooleanField(label=_("Remove the access token"), required=False)

    class Meta:
        model = MonitoringSource
        fields = [
            "name",
            "kind",
            "format",
            "url",
            "token",
            "clear_token",
            "file_path",
            "field_mapping",
            "is_active",
        ]
        help_texts = {
            "field_mapping": _(
                "Which field of the source holds each of: id, org_number, permit_number, name, "
                "title, severity, date, url, and optionally details (free text) and items (the "
                'list in an object feed), e.g. {"org_number": "company.orgNo"}. Dots reach into '
                "nested objects; for files, give the column headings. A field left out is "
                "looked for under its own name."
            ),
        }

    def clean_token(self) -> str:
        token = self.cleaned_data.get("token", "")
        if not token and self.instance.pk:
            return self.instance.token
        return token

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Django's clean() returns cleaned_data
        if cleaned.get("clear_token"):
            cleaned["token"] = ""
        source_format = cleaned.get("format")
        if source_format in (MonitoringSource.Format.JSON, MonitoringSource.Format.RSS):
            if not cleaned.get("url"):
                self.add_error("url", _("A feed needs a URL."))
        elif source_format == MonitoringSource.Format.FILE and not cleaned.get("file_path"):
            self.add_error("file_path", _("A file drop needs a folder."))
        mapping = cleaned.get("field_mapping")
        if mapping not in (None, "") and not isinstance(mapping, dict):
            self.add_error("field_mapping", _('Write an object, e.g. {"org_number": "orgNr"}.'))
        return cleaned


@admin.register(MonitoringSource)
class MonitoringSourceAdmin(StrictHistoryAdmin):
    form = MonitoringSourceForm
    list_display = ["name", "kind", "format", "is_active"]
    list_filter = ["kind", "format", "is_active"]
    search_fields = ["name"]


@admin.register(MonitoringRun)
class MonitoringRunAdmin(ReadOnlyAdmin):
    list_display = [
        "source",
        "started_at",
        "status",
        "attempts",
        "records_seen",
        "signals_created",
        "records_skipped",
    ]
    list_filter = ["status", "source"]
    date_hierarchy = "started_at"


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "severity", "status", "provider", "unit", "created_at"]
    list_filter = ["kind", "severity", "status"]
    search_fields = ["title", "provider__legal_name", "provider__org_number", "unit__name"]
    list_select_related = ["provider", "unit"]
    date_hierarchy = "created_at"


@admin.register(MonitoringFile)
class MonitoringFileAdmin(ReadOnlyAdmin):
    """Files read from drop folders. Deleting one (as an administrator) makes the next run
    read the file again; its records still never make a second signal."""

    list_display = ["name", "source", "processed_at", "run"]
    list_filter = ["source"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# --- End of basic monitoring ------------------------------------------------------------------


# --- Controls, feedback, deep controls, site visits -------------------------------------------
# Decisions, statuses and outcomes are not editable here: they change only through
# followup.services (and the register through providers.services), which apply the rules.

from followup.models import (  # noqa: E402
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    QuestionTemplate,
    SiteVisit,
)


class ControlCheckInline(admin.TabularInline):
    model = ControlCheck
    extra = 0
    fields = ["kind", "result", "note", "evidence", "checked_by", "checked_at"]
    readonly_fields = ["kind", "result", "note", "evidence", "checked_by", "checked_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Control)
class ControlAdmin(StrictHistoryAdmin):
    list_display = ["provider", "decision", "created_at", "decided_at"]
    list_filter = ["decision"]
    search_fields = ["provider__legal_name", "provider__org_number"]
    list_select_related = ["provider"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "provider",
        "decision",
        "decision_reason",
        "decided_by",
        "decided_at",
        "created_by",
        "created_at",
    ]
    filter_horizontal = ["units"]
    inlines = [ControlCheckInline]

    def has_add_permission(self, request):
        return False  # started from the controls page, which builds the checklist


@admin.register(Feedback)
class FeedbackAdmin(StrictHistoryAdmin):
    list_display = ["unit", "category", "status", "created_at", "closing_category"]
    list_filter = ["status", "category", "closing_category"]
    # Not the description: it is free text about the case, and may name the person.
    search_fields = ["unit__name", "unit__provider__legal_name"]
    list_select_related = ["unit"]
    date_hierarchy = "created_at"
    raw_id_fields = ["unit", "placement_request", "lodged_by"]
    readonly_fields = [
        "status",
        "communicated_at",
        "provider_answer",
        "closing_category",
        "closing_note",
        "closed_at",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # lodged by those placing, so that the pattern rule runs


@admin.register(DeepControl)
class DeepControlAdmin(StrictHistoryAdmin):
    list_display = ["unit", "reason", "outcome", "order_stop_decision", "created_at"]
    list_filter = ["reason", "outcome", "order_stop_decision", "site_visit_done"]
    search_fields = ["unit__name", "unit__provider__legal_name"]
    list_select_related = ["unit"]
    date_hierarchy = "created_at"
    raw_id_fields = ["unit", "signal", "feedback", "created_by"]
    readonly_fields = [
        "outcome",
        "outcome_reason",
        "decided_by",
        "decided_at",
        "order_stop_decision",
        "order_stop_reason",
        "order_stop_decided_by",
        "order_stop_decided_at",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False


class QuestionTemplateForm(forms.ModelForm):
    """The questions as lines of text (stored as a JSON list)."""

    questions = forms.CharField(
        label=_("questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("One question per line."),
    )

    class Meta:
        model = QuestionTemplate
        fields = ["service", "questions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["questions"] = "\n".join(self.instance.questions)

    def clean_questions(self) -> list[str]:
        lines = self.cleaned_data["questions"].splitlines()
        return [line.strip() for line in lines if line.strip()]


@admin.register(QuestionTemplate)
class QuestionTemplateAdmin(StrictHistoryAdmin):
    form = QuestionTemplateForm
    list_display = ["service", "question_count"]
    list_select_related = ["service"]

    @admin.display(description=_("questions"))
    def question_count(self, obj) -> int:
        return len(obj.questions)


@admin.register(SiteVisit)
class SiteVisitAdmin(StrictHistoryAdmin):
    list_display = [
        "unit",
        "service",
        "operating_form",
        "team",
        "planned_for",
        "visited_on",
        "joint_with_quality_team",
        "assessment",
    ]
    list_filter = ["team", "assessment", "joint_with_quality_team", "operating_form"]
    search_fields = ["unit__name", "unit__provider__legal_name"]
    list_select_related = ["unit", "service", "operating_form"]
    date_hierarchy = "planned_for"
    raw_id_fields = ["unit", "created_by"]


# --- End of controls, feedback, deep controls, site visits -------------------------------------
