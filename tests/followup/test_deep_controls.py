"""Deep controls: starting them (from a signal, a feedback or manually), outcomes applied to
the register through its services, order-stop proposals decided by procurement, and pages."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from followup import services
from followup.models import DeepControl, Feedback, Signal
from providers import rules as register_rules
from providers.models import PublicationStatus, UnitEvent
from spink.accounts.models import Role
from spink.errors import RuleViolation
from tests.factories import published_unit, social_worker, user_with_role
from tests.followup.support import quality

pytestmark = pytest.mark.django_db
O = DeepControl.Outcome  # noqa: E741
S = PublicationStatus


@pytest.fixture
def team():
    return quality()


@pytest.fixture
def procurement():
    return user_with_role(Role.PROCUREMENT)


@pytest.fixture
def direct():
    return published_unit("socialt-boende", "direct", name="Tallen Bergsjön")


@pytest.fixture
def framework():
    return published_unit("socialt-boende", "framework", name="Eken Kortedala")


def credit_signal(unit, **kwargs) -> Signal:
    kwargs.setdefault("dedup_key", f"credit:{unit.pk}:{Signal.objects.count()}")
    return Signal.objects.create(
        kind=Signal.Kind.CREDIT,
        provider=unit.provider,
        unit=unit,
        title="Betalningsanmärkning och sänkt kreditbetyg",
        **kwargs,
    )


def start(team, unit, **kwargs) -> DeepControl:
    kwargs.setdefault("reason", DeepControl.Reason.IVO_FINDING)
    return services.start_deep_control(actor=team, unit=unit, **kwargs)


def swedish_refusal(callable_, *args) -> str:
    with translation.override("sv"), pytest.raises(RuleViolation) as refusal:
        callable_(*args)
    return str(refusal.value.message)


# --- Starting --------------------------------------------------------------------------------


def test_a_deep_control_from_a_signal_takes_its_unit_and_marks_it_being_handled(team, direct):
    signal = credit_signal(direct)
    deep_control = services.start_deep_control(actor=team, signal=signal)
    assert (deep_control.unit, deep_control.reason, deep_control.signal) == (
        direct,
        DeepControl.Reason.SIGNAL,
        signal,
    )
    signal.refresh_from_db()
    assert (signal.status, signal.handled_by) == (Signal.Status.IN_PROGRESS, team)
    assert deep_control.history.get().history_user == team


def test_a_deep_control_from_a_feedback_takes_its_unit(team, direct):
    feedback = services.lodge_feedback(
        actor=social_worker(), unit=direct, category="safety", description="Hot mot boende"
    )
    deep_control = services.start_deep_control(actor=team, feedback=feedback)
    assert (deep_control.unit, deep_control.reason, deep_control.feedback) == (
        direct,
        DeepControl.Reason.FEEDBACK,
        feedback,
    )


def test_a_manual_deep_control_needs_a_unit_and_a_reason(team, direct):
    with pytest.raises(ValidationError) as refusal:
        services.start_deep_control(actor=team, reason=DeepControl.Reason.POLICE)
    assert "unit" in refusal.value.message_dict
    with pytest.raises(ValidationError) as refusal:
        services.start_deep_control(actor=team, unit=direct)
    assert "reason" in refusal.value.message_dict
    assert start(team, direct, reason=DeepControl.Reason.POLICE).reason == "police"


def test_a_signal_about_one_provider_cannot_control_another_providers_unit(team, direct):
    signal = credit_signal(direct)
    other = published_unit()
    with pytest.raises(ValidationError) as refusal:
        services.start_deep_control(actor=team, signal=signal, unit=other)
    assert "unit" in refusal.value.message_dict


def test_a_site_visit_needs_its_date(team, direct):
    with pytest.raises(ValidationError) as refusal:
        start(team, direct, site_visit_done=True)
    assert "site_visit_date" in refusal.value.message_dict
    deep_control = start(
        team,
        direct,
        site_visit_done=True,
        site_visit_date=timezone.localdate(),
        site_visit_notes="Ok",
    )
    assert deep_control.site_visit_done


@pytest.mark.parametrize(
    "role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.PROCUREMENT, Role.MANAGER]
)
def test_only_the_quality_team_runs_deep_controls(direct, role):
    with pytest.raises(PermissionDenied):
        start(user_with_role(role), direct)


# --- Outcomes --------------------------------------------------------------------------------


def test_no_action_leaves_the_register_alone(team, direct):
    deep_control = start(team, direct)
    services.decide_deep_control(
        actor=team, deep_control=deep_control.pk, outcome=O.NO_ACTION, reason="Inga brister"
    )
    direct.refresh_from_db()
    assert direct.status == S.PUBLISHED
    assert not UnitEvent.objects.filter(unit=direct).exists()


@pytest.mark.parametrize(("outcome", "status"), [(O.PAUSED, S.PAUSED), (O.REMOVED, S.REMOVED)])
def test_pausing_or_removing_changes_the_status_through_the_register(team, direct, outcome, status):
    deep_control = start(team, direct)
    services.decide_deep_control(
        actor=team,
        deep_control=deep_control.pk,
        outcome=outcome,
        reason="Brister i personlig lämplighet",
    )
    direct.refresh_from_db()
    assert direct.status == status
    event = UnitEvent.objects.get(unit=direct)
    assert (event.to_status, event.actor, event.reason, event.source) == (
        status,
        team,
        "Brister i personlig lämplighet",
        f"deep control {deep_control.pk}",
    )
    deep_control.refresh_from_db()
    assert (deep_control.outcome, deep_control.decided_by) == (outcome, team)


def test_a_recommendation_stop_is_set_on_a_direct_procurement_unit(team, direct):
    deep_control = start(team, direct)
    services.decide_deep_control(
        actor=team,
        deep_control=deep_control.pk,
        outcome=O.RECOMMENDATION_STOP,
        reason="Allvarliga brister",
    )
    direct.refresh_from_db()
    assert direct.recommendation_stop
    assert UnitEvent.objects.get(unit=direct).kind == UnitEvent.Kind.RECOMMENDATION_STOP


def test_a_recommendation_stop_on_a_framework_unit_is_refused_with_the_registers_message(
    team, framework
):
    deep_control = start(team, framework)
    expected = swedish_refusal(register_rules.check_recommendation_stop, framework, True)
    with translation.override("sv"), pytest.raises(RuleViolation) as refusal:
        services.decide_deep_control(
            actor=team,
            deep_control=deep_control.pk,
            outcome=O.RECOMMENDATION_STOP,
            reason="Brister",
        )
    assert str(refusal.value.message) == expected
    framework.refresh_from_db()
    assert not framework.recommendation_stop
    assert DeepControl.objects.get(pk=deep_control.pk).outcome == ""


def test_pausing_a_unit_the_workflow_cannot_pause_is_refused_and_nothing_is_decided(team):
    draft = published_unit()
    draft.status = S.DRAFT
    draft.save()
    deep_control = start(team, draft)
    with pytest.raises(RuleViolation) as refusal:
        services.decide_deep_control(
            actor=team, deep_control=deep_control.pk, outcome=O.PAUSED, reason="Brister"
        )
    assert refusal.value.code == "illegal_transition"
    assert DeepControl.objects.get(pk=deep_control.pk).outcome == ""


def test_an_order_stop_is_proposed_for_a_framework_unit_without_changing_it(team, framework):
    deep_control = start(team, framework)
    services.decide_deep_control(
        actor=team,
        deep_control=deep_control.pk,
        outcome=O.ORDER_STOP_PROPOSED,
        reason="IVO-tillsyn pågår",
    )
    framework.refresh_from_db()
    assert not framework.order_stop
    deep_control.refresh_from_db()
    assert (deep_control.outcome, deep_control.order_stop_decision) == (O.ORDER_STOP_PROPOSED, "")


def test_an_order_stop_cannot_be_proposed_for_a_direct_procurement_unit(team, direct):
    deep_control = start(team, direct)
    expected = swedish_refusal(register_rules.check_order_stop, direct, True)
    with translation.override("sv"), pytest.raises(RuleViolation) as refusal:
        services.decide_deep_control(
            actor=team,
            deep_control=deep_control.pk,
            outcome=O.ORDER_STOP_PROPOSED,
            reason="Brister",
        )
    assert str(refusal.value.message) == expected


@pytest.mark.parametrize(("outcome", "reason"), [(O.PAUSED, " "), ("bogus", "Skäl")])
def test_an_outcome_needs_a_valid_choice_and_a_reason(team, direct, outcome, reason):
    deep_control = start(team, direct)
    with pytest.raises(ValidationError):
        services.decide_deep_control(
            actor=team, deep_control=deep_control.pk, outcome=outcome, reason=reason
        )
    direct.refresh_from_db()
    assert direct.status == S.PUBLISHED


def test_a_decided_deep_control_cannot_be_changed(team, direct):
    deep_control = start(team, direct)
    services.decide_deep_control(
        actor=team, deep_control=deep_control.pk, outcome=O.NO_ACTION, reason="Inga brister"
    )
    with pytest.raises(RuleViolation) as refusal:
        services.decide_deep_control(
            actor=team, deep_control=deep_control.pk, outcome=O.PAUSED, reason="Ändrat mig"
        )
    assert refusal.value.code == "deep_control_decided"
    with pytest.raises(RuleViolation):
        services.update_deep_control(
            actor=team,
            deep_control=deep_control.pk,
            reason_details="",
            checks_done="Mer",
            site_visit_done=False,
            site_visit_date=None,
            site_visit_notes="",
        )


# --- Order-stop proposals --------------------------------------------------------------------


@pytest.fixture
def proposal(team, framework) -> DeepControl:
    deep_control = start(team, framework)
    return services.decide_deep_control(
        actor=team,
        deep_control=deep_control.pk,
        outcome=O.ORDER_STOP_PROPOSED,
        reason="Kriminalitet hos anställda",
    )


def test_procurement_decides_the_proposed_order_stop_through_the_register(
    procurement, proposal, framework
):
    services.decide_order_stop_proposal(
        actor=procurement, deep_control=proposal.pk, decide=True, reason="Beslut enligt förslag"
    )
    framework.refresh_from_db()
    assert framework.order_stop
    event = UnitEvent.objects.get(unit=framework, kind=UnitEvent.Kind.ORDER_STOP)
    assert (event.actor, event.reason) == (procurement, "Beslut enligt förslag")
    proposal.refresh_from_db()
    assert (proposal.order_stop_decision, proposal.order_stop_decided_by) == (
        "decided",
        procurement,
    )


def test_procurement_declines_a_proposal_with_a_reason(procurement, proposal, framework):
    with pytest.raises(ValidationError) as refusal:
        services.decide_order_stop_proposal(
            actor=procurement, deep_control=proposal.pk, decide=False, reason=""
        )
    assert "reason" in refusal.value.message_dict
    services.decide_order_stop_proposal(
        actor=procurement, deep_control=proposal.pk, decide=False, reason="Egen utredning"
    )
    framework.refresh_from_db()
    assert not framework.order_stop
    proposal.refresh_from_db()
    assert (proposal.order_stop_decision, proposal.order_stop_reason) == (
        "declined",
        "Egen utredning",
    )


def test_a_proposal_is_decided_only_once(procurement, proposal):
    services.decide_order_stop_proposal(
        actor=procurement, deep_control=proposal.pk, decide=False, reason="Nej"
    )
    with pytest.raises(RuleViolation) as refusal:
        services.decide_order_stop_proposal(
            actor=procurement, deep_control=proposal.pk, decide=True, reason="Ja"
        )
    assert refusal.value.code == "proposal_decided"


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PLACEMENT_OFFICER, Role.MANAGER])
def test_only_procurement_decides_an_order_stop(proposal, framework, role):
    with pytest.raises(PermissionDenied):
        services.decide_order_stop_proposal(
            actor=user_with_role(role), deep_control=proposal.pk, decide=True, reason="x"
        )
    framework.refresh_from_db()
    assert not framework.order_stop


def test_a_deep_control_without_a_proposal_cannot_be_decided_by_procurement(
    team, procurement, framework
):
    deep_control = start(team, framework)
    with pytest.raises(RuleViolation) as refusal:
        services.decide_order_stop_proposal(
            actor=procurement, deep_control=deep_control.pk, decide=True, reason="x"
        )
    assert refusal.value.code == "no_order_stop_proposal"


# --- Pages -----------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"followup:{name}", args=args)


def body(response) -> str:
    return response.content.decode()


def test_the_team_starts_a_deep_control_from_a_signal_and_pauses_the_unit_on_the_page(
    client, team, direct
):
    signal = credit_signal(direct)
    client.force_login(team)
    form = client.get(url("deep-control-create"), {"signal": signal.pk})
    assert re.search(rf'<option value="{signal.pk}" selected>', body(form))
    response = client.post(
        url("deep-control-create"), {"signal": signal.pk, "checks_done": "Kreditupplysning"}
    )
    deep_control = DeepControl.objects.get()
    assert response["Location"] == url("deep-control-detail", deep_control.pk)
    response = client.post(
        url("deep-control-decide", deep_control.pk),
        {"outcome": "paused", "reason": "Skulder hos Kronofogden"},
    )
    assert response.status_code == 302
    direct.refresh_from_db()
    assert direct.status == S.PAUSED


def test_a_refused_outcome_shows_the_registers_message_on_the_page(client, team, framework):
    deep_control = start(team, framework)
    expected = swedish_refusal(register_rules.check_recommendation_stop, framework, True)
    client.force_login(team)
    response = client.post(
        url("deep-control-decide", deep_control.pk),
        {"outcome": "recommendation_stop", "reason": "Brister"},
    )
    assert response.status_code == 400
    assert escape(expected) in body(response)


def test_the_feedback_page_offers_a_deep_control_from_the_feedback(client, team, direct):
    feedback = services.lodge_feedback(
        actor=social_worker(), unit=direct, category="safety", description="Hot"
    )
    client.force_login(team)
    response = client.get(url("feedback-detail", feedback.pk))
    assert escape(f"{url('deep-control-create')}?feedback={feedback.pk}") in body(response)


def test_procurement_sees_and_decides_proposals_on_its_pages(client, procurement, proposal):
    client.force_login(procurement)
    listing = client.get(url("proposal-list"))
    assert url("proposal-detail", proposal.pk) in body(listing)
    assert client.get(url("proposal-detail", proposal.pk)).status_code == 200
    response = client.post(
        url("proposal-decide", proposal.pk), {"decision": "decided", "reason": "Enligt förslag"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.unit.order_stop


def test_procurement_cannot_open_deep_controls_that_are_not_proposals(
    client, team, procurement, framework
):
    deep_control = start(team, framework)
    client.force_login(procurement)
    assert client.get(url("deep-control-list")).status_code == 403
    assert client.get(url("deep-control-detail", deep_control.pk)).status_code == 403
    assert client.get(url("proposal-detail", deep_control.pk)).status_code == 404


@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.MANAGER, Role.SOCIAL_WORKER])
def test_only_procurement_sees_the_proposals(client, proposal, role):
    client.force_login(user_with_role(role))
    assert client.get(url("proposal-list")).status_code == 403
    assert client.get(url("proposal-detail", proposal.pk)).status_code == 403
    response = client.post(
        url("proposal-decide", proposal.pk), {"decision": "decided", "reason": "x"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER])
def test_deep_controls_are_the_quality_teams_only(client, team, direct, role):
    deep_control = start(team, direct)
    client.force_login(user_with_role(role))
    assert client.get(url("deep-control-list")).status_code == 403
    assert client.get(url("deep-control-create")).status_code == 403
    assert client.get(url("deep-control-detail", deep_control.pk)).status_code == 403
    response = client.post(
        url("deep-control-decide", deep_control.pk), {"outcome": "paused", "reason": "x"}
    )
    assert response.status_code == 403
    direct.refresh_from_db()
    assert direct.status == S.PUBLISHED


@pytest.mark.parametrize("count", [2, 12])
def test_the_deep_control_and_proposal_lists_run_a_fixed_number_of_queries(
    client, team, procurement, django_assert_num_queries, count
):
    for _ in range(count):
        unit = published_unit("socialt-boende", "framework")
        signal = credit_signal(unit)
        deep_control = services.start_deep_control(actor=team, signal=signal)
        services.decide_deep_control(
            actor=team,
            deep_control=deep_control.pk,
            outcome=O.ORDER_STOP_PROPOSED,
            reason="Förslag",
        )
    client.force_login(team)
    # session, user, count, page, unread notifications, saved filters
    with django_assert_num_queries(6):
        response = client.get(url("deep-control-list"))
    assert len(re.findall('class="deep-control-row"', body(response))) == count
    client.force_login(procurement)
    with django_assert_num_queries(6):
        response = client.get(url("proposal-list"))
    assert len(re.findall('class="proposal-row"', body(response))) == count


def test_feedback_closed_as_led_to_deep_control_keeps_its_link(team, direct):
    feedback = services.lodge_feedback(
        actor=social_worker(), unit=direct, category="delivery", description="Stöd uteblev"
    )
    deep_control = services.start_deep_control(actor=team, feedback=feedback)
    services.communicate_feedback(actor=team, feedback=feedback.pk)
    services.close_feedback(
        actor=team, feedback=feedback.pk, closing_category=Feedback.Closing.DEEP_CONTROL
    )
    assert list(Feedback.objects.get(pk=feedback.pk).deep_controls.all()) == [deep_control]
