"""Placement requests (placeringsförfrågningar), recommendations, timeline and deviations.

The status workflow is in `placements/rules.py`; all writes go through
`placements/services.py`. Person data on a request with a protected identity is shown only to
the people `spink.accounts.access.may_see_person` names.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from spink.accounts.models import PlacementTeam, ScopeLookups


class RequestKind(models.TextChoices):
    PLACEMENT = "placement", _("Placement request")
    EU_ASSIGNMENT = "eu_assignment", _("Assignment under the EU mass-flight directive")


class Urgency(models.TextChoices):
    ACUTE = "acute", _("Acute")
    PLANNED = "planned", _("Planned")


class ExpectedLength(models.TextChoices):
    UNDER_1_MONTH = "lt1m", _("Less than a month")
    ONE_TO_3_MONTHS = "1-3m", _("1–3 months")
    THREE_TO_6_MONTHS = "3-6m", _("3–6 months")
    SIX_TO_12_MONTHS = "6-12m", _("6–12 months")
    OVER_12_MONTHS = "gt12m", _("More than 12 months")
    UNKNOWN = "unknown", _("Not known yet")


class PersonGender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / not stated")


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_MATCHING = "in_matching", _("In matching")
    RECOMMENDED = "recommended", _("Recommended")
    PLACED = "placed", _("Placed")
    NOT_PLACED = "not_placed", _("Not placed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


CLOSED_STATUSES = frozenset(
    {RequestStatus.PLACED, RequestStatus.NOT_PLACED, RequestStatus.WITHDRAWN}
)
# Submitted and not yet closed: what placement officers work on.
OPEN_STATUSES = frozenset(
    {RequestStatus.SUBMITTED, RequestStatus.IN_MATCHING, RequestStatus.RECOMMENDED}
)


# Who the person is: shown only to those `access.may_see_person` names, never in lists,
# exports, e-mails or the admin.
PERSON_FIELDS = (
    "person_identity_number",
    "person_is_reserve_number",
    "person_first_name",
    "person_last_name",
    "person_address",
    "person_birth_date",
    "person_gender",
)
# What would point at the person (quasi-identifiers and texts written about the case): hidden
# together with the person from everyone who may not see the person.
CASE_DETAIL_FIELDS = (
    "needs",
    "needs_co_morbidity",
    "needs_protected_housing",
    "needs_wheelchair_access",
    "needs_pets",
    "language",
    "preferred_municipality",
    "preferred_area",
    "decision_reference",
    "outcome_note",
)

# Fields a social worker fills in: the form (Meta.fields), the API's writable fields, the
# services and the version a form or an If-Match carries use this list; everything else is
# set by the workflow.
REQUEST_EDITABLE_FIELDS: tuple[str, ...] = (
    "kind",
    "service",
    "subcategory",
    "urgency",
    "wanted_start",
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
    "protected_identity",
    "person_identity_number",
    "person_is_reserve_number",
    "person_first_name",
    "person_last_name",
    "person_address",
    "person_gender",
)


class PlacementRequest(models.Model):
    # Null until the row exists: the reference is made from the id (PF-2026-000123).
    reference = models.CharField(  # noqa: DJ001 - NULL until set, as unique allows many NULLs
        _("reference"), max_length=20, unique=True, null=True, editable=False
    )
    kind = models.CharField(
        _("request type"), max_length=20, choices=RequestKind.choices, default=RequestKind.PLACEMENT
    )
    # Ownership (the access scope)
    administration = models.ForeignKey(
        "accounts.Administration",
        on_delete=models.PROTECT,
        related_name="placement_requests",
        verbose_name=_("administration"),
    )
    org_unit = models.ForeignKey(
        "accounts.OrgUnit",
        on_delete=models.PROTECT,
        related_name="placement_requests",
        verbose_name=_("organisation unit"),
    )
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="placement_requests",
        verbose_name=_("social worker"),
    )
    team = models.CharField(
        _("placement team"), max_length=32, choices=PlacementTeam.choices, db_index=True
    )
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("placement officer"),
    )
    # What is needed
    service = models.ForeignKey(
        "categories.Service",
        on_delete=models.PROTECT,
        related_name="placement_requests",
        verbose_name=_("service"),
    )
    subcategory = models.ForeignKey(
        "categories.Subcategory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placement_requests",
        verbose_name=_("subcategory"),
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    wanted_start = models.DateField(_("wanted start date"))
    expected_length = models.CharField(
        _("expected length"),
        max_length=10,
        choices=ExpectedLength.choices,
        default=ExpectedLength.UNKNOWN,
    )
    needs = models.TextField(_("needs and requirements"), blank=True)
    needs_co_morbidity = models.BooleanField(_("co-morbidity"), default=False)
    needs_protected_housing = models.BooleanField(_("needs protected housing"), default=False)
    needs_wheelchair_access = models.BooleanField(_("wheelchair access"), default=False)
    needs_pets = models.BooleanField(_("brings a pet"), default=False)
    language = models.CharField(_("language"), max_length=40, blank=True)
    preferred_municipality = models.ForeignKey(
        "accounts.Municipality",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred municipality"),
    )
    preferred_area = models.CharField(_("preferred area"), max_length=100, blank=True)
    decision_reference = models.CharField(_("decision reference"), max_length=60, blank=True)
    # The person. Hidden from all but owner and assigned officer when protected_identity.
    protected_identity = models.BooleanField(_("protected identity"), default=False)
    person_identity_number = models.CharField(
        _("personal identity number"),
        max_length=13,
        help_text=_("YYYYMMDD-NNNN, or a reserve number."),
    )
    person_is_reserve_number = models.BooleanField(_("reserve number"), default=False)
    person_first_name = models.CharField(_("first name"), max_length=100)
    person_last_name = models.CharField(_("last name"), max_length=100)
    person_address = models.CharField(_("address"), max_length=200, blank=True)
    person_birth_date = models.DateField(_("birth date"), null=True, blank=True)
    person_gender = models.CharField(
        _("gender"), max_length=10, choices=PersonGender.choices, default=PersonGender.OTHER
    )
    # Keyed hash of the identity number: counts unique persons without reading the number.
    person_key = models.CharField(max_length=64, db_index=True, editable=False)
    # Workflow
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.DRAFT,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    first_recommended_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # Outcome
    chosen_recommendation = models.ForeignKey(
        "Recommendation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chosen provider"),
        editable=False,
    )
    placement_start = models.DateField(_("placement start"), null=True, blank=True, editable=False)
    outcome_note = models.TextField(_("outcome note"), blank=True, editable=False)
    # Who changed what and when. The person of a protected identity is recorded masked
    # (mask_protected_history), so the history is never a second place to find them.
    history = HistoricalRecords(excluded_fields=["person_key"])

    scope_lookups = ScopeLookups("administration", "administration__municipality")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("placement request")
        verbose_name_plural = _("placement requests")
        indexes = [
            # Social worker's list: own administration, newest first, by status.
            models.Index(
                fields=["administration", "status", "-created_at"], name="request_admin_status"
            ),
            # Officer's queue: open requests of a team, acute first, oldest first.
            models.Index(
                fields=["team", "status", "urgency", "submitted_at"], name="request_queue"
            ),
            models.Index(fields=["assigned_officer", "status"], name="request_officer"),
            # Lists newest first: a social worker's administration, and a municipality's
            # (walked newest first, administrations filtered on the way).
            models.Index(
                fields=["administration", "-created_at", "-id"], name="request_admin_created"
            ),
            models.Index(fields=["-created_at", "-id"], name="request_created"),
            # Search by name (placements.search): any part of a first or last name, through
            # trigrams, so that "sven" finds Svensson among a region's requests.
            # On UPPER(), as Django writes icontains and istartswith on PostgreSQL: trigrams
            # for one word anywhere in a name; B-trees of patterns for a full name, said first
            # name first (the beginnings of the last name and, within it, of the first name)
            # or last name first (the first name's beginning is the rarer).
            models.Index(
                OpClass(Upper("person_last_name"), name="text_pattern_ops"),
                OpClass(Upper("person_first_name"), name="text_pattern_ops"),
                name="request_full_name_prefix",
            ),
            models.Index(
                OpClass(Upper("person_first_name"), name="text_pattern_ops"),
                name="request_first_name_prefix",
            ),
            GinIndex(
                OpClass(Upper("person_first_name"), name="gin_trgm_ops"),
                name="request_first_name_trgm",
            ),
            GinIndex(
                OpClass(Upper("person_last_name"), name="gin_trgm_ops"),
                name="request_last_name_trgm",
            ),
            # A year's unique persons and lead times read from the index alone.
            models.Index(
                fields=["submitted_at"],
                include=["administration", "kind", "status", "person_key", "first_recommended_at"],
                name="request_submitted",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=RequestStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="request_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or ""

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def person_name(self) -> str:
        return f"{self.person_first_name} {self.person_last_name}".strip()

    @property
    def owner_id(self) -> int:
        return self.social_worker_id


@receiver(pre_create_historical_record)
def mask_protected_history(sender, instance, history_instance, **kwargs) -> None:
    """A protected person's identity and case details are not copied into the history: the
    version records that something changed, never who the person is."""
    if not isinstance(instance, PlacementRequest) or not instance.protected_identity:
        return
    for name in (*PERSON_FIELDS, *CASE_DETAIL_FIELDS):
        field = cast(models.Field, PlacementRequest._meta.get_field(name))  # concrete fields
        if isinstance(field, models.BooleanField):
            setattr(history_instance, field.attname, False)
        elif field.null:
            setattr(history_instance, field.attname, None)
        else:
            setattr(history_instance, field.attname, field.get_default())


class ShortlistEntry(models.Model):
    """A matching unit a placement officer has picked for the request, to compare and send.
    The shortlist belongs to the request (whoever works it sees it); sending empties it."""

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.CASCADE, related_name="shortlist"
    )
    offering = models.ForeignKey(
        "providers.UnitService",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("unit service"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("shortlisted unit")
        verbose_name_plural = _("shortlist")
        constraints = [
            models.UniqueConstraint(fields=["request", "offering"], name="uniq_shortlist_offering")
        ]

    def __str__(self) -> str:
        return f"{self.request} ☆ {self.offering_id}"


class RecommendationSet(models.Model):
    """One sending of recommendations: the units an officer sends together with one message,
    told to the social worker once (one timeline event, one notification, one e-mail)."""

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.PROTECT, related_name="recommendation_sets"
    )
    message = models.TextField(_("message"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    # Set by the notification task; makes re-running it harmless.
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("recommendation set")
        verbose_name_plural = _("recommendation sets")

    def __str__(self) -> str:
        return f"{self.request} {self.sent_at:%Y-%m-%d %H:%M}"


class Recommendation(models.Model):
    """A unit recommended to the social worker by a placement officer, with its daily price,
    sent in a recommendation set."""

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.PROTECT, related_name="recommendations"
    )
    recommendation_set = models.ForeignKey(
        RecommendationSet,
        on_delete=models.PROTECT,
        related_name="recommendations",
        verbose_name=_("recommendation set"),
    )
    offering = models.ForeignKey(
        "providers.UnitService",
        on_delete=models.PROTECT,
        related_name="recommendations",
        verbose_name=_("unit service"),
    )
    daily_price = models.DecimalField(
        _("daily price (SEK)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    price_flagged = models.BooleanField(_("price above framework level"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "offering"], name="uniq_recommendation_offering"
            ),
            models.CheckConstraint(
                condition=Q(daily_price__isnull=True) | Q(daily_price__gt=0),
                name="recommendation_price_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} → {self.offering.unit}"


class TimelineEvent(models.Model):
    """One event on a request's timeline. Append-only: a database trigger refuses UPDATE and
    DELETE (migration 0002), so history cannot be rewritten, not even by the admin."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Draft updated")
        SUBMITTED = "submitted", _("Submitted")
        ASSIGNED = "assigned", _("Assigned")
        MESSAGE = "message", _("Message")
        # Read only by placement officers (access.may_read_internal_notes), never exported.
        INTERNAL_NOTE = "internal_note", _("Internal note")
        RECOMMENDATION_SENT = "recommendation_sent", _("Recommendation sent")
        PROVIDER_CHOSEN = "provider_chosen", _("Provider chosen")
        NO_PROVIDER_FOUND = "no_provider_found", _("No provider found")
        NOT_PLACED = "not_placed", _("Not placed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CLOSED = "closed", _("Closed")
        DEVIATION = "deviation", _("Deviation lodged")
        DEVIATION_HANDLED = "deviation_handled", _("Deviation handled")
        DEVIATION_CLOSED = "deviation_closed", _("Deviation closed")
        ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
        ATTACHMENT_REMOVED = "attachment_removed", _("Attachment removed")

    request = models.ForeignKey(PlacementRequest, on_delete=models.PROTECT, related_name="timeline")
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["request", "created_at"], name="timeline_request")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("Timeline events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Timeline events cannot be deleted."))

    @property
    def changed_fields(self) -> list[str]:
        """The names of the fields a draft edit changed (their values are not recorded)."""
        names = self.data.get("fields") or [] if isinstance(self.data, dict) else []
        labels = []
        for name in names:
            try:
                field = cast(models.Field, PlacementRequest._meta.get_field(name))
                labels.append(str(field.verbose_name))
            except FieldDoesNotExist:  # a field since removed keeps its code
                labels.append(str(name))
        return labels


class Deviation(models.Model):
    """A complaint (avvikelse) from an administration about Spink's handling of a request."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("Being handled")
        CLOSED = "closed", _("Closed")

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.PROTECT, related_name="deviations"
    )
    description = models.TextField(_("description"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN, editable=False
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    handling_note = models.TextField(_("handling"), blank=True, editable=False)
    closing_note = models.TextField(_("closing note"), blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    scope_lookups = ScopeLookups("request__administration", "request__administration__municipality")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")

    def __str__(self) -> str:
        return f"{self.request} – {self.get_status_display()}"


class PersonDataAccess(models.Model):
    """Who opened a placement request showing person data, and when (read log)."""

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.CASCADE, related_name="person_data_reads"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20)  # "web", "api", "export"
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("person data read")
        verbose_name_plural = _("person data reads")

    def __str__(self) -> str:
        return f"{self.user_id} read {self.request_id} ({self.channel})"


class RequestTally(models.Model):
    """Submitted placement requests counted per month and per what the statistics group by.

    Derived data for the managers' yearly statistics, which at regional scale (~75,000
    requests a year) cannot count the requests table on every page view. Kept correct by
    database triggers on placement requests (migration 0004), so every write path — services,
    admin, bulk loads — moves a request between tallies when its status, chosen provider or
    other dimension changes. Never written by Django code.
    """

    month = models.DateField()  # first day of the month of submission, local time
    administration = models.ForeignKey(
        "accounts.Administration", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey("categories.Service", on_delete=models.CASCADE, related_name="+")
    subcategory = models.ForeignKey(
        "categories.Subcategory", on_delete=models.CASCADE, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    status = models.CharField(max_length=20, choices=RequestStatus.choices)
    # The operating form of the chosen provider (placed requests only).
    operating_form = models.ForeignKey(
        "categories.OperatingForm", on_delete=models.CASCADE, null=True, related_name="+"
    )
    requests = models.IntegerField(default=0)

    scope_lookups = ScopeLookups("administration", "administration__municipality")

    class Meta:
        verbose_name = _("request tally")
        verbose_name_plural = _("request tallies")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "month",
                    "administration",
                    "service",
                    "subcategory",
                    "kind",
                    "status",
                    "operating_form",
                ],
                name="uniq_request_tally",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["month", "administration"], name="tally_month_admin")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}: {self.requests}"


class AttachmentKind(models.TextChoices):
    DECISION = "decision", _("Decision")
    INVESTIGATION = "investigation", _("Investigation extract")
    OTHER = "other", _("Other")


class Attachment(models.Model):
    """A file attached to a placement request (a decision, an extract of the investigation).

    The file is person data: it is stored under a random name (`storage_name`, never the
    user's file name) in Django's default storage and served only through the views of
    placements.attachments' rules, to those who may see the request's person. It never goes
    into e-mails, exports or the admin. Written only by placements.attachments.
    """

    request = models.ForeignKey(
        PlacementRequest, on_delete=models.PROTECT, related_name="attachments"
    )
    kind = models.CharField(_("kind of document"), max_length=20, choices=AttachmentKind.choices)
    # As the user named the file: shown and offered as the download's name, never a path.
    original_name = models.CharField(_("file name"), max_length=255)
    # Decided from the file's content when it was uploaded, not from what the browser said.
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    storage_name = models.CharField(max_length=255, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    scope_lookups = ScopeLookups("request__administration", "request__administration__municipality")

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["request", "uploaded_at"], name="attachment_request")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uploaded_at:%Y-%m-%d}"
