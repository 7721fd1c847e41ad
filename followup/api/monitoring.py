"""Basic monitoring in the API: the signal inbox (take, close) and monitoring runs (POST one
to run a source now). For the quality & control team only (Capability.RUN_FOLLOWUP); writes
go through followup.monitoring.services, and refusals are mapped API-wide by spink.api.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from followup.models import MonitoringRun, MonitoringSource, Severity, Signal
from followup.monitoring import selectors, services
from providers.models import Provider, Unit
from spink.accounts.access import Capability
from spink.api import (
    ID_PATH_PATTERN,
    CharField,
    FilterSet,
    IdFilter,
    IdRelatedField,
    ModelSerializer,
)

# --- Serializers ----------------------------------------------------------------------------------


class _ProviderBriefSerializer(ModelSerializer):
    class Meta:
        model = Provider
        fields = ["id", "legal_name", "org_number"]
        read_only_fields = fields
        ref_name = "SignalProvider"


class _UnitBriefSerializer(ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name", "status"]
        read_only_fields = fields
        ref_name = "SignalUnit"


class SignalSerializer(ModelSerializer):
    provider = _ProviderBriefSerializer(read_only=True, allow_null=True)
    unit = _UnitBriefSerializer(read_only=True, allow_null=True)
    source_name = CharField(source="source.name", read_only=True, default=None)

    class Meta:
        model = Signal
        fields = [
            "id",
            "kind",
            "severity",
            "status",
            "title",
            "details",
            "url",
            "provider",
            "unit",
            "source",
            "source_name",
            "run",
            "handled_by",
            "taken_by",
            "taken_at",
            "closed_by",
            "created_at",
            "closed_at",
            "closing_note",
        ]
        read_only_fields = fields


class CloseSignalSerializer(serializers.Serializer):
    # Not required here: the service refuses an empty note with its own message.
    note = CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text="What was done."
    )


class SkippedRecordSerializer(serializers.Serializer):
    ref = CharField(help_text="Where the record is in the source.")
    reason = CharField()


class MonitoringRunSerializer(ModelSerializer):
    source_name = CharField(source="source.name", read_only=True)
    skipped = SkippedRecordSerializer(many=True, read_only=True)

    class Meta:
        model = MonitoringRun
        fields = [
            "id",
            "source",
            "source_name",
            "status",
            "started_at",
            "finished_at",
            "attempts",
            "records_seen",
            "signals_created",
            "records_skipped",
            "skipped",
            "error",
            "triggered_by",
        ]
        read_only_fields = fields


class RunRequestSerializer(serializers.Serializer):
    # A field, not Field.source: DRF's metaclass takes declared fields out of the class.
    source = IdRelatedField(queryset=MonitoringSource.objects.all())  # type: ignore[assignment]


# --- Filters --------------------------------------------------------------------------------------


class SignalApiFilter(FilterSet):
    kind = django_filters.ChoiceFilter(choices=Signal.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Signal.Status.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    provider = IdFilter(field_name="provider_id", help_text="Provider ID.")
    unit = IdFilter(field_name="unit_id", help_text="Unit ID.")

    class Meta:
        model = Signal
        fields = ["kind", "status", "severity", "provider", "unit"]


class RunApiFilter(FilterSet):
    source = IdFilter(field_name="source_id", help_text="Source ID.")
    status = django_filters.ChoiceFilter(choices=MonitoringRun.Status.choices)

    class Meta:
        model = MonitoringRun
        fields = ["source", "status"]


# --- Views ----------------------------------------------------------------------------------------

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input or refused by the rules."),
    403: OpenApiResponse(description="Only the quality & control team."),
    404: OpenApiResponse(description="No such record."),
}


class TeamOnlyMixin:
    """Read by spink.accounts.api.permissions.RolePermission."""

    required_capability = Capability.RUN_FOLLOWUP


@extend_schema_view(
    list=extend_schema(summary="The signal inbox, newest first"),
    retrieve=extend_schema(summary="One signal"),
)
class SignalViewSet(
    TeamOnlyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Signals from basic monitoring and reviews of related providers."""

    serializer_class = SignalSerializer
    filterset_class = SignalApiFilter
    lookup_value_regex = ID_PATH_PATTERN

    def get_queryset(self):
        return selectors.signals()

    def _shown(self, signal_id: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=signal_id)).data)

    @extend_schema(
        summary="Take the signal (it is then being handled by the caller)",
        request=None,
        responses={200: SignalSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        signal = self.get_object()
        services.take_signal(actor=request.user, signal=signal)
        return self._shown(signal.pk)

    @extend_schema(
        summary="Close the signal with a note on what was done",
        request=CloseSignalSerializer,
        responses={200: SignalSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        signal = self.get_object()
        serializer = CloseSignalSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.close_signal(
            actor=request.user, signal=signal, note=serializer.validated_data["note"]
        )
        return self._shown(signal.pk)


@extend_schema_view(
    list=extend_schema(summary="Monitoring runs, newest first"),
    retrieve=extend_schema(summary="One run, with its skipped records"),
    create=extend_schema(
        summary="Run a source now",
        description="Queues one run of the source; poll the run for its outcome.",
        request=RunRequestSerializer,
        responses={202: MonitoringRunSerializer, **ERROR_RESPONSES},
    ),
)
class MonitoringRunViewSet(
    TeamOnlyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MonitoringRunSerializer
    filterset_class = RunApiFilter
    lookup_value_regex = ID_PATH_PATTERN

    def get_queryset(self):
        return selectors.runs()

    def create(self, request, *args, **kwargs):
        serializer = RunRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.request_run(actor=request.user, source=serializer.validated_data["source"])
        shown = self.get_queryset().get(pk=run.pk)
        return Response(self.get_serializer(shown).data, status=status.HTTP_202_ACCEPTED)
