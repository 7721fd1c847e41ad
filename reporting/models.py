"""Category plans (kategoriplaner): goals → strategies → activities, council decisions, and
KPIs with targets, measured by hand or computed from the system's own data.

These models were born in `categories` and moved here with the pages that read every app; their
tables keep the names they were created with (`categories_…`), so the move changed no data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from categories.models import CategoryArea, Service


class CategoryPlan(models.Model):
    """A yearly category plan of one area in one municipality: analysis, goals → strategies →
    activities, KPIs. Its computed KPIs count that municipality's requests only, and only its
    municipality's users (and administrators) see it."""

    municipality = models.ForeignKey(
        "accounts.Municipality",
        on_delete=models.PROTECT,
        related_name="category_plans",
        verbose_name=_("municipality"),
    )
    area = models.ForeignKey(
        CategoryArea, on_delete=models.PROTECT, related_name="plans", verbose_name=_("area")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    current_state_analysis = models.TextField(
        _("current-state analysis"),
        blank=True,
        help_text=_(
            "Plain text. A blank line starts a new paragraph; lines starting with “- ” form a list."
        ),
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(table_name="categories_historicalcategoryplan")

    class Meta:
        db_table = "categories_categoryplan"  # made by categories before reporting
        ordering = ["-year", "area__position"]
        verbose_name = _("category plan")
        verbose_name_plural = _("category plans")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "area", "year"],
                name="uniq_category_plan_municipality_area_year",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.area} {self.year}"


class Goal(models.Model):
    """Målområde."""

    plan = models.ForeignKey(
        CategoryPlan, on_delete=models.CASCADE, related_name="goals", verbose_name=_("plan")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        db_table = "categories_goal"  # made by categories before reporting
        ordering = ["position", "id"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.title


class Strategy(models.Model):
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="strategies", verbose_name=_("goal")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        db_table = "categories_strategy"  # made by categories before reporting
        ordering = ["position", "id"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")

    def __str__(self) -> str:
        return self.title


class ActivityStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ONGOING = "ongoing", _("Ongoing")
    COMPLETED = "completed", _("Completed")


class Activity(models.Model):
    strategy = models.ForeignKey(
        Strategy, on_delete=models.CASCADE, related_name="activities", verbose_name=_("strategy")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.CharField(_("responsible"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActivityStatus.choices,
        default=ActivityStatus.NOT_STARTED,
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords(table_name="categories_historicalactivity")

    class Meta:
        db_table = "categories_activity"  # made by categories before reporting
        ordering = ["position", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="activity_period",
            )
        ]

    def __str__(self) -> str:
        return self.title


class CouncilDecision(models.Model):
    """A decision of the category council (kategoriråd) about the plan; the log is append-only."""

    plan = models.ForeignKey(
        CategoryPlan, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("plan")
    )
    decided_on = models.DateField(_("date"))
    decision = models.TextField(_("decision"))
    decided_by = models.CharField(_("decided by"), max_length=200, default="Kategoriråd")
    recorded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "categories_councildecision"  # made by categories before reporting
        ordering = ["-decided_on", "-id"]
        verbose_name = _("council decision")
        verbose_name_plural = _("council decisions")

    def __str__(self) -> str:
        return f"{self.decided_on}: {self.decision[:60]}"


class KpiDirection(models.TextChoices):
    AT_LEAST = "at_least", _("At least the target")
    AT_MOST = "at_most", _("At most the target")
    EQUAL = "equal", _("Equal to the target")
    INFORMATION = "information", _("Information only (no target)")


class KpiSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    REQUESTS_PER_SERVICE = "requests", _("Computed: requests submitted")
    FRAMEWORK_SHARE = "framework_share", _("Computed: share of placements on framework agreement")
    OWN_OPERATION_SHARE = "own_share", _("Computed: share of placements in own operation")
    DIRECT_PROCUREMENTS = "direct_count", _("Computed: placements by direct procurement")
    LEAD_TIME = "lead_time", _("Computed: median hours from submission to first recommendation")


class Kpi(models.Model):
    """Nyckeltal: a target, a direction, and where its values come from."""

    strategy = models.ForeignKey(
        Strategy, on_delete=models.CASCADE, related_name="kpis", verbose_name=_("strategy")
    )
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("e.g. %, st, dagar"))
    target_text = models.CharField(_("target (as written)"), max_length=200, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    direction = models.CharField(
        _("direction"), max_length=20, choices=KpiDirection.choices, default=KpiDirection.AT_LEAST
    )
    source = models.CharField(
        _("source"), max_length=20, choices=KpiSource.choices, default=KpiSource.MANUAL
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
        help_text=_("Limits a computed KPI to one service; empty: the whole area."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords(table_name="categories_historicalkpi")

    class Meta:
        db_table = "categories_kpi"  # made by categories before reporting
        ordering = ["position", "id"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direction="information") | models.Q(target_value__isnull=False),
                name="kpi_target_needed",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_computed(self) -> bool:
        return self.source != KpiSource.MANUAL


class KpiMeasurement(models.Model):
    kpi = models.ForeignKey(
        Kpi, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("KPI")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True)
    computed = models.BooleanField(_("computed"), default=False, editable=False)
    entered_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "categories_kpimeasurement"  # made by categories before reporting
        ordering = ["-period_end", "-period_start"]
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "period_start", "period_end"], name="uniq_kpi_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="kpi_measurement_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} ({self.period_start}–{self.period_end})"
