"""Serializers of the follow-up API (controls, feedback, deep controls, site visits).

Read serializers show records; input serializers only validate the shape of a request and
hand it to followup.services, which apply followup.rules. Nothing here saves a model.
"""

from __future__ import annotations

from typing import cast

from rest_framework import serializers

from categories.models import OperatingForm, Service
from followup import selectors
from followup.models import (
    CheckResult,
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    FeedbackCategory,
    Signal,
    SiteVisit,
)
from placements.models import PlacementRequest
from providers.models import Provider, Unit
from spink.accounts.models import PlacementTeam
from spink.api import BooleanField, CharField, IdRelatedField, ModelSerializer


def _user(serializer: serializers.Serializer):
    return serializer.context["request"].user


class ProviderBriefSerializer(ModelSerializer):
    class Meta:
        model = Provider
        fields = ["id", "legal_name", "org_number", "legal_form"]
        read_only_fields = fields
        ref_name = "FollowupProvider"


class UnitBriefSerializer(ModelSerializer):
    provider = CharField(source="provider.legal_name", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "provider", "status"]
        read_only_fields = fields
        ref_name = "FollowupUnit"


REASON = CharField(required=False, allow_blank=True, default="", max_length=4000)


# --- Controls --------------------------------------------------------------------------------


class ControlCheckSerializer(ModelSerializer):
    evidence_name = serializers.SerializerMethodField()

    class Meta:
        model = ControlCheck
        fields = ["kind", "result", "note", "evidence_name", "checked_by", "checked_at"]
        read_only_fields = fields

    def get_evidence_name(self, check: ControlCheck) -> str:
        """The name of the attached evidence file ("" when none)."""
        name = check.evidence.name if check.evidence else ""
        return name.rsplit("/", 1)[-1] if name else ""


class ControlSerializer(ModelSerializer):
    provider = ProviderBriefSerializer(read_only=True)
    checks = ControlCheckSerializer(many=True, read_only=True)

    class Meta:
        model = Control
        fields = [
            "id",
            "provider",
            "units",
            "decision",
            "decision_reason",
            "decided_by",
            "decided_at",
            "created_by",
            "created_at",
            "checks",
        ]
        read_only_fields = fields


class ControlStartSerializer(serializers.Serializer):
    provider = IdRelatedField(queryset=Provider.objects.all())
    units = IdRelatedField(
        queryset=Unit.objects.all(),
        many=True,
        required=False,
        help_text="Units the control covers; all the provider's units when left out.",
    )


class CheckRecordSerializer(serializers.Serializer):
    result = serializers.ChoiceField(
        choices=CheckResult.choices, help_text="passed, remark or failed."
    )
    note = CharField(required=False, allow_blank=True, default="", max_length=4000)
    evidence = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text="PDF, PNG, JPG, DOCX or XLSX, at most 10 MB (multipart/form-data).",
    )


class ControlDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=Control.Decision.choices, help_text="approved or rejected."
    )
    reason = CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4000,
        help_text="Required when the provider is not approved.",
    )


# --- Feedback --------------------------------------------------------------------------------


class FeedbackSerializer(ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)
    placement_request_reference = CharField(
        source="placement_request.reference", read_only=True, default=None
    )

    class Meta:
        model = Feedback
        fields = [
            "id",
            "unit",
            "placement_request",
            "placement_request_reference",
            "category",
            "description",
            "lodged_by",
            "status",
            "communicated_at",
            "provider_answer",
            "closing_category",
            "closing_note",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("team", False):
            data["closing_note"] = ""  # the team's own note; the lodger sees the category
        return data


class FeedbackCreateSerializer(serializers.Serializer):
    unit = IdRelatedField(queryset=Unit.objects.none())
    category = serializers.ChoiceField(choices=FeedbackCategory.choices)
    description = CharField(max_length=10000)
    placement_request = IdRelatedField(
        queryset=PlacementRequest.objects.none(), required=False, allow_null=True, default=None
    )

    def get_fields(self):
        # Only units and requests the caller may see exist for this request.
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # The stubs type RelatedField.queryset with Manager, a descriptor, so that mypy
            # reads an assignment to it as a call of the descriptor.
            units = cast(IdRelatedField, fields["unit"])
            units.queryset = selectors.units_for_feedback(request.user)  # type: ignore[arg-type]
            requests = cast(IdRelatedField, fields["placement_request"])
            requests.queryset = selectors.lodgeable_requests(request.user)  # type: ignore[arg-type]
        return fields


class AnswerSerializer(serializers.Serializer):
    provider_answer = CharField(required=False, allow_blank=True, default="", max_length=10000)


class CloseSerializer(serializers.Serializer):
    closing_category = serializers.ChoiceField(choices=Feedback.Closing.choices)
    note = CharField(required=False, allow_blank=True, default="", max_length=4000)


# --- Deep controls ---------------------------------------------------------------------------


class DeepControlSerializer(ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)

    class Meta:
        model = DeepControl
        fields = [
            "id",
            "unit",
            "reason",
            "reason_details",
            "signal",
            "feedback",
            "checks_done",
            "site_visit_done",
            "site_visit_date",
            "site_visit_notes",
            "outcome",
            "outcome_reason",
            "decided_by",
            "decided_at",
            "order_stop_decision",
            "order_stop_reason",
            "order_stop_decided_by",
            "order_stop_decided_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class DeepControlDetailsSerializer(serializers.Serializer):
    reason_details = CharField(required=False, allow_blank=True, default="", max_length=10000)
    checks_done = CharField(required=False, allow_blank=True, default="", max_length=10000)
    site_visit_done = BooleanField(required=False, default=False)
    site_visit_date = serializers.DateField(required=False, allow_null=True, default=None)
    site_visit_notes = CharField(required=False, allow_blank=True, default="", max_length=10000)


class DeepControlStartSerializer(DeepControlDetailsSerializer):
    unit = IdRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Optional when started from a signal or feedback about a unit.",
    )
    reason = serializers.ChoiceField(
        choices=DeepControl.Reason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Taken from the signal or feedback when left out.",
    )
    signal = IdRelatedField(
        queryset=Signal.objects.all(), required=False, allow_null=True, default=None
    )
    feedback = IdRelatedField(
        queryset=Feedback.objects.all(), required=False, allow_null=True, default=None
    )


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=DeepControl.Outcome.choices)
    reason = REASON


class OrderStopDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=DeepControl.OrderStopDecision.choices,
        help_text="decided: procurement decides the temporary order stop; declined: it does not.",
    )
    reason = REASON


# --- Site visits -----------------------------------------------------------------------------


class AnswerEntrySerializer(serializers.Serializer):
    question = CharField(max_length=1000)
    answer = CharField(allow_blank=True, max_length=10000)


class SiteVisitSerializer(ModelSerializer):
    unit = UnitBriefSerializer(read_only=True)
    service = serializers.SlugRelatedField[Service](slug_field="code", read_only=True)
    operating_form = serializers.SlugRelatedField[OperatingForm](slug_field="code", read_only=True)
    answers = AnswerEntrySerializer(many=True, read_only=True)

    class Meta:
        model = SiteVisit
        fields = [
            "id",
            "unit",
            "service",
            "operating_form",
            "team",
            "planned_for",
            "visited_on",
            "joint_with_quality_team",
            "answers",
            "assessment",
            "register_changes",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class SiteVisitPlanSerializer(serializers.Serializer):
    unit = IdRelatedField(queryset=Unit.objects.all())
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    operating_form = serializers.SlugRelatedField(
        slug_field="code", queryset=OperatingForm.objects.all()
    )
    team = serializers.ChoiceField(choices=PlacementTeam.choices)
    planned_for = serializers.DateField()
    joint_with_quality_team = BooleanField(required=False, default=False)


class SiteVisitRecordSerializer(serializers.Serializer):
    visited_on = serializers.DateField(allow_null=True)
    answers = AnswerEntrySerializer(many=True, required=False, default=list)
    assessment = serializers.ChoiceField(choices=SiteVisit.Assessment.choices)
    register_changes = CharField(required=False, allow_blank=True, default="", max_length=10000)
