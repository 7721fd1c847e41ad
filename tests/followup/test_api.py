"""The follow-up API: the same permissions as the pages, writes through the services, refusals
as 400 with field errors or the rule's message, never a 500."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from followup import services
from followup.models import (
    CheckResult,
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    Signal,
    SiteVisit,
)
from providers.models import PublicationStatus
from spink.accounts.models import PlacementTeam, Role
from tests.factories import (
    MunicipalityFactory,
    OrgUnitFactory,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
    user_with_role,
)
from tests.followup.support import PDF, direct_unit, pdf_upload, quality

pytestmark = pytest.mark.django_db
K = ControlCheck.Kind
CONTROLS = "/api/v1/controls/"
FEEDBACK = "/api/v1/feedback/"
DEEP = "/api/v1/deep-controls/"
VISITS = "/api/v1/site-visits/"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def team():
    return quality()


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def unit():
    return published_unit("socialt-boende", "direct", name="Tallen")


# --- Controls --------------------------------------------------------------------------------


def test_the_team_runs_a_control_through_the_api(team):
    unit = direct_unit()
    client = api(team)
    response = client.post(CONTROLS, {"provider": unit.provider.pk}, format="json")
    assert response.status_code == 201, response.content
    control = response.json()
    assert {check["kind"] for check in control["checks"]} == {
        K.CREDIT,
        K.EMPLOYER_REGISTRATION,
        K.F_TAX,
        K.LEGAL_DATABASE_COMPANY,
    }
    assert control["units"] == [unit.pk]
    response = client.post(
        f"{CONTROLS}{control['id']}/checks/{K.CREDIT}/",
        {"result": "remark", "note": "Låg soliditet", "evidence": pdf_upload()},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["evidence_name"].endswith(".pdf")
    assert response.json()["checked_by"] == team.pk
    for kind in (K.EMPLOYER_REGISTRATION, K.F_TAX, K.LEGAL_DATABASE_COMPANY):
        client.post(
            f"{CONTROLS}{control['id']}/checks/{kind}/", {"result": "passed"}, format="json"
        )
    response = client.post(
        f"{CONTROLS}{control['id']}/decide/", {"decision": "approved"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["decision"] == "approved"


def test_approving_with_an_open_check_answers_400_with_the_rules_code(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    response = api(team).post(
        f"{CONTROLS}{control.pk}/decide/", {"decision": "approved"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "open_checks"
    assert Control.objects.get().decision == Control.Decision.PENDING


def test_rejecting_without_a_reason_answers_400_on_the_reason_field(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    response = api(team).post(
        f"{CONTROLS}{control.pk}/decide/", {"decision": "rejected"}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()


@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        (K.CREDIT, {"result": "maybe"}, "result"),
        (K.CREDIT, {"result": "open"}, "result"),
        (K.CREDIT, {}, "result"),
        (K.TAX_REGISTRATION, {"result": "passed"}, "kind"),  # not on a company's checklist
        ("bogus", {"result": "passed"}, "kind"),
    ],
)
def test_bad_check_input_answers_400_with_field_errors(team, kind, payload, field):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    response = api(team).post(f"{CONTROLS}{control.pk}/checks/{kind}/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_bad_evidence_answers_400_on_the_evidence_field(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    response = api(team).post(
        f"{CONTROLS}{control.pk}/checks/{K.CREDIT}/",
        {"result": "passed", "evidence": pdf_upload("virus.exe", PDF)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "evidence" in response.json()


@pytest.mark.parametrize(
    "payload", [{}, {"provider": 999999}, {"provider": "x"}, {"provider": None}]
)
def test_bad_control_starts_answer_400(team, payload):
    assert api(team).post(CONTROLS, payload, format="json").status_code == 400


@pytest.mark.parametrize(
    "role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.PROCUREMENT, Role.MANAGER]
)
def test_controls_are_the_quality_teams_only(team, role):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    client = api(user_with_role(role))
    assert client.get(CONTROLS).status_code == 403
    assert client.get(f"{CONTROLS}{control.pk}/").status_code == 403
    assert client.post(CONTROLS, {"provider": control.provider_id}).status_code == 403
    response = client.post(
        f"{CONTROLS}{control.pk}/decide/", {"decision": "rejected", "reason": "x"}
    )
    assert response.status_code == 403


def test_anonymous_callers_are_refused():
    for path in (CONTROLS, FEEDBACK, DEEP, VISITS):
        assert APIClient().get(path).status_code in (401, 403)


# --- Feedback --------------------------------------------------------------------------------


def test_a_social_worker_lodges_and_sees_only_their_own_feedback(worker, unit):
    colleague = social_worker(OrgUnitFactory(administration=worker.administration))
    services.lodge_feedback(actor=colleague, unit=unit, category="other", description="Kollegans")
    request = submitted_request(worker)
    client = api(worker)
    response = client.post(
        FEEDBACK,
        {
            "unit": unit.pk,
            "category": "documentation",
            "description": "Saknar plan",
            "placement_request": request.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["placement_request_reference"] == request.reference
    listed = client.get(FEEDBACK).json()["results"]
    assert [item["description"] for item in listed] == ["Saknar plan"]
    others = Feedback.objects.get(description="Kollegans")
    assert client.get(f"{FEEDBACK}{others.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"category": "documentation", "description": "x"}, "unit"),
        ({"unit": "UNIT", "category": "bogus", "description": "x"}, "category"),
        ({"unit": "UNIT", "category": "documentation", "description": ""}, "description"),
        ({"unit": "HIDDEN", "category": "documentation", "description": "x"}, "unit"),
        (
            {
                "unit": "UNIT",
                "category": "documentation",
                "description": "x",
                "placement_request": "OTHER",
            },
            "placement_request",
        ),
    ],
)
def test_bad_feedback_answers_400_with_field_errors(worker, unit, payload, field):
    hidden = published_unit()
    hidden.status = PublicationStatus.PAUSED
    hidden.save()
    other_request = submitted_request(social_worker())
    values = {"UNIT": unit.pk, "HIDDEN": hidden.pk, "OTHER": other_request.pk}
    payload = {key: values.get(value, value) for key, value in payload.items()}
    response = api(worker).post(FEEDBACK, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Feedback.objects.exists()


def test_the_team_handles_feedback_through_the_api(worker, team, unit):
    feedback = services.lodge_feedback(
        actor=worker, unit=unit, category="delivery", description="x"
    )
    client = api(team)
    assert [f["id"] for f in client.get(FEEDBACK).json()["results"]] == [feedback.pk]
    assert client.post(f"{FEEDBACK}{feedback.pk}/communicate/").json()["status"] == "communicated"
    response = client.post(
        f"{FEEDBACK}{feedback.pk}/answer/", {"provider_answer": ""}, format="json"
    )
    assert response.status_code == 400
    assert "provider_answer" in response.json()
    response = client.post(
        f"{FEEDBACK}{feedback.pk}/answer/", {"provider_answer": "Åtgärdat"}, format="json"
    )
    assert response.json()["status"] == "answered"
    response = client.post(
        f"{FEEDBACK}{feedback.pk}/close/",
        {"closing_category": "resolved", "note": "Internt"},
        format="json",
    )
    assert response.json()["status"] == "closed"
    assert response.json()["closing_note"] == "Internt"
    # The lodger sees the outcome, not the team's internal note.
    mine = api(worker).get(f"{FEEDBACK}{feedback.pk}/").json()
    assert (mine["closing_category"], mine["closing_note"]) == ("resolved", "")


def test_a_refused_feedback_step_answers_400_with_the_rules_code(worker, team, unit):
    feedback = services.lodge_feedback(
        actor=worker, unit=unit, category="delivery", description="x"
    )
    response = api(team).post(
        f"{FEEDBACK}{feedback.pk}/close/", {"closing_category": "documented"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "illegal_transition"


def test_those_placing_cannot_handle_feedback(worker, unit):
    feedback = services.lodge_feedback(
        actor=worker, unit=unit, category="delivery", description="x"
    )
    assert api(worker).post(f"{FEEDBACK}{feedback.pk}/communicate/").status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PROCUREMENT])
def test_managers_and_procurement_get_no_feedback(worker, unit, role):
    services.lodge_feedback(actor=worker, unit=unit, category="delivery", description="x")
    client = api(user_with_role(role))
    assert client.get(FEEDBACK).status_code == 403
    response = client.post(
        FEEDBACK, {"unit": unit.pk, "category": "other", "description": "x"}, format="json"
    )
    assert response.status_code == 403


def test_the_quality_team_cannot_lodge_feedback(team, unit):
    response = api(team).post(
        FEEDBACK, {"unit": unit.pk, "category": "other", "description": "x"}, format="json"
    )
    assert response.status_code == 403


# --- Deep controls ---------------------------------------------------------------------------


def test_the_team_pauses_a_unit_through_a_deep_control(team, unit):
    signal = Signal.objects.create(
        kind=Signal.Kind.CREDIT, provider=unit.provider, unit=unit, title="Skulder", dedup_key="k1"
    )
    client = api(team)
    response = client.post(DEEP, {"signal": signal.pk}, format="json")
    assert response.status_code == 201, response.content
    deep_id = response.json()["id"]
    assert response.json()["reason"] == "signal"
    response = client.patch(
        f"{DEEP}{deep_id}/",
        {
            "checks_done": "Kreditupplysning",
            "site_visit_done": True,
            "site_visit_date": "2026-11-20",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["site_visit_date"] == "2026-11-20"
    response = client.post(
        f"{DEEP}{deep_id}/decide/", {"outcome": "paused", "reason": "Skulder"}, format="json"
    )
    assert response.status_code == 200, response.content
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PAUSED


def test_a_site_visit_without_a_date_answers_400_on_the_date(team, unit):
    response = api(team).post(
        DEEP, {"unit": unit.pk, "reason": "police", "site_visit_done": True}, format="json"
    )
    assert response.status_code == 400
    assert "site_visit_date" in response.json()


def test_a_recommendation_stop_on_a_framework_unit_answers_400_with_the_registers_code(team):
    framework = published_unit("socialt-boende", "framework")
    deep_control = services.start_deep_control(actor=team, unit=framework, reason="ivo_finding")
    response = api(team).post(
        f"{DEEP}{deep_control.pk}/decide/",
        {"outcome": "recommendation_stop", "reason": "Brister"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_direct_procurement"
    assert DeepControl.objects.get().outcome == ""


@pytest.mark.parametrize(
    "payload", [{}, {"outcome": "bogus", "reason": "x"}, {"outcome": "paused", "reason": ""}]
)
def test_bad_outcomes_answer_400(team, unit, payload):
    deep_control = services.start_deep_control(actor=team, unit=unit, reason="other")
    assert (
        api(team).post(f"{DEEP}{deep_control.pk}/decide/", payload, format="json").status_code
        == 400
    )
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PUBLISHED


def test_procurement_sees_only_proposals_and_decides_them(team):
    framework = published_unit("socialt-boende", "framework")
    proposal = services.start_deep_control(actor=team, unit=framework, reason="police")
    services.decide_deep_control(
        actor=team, deep_control=proposal.pk, outcome="order_stop_proposed", reason="Kriminalitet"
    )
    other = services.start_deep_control(actor=team, unit=framework, reason="other")
    procurement = user_with_role(Role.PROCUREMENT)
    client = api(procurement)
    assert [item["id"] for item in client.get(DEEP).json()["results"]] == [proposal.pk]
    assert client.get(f"{DEEP}{other.pk}/").status_code == 404
    assert (
        client.post(
            f"{DEEP}{proposal.pk}/decide/", {"outcome": "paused", "reason": "x"}
        ).status_code
        == 403
    )
    response = client.post(
        f"{DEEP}{proposal.pk}/order-stop/", {"decision": "decided", "reason": "Ja"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["order_stop_decision"] == "decided"
    framework.refresh_from_db()
    assert framework.order_stop
    response = client.post(
        f"{DEEP}{proposal.pk}/order-stop/", {"decision": "declined", "reason": "Nej"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "proposal_decided"


def test_the_quality_team_cannot_decide_an_order_stop(team):
    framework = published_unit("socialt-boende", "framework")
    proposal = services.start_deep_control(actor=team, unit=framework, reason="police")
    services.decide_deep_control(
        actor=team, deep_control=proposal.pk, outcome="order_stop_proposed", reason="Kriminalitet"
    )
    response = api(team).post(
        f"{DEEP}{proposal.pk}/order-stop/", {"decision": "decided", "reason": "x"}, format="json"
    )
    assert response.status_code == 403
    framework.refresh_from_db()
    assert not framework.order_stop


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER])
def test_deep_controls_are_closed_to_other_roles(team, unit, role):
    services.start_deep_control(actor=team, unit=unit, reason="other")
    client = api(user_with_role(role))
    assert client.get(DEEP).status_code == 403
    assert client.post(DEEP, {"unit": unit.pk, "reason": "other"}).status_code == 403


# --- Site visits -----------------------------------------------------------------------------


def test_an_officer_plans_and_records_a_visit_through_the_api():
    officer = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    hvb = published_unit("hvb", "framework")
    client = api(officer)
    response = client.post(
        VISITS,
        {
            "unit": hvb.pk,
            "service": "hvb",
            "operating_form": "framework",
            "team": "children_youth",
            "planned_for": "2026-12-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    visit_id = response.json()["id"]
    response = client.post(
        f"{VISITS}{visit_id}/record/",
        {
            "visited_on": "2026-11-20",
            "answers": [{"question": "Målgrupp?", "answer": "Flickor"}],
            "assessment": "appropriate",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["answers"] == [{"question": "Målgrupp?", "answer": "Flickor"}]
    assert SiteVisit.objects.get().assessment == "appropriate"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"team": "adults"}, "code"),  # another team: the rule's refusal
        ({"operating_form": "direct"}, "service"),  # not offered in that form
        ({"service": "nope"}, "service"),
        ({"planned_for": "soon"}, "planned_for"),
    ],
)
def test_bad_visit_plans_answer_400(payload, field):
    officer = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    hvb = published_unit("hvb", "framework")
    data = {
        "unit": hvb.pk,
        "service": "hvb",
        "operating_form": "framework",
        "team": "children_youth",
        "planned_for": "2026-12-01",
    } | payload
    response = api(officer).post(VISITS, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SiteVisit.objects.exists()


def test_the_quality_team_joins_a_visit_and_officers_cannot(team):
    officer = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    hvb = published_unit("hvb", "framework")
    visit = services.plan_site_visit(
        actor=officer,
        unit=hvb,
        service=hvb.offerings.get().service,
        operating_form=hvb.offerings.get().operating_form,
        team="children_youth",
        planned_for="2026-12-01",
    )
    assert api(officer).post(f"{VISITS}{visit.pk}/join/").status_code == 403
    response = api(team).post(f"{VISITS}{visit.pk}/join/")
    assert response.status_code == 200
    assert response.json()["joint_with_quality_team"] is True


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.MANAGER, Role.PROCUREMENT])
def test_site_visits_are_closed_to_other_roles(role):
    assert api(user_with_role(role)).get(VISITS).status_code == 403


# --- Query counts and schema -----------------------------------------------------------------


def _list_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_the_lists_need_the_same_number_of_queries_for_few_and_many(team, worker):
    client = api(team)

    def add(count):
        for _ in range(count):
            unit = direct_unit(status=PublicationStatus.PUBLISHED)
            control = services.start_control(actor=team, provider=unit.provider)
            services.record_check(
                actor=team, control=control.pk, kind=K.CREDIT, result=CheckResult.PASSED
            )
            services.lodge_feedback(actor=worker, unit=unit, category="other", description="x")
            services.start_deep_control(actor=team, unit=unit, reason="other")

    add(2)
    few = [_list_queries(client, path) for path in (CONTROLS, FEEDBACK, DEEP, VISITS)]
    add(10)
    many = [_list_queries(client, path) for path in (CONTROLS, FEEDBACK, DEEP, VISITS)]
    assert few == many


def test_schema_documents_the_follow_up_endpoints_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()
    for path in (
        "/api/v1/controls/",
        "/api/v1/controls/{id}/checks/{kind}/",
        "/api/v1/controls/{id}/decide/",
        "/api/v1/feedback/",
        "/api/v1/feedback/{id}/communicate/",
        "/api/v1/feedback/{id}/answer/",
        "/api/v1/feedback/{id}/close/",
        "/api/v1/deep-controls/",
        "/api/v1/deep-controls/{id}/decide/",
        "/api/v1/deep-controls/{id}/order-stop/",
        "/api/v1/site-visits/",
        "/api/v1/site-visits/{id}/record/",
    ):
        assert f"  {path}:" in schema
