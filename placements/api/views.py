"""The placement request API.

Reads go through placements.selectors (a request outside the caller's scope answers 404,
exactly like one that does not exist); writes go through placements.services, which apply
the workflow in placements.rules. The role's capability per action is read by RolePermission
(`required_capability`); whether this user may take this step on this request is the rules'
business and is refused with 400 {"detail", "code"}.

Person data is shown on the detail representation only, when access.may_see_person allows,
and every response that shows it is written to the read log (services.log_person_read).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from placements import attachments, matching, rules, selectors, services
from placements.api.filters import PlacementRequestFilter
from placements.api.serializers import (
    AssignSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ChoiceSerializer,
    DeviationInputSerializer,
    DeviationSerializer,
    MatchResultSerializer,
    MessageSerializer,
    PlacementRequestDetailSerializer,
    PlacementRequestListSerializer,
    PlacementRequestWriteSerializer,
    ReasonSerializer,
    RecommendationInputSerializer,
    RecommendationSerializer,
    RecommendationSetInputSerializer,
    RecommendationSetSerializer,
    ShortlistEntrySerializer,
    ShortlistInputSerializer,
    SubmitSerializer,
    TimelineEventSerializer,
)
from placements.models import REQUEST_EDITABLE_FIELDS
from spink import concurrency
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.http import AuthenticatedRequest
from spink.api import (
    ID_PATH_PATTERN,
    FormParser,
    JSONParser,
    MultiPartParser,
    error_body,
    parse_id,
)
from spink.errors import RuleViolation
from spink.pagination import CappedPageNumberPagination

# The code of a submit refused because another open request exists (placements.selectors).

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input, or refused by the workflow rules."),
    403: OpenApiResponse(description="The role may not do this."),
    404: OpenApiResponse(description="No such request in the caller's scope."),
}


def _action_schema(summary: str, request=None, response=PlacementRequestDetailSerializer, code=200):
    return extend_schema(
        summary=summary, request=request, responses={code: response, **ERROR_RESPONSES}
    )


SUBMIT = Capability.SUBMIT_PLACEMENT_REQUEST
HANDLE = Capability.HANDLE_PLACEMENT_REQUEST


@extend_schema_view(
    list=extend_schema(summary="Placement requests in the caller's scope, newest first"),
    retrieve=extend_schema(
        summary="One placement request (person data only for those who may see the person)",
        responses={200: PlacementRequestDetailSerializer, **ERROR_RESPONSES},
    ),
    create=extend_schema(
        summary="Start a placement request (a draft)",
        request=PlacementRequestWriteSerializer,
        responses={201: PlacementRequestDetailSerializer, **ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a draft (its author only)",
        request=PlacementRequestWriteSerializer,
        responses={200: PlacementRequestDetailSerializer, **ERROR_RESPONSES},
    ),
)
class PlacementRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Placement requests (placeringsförfrågningar) and their workflow."""

    filterset_class = PlacementRequestFilter
    # Ten years of a municipality's requests: count up to a cap, not all of them.
    pagination_class = CappedPageNumberPagination
    lookup_value_regex = ID_PATH_PATTERN
    # The role's capability per action (and method); None: anyone who can see the request.
    request: AuthenticatedRequest
    action_capabilities: dict[tuple[str, str | None], Capability] = {
        ("create", "POST"): SUBMIT,
        ("partial_update", "PATCH"): SUBMIT,
        ("submit", "POST"): SUBMIT,
        ("withdraw", "POST"): SUBMIT,
        ("choice", "POST"): SUBMIT,
        ("deviations", "POST"): SUBMIT,
        ("take", "POST"): HANDLE,
        ("assign", "POST"): HANDLE,
        ("no_provider_found", "POST"): HANDLE,
        ("matches", "GET"): HANDLE,
        ("recommendations", "POST"): HANDLE,
        ("recommendation_sets", "POST"): HANDLE,
        ("shortlist", "GET"): HANDLE,
        ("shortlist", "POST"): HANDLE,
        ("shortlist_remove", "DELETE"): HANDLE,
    }

    @property
    def required_capability(self) -> Capability | None:
        return self.action_capabilities.get((self.action, self.request.method))

    def get_queryset(self):
        requests = selectors.visible_requests(self.request.user)
        if self.action == "list":
            return requests.order_by("-created_at", "-pk")
        return requests.select_related("preferred_municipality")

    def get_serializer_class(self):
        if self.action == "list":
            return PlacementRequestListSerializer
        if self.action in ("create", "partial_update"):
            return PlacementRequestWriteSerializer
        return PlacementRequestDetailSerializer

    def _detail(self, request_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        """The request as the caller may see it; a response with person data is logged."""
        placement = self.get_queryset().get(pk=request_id)
        show_person = access.may_see_person(self.request.user, placement)
        context = {**self.get_serializer_context(), "show_person": show_person}
        data = PlacementRequestDetailSerializer(placement, context=context).data
        if show_person:
            services.log_person_read(actor=self.request.user, request=placement, channel="api")
        response = Response(data, status=status_code)
        # The version to send back in If-Match when changing the draft.
        response["ETag"] = concurrency.etag(placement, REQUEST_EDITABLE_FIELDS)
        return response

    def _person_context(self, placement) -> dict:
        """Case texts (messages, comments) are shown with the person or not at all."""
        return {"show_person": access.may_see_person(self.request.user, placement)}

    def _body(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    # --- Reads and draft edits ----------------------------------------------------------------

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object().pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._detail(serializer.save().pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        # If-Match: the version (ETag) the client saw; a stale one is refused with 412.
        serializer = self.get_serializer(
            self.get_object(),
            data=request.data,
            partial=True,
            context={**self.get_serializer_context(), "seen": request.headers.get("If-Match")},
        )
        serializer.is_valid(raise_exception=True)
        return self._detail(serializer.save().pk)

    # --- Social worker ------------------------------------------------------------------------

    @_action_schema("Submit a draft to the placement team", SubmitSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        placement = self.get_object()
        confirmed = self._body(SubmitSerializer)["confirm_duplicate"]
        try:
            submitted = services.submit(
                actor=request.user, request=placement.pk, confirm_duplicate=confirmed
            )
        except services.DuplicateOpenRequest as refusal:
            # Only the requests the caller may see, person included (selectors.open_duplicates).
            body = error_body(refusal.message, refusal.code)
            return Response({**body, "references": refusal.references}, status=400)
        return self._detail(submitted.pk)

    @_action_schema("Withdraw an open request", ReasonSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        placement = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._detail(
            services.withdraw(actor=request.user, request=placement.pk, reason=reason).pk
        )

    @_action_schema(
        "Report the chosen provider, or that none was chosen (none_chosen with a reason)",
        ChoiceSerializer,
    )
    @action(detail=True, methods=["post"])
    def choice(self, request, pk=None):
        placement = self.get_object()
        data = self._body(ChoiceSerializer)
        if data["none_chosen"]:
            services.report_none_chosen(
                actor=request.user, request=placement.pk, reason=data["reason"]
            )
        else:
            services.report_choice(
                actor=request.user,
                request=placement.pk,
                recommendation=data["recommendation"],
                start_date=data["start_date"],
            )
        return self._detail(placement.pk)

    @_action_schema(
        "Lodge a deviation about Spink's handling of the request",
        DeviationInputSerializer,
        DeviationSerializer,
        201,
    )
    @action(detail=True, methods=["post"])
    def deviations(self, request, pk=None):
        placement = self.get_object()
        description = self._body(DeviationInputSerializer)["description"]
        deviation = services.lodge_deviation(
            actor=request.user, request=placement.pk, description=description
        )
        return Response(
            DeviationSerializer(deviation, context=self._person_context(placement)).data,
            status=status.HTTP_201_CREATED,
        )

    # --- Placement officer --------------------------------------------------------------------

    @_action_schema("Take a submitted request (assigns it to the caller)")
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        return self._detail(services.take(actor=request.user, request=self.get_object()).pk)

    @_action_schema("Assign the request to a placement officer of its team", AssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        placement = self.get_object()
        officer = self._body(AssignSerializer)["officer"]
        return self._detail(
            services.assign(actor=request.user, request=placement.pk, officer=officer).pk
        )

    @_action_schema("Record that no provider was found (closes as not placed)", ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="no-provider-found")
    def no_provider_found(self, request, pk=None):
        placement = self.get_object()
        reason = self._body(ReasonSerializer)["reason"]
        return self._detail(
            services.record_no_provider_found(
                actor=request.user, request=placement.pk, reason=reason
            ).pk
        )

    @extend_schema(
        summary="Matching units, ranked, and the excluded ones with the reasons",
        responses={200: MatchResultSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def matches(self, request, pk=None):
        placement = self.get_object()
        if not rules.may_see_matches(request.user, placement):
            raise PermissionDenied
        # As on the request page: no matches once the request is closed, nor for whoever can
        # no longer take, assign or recommend it (rules.shows_matching).
        if not rules.shows_matching(request.user, placement):
            raise RuleViolation(
                _(
                    "The request's matches are shown only while it can be taken, assigned or "
                    "recommended."
                ),
                "not_matching",
            )
        result = matching.match(placement)
        return Response(MatchResultSerializer(result).data)

    @extend_schema(
        methods=["GET"],
        summary="The request's recommendations",
        responses={200: RecommendationSerializer(many=True), **ERROR_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Send a recommendation (a flagged price needs accept_price_flag)",
        description=(
            "A direct-procurement price well above framework prices is refused with 400 "
            '{"detail", "code": "price_flagged"}; send again with accept_price_flag to confirm.'
        ),
        request=RecommendationInputSerializer,
        responses={201: RecommendationSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def recommendations(self, request, pk=None):
        placement = self.get_object()
        if request.method == "GET":
            recommendations = placement.recommendations.select_related(
                "offering__unit__provider", "offering__operating_form", "created_by"
            )
            return Response(
                RecommendationSerializer(
                    recommendations, many=True, context=self._person_context(placement)
                ).data
            )
        data = self._body(RecommendationInputSerializer)
        recommendation = services.send_recommendation(
            actor=request.user,
            request=placement.pk,
            offering=data["offering"],
            daily_price=data["daily_price"],
            comment=data["comment"],
            accept_price_flag=data["accept_price_flag"],
        )
        return Response(
            RecommendationSerializer(recommendation, context=self._person_context(placement)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="The request's recommendation sets (one per sending)",
        responses={200: RecommendationSetSerializer(many=True), **ERROR_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Send units together as one recommendation set, with one message",
        description=(
            "One timeline event, one notification and one e-mail to the social worker. Item "
            'errors are keyed "items.<index>.<field>". Direct-procurement prices well above '
            'framework prices are refused with 400 {"detail", "code": "price_flagged", '
            '"flags": {"<index>": text}}; send again with accept_price_flag to confirm.'
        ),
        request=RecommendationSetInputSerializer,
        responses={201: RecommendationSetSerializer, **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="recommendation-sets",
        filter_backends=[],
        pagination_class=None,
    )
    def recommendation_sets(self, request, pk=None):
        placement = self.get_object()
        context = self._person_context(placement)
        if request.method == "GET":
            sets = selectors.recommendation_sets(placement)
            return Response(RecommendationSetSerializer(sets, many=True, context=context).data)
        data = self._body(RecommendationSetInputSerializer)
        try:
            sending = services.send_recommendation_set(
                actor=request.user,
                request=placement.pk,
                items=[services.RecommendationItem(**item) for item in data["items"]],
                message=data["message"],
                accept_price_flag=data["accept_price_flag"],
            )
        except services.PriceFlagged as refusal:
            body = error_body(refusal.message, refusal.code)
            flags = {str(index): text for index, text in refusal.flags.items()}
            return Response({**body, "flags": flags}, status=400)
        return Response(
            RecommendationSetSerializer(
                selectors.recommendation_sets(placement).get(pk=sending.pk), context=context
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="The request's shortlist: units picked to compare and send together",
        responses={200: ShortlistEntrySerializer(many=True), **ERROR_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Put a matching unit on the shortlist (again: no change)",
        request=ShortlistInputSerializer,
        responses={200: ShortlistEntrySerializer(many=True), **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def shortlist(self, request, pk=None):
        placement = self.get_object()
        if not rules.shows_matching(request.user, placement):
            raise PermissionDenied
        if request.method == "POST":
            offering = self._body(ShortlistInputSerializer)["offering"]
            services.shortlist_add(actor=request.user, request=placement.pk, offering=offering)
        return self._shortlist(placement)

    @extend_schema(
        summary="Take a unit off the shortlist (not on it: no change)",
        responses={200: ShortlistEntrySerializer(many=True), **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=rf"shortlist/(?P<offering_id>{ID_PATH_PATTERN})",
        filter_backends=[],
        pagination_class=None,
    )
    def shortlist_remove(self, request, pk=None, offering_id=None):
        placement = self.get_object()
        if not rules.shows_matching(request.user, placement):
            raise PermissionDenied
        offering = parse_id(offering_id)
        if offering is None:
            raise Http404
        services.shortlist_remove(actor=request.user, request=placement.pk, offering=offering)
        return self._shortlist(placement)

    def _shortlist(self, placement) -> Response:
        entries = placement.shortlist.select_related("offering__unit", "added_by")
        return Response(ShortlistEntrySerializer(entries, many=True).data)

    # --- Both ---------------------------------------------------------------------------------

    @_action_schema(
        "Write a message on the request's timeline",
        MessageSerializer,
        TimelineEventSerializer,
        201,
    )
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        if not (
            access.has_capability(request.user, SUBMIT)
            or access.has_capability(request.user, HANDLE)
        ):
            raise PermissionDenied
        placement = self.get_object()
        text = self._body(MessageSerializer)["text"]
        event = services.post_message(actor=request.user, request=placement.pk, text=text)
        return Response(
            TimelineEventSerializer(event, context=self._person_context(placement)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="The request's timeline, oldest first",
        responses={200: TimelineEventSerializer(many=True), **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, pk=None):
        placement = self.get_object()
        events = selectors.timeline_for(request.user, placement)
        context = self._person_context(placement)
        return Response(TimelineEventSerializer(events, many=True, context=context).data)

    # --- Attachments ----------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        summary="The request's attachments (file names only for those who may see the person)",
        responses={200: AttachmentSerializer(many=True), **ERROR_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach a document (the request's social worker or assigned officer)",
        description=(
            "multipart/form-data with `kind` and `file`: a PDF, an Office document (DOCX, "
            "XLSX, PPTX, ODT, ODS, ODP) or a PNG or JPEG image of at most 10 MB, its type "
            "checked from its content. A refused file answers 400 with a `file` field error."
        ),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def attachments(self, request, pk=None):
        placement = self.get_object()
        context = {"show_person": rules.may_open_attachments(request.user, placement)}
        if request.method == "GET":
            items = attachments.of_request(placement)
            return Response(AttachmentSerializer(items, many=True, context=context).data)
        data = self._body(AttachmentUploadSerializer)
        attachment = attachments.add_attachment(
            actor=request.user, request=placement.pk, kind=data["kind"], file=data["file"]
        )
        attachment = attachments.of_request(placement).get(pk=attachment.pk)
        return Response(
            AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        methods=["GET"],
        summary="Download an attachment (logged as a read of the person's data)",
        description="The file itself, as an attachment with its own content type.",
        responses={
            (200, "*/*"): OpenApiTypes.BINARY,
            **ERROR_RESPONSES,
        },
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Remove an attachment (its uploader, while the request is open)",
        responses={204: None, **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=rf"attachments/(?P<attachment_id>{ID_PATH_PATTERN})",
        url_name="attachment",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment(self, request, pk=None, attachment_id=None):
        placement = self.get_object()
        found_id = parse_id(attachment_id)
        found = attachments.of_request(placement).filter(pk=found_id).first() if found_id else None
        if found is None:
            raise Http404
        found.request = placement
        if request.method == "DELETE":
            attachments.remove_attachment(actor=request.user, attachment=found.pk)
            return Response(status=status.HTTP_204_NO_CONTENT)
        handle = attachments.open_for(actor=request.user, attachment=found, channel="api-download")
        return attachments.file_response(found, handle)
