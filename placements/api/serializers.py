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

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from categories.models import Service, Subcategory
from placements import rules, services
from placements.models import (
    CASE_DETAIL_FIELDS,
    PERSON_FIELDS,
    REQUEST_EDITABLE_FIELDS,
    Attachment,
    AttachmentKind,
    Deviation,
    PlacementRequest,
    Recommendation,
    RecommendationSet,
    TimelineEvent,
)
from spink.accounts import access
from spink.accounts.models import Municipality, Role, User
from spink.api import (
    BooleanField,
    CharField,
    DecimalField,
    IdField,
    IdRelatedField,
    ModelSerializer,
)

# Hidden (null) for whoever may not see the person (`access.may_see_person`).
HIDDEN_WITHOUT_PERSON = (*PERSON_FIELDS, *CASE_DETAIL_FIELDS)


def _actor(serializer: serializers.Serializer) -> User:
    return serializer.context["request"].user


def _shows_person(serializer: serializers.Serializer, request: PlacementRequest) -> bool:
    """The view's decision when it made one (`show_person`), else access.may_see_person."""
    if "show_person" in serializer.context:
        return bool(serializer.context["show_person"])
    return access.may_see_person(_actor(serializer), request)


class _HidesCaseText(ModelSerializer):
    """Texts written about a case (messages, comments, descriptions) are null for whoever may
    not see the person: the view puts `show_person` in the context."""

    case_text_fields: tuple[str, ...] = ()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("show_person", False):
            for name in self.case_text_fields:
                data[name] = None
        return data


class RefSerializer(serializers.Serializer):
    """{id, name} of a related record (administration, organisation unit, unit)."""

    id = serializers.IntegerField(read_only=True)
    name = CharField(read_only=True)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = CharField(source="get_full_name", read_only=True)


class _RequestBase(ModelSerializer):
    kind_display = CharField(source="get_kind_display", read_only=True)
    status_display = CharField(source="get_status_display", read_only=True)
    urgency_display = CharField(source="get_urgency_display", read_only=True)
    team_display = CharField(source="get_team_display", read_only=True)
    service = serializers.SlugRelatedField[Service](slug_field="code", read_only=True)
    service_name = CharField(source="service.name", read_only=True)
    subcategory = serializers.SlugRelatedField[Subcategory](slug_field="code", read_only=True)
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
        if request.protected_identity or not _shows_person(self, request):
            return None
        return request.person_name


class PlacementRequestDetailSerializer(_RequestBase):
    """One request. Person fields are null unless the context says `show_person`."""

    subcategory_name = CharField(source="subcategory.name", read_only=True, default=None)
    preferred_municipality = serializers.SlugRelatedField[Municipality](
        slug_field="code", read_only=True, allow_null=True
    )
    available_actions = serializers.SerializerMethodField(
        help_text="The workflow actions the caller may take now."
    )

    class Meta:
        model = PlacementRequest
        # Null for whoever may not see the person.
        extra_kwargs = {name: {"allow_null": True} for name in HIDDEN_WITHOUT_PERSON}
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
        return sorted(rules.REQUEST_WORKFLOW.available(request, self.context["request"].user))

    def to_representation(self, instance: PlacementRequest) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("show_person", False):
            for name in HIDDEN_WITHOUT_PERSON:
                data[name] = None
        return data


class PlacementRequestWriteSerializer(ModelSerializer):
    """The fields a social worker fills in (REQUEST_EDITABLE_FIELDS). Service, subcategory and
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
        fields = REQUEST_EDITABLE_FIELDS

    def create(self, validated_data):
        return services.create_request(actor=_actor(self), **validated_data)

    def update(self, instance, validated_data):
        seen = self.context.get("seen")
        return services.update_draft(
            actor=_actor(self), request=instance.pk, seen=seen, **validated_data
        )


# --- Action bodies ----------------------------------------------------------------------------


class ReasonSerializer(serializers.Serializer):
    # Not required here: the services refuse a blank reason with their own message.
    reason = CharField(required=False, allow_blank=True, default="", max_length=4000)


class AssignSerializer(serializers.Serializer):
    officer = IdRelatedField(
        queryset=User.objects.filter(role=Role.PLACEMENT_OFFICER, is_active=True),
        help_text="The id of a placement officer of the request's team.",
        # The same answer for a user who does not exist and one who is not an officer.
        error_messages={"does_not_exist": _("Choose a placement officer of the request's team.")},
    )


class SubmitSerializer(serializers.Serializer):
    confirm_duplicate = BooleanField(
        required=False,
        default=False,
        help_text=(
            "Submit although another open request for the same person and service exists "
            "(refused otherwise with code duplicate_open_request)."
        ),
    )


class MessageSerializer(serializers.Serializer):
    text = CharField(required=False, allow_blank=True, default="", max_length=4000)


class DeviationInputSerializer(serializers.Serializer):
    description = CharField(required=False, allow_blank=True, default="", max_length=4000)


class ChoiceSerializer(serializers.Serializer):
    """Either the chosen recommendation and start date, or none_chosen with a reason."""

    recommendation = IdField(required=False, help_text="Id of a recommendation.")
    start_date = serializers.DateField(required=False)
    none_chosen = BooleanField(required=False, default=False)
    reason = CharField(required=False, allow_blank=True, default="", max_length=4000)

    def validate(self, data):
        if not data["none_chosen"]:
            required = _("This field is required.")
            missing = {
                name: [required] for name in ("recommendation", "start_date") if name not in data
            }
            if missing:
                raise serializers.ValidationError(missing)
        return data


class RecommendationItemSerializer(serializers.Serializer):
    """One unit to recommend: alone (RecommendationInputSerializer) or in a set."""

    offering = IdField(help_text="Id of a matching offering (see matches).")
    daily_price = DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text="SEK per day; required for direct procurement, else the current price.",
    )
    comment = CharField(required=False, allow_blank=True, default="", max_length=4000)


def _accept_price_flag(help_text: str) -> BooleanField:
    return BooleanField(required=False, default=False, help_text=help_text)


class RecommendationInputSerializer(RecommendationItemSerializer):
    accept_price_flag = _accept_price_flag(
        "Send although the price is flagged as well above framework prices."
    )


class RecommendationSetInputSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=RecommendationItemSerializer(),
        min_length=1,
        max_length=services.MAX_SET_SIZE,
        help_text=f"The units to recommend together (1–{services.MAX_SET_SIZE}).",
    )
    message = CharField(required=False, allow_blank=True, default="", max_length=4000)
    accept_price_flag = _accept_price_flag(
        "Send although prices are flagged as well above framework prices."
    )


class ShortlistInputSerializer(serializers.Serializer):
    offering = IdField(help_text="Id of a matching offering (see matches).")


# --- Read-only records ------------------------------------------------------------------------


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = CharField(read_only=True)


class ProviderRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    legal_name = CharField(read_only=True)


class RecommendationSerializer(_HidesCaseText):
    case_text_fields = ("comment",)

    offering_id = serializers.IntegerField(read_only=True)
    unit = UnitRefSerializer(source="offering.unit", read_only=True)
    provider = ProviderRefSerializer(source="offering.unit.provider", read_only=True)
    operating_form = CharField(source="offering.operating_form.code", read_only=True)
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "recommendation_set",
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
        extra_kwargs = {"comment": {"allow_null": True}}


class RecommendationSetSerializer(_HidesCaseText):
    case_text_fields = ("message",)

    sent_by = UserRefSerializer(read_only=True)
    recommendations = serializers.SerializerMethodField()

    class Meta:
        model = RecommendationSet
        fields = ["id", "message", "sent_by", "sent_at", "recommendations"]
        read_only_fields = fields
        extra_kwargs = {"message": {"allow_null": True}}

    @extend_schema_field(RecommendationSerializer(many=True))
    def get_recommendations(self, sending) -> Any:
        # Prefetched with their units by the view (selectors.recommendation_sets).
        return RecommendationSerializer(
            sending.recommendations.all(), many=True, context=self.context
        ).data


class ShortlistEntrySerializer(serializers.Serializer):
    offering_id = serializers.IntegerField(read_only=True)
    unit = UnitRefSerializer(source="offering.unit", read_only=True)
    added_by = UserRefSerializer(read_only=True)
    added_at = serializers.DateTimeField(read_only=True)


class CandidateSerializer(serializers.Serializer):
    """A matching offering (placements.matching.Candidate), best first."""

    offering_id = serializers.IntegerField(source="offering.pk", read_only=True)
    unit = UnitRefSerializer(read_only=True)
    provider = ProviderRefSerializer(source="unit.provider", read_only=True)
    operating_form = CharField(source="operating_form.code", read_only=True)
    daily_price = serializers.DecimalField(
        max_digits=9, decimal_places=2, read_only=True, allow_null=True
    )
    distance_km = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Kilometres (great-circle, one decimal) from the centre of the request's preferred "
            "municipality, else of its home municipality, to the unit (its municipality's "
            "centre when it has no coordinates of its own); null when either has none."
        ),
    )
    reasons = serializers.ListField(child=CharField(), read_only=True)


class ExcludedSerializer(serializers.Serializer):
    """An offering of the service that does not match, with the reasons."""

    unit = UnitRefSerializer(read_only=True)
    operating_form = CharField(source="operating_form.code", read_only=True)
    reasons = serializers.ListField(child=CharField(), read_only=True)


class MatchResultSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True, read_only=True)
    excluded = ExcludedSerializer(many=True, read_only=True)


class TimelineEventSerializer(_HidesCaseText):
    case_text_fields = ("text",)

    kind_display = CharField(source="get_kind_display", read_only=True)
    actor = serializers.SerializerMethodField()
    # A field, not Serializer.data: DRF's metaclass takes declared fields out of the class.
    data = serializers.JSONField(read_only=True)  # type: ignore[assignment]

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "kind_display", "actor", "created_at", "text", "data"]
        read_only_fields = fields
        extra_kwargs = {"text": {"allow_null": True}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: TimelineEvent) -> str | None:
        return event.actor.get_full_name() if event.actor_id and event.actor else None


class DeviationSerializer(_HidesCaseText):
    case_text_fields = ("description",)

    status_display = CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Deviation
        fields = ["id", "description", "status", "status_display", "created_at"]
        read_only_fields = fields
        extra_kwargs = {"description": {"allow_null": True}}


# --- Attachments ------------------------------------------------------------------------------


class AttachmentSerializer(_HidesCaseText):
    """An attachment's description; its file name is person data (null for whoever may not
    see the person) and its file is fetched from `download_url` (logged)."""

    case_text_fields = ("original_name", "download_url")

    kind_display = CharField(source="get_kind_display", read_only=True)
    uploaded_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "kind",
            "kind_display",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields
        extra_kwargs = {"original_name": {"allow_null": True}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_uploaded_by(self, attachment: Attachment) -> str | None:
        return attachment.uploaded_by.get_full_name() or attachment.uploaded_by.username

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, attachment: Attachment) -> str | None:
        return reverse(
            "api:placement-request-attachment",
            kwargs={"pk": attachment.request_id, "attachment_id": attachment.pk},
        )


class AttachmentUploadSerializer(serializers.Serializer):
    """multipart/form-data: the kind of document and the file (PDF, Office, PNG or JPEG, at
    most 10 MB; its type is checked from its content)."""

    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField(allow_empty_file=False)
