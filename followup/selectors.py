"""Reads for supplier follow-up: controls, feedback, deep controls, site visits and their
statistics. Scope: the quality & control team sees everything here; those placing see the
feedback they lodged; procurement sees order-stop proposals; placement officers see site visits.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language

from categories.models import Service
from followup.models import (
    CheckResult,
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    QuestionTemplate,
    Signal,
    SiteVisit,
)
from placements.models import PlacementRequest, RequestStatus
from placements.selectors import visible_requests
from providers import selectors as register_selectors
from providers.models import Permit, PublicationStatus, Unit
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User

# --- Controls --------------------------------------------------------------------------------


def controls(decision: str | None = None) -> QuerySet[Control]:
    """Controls for the list, with their check counts (one query, whatever the number)."""
    queryset = (
        Control.objects.select_related("provider", "created_by", "decided_by")
        .annotate(
            check_count=Count("checks", distinct=True),
            done_count=Count("checks", filter=~Q(checks__result=CheckResult.OPEN), distinct=True),
            failed_count=Count(
                "checks", filter=Q(checks__result=CheckResult.FAILED), distinct=True
            ),
        )
        .order_by("-created_at", "-pk")
    )
    if decision:
        queryset = queryset.filter(decision=decision)
    return queryset


def control_page(pk: int) -> Control:
    queryset = Control.objects.select_related(
        "provider", "created_by", "decided_by"
    ).prefetch_related("units", "checks__checked_by")
    try:
        return queryset.get(pk=pk)
    except Control.DoesNotExist:
        raise Http404 from None


def control_checks(control: Control) -> list[ControlCheck]:
    return list(control.checks.select_related("checked_by").order_by("id"))


@dataclass
class ControlPeriod:
    label: str
    start: dt.date
    end: dt.date
    controlled: int = 0
    approved: int = 0
    not_approved: int = 0
    rejections: list[dict] = field(default_factory=list)


def _periods(year: int, by: str) -> list[ControlPeriod]:
    if by == "year":
        return [ControlPeriod(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))]
    return [
        ControlPeriod(f"{year} H1", dt.date(year, 1, 1), dt.date(year, 6, 30)),
        ControlPeriod(f"{year} H2", dt.date(year, 7, 1), dt.date(year, 12, 31)),
    ]


def control_statistics(year: int, by: str = "half") -> list[ControlPeriod]:
    """Decided controls per period (half-year or year): how many were controlled, how many
    were not approved, and why (the reasons of the rejections, newest first)."""
    periods = _periods(year, by)
    decided = (
        Control.objects.exclude(decision=Control.Decision.PENDING)
        .filter(decided_at__year=year)
        .select_related("provider")
        .order_by("-decided_at", "-pk")
    )
    for control in decided:
        day = timezone.localtime(control.decided_at).date()
        period = next(p for p in periods if p.start <= day <= p.end)
        period.controlled += 1
        if control.decision == Control.Decision.APPROVED:
            period.approved += 1
        else:
            period.not_approved += 1
            period.rejections.append(
                {
                    "control_id": control.pk,
                    "provider": control.provider.legal_name,
                    "date": day,
                    "reason": control.decision_reason,
                }
            )
    return periods


# --- Feedback --------------------------------------------------------------------------------


def _feedback() -> QuerySet[Feedback]:
    return Feedback.objects.select_related("unit__provider", "lodged_by", "placement_request")


def team_feedback(status: str | None = None, category: str | None = None) -> QuerySet[Feedback]:
    """All feedback, for the quality & control team."""
    queryset = _feedback().order_by("-created_at", "-pk")
    if status:
        queryset = queryset.filter(status=status)
    if category:
        queryset = queryset.filter(category=category)
    return queryset


def own_feedback(user: User) -> QuerySet[Feedback]:
    """The feedback a person lodged (all a social worker or officer sees of feedback)."""
    return _feedback().filter(lodged_by=user).order_by("-created_at", "-pk")


def visible_feedback(user: User) -> QuerySet[Feedback]:
    if access.has_capability(user, Capability.RUN_FOLLOWUP):
        return _feedback()
    if access.has_capability(user, Capability.LODGE_FEEDBACK):
        return _feedback().filter(lodged_by=user)
    return Feedback.objects.none()


def feedback_page(user: User, pk: int) -> Feedback:
    try:
        return visible_feedback(user).get(pk=pk)
    except Feedback.DoesNotExist:
        raise Http404 from None


def units_for_feedback(user: User) -> QuerySet[Unit]:
    """Units a person may lodge feedback on: the units of the register they see."""
    return (
        register_selectors.visible_units(user)
        .prefetch_related(None)
        .select_related("provider")
        .order_by("name", "pk")
    )


def lodgeable_requests(user: User) -> QuerySet[PlacementRequest]:
    """Placement requests feedback may be tied to: visible ones the person works on."""
    return (
        visible_requests(user)
        .filter(Q(social_worker_id=user.pk) | Q(assigned_officer_id=user.pk))
        .exclude(status=RequestStatus.DRAFT)
        .order_by("-created_at", "-pk")
    )


def pattern_feedback(
    provider_id: int, category: str, since: dt.datetime, until: dt.datetime
) -> list[Feedback]:
    """Feedback in one category about a provider's units in (since, until], oldest first."""
    return list(
        Feedback.objects.filter(
            unit__provider_id=provider_id,
            category=category,
            created_at__gt=since,
            created_at__lte=until,
        ).order_by("created_at", "pk")
    )


def feedback_statistics(year: int) -> dict:
    """Feedback lodged in a year: per category and per closing category."""
    lodged = Feedback.objects.filter(created_at__year=year)
    per_category = dict(lodged.values_list("category").annotate(n=Count("pk")).order_by("category"))
    per_closing = dict(
        lodged.exclude(closing_category="")
        .values_list("closing_category")
        .annotate(n=Count("pk"))
        .order_by("closing_category")
    )
    return {
        "total": sum(per_category.values()),
        "per_category": per_category,
        "per_closing": per_closing,
    }


# --- Deep controls ---------------------------------------------------------------------------


def _deep_controls() -> QuerySet[DeepControl]:
    return DeepControl.objects.select_related(
        "unit__provider",
        "signal",
        "feedback",
        "created_by",
        "decided_by",
        "order_stop_decided_by",
    )


def deep_controls(state: str | None = None) -> QuerySet[DeepControl]:
    queryset = _deep_controls().order_by("-created_at", "-pk")
    if state == "open":
        queryset = queryset.filter(outcome="")
    elif state == "decided":
        queryset = queryset.exclude(outcome="")
    return queryset


def deep_control_page(pk: int) -> DeepControl:
    try:
        return _deep_controls().get(pk=pk)
    except DeepControl.DoesNotExist:
        raise Http404 from None


def order_stop_proposals(state: str | None = None) -> QuerySet[DeepControl]:
    """Deep controls that proposed an order stop to procurement; undecided ones first."""
    queryset = (
        _deep_controls()
        .filter(outcome=DeepControl.Outcome.ORDER_STOP_PROPOSED)
        .order_by("-order_stop_decided_at", "-decided_at", "-pk")
    )
    if state == "open":
        queryset = queryset.filter(order_stop_decision="")
    elif state == "decided":
        queryset = queryset.exclude(order_stop_decision="")
    return queryset


def order_stop_proposal(pk: int) -> DeepControl:
    try:
        return order_stop_proposals().get(pk=pk)
    except DeepControl.DoesNotExist:
        raise Http404 from None


def open_signals() -> QuerySet[Signal]:
    """Signals a deep control can start from: those not closed, newest first."""
    return (
        Signal.objects.exclude(status=Signal.Status.CLOSED)
        .select_related("provider", "unit")
        .order_by("-created_at", "-pk")
    )


def open_feedback() -> QuerySet[Feedback]:
    return _feedback().exclude(status=Feedback.Status.CLOSED).order_by("-created_at", "-pk")


def units_for_followup() -> QuerySet[Unit]:
    """Every unit in the register (the quality team sees all)."""
    return Unit.objects.select_related("provider").order_by("name", "pk")


# --- Site visits -----------------------------------------------------------------------------


def site_visits(team: str | None = None, state: str | None = None) -> QuerySet[SiteVisit]:
    queryset = SiteVisit.objects.select_related(
        "unit__provider", "service__area", "operating_form", "created_by"
    ).order_by("-planned_for", "-pk")
    if team:
        queryset = queryset.filter(team=team)
    if state == "planned":
        queryset = queryset.filter(visited_on__isnull=True)
    elif state == "visited":
        queryset = queryset.filter(visited_on__isnull=False)
    return queryset


def site_visit_page(pk: int) -> SiteVisit:
    try:
        return site_visits().get(pk=pk)
    except SiteVisit.DoesNotExist:
        raise Http404 from None


def template_questions(service_id: int) -> list[str]:
    template = QuestionTemplate.objects.filter(service_id=service_id).first()
    return list(template.questions) if template else []


def visit_questions(visit: SiteVisit) -> list[str]:
    """The questions of a visit: those already answered, else its service's template."""
    if visit.answers:
        return [entry.get("question", "") for entry in visit.answers]
    return template_questions(visit.service_id)


def question_templates() -> QuerySet[Service]:
    return (
        Service.objects.select_related("area", "visit_template")
        .filter(is_active=True)
        .order_by("area__position", "position", "code")
    )


def site_visit_statistics(year: int) -> dict:
    """Visits done in a year, per category area and per operating form (the yearly report)."""
    done = SiteVisit.objects.filter(visited_on__year=year)
    per_area: Counter[str] = Counter()
    per_form: Counter[str] = Counter()
    joint = 0
    assessments: dict[str, int] = defaultdict(int)
    rows = done.values_list(
        "service__area__name_sv",
        "service__area__name_en",
        "operating_form__name_sv",
        "operating_form__name_en",
        "joint_with_quality_team",
        "assessment",
    )
    english = (get_language() or "sv").startswith("en")
    for area_sv, area_en, form_sv, form_en, is_joint, assessment in rows:
        per_area[area_en if english else area_sv] += 1
        per_form[form_en if english else form_sv] += 1
        joint += int(is_joint)
        assessments[assessment] += 1
    return {
        "total": sum(per_area.values()),
        "per_area": sorted(per_area.items()),
        "per_form": sorted(per_form.items()),
        "joint": joint,
        "appropriate": assessments.get(SiteVisit.Assessment.APPROPRIATE, 0),
        "not_appropriate": assessments.get(SiteVisit.Assessment.NOT_APPROPRIATE, 0),
    }


def latest_site_visit_texts(unit_ids: Collection[int]) -> dict[int, str]:
    """Each unit's latest recorded matching-focused site visit, as "date · assessment" (one
    query; for placements.unit_facts, the comparison of shortlisted units)."""
    visits = (
        SiteVisit.objects.filter(unit_id__in=unit_ids, visited_on__isnull=False)
        .order_by("unit_id", "-visited_on", "-pk")
        .distinct("unit_id")
        .only("unit_id", "visited_on", "assessment")
    )
    return {
        visit.unit_id: " · ".join(
            part for part in (visit.visited_on.isoformat(), visit.get_assessment_display()) if part
        )
        for visit in visits
        if visit.visited_on is not None
    }


def permits_ending(first: dt.date, last: dt.date) -> QuerySet[Permit]:
    """IVO permits not revoked whose end falls from `first` to `last`, of units still in the
    register, with what a reminder names."""
    return (
        Permit.objects.filter(revoked_on__isnull=True, valid_to__gte=first, valid_to__lte=last)
        .exclude(unit__status=PublicationStatus.REMOVED)
        .select_related("unit__provider")
        .prefetch_related("services")
        .order_by("valid_to", "pk")
    )
