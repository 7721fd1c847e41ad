"""Serializers of the placement request API. They validate input and hand it to
placements.services; they never save a model themselves. Status, assignment and outcome are
not writable fields: they change only through the views' action endpoints.

Person data (identity number, names, address, birth date, gender) is shown only by
PlacementRequestDetailSerializer, and only when the view puts `show_person=True` in the
context (the view asks access.may_see_person and writes the read log). List rows never show
the identity number, and show nothing of a person with a protected identity.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from categories.models import Service, Subcategory
from placements import rules, services
from placements.models import Deviation, PlacementRequest, Recommendation, TimelineEvent
from spink.accounts.models import Municipality, Role, User

# Bounds for ids given in a body: anything beyond a bigint is an input error, not a 500.
MAX_ID = 2**63 - 1

PERSON_FIELDS = [
    "person_identity_number",
    "person_is_reserve_number",
    "person_first_name",
    "person_last_name",
    "person_address",
    "person_birth_date",
    "person_gender",
]


def _actor(serializer: serializers.Serializer) -> User:
    return serializer.context["request"].user


class RefSerializer(serializers.Serializer):
    """{id, name} of a related record (administration, organisation unit, unit)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class _RequestBase(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    urgency_display = serializers.CharField(source="get_urgency_display", read_only=True)
    team_display = serializers.CharField(source="get_team_display", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    subcategory = serializers.SlugRelatedField(slug_field="code", read_only=True)
    administration = RefSerializer(read_only=True)
    org_unit = RefSerializer(read_only=True)
    social_worker = UserRefSerializer(read_only=True)
    assigned_officer = UserRefSerializer(read_only=True, allow_null=True)


LIST_FIELDS = [
    "id",
    "reference",
    "kind",
    "kind_display",
    "status",
    "status_display",
    "urgency",
    "urgency_display",
    "team",
    "team_display",
    "service",
    "service_name",
    "subcategory",
    "wanted_start",
    "administration",
    "org_unit",
    "social_worker",
    "assigned_officer",
    "created_at",
    "submitted_at",
    "closed_at",
    "protected_identity",
]


class PlacementRequestListSerializer(_RequestBase):
    """A list row: never the identity number; nothing of a person with protected identity."""

    person_name = serializers.SerializerMethodField(
        help_text="The person's name; null when the identity is protected."
    )

    class Meta:
        model = PlacementRequest
        fields = [*LIST_FIELDS, "person_name"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_person_name(self, request: PlacementRequest) -> str | None:
        return None if request.protected_identity else request.person_name


class PlacementRequestDetailSerializer(_RequestBase):
    """One request. Person fields are null unless the context says `show_person`."""

    subcategory_name = serializers.CharField(
        source="subcategory.name", read_only=True, default=None
    )
    preferred_municipality = serializers.SlugRelatedField(slug_field="code", read_only=True)
    available_actions = serializers.SerializerMethodField(
        help_text="The workflow actions the caller may take now."
    )

    class Meta:
        model = PlacementRequest
        fields = [
            *LIST_FIELDS,
            "subcategory_name",
            "expected_length",
            "needs",
            "needs_co_morbidity",
            "needs_protected_housing",
            "needs_wheelchair_access",
            "needs_pets",
            "language",
            "preferred_municipality",
            "preferred_area",
            "decision_reference",
            *PERSON_FIELDS,
            "first_recommended_at",
            "chosen_recommendation",
            "placement_start",
            "outcome_note",
            "available_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, request: PlacementRequest) -> list[str]:
        return sorted(rules.available_actions(request, self.context["request"].user))

    def to_representation(self, instance: PlacementRequest) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("show_person", False):
            for name in PERSON_FIELDS:
                data[name] = None
        return data


class PlacementRequestWriteSerializer(serializers.ModelSerializer):
    """The fields a social worker fills in (services.REQUEST_FIELDS). Service, subcategory and
    preferred municipality are given by code. The identity number is checked by the
    services (check digit, date), which answer with a `person_identity_number` field error."""

    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    subcategory = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Subcategory.objects.all(),
        required=False,
        allow_null=True,
    )
    preferred_municipality = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Municipality.objects.all(),
        required=False,
        allow_null=True,
        help_text="SCB municipality code.",
    )

    class Meta:
        model = PlacementRequest
        fields = services.REQUEST_FIELDS

    def create(self, validated_data):
        return services.create_request(_actor(self), **validated_data)

    def update(self, instance, validated_data):
        return services.update_draft(_actor(self), instance.pk, **validated_data)


# --- Action bodies ----------------------------------------------------------------------------


class ReasonSerializer(serializers.Serializer):
    # Not required here: the services refuse a blank reason with their own message.
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class AssignSerializer(serializers.Serializer):
    officer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PLACEMENT_OFFICER, is_active=True),
        help_text="The id of a placement officer of the request's team.",
        # The same answer for a user who does not exist and one who is not an officer.
        error_messages={"does_not_exist": _("Choose a placement officer of the request's team.")},
    )


class MessageSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class DeviationInputSerializer(serializers.Serializer):
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000
    )


class ChoiceSerializer(serializers.Serializer):
    """Either the chosen recommendation and start date, or none_chosen with a reason."""

    recommendation = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Id of a recommendation."
    )
    start_date = serializers.DateField(required=False)
    none_chosen = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)

    def validate(self, data):
        if not data["none_chosen"]:
            required = _("This field is required.")
            missing = {
                name: [required] for name in ("recommendation", "start_date") if name not in data
            }
            if missing:
                raise serializers.ValidationError(missing)
        return data


class RecommendationInputSerializer(serializers.Serializer):
    offering = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of a matching offering (see matches)."
    )
    daily_price = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text="SEK per day; required for direct procurement, else the current price.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    accept_price_flag = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Send although the price is flagged as well above framework prices.",
    )


# --- Read-only records ------------------------------------------------------------------------


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ProviderRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    legal_name = serializers.CharField(read_only=True)


class RecommendationSerializer(serializers.ModelSerializer):
    offering_id = serializers.IntegerField(read_only=True)
    unit = UnitRefSerializer(source="offering.unit", read_only=True)
    provider = ProviderRefSerializer(source="offering.unit.provider", read_only=True)
    operating_form = serializers.CharField(source="offering.operating_form.code", read_only=True)
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "offering_id",
            "unit",
            "provider",
            "operating_form",
            "daily_price",
            "comment",
            "price_flagged",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class CandidateSerializer(serializers.Serializer):
    """A matching offering (placements.matching.Candidate), best first."""

    offering_id = serializers.IntegerField(source="offering.pk", read_only=True)
    unit = UnitRefSerializer(read_only=True)
    provider = ProviderRefSerializer(source="unit.provider", read_only=True)
    operating_form = serializers.CharField(source="operating_form.code", read_only=True)
    daily_price = serializers.DecimalField(
        max_digits=9, decimal_places=2, read_only=True, allow_null=True
    )
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class ExcludedSerializer(serializers.Serializer):
    """An offering of the service that does not match, with the reasons."""

    unit = UnitRefSerializer(read_only=True)
    operating_form = serializers.CharField(source="operating_form.code", read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class MatchResultSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True, read_only=True)
    excluded = ExcludedSerializer(many=True, read_only=True)


class TimelineEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.SerializerMethodField()
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "kind_display", "actor", "created_at", "text", "data"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event: TimelineEvent) -> str | None:
        return event.actor.get_full_name() if event.actor_id else None


class DeviationSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Deviation
        fields = ["id", "description", "status", "status_display", "created_at"]
        read_only_fields = fields
