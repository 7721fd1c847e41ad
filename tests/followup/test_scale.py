"""devtools.scale.followup: bulk follow-up for benchmarks obeys the follow-up rules, stays
inside its years, is reproducible from its seed and adds to what exists."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from devtools.demo import accounts as accounts_demo
from devtools.scale.followup import MONITORED, generate_followup
from devtools.scale.register import generate_register
from followup import rules, services
from followup.models import (
    CheckResult,
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    FeedbackCategory,
    MonitoringRun,
    Signal,
    SiteVisit,
)
from providers.models import Provider, PublicationStatus, Unit
from spink.accounts.models import User

pytestmark = pytest.mark.django_db

MODELS = [Control, ControlCheck, Signal, MonitoringRun, Feedback, DeepControl, SiteVisit]
DATETIMES = {
    Control: ["created_at", "decided_at"],
    ControlCheck: ["checked_at"],
    Signal: ["created_at", "closed_at", "notified_at"],
    MonitoringRun: ["started_at", "finished_at"],
    Feedback: ["created_at", "communicated_at", "closed_at"],
    DeepControl: ["created_at", "decided_at", "order_stop_decided_at"],
    SiteVisit: ["created_at"],
}
DATES = {DeepControl: ["site_visit_date"], SiteVisit: ["planned_for", "visited_on"]}


@pytest.fixture
def register():
    """seed_demo's users and a small generated register (the demo register and request
    history would only slow the test down), with one control already in progress."""
    accounts_demo.seed()
    generate_register(60, progress=lambda message: None)
    team = User.objects.get(username="kvalitet")
    provider = Provider.objects.order_by("pk").first()
    return services.start_control(actor=team, provider=provider, units=[])


def _last_pks() -> dict:
    return {model: model.objects.aggregate(last=Max("pk"))["last"] or 0 for model in MODELS}


def _new(model, before: dict):
    return model.objects.filter(pk__gt=before[model])


def _generate(**kwargs) -> dict[str, int]:
    messages: list[str] = []
    made = generate_followup(progress=messages.append, **kwargs)
    assert messages  # progress is reported
    return made


def test_counts_and_control_decisions_follow_the_rules(register):
    years = (2017, timezone.localdate().year)
    before = _last_pks()

    made = _generate(controls=40, signals=60, feedback=60, years=years)

    assert made["controls"] == _new(Control, before).count() == 40
    assert made["signals"] == _new(Signal, before).count() == 60
    assert made["feedback"] == _new(Feedback, before).count() == 60
    assert made["control_checks"] == _new(ControlCheck, before).count()
    assert made["monitoring_runs"] == _new(MonitoringRun, before).count()
    assert made["deep_controls"] == _new(DeepControl, before).count() > 0
    assert made["site_visits"] == _new(SiteVisit, before).count() > 0
    _check_dates(before, years)

    controls = _new(Control, before).select_related("provider").prefetch_related("checks", "units")
    for control in controls:
        results = {check.result for check in control.checks.all()}
        # The product's checklist for the provider's legal form and permit need.
        units = list(control.units.all())
        assert {check.kind for check in control.checks.all()} == set(
            rules.checklist(control.provider.legal_form, rules.needs_permit(units))
        )
        assert {unit.pk for unit in units} == set(
            control.provider.units.values_list("pk", flat=True)
        )
        if control.decision == Control.Decision.APPROVED:
            assert not results & {CheckResult.OPEN, CheckResult.FAILED}
        elif control.decision == Control.Decision.REJECTED:
            assert CheckResult.FAILED in results
            assert control.decision_reason
        else:
            assert CheckResult.OPEN in results
        decided = control.decision != Control.Decision.PENDING
        assert (control.decided_by_id is not None) == decided
        assert (control.decided_at is not None) == decided
        if decided:
            assert control.decided_at >= control.created_at
        for check in control.checks.all():
            assert (check.checked_at is not None) == (check.result != CheckResult.OPEN)
            assert (check.checked_by_id is not None) == (check.result != CheckResult.OPEN)
    # Pending ones are a small share (one provider in ten): not bound to show up in 40.
    assert {Control.Decision.APPROVED, Control.Decision.REJECTED} <= set(
        controls.values_list("decision", flat=True)
    )
    # One control in progress per provider, as services.start_control allows; the provider
    # already under control got only earlier, decided ones.
    assert not controls.filter(provider=register.provider, created_at__gt=register.created_at)
    assert not (
        Control.objects.filter(decision=Control.Decision.PENDING)
        .values("provider")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    # Every controlled provider's published direct-procurement units stay publishable.
    today = timezone.localdate()
    for unit in Unit.objects.filter(
        status=PublicationStatus.PUBLISHED,
        offerings__operating_form__code="direct",
        provider__controls__in=controls,
    ).distinct():
        rules.check_unit_publishable(unit, today)


def test_signals_feedback_and_deep_controls_are_consistent(register):
    # Statuses follow age, so which ones show up depends on today's date: enough rows over
    # two recent years make every status and category certain to appear.
    this_year = timezone.localdate().year
    years = (this_year - 1, this_year)
    before = _last_pks()
    _generate(controls=0, signals=600, feedback=600, years=years)
    _check_dates(before, years)

    signals = _new(Signal, before).select_related("source", "run")
    assert set(signals.values_list("kind", flat=True)) == set(Signal.Kind.values)
    assert set(signals.values_list("status", flat=True)) == set(Signal.Status.values)
    keys = list(Signal.objects.values_list("dedup_key", flat=True))
    assert len(keys) == len(set(keys))
    for signal in signals:
        assert (signal.handled_by_id is None) == (signal.status == Signal.Status.NEW)
        closed = signal.status == Signal.Status.CLOSED
        assert (signal.closed_at is not None) == closed == bool(signal.closing_note)
        if signal.kind in MONITORED:
            assert signal.source.kind == MONITORED[signal.kind]
            assert signal.run.source_id == signal.source_id
            assert signal.run.started_at <= signal.created_at <= signal.run.finished_at
        else:
            assert signal.source is None and signal.run is None
    for run in _new(MonitoringRun, before):
        assert run.signals_created == run.signals.count() <= run.records_seen

    # Each pattern signal is the one the product's own rule finds for its last feedback.
    for signal in signals.filter(kind=Signal.Kind.FEEDBACK_PATTERN):
        ids = [int(pk) for pk in re.findall(r"(\d+), \d{4}-\d{2}-\d{2}", signal.details)]
        assert len(ids) >= rules.pattern_threshold()
        assert services.detect_feedback_pattern(feedback=Feedback.objects.get(pk=ids[-1])) == signal

    feedback = _new(Feedback, before)
    assert set(feedback.values_list("category", flat=True)) == set(FeedbackCategory.values)
    assert set(feedback.values_list("status", flat=True)) == set(Feedback.Status.values)
    for item in feedback:
        status = Feedback.Status(item.status)
        assert (item.communicated_at is None) == (status == Feedback.Status.RECEIVED)
        assert (item.closed_at is not None) == (status == Feedback.Status.CLOSED)
        assert bool(item.closing_category) == (status == Feedback.Status.CLOSED)
        if status == Feedback.Status.ANSWERED:
            assert item.provider_answer
        if item.communicated_at:
            assert item.created_at <= item.communicated_at <= (item.closed_at or timezone.now())

    O = DeepControl.Outcome  # noqa: E741
    for deep in _new(DeepControl, before).select_related("unit", "signal", "feedback"):
        assert (
            (deep.decided_at is not None) == bool(deep.outcome) == (deep.decided_by_id is not None)
        )
        assert not deep.site_visit_done or deep.site_visit_date is not None
        if deep.signal:
            assert deep.signal.status != Signal.Status.NEW
            assert deep.unit.provider_id == deep.signal.provider_id
        if deep.feedback:
            assert deep.feedback.closing_category == Feedback.Closing.DEEP_CONTROL
            assert deep.unit_id == deep.feedback.unit_id
        if deep.outcome == O.PAUSED:
            assert deep.unit.status == PublicationStatus.PAUSED
        if deep.outcome == O.REMOVED:
            assert deep.unit.status == PublicationStatus.REMOVED
        if deep.outcome == O.RECOMMENDATION_STOP:
            assert deep.unit.recommendation_stop
        if deep.outcome == O.ORDER_STOP_PROPOSED:
            assert deep.unit.offerings.filter(operating_form__code="framework").exists()
        if deep.order_stop_decision == DeepControl.OrderStopDecision.DECIDED:
            assert deep.unit.order_stop

    for visit in _new(SiteVisit, before):
        rules.check_offering(visit.unit, visit.service, visit.operating_form)
        assert bool(visit.assessment) == (visit.visited_on is not None) == bool(visit.answers)


def _check_dates(before: dict, years: tuple[int, int]) -> None:
    now, today = timezone.now(), timezone.localdate()
    first, last = dt.date(years[0], 1, 1), dt.date(years[1], 12, 31)
    for model, names in DATETIMES.items():
        for name in names:
            for moment in _new(model, before).exclude(**{name: None}).values_list(name, flat=True):
                assert moment < now, (model, name, moment)
                assert first <= timezone.localtime(moment).date() <= last, (model, name, moment)
    for model, names in DATES.items():
        for name in names:
            for day in _new(model, before).exclude(**{name: None}).values_list(name, flat=True):
                assert first <= day <= min(last, today), (model, name, day)


class _Rollback(Exception):
    pass


def _digest_of_a_run(seed: int) -> str:
    """The generated rows of one run (without ids, which sequences never give back), rolled
    back afterwards so the next run starts from the same data."""
    years = (2017, timezone.localdate().year)
    fields = {
        Control: ["provider_id", "decision", "decision_reason", "decided_at", "created_at"],
        ControlCheck: ["control__provider_id", "control__created_at", "kind", "result", "note"],
        Signal: ["kind", "status", "severity", "provider_id", "unit_id", "title", "created_at"],
        MonitoringRun: ["source__name", "started_at", "signals_created", "records_seen"],
        Feedback: ["unit_id", "category", "status", "created_at", "closing_category"],
        DeepControl: ["unit_id", "reason", "outcome", "created_at", "decided_at"],
        SiteVisit: ["unit_id", "service_id", "planned_for", "visited_on", "assessment"],
    }
    digest = hashlib.sha256()
    try:
        with transaction.atomic():
            before = _last_pks()
            generate_followup(40, 60, 60, years=years, seed=seed, progress=lambda message: None)
            for model, names in fields.items():
                rows = sorted(repr(row) for row in _new(model, before).values_list(*names))
                digest.update("\n".join(rows).encode())
            raise _Rollback
    except _Rollback:
        pass
    return digest.hexdigest()


def test_the_same_seed_makes_the_same_rows(register):
    first = _digest_of_a_run(seed=7)
    assert _digest_of_a_run(seed=7) == first
    assert _digest_of_a_run(seed=8) != first


def test_a_second_call_adds_more_without_collisions(register):
    this_year = timezone.localdate().year
    made = _generate(controls=40, signals=60, feedback=60, years=(2017, this_year))
    before = _last_pks()
    again = _generate(controls=40, signals=60, feedback=60, years=(2020, 2021))
    assert again["controls"] == 40 and again["signals"] == 60 and again["feedback"] == 60
    assert Signal.objects.filter(pk__gt=before[Signal]).count() == 60
    _check_dates(before, (2020, 2021))
    # The same seed again: same choices, new keys.
    _generate(controls=40, signals=60, feedback=60, years=(2017, this_year))
    assert Control.objects.filter(pk__gt=before[Control]).count() == 80
    kinds = Counter(Signal.objects.filter(pk__gt=before[Signal]).values_list("kind", flat=True))
    assert sum(kinds.values()) == 120
    assert made["signals"] == 60
    assert not (
        Control.objects.filter(decision=Control.Decision.PENDING)
        .values("provider")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )


def test_without_users_it_says_to_seed_the_demo_first():
    with pytest.raises(ValueError, match="seed_demo"):
        generate_followup(1, 1, 1, years=(2020, 2021), progress=lambda message: None)
