"""The register API: providers, units and framework agreements.

Reads go through providers.selectors (the role's register scope: a unit outside it answers
404); writes go through providers.services; status and stops change only through the action
endpoints, which call the services that apply providers.rules.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from providers import importer, rules, selectors, services
from providers.api.filters import ProviderApiFilter, UnitApiFilter
from providers.api.serializers import (
    AdmissionSerializer,
    AgreementSerializer,
    ImportReportSerializer,
    ImportRequestSerializer,
    OfferingWriteSerializer,
    PermitRenewSerializer,
    PermitRevokeSerializer,
    PermitWriteSerializer,
    ProviderSerializer,
    StatusChangeSerializer,
    StopSerializer,
    UnitChangeSerializer,
    UnitSerializer,
    UnitWriteSerializer,
)
from providers.models import (
    AGREEMENT_EDITABLE_FIELDS,
    PROVIDER_EDITABLE_FIELDS,
    UNIT_EDITABLE_FIELDS,
    Permit,
)
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedRequest
from spink.api import (
    ID_PATH_PATTERN,
    FormParser,
    MultiPartParser,
    VersionedViewMixin,
    parse_id,
)


class RegisterViewMixin:
    """Capability per action (read by RolePermission) and the register's error mapping."""

    action: str  # the viewset's
    action_capabilities: dict[str, Capability] = {}
    default_capability = Capability.VIEW_REGISTER

    @property
    def required_capability(self) -> Capability:
        return self.action_capabilities.get(self.action, self.default_capability)


ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input or refused by the register's rules."),
    403: OpenApiResponse(description="The role may not do this."),
    404: OpenApiResponse(description="No such unit in the caller's register scope."),
}


@extend_schema_view(
    list=extend_schema(summary="Units in the caller's register scope"),
    retrieve=extend_schema(summary="One unit", responses={200: UnitSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Create a unit (as a draft)",
        request=UnitWriteSerializer,
        responses={201: UnitSerializer, **ERROR_RESPONSES},
    ),
    update=extend_schema(
        request=UnitChangeSerializer, responses={200: UnitSerializer, **ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=UnitChangeSerializer, responses={200: UnitSerializer, **ERROR_RESPONSES}
    ),
)
class UnitViewSet(
    VersionedViewMixin,
    RegisterViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Units (verksamheter). Quality & control and procurement see every unit; those who
    place see matchable units only; a unit outside the caller's scope answers 404."""

    request: AuthenticatedRequest
    version_fields = UNIT_EDITABLE_FIELDS

    serializer_class = UnitSerializer
    filterset_class = UnitApiFilter
    lookup_value_regex = ID_PATH_PATTERN
    action_capabilities = {
        "create": Capability.EDIT_REGISTER,
        "update": Capability.EDIT_REGISTER,
        "partial_update": Capability.EDIT_REGISTER,
        "offerings": Capability.EDIT_REGISTER,
        "change_status": Capability.EDIT_REGISTER,
        "recommendation_stop": Capability.EDIT_REGISTER,
        "order_stop": Capability.DECIDE_ORDER_STOP,
        "permits": Capability.EDIT_REGISTER,
        "permit_renew": Capability.EDIT_REGISTER,
        "permit_revoke": Capability.EDIT_REGISTER,
    }

    def get_queryset(self):
        on = timezone.localdate()
        return (
            selectors.visible_units(self.request.user, on)
            .prefetch_related(
                Prefetch(
                    "offerings__prices",
                    queryset=selectors.current_prices(on),
                    to_attr="current_prices",
                ),
                "offerings__subcategories",
                Prefetch("permits", queryset=Permit.objects.prefetch_related("services")),
            )
            .annotate(matchable=Exists(rules.matchable_offerings(on).filter(unit=OuterRef("pk"))))
            .order_by("name", "pk")
        )

    def get_serializer_class(self):
        if self.action == "create":
            return UnitWriteSerializer
        if self.action in ("update", "partial_update"):
            return UnitChangeSerializer
        return UnitSerializer

    def _shown(self, unit_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        unit = self.get_queryset().get(pk=unit_id)
        return Response(
            UnitSerializer(unit, context=self.get_serializer_context()).data, status=status_code
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unit = serializer.save()
        return self._shown(unit.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(
            self.get_object(), data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        unit = serializer.save()
        return self._shown(unit.pk)

    @extend_schema(
        summary="Offer a service in an operating form (the matrix decides what is allowed)",
        request=OfferingWriteSerializer,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def offerings(self, request, pk=None):
        unit = self.get_object()
        serializer = OfferingWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save(unit)
        return self._shown(unit.pk)

    @extend_schema(
        summary="Register an IVO permit for services the unit offers",
        request=PermitWriteSerializer,
        responses={201: UnitSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def permits(self, request, pk=None):
        unit = self.get_object()
        serializer = PermitWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.add_permit(actor=request.user, unit=unit, **serializer.validated_data)
        return self._shown(unit.pk, status.HTTP_201_CREATED)

    def _permit_step(self, permit_id: str, serializer_class, step) -> Response:
        unit = self.get_object()
        permit = get_object_or_404(Permit, unit=unit, pk=parse_id(permit_id) or 0)
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        step(permit, serializer.validated_data)
        return self._shown(unit.pk)

    @extend_schema(
        summary="Renew an IVO permit to a later end",
        request=PermitRenewSerializer,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"permits/(?P<permit_id>{ID_PATH_PATTERN})/renew",
    )
    def permit_renew(self, request, pk=None, permit_id=None):
        return self._permit_step(
            permit_id,
            PermitRenewSerializer,
            lambda permit, data: services.renew_permit(
                actor=request.user, permit=permit, valid_to=data["valid_to"]
            ),
        )

    @extend_schema(
        summary="Record IVO's revocation of a permit (the unit leaves matching for its services)",
        request=PermitRevokeSerializer,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=rf"permits/(?P<permit_id>{ID_PATH_PATTERN})/revoke",
    )
    def permit_revoke(self, request, pk=None, permit_id=None):
        return self._permit_step(
            permit_id,
            PermitRevokeSerializer,
            lambda permit, data: services.revoke_permit(
                actor=request.user,
                permit=permit,
                revoked_on=data["revoked_on"],
                reason=data["reason"],
            ),
        )

    @extend_schema(
        summary="Move the unit through the publication workflow",
        request=StatusChangeSerializer,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        return self._decide(
            StatusChangeSerializer,
            lambda unit_id, data: services.change_status(
                actor=request.user, unit=unit_id, to_status=data["status"], reason=data["reason"]
            ),
        )

    def _decide(self, serializer_class, decide):
        """Validate the body, apply the decision through the register's services, show it."""
        unit = self.get_object()
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        decide(unit.pk, serializer.validated_data)
        return self._shown(unit.pk)

    @extend_schema(
        summary="Decide or lift a recommendation stop (direct-procurement units)",
        request=StopSerializer,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="recommendation-stop")
    def recommendation_stop(self, request, pk=None):
        return self._decide(
            StopSerializer,
            lambda unit_id, data: services.set_recommendation_stop(
                actor=request.user, unit=unit_id, stop=data["stop"], reason=data["reason"]
            ),
        )

    @extend_schema(
        summary="Decide or lift a temporary order stop (framework units; procurement)",
        request=StopSerializer,
        responses={200: UnitSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="order-stop")
    def order_stop(self, request, pk=None):
        return self._decide(
            StopSerializer,
            lambda unit_id, data: services.set_order_stop(
                actor=request.user, unit=unit_id, stop=data["stop"], reason=data["reason"]
            ),
        )


class ProviderViewSet(
    VersionedViewMixin,
    RegisterViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Providers (utförare) in the caller's register scope: those with a unit they may see."""

    request: AuthenticatedRequest
    serializer_class = ProviderSerializer
    version_fields = PROVIDER_EDITABLE_FIELDS
    filterset_class = ProviderApiFilter
    lookup_value_regex = ID_PATH_PATTERN
    action_capabilities = {
        "create": Capability.EDIT_REGISTER,
        "update": Capability.EDIT_REGISTER,
        "partial_update": Capability.EDIT_REGISTER,
    }

    def get_queryset(self):
        return selectors.visible_providers(self.request.user).order_by("legal_name", "pk")


@extend_schema_view(
    create=extend_schema(responses={201: AgreementSerializer, **ERROR_RESPONSES}),
)
class AgreementViewSet(
    VersionedViewMixin,
    RegisterViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Framework agreements (ramavtal), owned by procurement."""

    serializer_class = AgreementSerializer
    version_fields = AGREEMENT_EDITABLE_FIELDS
    lookup_value_regex = ID_PATH_PATTERN
    filterset_fields = ["is_open"]
    default_capability = Capability.VIEW_FULL_REGISTER
    action_capabilities = {
        "create": Capability.MANAGE_AGREEMENTS,
        "update": Capability.MANAGE_AGREEMENTS,
        "partial_update": Capability.MANAGE_AGREEMENTS,
        "admit": Capability.MANAGE_AGREEMENTS,
        "import_units": Capability.MANAGE_AGREEMENTS,
    }

    def get_queryset(self):
        return selectors.agreements().order_by("-valid_from", "name", "pk")

    def _shown(self, agreement_id: int, status_code: int) -> Response:
        agreement = self.get_queryset().get(pk=agreement_id)
        return Response(self.get_serializer(agreement).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._shown(serializer.save().pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(
            self.get_object(), data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        return self._shown(serializer.save().pk, status.HTTP_200_OK)

    @extend_schema(
        summary="Admit a unit to the agreement (on its start, or 1 Jan / 1 Jul if open)",
        request=AdmissionSerializer,
        responses={201: AdmissionSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="units")
    def admit(self, request, pk=None):
        agreement = self.get_object()
        serializer = AdmissionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save(agreement)
        return Response(serializer.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Import the agreement's units and prices from a CSV or XLSX file",
        description=(
            "All or nothing: every row is checked and, if any is wrong, nothing is imported "
            "and the report lists every error. With dry_run nothing is imported either way. "
            "201: imported; 200: clean dry run; 400: errors (see the report)."
        ),
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: ImportReportSerializer,
            201: ImportReportSerializer,
            400: ImportReportSerializer,
            403: OpenApiResponse(description="The role may not manage agreements."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_units(self, request, pk=None):
        agreement = self.get_object()
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = importer.import_upload(
            agreement,
            serializer.validated_data["file"],
            actor=request.user,
            dry_run=serializer.validated_data["dry_run"],
        )
        code: int
        if report.has_errors:
            code = status.HTTP_400_BAD_REQUEST
        elif report.imported:
            code = status.HTTP_201_CREATED
        else:
            code = status.HTTP_200_OK
        return Response(ImportReportSerializer(report).data, status=code)
