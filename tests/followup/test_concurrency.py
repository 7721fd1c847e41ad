"""Follow-up edits that never overwrite each other: two tabs recording one control check, a
deep control's details, a site visit or a service's questions (the second save is refused,
keeps its input and can be saved again); decisions and steps sent from stale pages
(approve / reject, close / answer, two outcomes, take / close a signal: one wins, the other
is told); and start forms posted twice (one record)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from categories.models import OperatingForm, Service
from followup import services
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
from providers.models import PublicationStatus
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
    MunicipalityFactory,
    placement_officer,
    published_unit,
    social_worker,
    user_with_role,
)
from tests.followup.support import completed_control, direct_unit, quality
from tests.forms_support import STALE, form_data, label, logged_in, refused, two_tabs

pytestmark = pytest.mark.django_db

O = DeepControl.Outcome  # noqa: E741
F = Feedback.Status


@pytest.fixture
def team():
    return quality()


def twice(client, url: str, data: dict):
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    return first


# --- Pre-admission controls ----------------------------------------------------------------------


def test_second_tab_recording_a_check_recorded_meanwhile_is_refused_and_keeps_its_input(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    kind = control.checks.first().kind
    page = reverse("followup:control-detail", args=[control.pk])
    action = reverse("followup:control-check", args=[control.pk, kind])
    (first, first_form), (second, second_form) = two_tabs(team, page, action)
    assert first_form[f"{kind}-seen"]

    passed = {f"{kind}-result": CheckResult.PASSED, f"{kind}-note": "UC 2026-03-01: A"}
    assert first.post(action, first_form | passed).status_code == 302
    failed = {f"{kind}-result": CheckResult.FAILED, f"{kind}-note": "Skulder hos KFM"}
    text = refused(second.post(action, second_form | failed))
    assert label(ControlCheck, "result") in text  # says what changed
    assert "Skulder hos KFM" in text  # the user's input stays
    check = ControlCheck.objects.get(control=control, kind=kind)
    assert (check.result, check.note) == (CheckResult.PASSED, "UC 2026-03-01: A")

    # Having seen the refusal, saving again goes through, over the version now saved.
    assert second.post(action, form_data(text, action)).status_code == 302
    check.refresh_from_db()
    assert (check.result, check.note) == (CheckResult.FAILED, "Skulder hos KFM")


def test_a_stale_check_recorded_with_htmx_shows_the_refusal_in_the_check(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    kind = control.checks.first().kind
    page = reverse("followup:control-detail", args=[control.pk])
    action = reverse("followup:control-check", args=[control.pk, kind])
    (first, first_form), (second, second_form) = two_tabs(team, page, action)
    first.post(action, first_form | {f"{kind}-result": CheckResult.PASSED})
    swapped = second.post(
        action,
        second_form | {f"{kind}-result": CheckResult.REMARK, f"{kind}-note": "Anmärkning"},
        HTTP_HX_REQUEST="true",
    )
    assert swapped.status_code == 200  # htmx swaps only 2xx answers
    assert STALE in swapped.content.decode()
    assert ControlCheck.objects.get(control=control, kind=kind).result == CheckResult.PASSED


def test_approve_and_reject_from_two_stale_pages_apply_only_the_first(team):
    control = completed_control(team, direct_unit().provider)
    page = reverse("followup:control-detail", args=[control.pk])
    action = reverse("followup:control-decide", args=[control.pk])
    (first, approve), (second, reject) = two_tabs(team, page, action)
    assert approve["from_decision"] == Control.Decision.PENDING

    assert first.post(action, approve | {"decision": Control.Decision.APPROVED}).status_code == 302
    refused(
        second.post(action, reject | {"decision": Control.Decision.REJECTED, "reason": "Brister"})
    )
    control.refresh_from_db()
    assert (control.decision, control.decision_reason) == (Control.Decision.APPROVED, "")


# --- Feedback ------------------------------------------------------------------------------------


def communicated_feedback(team) -> Feedback:
    unit = published_unit(name="Vågen Majorna")
    feedback = services.lodge_feedback(
        actor=social_worker(), unit=unit, category="documentation", description="Planen saknas."
    )
    return services.communicate_feedback(actor=team, feedback=feedback.pk)


def test_closing_feedback_answered_meanwhile_is_refused_and_keeps_the_note(team):
    feedback = communicated_feedback(team)
    page = reverse("followup:feedback-detail", args=[feedback.pk])
    answer_url = reverse("followup:feedback-answer", args=[feedback.pk])
    close_url = reverse("followup:feedback-close", args=[feedback.pk])
    first, second = logged_in(team), logged_in(team)
    answer = form_data(first.get(page).content.decode(), answer_url)
    close = form_data(second.get(page).content.decode(), close_url)
    assert answer["from_status"] == close["from_status"] == F.COMMUNICATED

    answered = first.post(answer_url, answer | {"provider_answer": "Planen är nu upprättad."})
    assert answered.status_code == 302
    text = refused(
        second.post(close_url, close | {"closing_category": "resolved", "note": "Löst direkt"})
    )
    assert "Löst direkt" in text
    feedback.refresh_from_db()
    assert feedback.status == F.ANSWERED

    # Closing from the page that now shows the answer goes through.
    again = form_data(text, close_url)
    assert again["from_status"] == F.ANSWERED
    assert second.post(close_url, again | {"closing_category": "resolved"}).status_code == 302
    feedback.refresh_from_db()
    assert (feedback.status, feedback.closing_note) == (F.CLOSED, "Löst direkt")


def test_feedback_form_posted_twice_is_lodged_once():
    worker = social_worker()
    unit = published_unit(name="Vågen Majorna")
    client = logged_in(worker)
    url = reverse("followup:feedback-create")
    data = form_data(client.get(url).content.decode()) | {
        "unit": str(unit.pk),
        "category": "documentation",
        "description": "Genomförandeplanen saknas.",
    }
    assert data["form_key"]
    twice(client, url, data)
    assert Feedback.objects.filter(unit=unit).count() == 1


# --- Deep controls -------------------------------------------------------------------------------


def open_deep_control(team, **kwargs) -> DeepControl:
    unit = kwargs.pop("unit", None) or published_unit("socialt-boende", "direct")
    return services.start_deep_control(
        actor=team, unit=unit, reason=DeepControl.Reason.IVO_FINDING, **kwargs
    )


def test_second_tab_saving_a_deep_control_changed_meanwhile_is_refused(team):
    deep_control = open_deep_control(team, checks_done="Kreditupplysning")
    page = reverse("followup:deep-control-detail", args=[deep_control.pk])
    action = reverse("followup:deep-control-update", args=[deep_control.pk])
    (first, first_form), (second, second_form) = two_tabs(team, page, action)

    assert first.post(action, first_form | {"checks_done": "UC och Infotorg"}).status_code == 302
    text = refused(second.post(action, second_form | {"reason_details": "Tips från IVO"}))
    assert label(DeepControl, "checks_done") in text
    assert "Tips från IVO" in text
    deep_control.refresh_from_db()
    assert (deep_control.checks_done, deep_control.reason_details) == ("UC och Infotorg", "")

    assert second.post(action, form_data(text, action)).status_code == 302
    deep_control.refresh_from_db()
    assert deep_control.reason_details == "Tips från IVO"


def test_two_outcomes_from_stale_pages_apply_only_the_first(team):
    deep_control = open_deep_control(team)
    unit = deep_control.unit
    page = reverse("followup:deep-control-detail", args=[deep_control.pk])
    action = reverse("followup:deep-control-decide", args=[deep_control.pk])
    (first, first_form), (second, second_form) = two_tabs(team, page, action)

    no_action = {"outcome": O.NO_ACTION, "reason": "Inga brister"}
    assert first.post(action, first_form | no_action).status_code == 302
    refused(second.post(action, second_form | {"outcome": O.REMOVED, "reason": "Allvarligt"}))
    deep_control.refresh_from_db()
    unit.refresh_from_db()
    assert deep_control.outcome == O.NO_ACTION
    assert unit.status == PublicationStatus.PUBLISHED  # the stale removal never reached it


def test_an_order_stop_proposal_decided_meanwhile_is_refused(team):
    procurement = user_with_role(Role.PROCUREMENT)
    deep_control = open_deep_control(team, unit=published_unit("socialt-boende", "framework"))
    services.decide_deep_control(
        actor=team, deep_control=deep_control.pk, outcome=O.ORDER_STOP_PROPOSED, reason="Brister"
    )
    page = reverse("followup:proposal-detail", args=[deep_control.pk])
    action = reverse("followup:proposal-decide", args=[deep_control.pk])
    (first, first_form), (second, second_form) = two_tabs(procurement, page, action)

    decided = first_form | {"decision": DeepControl.OrderStopDecision.DECIDED, "reason": "Ja"}
    assert first.post(action, decided).status_code == 302
    declined = second_form | {"decision": DeepControl.OrderStopDecision.DECLINED, "reason": "Nej"}
    refused(second.post(action, declined))
    deep_control.refresh_from_db()
    assert deep_control.order_stop_decision == DeepControl.OrderStopDecision.DECIDED


def test_deep_control_start_form_posted_twice_starts_one(team):
    unit = published_unit("socialt-boende", "direct")
    client = logged_in(team)
    url = reverse("followup:deep-control-create")
    data = form_data(client.get(url).content.decode()) | {
        "unit": str(unit.pk),
        "reason": DeepControl.Reason.IVO_FINDING,
    }
    twice(client, url, data)
    assert DeepControl.objects.filter(unit=unit).count() == 1


def test_control_start_form_posted_twice_starts_one(team):
    provider = direct_unit().provider
    client = logged_in(team)
    url = reverse("followup:control-create")
    data = form_data(client.get(url).content.decode()) | {"provider": str(provider.pk)}
    twice(client, url, data)
    assert Control.objects.filter(provider=provider).count() == 1


# --- Site visits ---------------------------------------------------------------------------------


def planned_visit(officer) -> SiteVisit:
    return services.plan_site_visit(
        actor=officer,
        unit=published_unit("hvb", "framework", name="Kompassen Tuve"),
        service=Service.objects.get(code="hvb"),
        operating_form=OperatingForm.objects.get(code="framework"),
        team=PlacementTeam.CHILDREN_YOUTH,
        planned_for=timezone.localdate() + dt.timedelta(days=7),
    )


def test_second_tab_recording_a_site_visit_recorded_meanwhile_is_refused(team):
    officer = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    visit = planned_visit(officer)
    url = reverse("followup:site-visit-record", args=[visit.pk])
    (first, first_form), (second, second_form) = two_tabs(officer, url)
    today = timezone.localdate().isoformat()

    recorded = {"visited_on": today, "assessment": SiteVisit.Assessment.APPROPRIATE}
    assert first.post(url, first_form | recorded).status_code == 302
    mine = {
        "visited_on": today,
        "assessment": SiteVisit.Assessment.NOT_APPROPRIATE,
        "register_changes": "Ändra åldersgrupp",
    }
    text = refused(second.post(url, second_form | mine))
    assert "Ändra åldersgrupp" in text
    visit.refresh_from_db()
    assert (visit.assessment, visit.register_changes) == (SiteVisit.Assessment.APPROPRIATE, "")

    assert second.post(url, form_data(text)).status_code == 302
    visit.refresh_from_db()
    assert visit.assessment == SiteVisit.Assessment.NOT_APPROPRIATE


def test_site_visit_plan_form_posted_twice_plans_one_visit():
    officer = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    unit = published_unit("hvb", "framework", name="Kompassen Tuve")
    client = logged_in(officer)
    url = reverse("followup:site-visit-create")
    data = form_data(client.get(url).content.decode()) | {
        "unit": str(unit.pk),
        "service": str(Service.objects.get(code="hvb").pk),
        "operating_form": str(OperatingForm.objects.get(code="framework").pk),
        "team": PlacementTeam.CHILDREN_YOUTH,
        "planned_for": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
    }
    twice(client, url, data)
    assert SiteVisit.objects.filter(unit=unit).count() == 1


def test_second_tab_saving_questions_changed_meanwhile_is_refused(team):
    service = Service.objects.get(code="hvb")
    QuestionTemplate.objects.create(service=service, questions=["Målgrupp?"])
    url = reverse("followup:question-template-edit", args=[service.code])
    (first, first_form), (second, second_form) = two_tabs(team, url)
    assert first.post(url, first_form | {"questions": "Målgrupp?\nBemanning?"}).status_code == 302
    text = refused(second.post(url, second_form | {"questions": "Målgrupp?\nSkola?"}))
    assert "Skola?" in text
    assert QuestionTemplate.objects.get(service=service).questions == ["Målgrupp?", "Bemanning?"]


# --- Signals -------------------------------------------------------------------------------------


def new_signal() -> Signal:
    unit = published_unit("socialt-boende", "direct")
    return Signal.objects.create(
        kind=Signal.Kind.CREDIT,
        provider=unit.provider,
        unit=unit,
        title="Betalningsanmärkning",
        dedup_key=f"test:{unit.pk}",
    )


def test_closing_a_signal_someone_took_meanwhile_is_refused_and_keeps_the_note(team):
    signal = new_signal()
    page = reverse("monitoring:signal-detail", args=[signal.pk])
    take_url = reverse("monitoring:signal-take", args=[signal.pk])
    close_url = reverse("monitoring:signal-close", args=[signal.pk])
    first, second = logged_in(team), logged_in(quality())
    take = form_data(first.get(page).content.decode(), take_url)
    close = form_data(second.get(page).content.decode(), close_url)
    assert take["from_status"] == close["from_status"] == Signal.Status.NEW

    assert first.post(take_url, take).status_code == 302
    text = refused(second.post(close_url, close | {"note": "Inget att göra"}))
    assert "Inget att göra" in text
    signal.refresh_from_db()
    assert (signal.status, signal.handled_by) == (Signal.Status.IN_PROGRESS, team)

    # Closing from the page that shows who handles it now is a decision taken knowingly.
    again = form_data(text, close_url)
    assert again["from_status"] == Signal.Status.IN_PROGRESS
    assert second.post(close_url, again).status_code == 302
    signal.refresh_from_db()
    assert signal.status == Signal.Status.CLOSED


def test_taking_a_signal_from_a_stale_page_is_refused(team):
    signal = new_signal()
    page = reverse("monitoring:signal-detail", args=[signal.pk])
    take_url = reverse("monitoring:signal-take", args=[signal.pk])
    (first, first_form), (second, second_form) = two_tabs(team, page, take_url)
    assert first.post(take_url, first_form).status_code == 302
    refused(second.post(take_url, second_form))


def test_api_deep_control_write_with_a_stale_etag_is_refused_with_412(team):
    from rest_framework.test import APIClient

    deep_control = open_deep_control(team, checks_done="Kreditupplysning")
    client = APIClient()
    client.force_login(team)
    path = f"/api/v1/deep-controls/{deep_control.pk}/"
    etag = client.get(path)["ETag"]
    changed = client.patch(path, {"checks_done": "Bolagsverket"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != etag
    stale = client.patch(path, {"checks_done": "Skatteverket"}, format="json", HTTP_IF_MATCH=etag)
    assert (stale.status_code, stale.json()["code"]) == (412, "stale")
    deep_control.refresh_from_db()
    assert deep_control.checks_done == "Bolagsverket"
