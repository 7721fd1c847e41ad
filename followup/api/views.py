"""The follow-up API: pre-admission controls, feedback, deep controls (with procurement's
order-stop decisions) and matching-focused site visits.

Same permissions as the pages: each action names the capabilities that may use it (any one
is enough); reads come from followup.selectors, writes go through followup.services, and a
refusal by followup.rules or the register's rules answers 400 (mapped API-wide by spink.api).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from followup import selectors, services
from followup.api.serializers import (
    AnswerSerializer,
    CheckRecordSerializer,
    CloseSerializer,
    ControlCheckSerializer,
    ControlDecisionSerializer,
    ControlSerializer,
    ControlStartSerializer,
    DeepControlDetailsSerializer,
    DeepControlSerializer,
    DeepControlStartSerializer,
    FeedbackCreateSerializer,
    FeedbackSerializer,
    OrderStopDecisionSerializer,
    OutcomeSerializer,
    SiteVisitPlanSerializer,
    SiteVisitRecordSerializer,
    SiteVisitSerializer,
)
from followup.models import ControlCheck, DeepControl, Feedback
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedRequest
from spink.api import (
    ID_PATH_PATTERN,
    FormParser,
    JSONParser,
    MultiPartParser,
    VersionedViewMixin,
)

FOLLOWUP = Capability.RUN_FOLLOWUP
ORDER_STOP = Capability.DECIDE_ORDER_STOP

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input, or refused by the follow-up rules."),
    403: OpenApiResponse(description="The role may not do this."),
    404: OpenApiResponse(description="No such record for the caller."),
}


class AnyCapability(BasePermission):
    """Signed in, and the role has one of the action's capabilities (`capabilities_for`)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return any(access.has_capability(user, cap) for cap in view.capabilities_for(view.action))


if TYPE_CHECKING:
    _ViewSetBase = viewsets.GenericViewSet  # what the mixin is mixed into
else:
    _ViewSetBase = object


class FollowupViewMixin(_ViewSetBase):
    permission_classes = [AnyCapability]
    lookup_value_regex = ID_PATH_PATTERN
    default_capabilities: tuple[Capability, ...] = (FOLLOWUP,)
    action_capabilities: dict[str | None, tuple[Capability, ...]] = {}

    def capabilities_for(self, action_name: str | None) -> tuple[Capability, ...]:
        return self.action_capabilities.get(action_name, self.default_capabilities)

    def can(self, capability: Capability) -> bool:
        return access.has_capability(self.request.user, capability)

    def _input(self, serializer_class, **kwargs):
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _shown(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        instance = self.get_queryset().get(pk=pk)
        self._versioned = instance  # the version the answer's ETag names (VersionedViewMixin)
        return Response(self.get_serializer(instance).data, status=code)


def _schema(summary: str, request=None, response=None, code: int = 200, **kwargs):
    return extend_schema(
        summary=summary, request=request, responses={code: response, **ERROR_RESPONSES}, **kwargs
    )


# --- Controls --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Pre-admission controls, newest first"),
    retrieve=extend_schema(summary="One control with its checklist"),
    create=_schema(
        "Start a control of a provider (the checklist follows its legal form and permit need)",
        ControlStartSerializer,
        ControlSerializer,
        201,
    ),
)
class ControlViewSet(
    FollowupViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Controls of providers before their direct-procurement units are published."""

    serializer_class = ControlSerializer
    filterset_fields = ["decision", "provider"]

    def get_queryset(self):
        return selectors.controls().prefetch_related("units", "checks")

    def create(self, request, *args, **kwargs):
        data = self._input(ControlStartSerializer)
        control = services.start_control(
            actor=request.user, provider=data["provider"], units=data.get("units")
        )
        return self._shown(control.pk, status.HTTP_201_CREATED)

    @_schema(
        "Record one check's result, note and optional evidence file",
        {"multipart/form-data": CheckRecordSerializer, "application/json": CheckRecordSerializer},
        ControlCheckSerializer,
        parameters=[
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=ControlCheck.Kind.values,
                description="The check on the control's checklist.",
            )
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"checks/(?P<kind>[a-z_]+)",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def checks(self, request, pk=None, kind=None):
        control = self.get_object()
        data = self._input(CheckRecordSerializer)
        check = services.record_check(
            actor=request.user,
            control=control,
            kind=kind,
            result=data["result"],
            note=data["note"],
            evidence=data["evidence"],
        )
        return Response(ControlCheckSerializer(check).data)

    @_schema(
        "Approve the control, or reject it with a reason",
        ControlDecisionSerializer,
        ControlSerializer,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        control = self.get_object()
        data = self._input(ControlDecisionSerializer)
        services.decide_control(
            actor=request.user, control=control, decision=data["decision"], reason=data["reason"]
        )
        return self._shown(control.pk)


# --- Feedback --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Feedback: all of it for the quality team, one's own for those placing"
    ),
    retrieve=extend_schema(summary="One feedback"),
    create=_schema(
        "Lodge feedback about a unit (those placing)",
        FeedbackCreateSerializer,
        FeedbackSerializer,
        201,
    ),
)
class FeedbackViewSet(
    FollowupViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Feedback (synpunkter) about units and the quality team's handling of it."""

    request: AuthenticatedRequest
    serializer_class = FeedbackSerializer
    filterset_fields = ["status", "category", "unit"]
    default_capabilities = (FOLLOWUP, Capability.LODGE_FEEDBACK)
    action_capabilities = {
        "create": (Capability.LODGE_FEEDBACK,),
        "communicate": (FOLLOWUP,),
        "answer": (FOLLOWUP,),
        "close": (FOLLOWUP,),
    }

    def get_queryset(self):
        return selectors.visible_feedback(self.request.user).order_by("-created_at", "-pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "team": self.can(FOLLOWUP)}

    def create(self, request, *args, **kwargs):
        data = self._input(FeedbackCreateSerializer)
        feedback = services.lodge_feedback(
            actor=request.user,
            unit=data["unit"],
            category=data["category"],
            description=data["description"],
            placement_request=data["placement_request"],
        )
        return self._shown(feedback.pk, status.HTTP_201_CREATED)

    @_schema("Mark the feedback as communicated to the provider", None, FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def communicate(self, request, pk=None):
        feedback = self.get_object()
        services.communicate_feedback(actor=request.user, feedback=feedback)
        return self._shown(feedback.pk)

    @_schema("Record the provider's answer", AnswerSerializer, FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        feedback = self.get_object()
        data = self._input(AnswerSerializer)
        services.record_provider_answer(
            actor=request.user, feedback=feedback, answer=data["provider_answer"]
        )
        return self._shown(feedback.pk)

    @_schema("Close the feedback with a closing category", CloseSerializer, FeedbackSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        feedback: Feedback = self.get_object()
        data = self._input(CloseSerializer)
        services.close_feedback(
            actor=request.user,
            feedback=feedback,
            closing_category=data["closing_category"],
            note=data["note"],
        )
        return self._shown(feedback.pk)


# --- Deep controls ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Deep controls (procurement sees the ones proposing an order stop)"),
    retrieve=extend_schema(summary="One deep control"),
    create=_schema(
        "Start a deep control (from a signal, a feedback or on its own)",
        DeepControlStartSerializer,
        DeepControlSerializer,
        201,
    ),
    partial_update=_schema(
        "Record the checks done and the event-driven site visit (while open)",
        DeepControlDetailsSerializer,
        DeepControlSerializer,
    ),
)
class DeepControlViewSet(
    VersionedViewMixin,
    FollowupViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Deep controls of units and their outcomes; order-stop proposals go to procurement."""

    serializer_class = DeepControlSerializer
    version_fields = services.DEEP_CONTROL_DETAIL_FIELDS
    filterset_fields = ["outcome", "unit", "order_stop_decision"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    default_capabilities = (FOLLOWUP,)
    action_capabilities = {
        "list": (FOLLOWUP, ORDER_STOP),
        "retrieve": (FOLLOWUP, ORDER_STOP),
        "order_stop": (ORDER_STOP,),
    }

    def get_queryset(self):
        if self.can(FOLLOWUP) and self.action != "order_stop":
            return selectors.deep_controls()
        return selectors.order_stop_proposals()

    def create(self, request, *args, **kwargs):
        data = self._input(DeepControlStartSerializer)
        deep_control = services.start_deep_control(
            actor=request.user,
            unit=data["unit"],
            reason=data["reason"],
            reason_details=data["reason_details"],
            signal=data["signal"],
            feedback=data["feedback"],
            checks_done=data["checks_done"],
            site_visit_done=data["site_visit_done"],
            site_visit_date=data["site_visit_date"],
            site_visit_notes=data["site_visit_notes"],
        )
        return self._shown(deep_control.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        deep_control: DeepControl = self.get_object()
        serializer = DeepControlDetailsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        given = serializer.validated_data

        def value(field: str):  # a field left out keeps its value
            return given[field] if field in given else getattr(deep_control, field)

        services.update_deep_control(
            actor=request.user,
            deep_control=deep_control,
            reason_details=value("reason_details"),
            checks_done=value("checks_done"),
            site_visit_done=value("site_visit_done"),
            site_visit_date=value("site_visit_date"),
            site_visit_notes=value("site_visit_notes"),
            seen=request.headers.get("If-Match"),
        )
        return self._shown(deep_control.pk)

    @_schema(
        "Decide the outcome (pausing, removing and a recommendation stop change the register)",
        OutcomeSerializer,
        DeepControlSerializer,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        deep_control = self.get_object()
        data = self._input(OutcomeSerializer)
        services.decide_deep_control(
            actor=request.user,
            deep_control=deep_control,
            outcome=data["outcome"],
            reason=data["reason"],
        )
        return self._shown(deep_control.pk)

    @_schema(
        "Procurement decides a proposed temporary order stop, or declines it",
        OrderStopDecisionSerializer,
        DeepControlSerializer,
    )
    @action(detail=True, methods=["post"], url_path="order-stop")
    def order_stop(self, request, pk=None):
        proposal = self.get_object()
        data = self._input(OrderStopDecisionSerializer)
        services.decide_order_stop_proposal(
            actor=request.user,
            deep_control=proposal,
            decide=data["decision"] == DeepControl.OrderStopDecision.DECIDED,
            reason=data["reason"],
        )
        return self._shown(proposal.pk)


# --- Site visits -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Matching-focused site visits, latest planned first"),
    retrieve=extend_schema(summary="One site visit"),
    create=_schema(
        "Plan a site visit (placement officers for their team)",
        SiteVisitPlanSerializer,
        SiteVisitSerializer,
        201,
    ),
)
class SiteVisitViewSet(
    FollowupViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Matching-focused site visits of the placement teams (jointly with quality & control)."""

    serializer_class = SiteVisitSerializer
    filterset_fields = ["team", "unit", "assessment"]
    default_capabilities = (Capability.PLAN_SITE_VISITS,)
    action_capabilities = {"join": (FOLLOWUP,)}

    def get_queryset(self):
        return selectors.site_visits()

    def create(self, request, *args, **kwargs):
        data = self._input(SiteVisitPlanSerializer)
        visit = services.plan_site_visit(
            actor=request.user,
            unit=data["unit"],
            service=data["service"],
            operating_form=data["operating_form"],
            team=data["team"],
            planned_for=data["planned_for"],
            joint_with_quality_team=data["joint_with_quality_team"],
        )
        return self._shown(visit.pk, status.HTTP_201_CREATED)

    @_schema(
        "Record the visit: answers, overall assessment, follow-up register changes",
        SiteVisitRecordSerializer,
        SiteVisitSerializer,
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        visit = self.get_object()
        data = self._input(SiteVisitRecordSerializer)
        services.record_site_visit(
            actor=request.user,
            visit=visit,
            visited_on=data["visited_on"],
            answers=data["answers"],
            assessment=data["assessment"],
            register_changes=data["register_changes"],
        )
        return self._shown(visit.pk)

    @_schema("The quality & control team joins the visit", None, SiteVisitSerializer)
    @action(detail=True, methods=["post"])
    def join(self, request, pk=None):
        visit = self.get_object()
        services.join_site_visit(actor=request.user, visit=visit)
        return self._shown(visit.pk)
