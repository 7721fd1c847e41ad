"""Serializers of the register API. They validate input and hand it to providers.services;
they never save a model themselves, and status and stops are not fields here (see the views'
action endpoints).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from categories.models import CategoryArea, OperatingForm, Service, Subcategory
from providers import services
from providers.models import (
    AGREEMENT_EDITABLE_FIELDS,
    PROVIDER_EDITABLE_FIELDS,
    UNIT_EDITABLE_FIELDS,
    UNIT_WORKFLOW_FIELDS,
    AgreementUnit,
    FrameworkAgreement,
    Permit,
    Provider,
    PublicationStatus,
    Unit,
    UnitService,
)
from providers.validators import normalise_org_number
from spink.accounts.models import Municipality
from spink.api import BooleanField, CharField, IdRelatedField, ModelSerializer


def _actor(serializer: serializers.Serializer):
    return serializer.context["request"].user


# --- Providers --------------------------------------------------------------------------------


class ProviderSerializer(ModelSerializer):
    corporate_group_name = CharField(source="corporate_group.name", read_only=True, default=None)
    municipality_name = CharField(source="municipality.name", read_only=True)

    class Meta:
        model = Provider
        # Writable: PROVIDER_EDITABLE_FIELDS, the list the form and the service use.
        fields = ["id", *PROVIDER_EDITABLE_FIELDS, "corporate_group_name", "municipality_name"]

    def validate_org_number(self, value: str) -> str:
        return normalise_org_number(value)

    def create(self, validated_data):
        return services.create_provider(actor=_actor(self), **validated_data)

    def update(self, instance, validated_data):
        seen = self.context.get("seen")
        return services.update_provider(
            actor=_actor(self), provider=instance, seen=seen, **validated_data
        )


class ProviderBriefSerializer(ModelSerializer):
    class Meta:
        model = Provider
        fields = ["id", "legal_name", "org_number"]
        read_only_fields = fields


class MunicipalityBriefSerializer(ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["id", "name", "code"]
        read_only_fields = fields


# --- Units ------------------------------------------------------------------------------------


class OfferingSerializer(ModelSerializer):
    service = serializers.SlugRelatedField[Service](slug_field="code", read_only=True)
    operating_form = serializers.SlugRelatedField[OperatingForm](slug_field="code", read_only=True)
    subcategories = serializers.SlugRelatedField[Subcategory](
        slug_field="code", many=True, read_only=True
    )
    daily_price = serializers.SerializerMethodField(
        help_text="The daily price (SEK) valid today; null when none is."
    )

    class Meta:
        model = UnitService
        fields = ["id", "service", "operating_form", "subcategories", "daily_price"]

    @extend_schema_field(serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True))
    def get_daily_price(self, offering: UnitService) -> str | None:
        # `current_prices` is prefetched by the view (at most one price is valid on a day).
        prices = getattr(offering, "current_prices", None)
        if prices is None:
            today = timezone.localdate()
            prices = [
                p
                for p in offering.prices.all()
                if p.valid_from <= today and (p.valid_to is None or today <= p.valid_to)
            ]
        return f"{prices[0].daily_price:.2f}" if prices else None


class PermitSummarySerializer(ModelSerializer):
    services = serializers.SlugRelatedField[Service](slug_field="code", many=True, read_only=True)
    valid_today = serializers.SerializerMethodField()

    class Meta:
        model = Permit
        fields = [
            "id",
            "permit_number",
            "services",
            "valid_from",
            "valid_to",
            "revoked_on",
            "revocation_reason",
            "valid_today",
        ]

    def get_valid_today(self, permit: Permit) -> bool:
        return permit.is_valid_on(timezone.localdate())


class UnitSerializer(ModelSerializer):
    """A unit as the API shows it (read only; writes use UnitWriteSerializer)."""

    provider = ProviderBriefSerializer(read_only=True)
    municipality = MunicipalityBriefSerializer(read_only=True)
    offerings = OfferingSerializer(many=True, read_only=True)
    permits = PermitSummarySerializer(many=True, read_only=True)
    matchable = serializers.BooleanField(
        read_only=True,
        help_text="Whether placement officers are shown the unit today (the register's rules).",
    )

    class Meta:
        model = Unit
        fields = [
            "id",
            "provider",
            *UNIT_EDITABLE_FIELDS,
            *UNIT_WORKFLOW_FIELDS,
            "offerings",
            "matchable",
            "permits",
            "updated_at",
        ]
        read_only_fields = fields


class UnitChangeSerializer(ModelSerializer):
    """A change of a unit's details: UNIT_EDITABLE_FIELDS, the list the form and the service
    use. Status and stops are not here (they have their own endpoints), nor the provider: a
    unit stays with its provider."""

    class Meta:
        model = Unit
        fields = list(UNIT_EDITABLE_FIELDS)

    def update(self, instance, validated_data):
        seen = self.context.get("seen")
        return services.update_unit(actor=_actor(self), unit=instance, seen=seen, **validated_data)


class UnitWriteSerializer(UnitChangeSerializer):
    """A new unit: its details and its provider."""

    class Meta(UnitChangeSerializer.Meta):
        fields = ["provider", *UNIT_EDITABLE_FIELDS]

    def create(self, validated_data):
        return services.create_unit(actor=_actor(self), **validated_data)


class OfferingWriteSerializer(serializers.Serializer):
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    operating_form = serializers.SlugRelatedField(
        slug_field="code", queryset=OperatingForm.objects.all()
    )
    subcategories = serializers.SlugRelatedField(
        slug_field="code", queryset=Subcategory.objects.all(), many=True, required=False
    )

    def save(self, unit: Unit | None = None, **kwargs: Any) -> UnitService:
        assert unit is not None  # the unit the URL names
        data = self.validated_data
        return services.set_offering(
            actor=_actor(self),
            unit=unit,
            service=data["service"],
            operating_form=data["operating_form"],
            subcategories=data.get("subcategories", []),
        )


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PublicationStatus.choices)
    # Not required here: the services refuse a change without a reason, with their message.
    reason = CharField(required=False, allow_blank=True, default="", max_length=4000)


class StopSerializer(serializers.Serializer):
    stop = BooleanField(help_text="true decides the stop, false lifts it.")
    reason = CharField(required=False, allow_blank=True, default="", max_length=4000)


class PermitWriteSerializer(serializers.Serializer):
    permit_number = CharField(max_length=40)
    services = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Service.objects.all(),
        many=True,
        help_text="Codes of services the unit offers that the permit covers.",
    )
    target_group = CharField(required=False, allow_blank=True, default="", max_length=200)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class PermitRenewSerializer(serializers.Serializer):
    valid_to = serializers.DateField(
        allow_null=True, help_text="The new end; null for until further notice."
    )


class PermitRevokeSerializer(serializers.Serializer):
    revoked_on = serializers.DateField()
    reason = CharField(max_length=4000, help_text="IVO's decision.")


# --- Agreements -------------------------------------------------------------------------------


class AgreementSerializer(ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="code", queryset=CategoryArea.objects.all())
    services = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), many=True
    )
    unit_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = FrameworkAgreement
        fields = ["id", *AGREEMENT_EDITABLE_FIELDS, "unit_count"]

    def create(self, validated_data):
        covered = validated_data.pop("services")
        return services.save_agreement(
            actor=_actor(self), agreement=FrameworkAgreement(**validated_data), services=covered
        )

    def update(self, instance, validated_data):
        covered = validated_data.pop("services", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        seen = self.context.get("seen")
        return services.save_agreement(
            actor=_actor(self), agreement=instance, services=covered, seen=seen
        )


class AdmissionSerializer(ModelSerializer):
    unit = IdRelatedField(queryset=Unit.objects.all())

    class Meta:
        model = AgreementUnit
        fields = ["id", "unit", "admitted_on", "ended_on"]
        read_only_fields = ["id", "ended_on"]
        # The (agreement, unit) uniqueness is the service's business: it keeps an existing link.
        validators: list = []

    def save(self, agreement: FrameworkAgreement | None = None, **kwargs: Any) -> AgreementUnit:
        assert agreement is not None  # the agreement the URL names
        data = self.validated_data
        self.instance = services.admit_unit(
            actor=_actor(self),
            agreement=agreement,
            unit=data["unit"],
            admitted_on=data["admitted_on"],
        )
        return self.instance


# --- Import -----------------------------------------------------------------------------------


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX; see providers/importer.py for columns.")
    dry_run = BooleanField(
        default=False, help_text="Check every row and report, importing nothing."
    )


class CellErrorSerializer(serializers.Serializer):
    column = CharField()
    message = CharField()


class RowActionSerializer(serializers.Serializer):
    kind = CharField()
    text = CharField()


class RowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    org_number = CharField()
    unit_name = CharField()
    service = CharField()
    actions = RowActionSerializer(many=True)
    # A field, not Serializer.errors: DRF's metaclass takes declared fields out of the class.
    errors = CellErrorSerializer(many=True)  # type: ignore[assignment]


class ImportReportSerializer(serializers.Serializer):
    agreement_reference = CharField()
    filename = CharField()
    dry_run = serializers.BooleanField()
    imported = serializers.BooleanField()
    ok = serializers.BooleanField()
    file_error = CharField()
    error_count = serializers.IntegerField()
    ignored_columns = serializers.ListField(child=CharField())
    summary = serializers.DictField(child=serializers.IntegerField())
    rows = RowResultSerializer(many=True)
