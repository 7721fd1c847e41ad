"""Supplier follow-up: pre-admission controls, basic monitoring and its signals, feedback
(synpunkter), deep controls and matching-focused site visits.

Rules live in followup/rules.py, writes in followup/services.py; changes to the register go
through providers.services (never by writing a unit's status here).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from followup.validators import validate_evidence
from spink.accounts.models import PlacementTeam


class CheckResult(models.TextChoices):
    OPEN = "open", _("Not checked yet")
    PASSED = "passed", _("Passed")
    REMARK = "remark", _("Remark")
    FAILED = "failed", _("Not passed")


class Control(models.Model):
    """A pre-admission control of a provider before its units enter the register."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not approved")

    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        related_name="controls",
        verbose_name=_("provider"),
    )
    units = models.ManyToManyField(
        "providers.Unit", related_name="controls", blank=True, verbose_name=_("units")
    )
    decision = models.CharField(
        _("decision"),
        max_length=20,
        choices=Decision.choices,
        default=Decision.PENDING,
        editable=False,
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("control")
        verbose_name_plural = _("controls")
        indexes = [models.Index(fields=["decision", "decided_at"], name="control_decision")]

    def __str__(self) -> str:
        return f"{self.provider.legal_name} ({self.get_decision_display()})"


class ControlCheck(models.Model):
    """One item of a control's checklist (which items depends on legal form and permits)."""

    class Kind(models.TextChoices):
        CREDIT = "credit", _("Credit rating and finances")
        EMPLOYER_REGISTRATION = "employer_registration", _("Registered as employer")
        F_TAX = "f_tax", _("F-tax registration")
        LEGAL_DATABASE_COMPANY = "legal_company", _("Legal database: company and board")
        TAX_REGISTRATION = "tax_registration", _("Tax registration")
        ENFORCEMENT_DEBTS = "enforcement_debts", _("Debts at the Enforcement Authority")
        LEGAL_DATABASE_PEOPLE = "legal_people", _("Legal database: board and signatories")
        IVO_PERMIT = "ivo_permit", _("IVO permit")
        SUPERVISION_REPORTS = "supervision_reports", _("IVO supervision reports")

    control = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(_("check"), max_length=32, choices=Kind.choices)
    result = models.CharField(
        _("result"), max_length=10, choices=CheckResult.choices, default=CheckResult.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    evidence = models.FileField(
        _("evidence"), upload_to="controls/%Y/", blank=True, validators=[validate_evidence]
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["control", "id"]
        verbose_name = _("control check")
        verbose_name_plural = _("control checks")
        constraints = [
            models.UniqueConstraint(fields=["control", "kind"], name="uniq_control_check")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_result_display()}"


class MonitoringKind(models.TextChoices):
    MEDIA = "media", _("Media monitoring")
    CREDIT = "credit", _("Credit and business information")
    IVO_REVOCATION = "ivo_revocation", _("IVO permit revocations")


class MonitoringSource(models.Model):
    """A configurable feed for basic monitoring (editable in the admin)."""

    class Format(models.TextChoices):
        JSON = "json", _("HTTP JSON feed")
        RSS = "rss", _("RSS/Atom feed")
        FILE = "file", _("CSV/XLSX file drop")

    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(_("monitoring kind"), max_length=20, choices=MonitoringKind.choices)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    url = models.URLField(_("URL"), blank=True, max_length=500)
    token = models.CharField(_("access token"), max_length=300, blank=True)
    file_path = models.CharField(
        _("file drop folder"),
        max_length=500,
        blank=True,
        help_text=_("Folder where the supplier drops CSV or XLSX files."),
    )
    field_mapping = models.JSONField(
        _("field mapping"),
        default=dict,
        blank=True,
        help_text=_(
            "Source field names for: id, org_number, permit_number, name, title, "
            "severity, date, url."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(excluded_fields=["token"])

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("monitoring source")
        verbose_name_plural = _("monitoring sources")

    def __str__(self) -> str:
        return self.name


class MonitoringRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with skipped records")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(MonitoringSource, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The worker's last sign of life while the run is going (set while it runs, and ahead to
    # the time of a retry while it waits for one); empty until a worker starts the run. A run
    # still "running" with no sign of life for minutes was abandoned by a stopped worker.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    records_seen = models.PositiveIntegerField(_("records read"), default=0)
    signals_created = models.PositiveIntegerField(_("signals created"), default=0)
    records_skipped = models.PositiveIntegerField(_("records skipped"), default=0)
    error = models.TextField(_("error"), blank=True)
    skipped = models.JSONField(_("skipped records"), default=list, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Each state a run went through (started, retried, failed, finished); the heartbeat is
    # written with a plain UPDATE every half minute and is not part of it.
    history = HistoricalRecords(excluded_fields=["heartbeat_at"])

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("monitoring run")
        verbose_name_plural = _("monitoring runs")

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Signal(models.Model):
    """An item in the quality & control team's inbox."""

    class Kind(models.TextChoices):
        MEDIA = "media", _("Media")
        CREDIT = "credit", _("Credit and business information")
        IVO_REVOCATION = "ivo_revocation", _("IVO permit revocation")
        FEEDBACK_PATTERN = "feedback_pattern", _("Repeated feedback: deep control proposed")
        GROUP_REVIEW = "group_review", _("Related provider to review")
        PERMIT_EXPIRING = "permit_expiring", _("IVO permit about to expire")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("Being handled")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, db_index=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("provider"),
    )
    unit = models.ForeignKey(
        "providers.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("unit"),
    )
    title = models.CharField(_("title"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    url = models.URLField(_("link"), blank=True, max_length=500)
    source = models.ForeignKey(
        MonitoringSource, on_delete=models.PROTECT, null=True, blank=True, related_name="signals"
    )
    run = models.ForeignKey(
        MonitoringRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="signals"
    )
    # Identity of the source record (or of the pattern): the same record never makes two
    # signals, however often a run is repeated.
    dedup_key = models.CharField(max_length=300, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    # Who took or closed the signal last (the inbox shows who is on it).
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    # Who took it and who closed it, both kept: closing never overwrites who took it.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    # Set once the team has been e-mailed about the signal, so a repeated task never mails twice.
    notified_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        indexes = [models.Index(fields=["status", "created_at"], name="signal_inbox")]

    def __str__(self) -> str:
        return self.title


class MonitoringFile(models.Model):
    """A file already read from a source's drop folder (name and content hash): a re-run skips
    it, and a file replaced under the same name with new content is read again."""

    source = models.ForeignKey(MonitoringSource, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("content hash (SHA-256)"), max_length=64)
    run = models.ForeignKey(
        MonitoringRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="files"
    )
    processed_at = models.DateTimeField(_("read"), auto_now_add=True)

    class Meta:
        ordering = ["source", "-processed_at"]
        verbose_name = _("processed monitoring file")
        verbose_name_plural = _("processed monitoring files")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "name", "sha256"], name="uniq_monitoring_file"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FeedbackCategory(models.TextChoices):
    DOCUMENTATION = "documentation", _("Documentation")
    DELIVERY = "delivery", _("Delivery of support")
    STAFFING = "staffing", _("Staffing")
    SAFETY = "safety", _("Safety")
    PREMISES = "premises", _("Premises")
    OTHER = "other", _("Other")


class Feedback(models.Model):
    """Synpunkt: feedback about a unit from anyone placing."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        COMMUNICATED = "communicated", _("Communicated to the provider")
        ANSWERED = "answered", _("Provider has answered")
        CLOSED = "closed", _("Closed")

    class Closing(models.TextChoices):
        DOCUMENTED = "documented", _("Communicated and documented")
        DEEP_CONTROL = "deep_control", _("Led to a deep control")
        UNFOUNDED = "unfounded", _("Unfounded")
        RESOLVED = "resolved", _("Resolved by the provider")
        OTHER = "other", _("Other")

    unit = models.ForeignKey(
        "providers.Unit", on_delete=models.PROTECT, related_name="feedback", verbose_name=_("unit")
    )
    placement_request = models.ForeignKey(
        "placements.PlacementRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("placement request"),
    )
    category = models.CharField(_("category"), max_length=20, choices=FeedbackCategory.choices)
    description = models.TextField(_("description"))
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED, editable=False
    )
    communicated_at = models.DateTimeField(null=True, blank=True, editable=False)
    provider_answer = models.TextField(_("provider's answer"), blank=True, editable=False)
    closing_category = models.CharField(
        _("closing category"), max_length=20, choices=Closing.choices, blank=True, editable=False
    )
    closing_note = models.TextField(_("closing note"), blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("lodged"), auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [
            models.Index(fields=["unit", "category", "created_at"], name="feedback_unit_category"),
            models.Index(fields=["status", "created_at"], name="feedback_status"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} – {self.get_category_display()}"


class DeepControl(models.Model):
    class Reason(models.TextChoices):
        SIGNAL = "signal", _("Monitoring signal")
        FEEDBACK = "feedback", _("Feedback")
        IVO_FINDING = "ivo_finding", _("IVO finding")
        POLICE = "police", _("Police information")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        NO_ACTION = "no_action", _("No action")
        PAUSED = "paused", _("Unit paused")
        REMOVED = "removed", _("Unit removed")
        RECOMMENDATION_STOP = "recommendation_stop", _("Recommendation stop")
        ORDER_STOP_PROPOSED = "order_stop_proposed", _("Order stop proposed to procurement")

    class OrderStopDecision(models.TextChoices):
        DECIDED = "decided", _("Order stop decided")
        DECLINED = "declined", _("Order stop declined")

    unit = models.ForeignKey(
        "providers.Unit",
        on_delete=models.PROTECT,
        related_name="deep_controls",
        verbose_name=_("unit"),
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reason_details = models.TextField(_("background"), blank=True)
    signal = models.ForeignKey(
        Signal, on_delete=models.SET_NULL, null=True, blank=True, related_name="deep_controls"
    )
    feedback = models.ForeignKey(
        Feedback, on_delete=models.SET_NULL, null=True, blank=True, related_name="deep_controls"
    )
    checks_done = models.TextField(_("checks done"), blank=True)
    site_visit_done = models.BooleanField(_("event-driven site visit"), default=False)
    site_visit_date = models.DateField(_("site visit date"), null=True, blank=True)
    site_visit_notes = models.TextField(_("site visit notes"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=32, choices=Outcome.choices, blank=True, editable=False
    )
    outcome_reason = models.TextField(_("reason for the outcome"), blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Procurement's decision on an order-stop proposal (outcome ORDER_STOP_PROPOSED).
    order_stop_decision = models.CharField(
        _("procurement's decision"),
        max_length=20,
        choices=OrderStopDecision.choices,
        blank=True,
        editable=False,
    )
    order_stop_reason = models.TextField(
        _("reason for procurement's decision"), blank=True, editable=False
    )
    order_stop_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    order_stop_decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("deep control")
        verbose_name_plural = _("deep controls")
        constraints = [
            models.CheckConstraint(
                condition=Q(site_visit_done=False) | Q(site_visit_date__isnull=False),
                name="deep_control_visit_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.get_reason_display()})"


class QuestionTemplate(models.Model):
    """Questions for a matching-focused site visit to units of one service (editable)."""

    service = models.OneToOneField(
        "categories.Service",
        on_delete=models.PROTECT,
        related_name="visit_template",
        verbose_name=_("service"),
    )
    questions = models.JSONField(
        _("questions"), default=list, help_text=_("A list of question texts.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("site visit question template")
        verbose_name_plural = _("site visit question templates")

    def __str__(self) -> str:
        return str(self.service)


class SiteVisit(models.Model):
    """A matching-focused site visit by a placement team."""

    class Assessment(models.TextChoices):
        APPROPRIATE = "appropriate", _("Appropriate")
        NOT_APPROPRIATE = "not_appropriate", _("Not appropriate")

    unit = models.ForeignKey(
        "providers.Unit",
        on_delete=models.PROTECT,
        related_name="site_visits",
        verbose_name=_("unit"),
    )
    service = models.ForeignKey(
        "categories.Service",
        on_delete=models.PROTECT,
        related_name="site_visits",
        verbose_name=_("service"),
    )
    operating_form = models.ForeignKey(
        "categories.OperatingForm",
        on_delete=models.PROTECT,
        related_name="site_visits",
        verbose_name=_("operating form"),
    )
    team = models.CharField(_("placement team"), max_length=32, choices=PlacementTeam.choices)
    planned_for = models.DateField(_("planned for"))
    visited_on = models.DateField(_("visited on"), null=True, blank=True)
    joint_with_quality_team = models.BooleanField(
        _("joint visit with quality & control"), default=False
    )
    answers = models.JSONField(_("answers"), default=list, blank=True)
    assessment = models.CharField(
        _("overall assessment"), max_length=20, choices=Assessment.choices, blank=True
    )
    register_changes = models.TextField(_("follow-up changes to the register"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-planned_for"]
        verbose_name = _("site visit")
        verbose_name_plural = _("site visits")
        indexes = [models.Index(fields=["visited_on"], name="site_visit_visited")]

    def __str__(self) -> str:
        return f"{self.unit} {self.planned_for}"
