"""Matching-focused site visits: planned and recorded per placement team, joined by the
quality team, question templates per service, yearly counts, and the pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from categories.models import OperatingForm, Service
from followup import selectors, services
from followup.models import QuestionTemplate, SiteVisit
from spink.accounts.models import PlacementTeam, Role
from spink.errors import RuleViolation
from tests.factories import MunicipalityFactory, placement_officer, published_unit, user_with_role
from tests.followup.support import quality

pytestmark = pytest.mark.django_db
CHILDREN = PlacementTeam.CHILDREN_YOUTH
ADULTS = PlacementTeam.ADULTS
TODAY = timezone.localdate


@pytest.fixture
def officer():
    return placement_officer(MunicipalityFactory(), team=CHILDREN)


@pytest.fixture
def team():
    return quality()


@pytest.fixture
def hvb():
    return published_unit("hvb", "framework", name="Kompassen Tuve")


def service(code: str) -> Service:
    return Service.objects.get(code=code)


def form(code: str) -> OperatingForm:
    return OperatingForm.objects.get(code=code)


def plan(actor, unit, team=CHILDREN, service_code="hvb", form_code="framework", **kwargs):
    kwargs.setdefault("planned_for", TODAY() + dt.timedelta(days=7))
    return services.plan_site_visit(
        actor=actor,
        unit=unit,
        service=service(service_code),
        operating_form=form(form_code),
        team=team,
        **kwargs,
    )


def record(actor, visit, **kwargs):
    kwargs.setdefault("visited_on", TODAY())
    kwargs.setdefault("answers", [{"question": "Målgrupp?", "answer": "Flickor 13–17"}])
    kwargs.setdefault("assessment", SiteVisit.Assessment.APPROPRIATE)
    return services.record_site_visit(actor=actor, visit=visit.pk, **kwargs)


# --- Planning and recording ------------------------------------------------------------------


def test_an_officer_plans_a_visit_for_their_team(officer, hvb):
    visit = plan(officer, hvb)
    assert (visit.team, visit.created_by, visit.joint_with_quality_team) == (
        CHILDREN,
        officer,
        False,
    )
    assert visit.history.get().history_user == officer


def test_an_officer_cannot_plan_for_another_team(officer, hvb):
    with pytest.raises(RuleViolation) as refusal:
        plan(officer, hvb, team=ADULTS)
    assert refusal.value.code == "other_team"


def test_a_visit_must_be_to_a_service_the_unit_offers_in_that_form(officer, hvb):
    with pytest.raises(ValidationError) as refusal:
        plan(officer, hvb, form_code="direct")
    assert "service" in refusal.value.message_dict


def test_a_visit_the_quality_team_plans_is_joint(team, hvb):
    assert plan(team, hvb, team=ADULTS).joint_with_quality_team


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PROCUREMENT, Role.MANAGER])
def test_roles_without_site_visits_cannot_plan(hvb, role):
    with pytest.raises(PermissionDenied):
        plan(user_with_role(role), hvb)


def test_recording_keeps_answers_assessment_and_register_changes(officer, hvb):
    visit = plan(officer, hvb)
    record(officer, visit, register_changes="Uppdatera målgrupp: 13–17 år")
    visit.refresh_from_db()
    assert visit.visited_on == TODAY()
    assert visit.answers == [{"question": "Målgrupp?", "answer": "Flickor 13–17"}]
    assert (visit.assessment, visit.register_changes) == (
        "appropriate",
        "Uppdatera målgrupp: 13–17 år",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visited_on": None}, "visited_on"),
        ({"visited_on": dt.date(2999, 1, 1)}, "visited_on"),
        ({"assessment": ""}, "assessment"),
    ],
)
def test_a_record_needs_a_past_date_and_an_assessment(officer, hvb, changes, field):
    visit = plan(officer, hvb)
    with pytest.raises(ValidationError) as refusal:
        record(officer, visit, **changes)
    assert field in refusal.value.message_dict


def test_another_team_cannot_record_the_visit(officer, hvb):
    visit = plan(officer, hvb)
    adults_officer = placement_officer(officer.municipality, team=ADULTS)
    with pytest.raises(RuleViolation):
        record(adults_officer, visit)


def test_the_quality_team_records_only_visits_it_joined(officer, team, hvb):
    visit = plan(officer, hvb)
    with pytest.raises(RuleViolation) as refusal:
        record(team, visit)
    assert refusal.value.code == "not_joined"
    services.join_site_visit(actor=team, visit=visit.pk)
    record(team, visit, assessment=SiteVisit.Assessment.NOT_APPROPRIATE)
    visit.refresh_from_db()
    assert (visit.joint_with_quality_team, visit.assessment) == (True, "not_appropriate")


def test_only_the_quality_team_joins(officer, hvb):
    visit = plan(officer, hvb)
    with pytest.raises(PermissionDenied):
        services.join_site_visit(actor=officer, visit=visit.pk)


# --- Question templates ----------------------------------------------------------------------


def test_a_template_keeps_its_questions_and_drops_blank_lines(team):
    services.save_question_template(
        actor=team, service=service("hvb"), questions=["Målgrupp?", " ", "Metoder? "]
    )
    template = QuestionTemplate.objects.get(service__code="hvb")
    assert template.questions == ["Målgrupp?", "Metoder?"]
    assert template.history.first().history_user == team


def test_only_the_quality_team_edits_templates(officer):
    with pytest.raises(PermissionDenied):
        services.save_question_template(actor=officer, service=service("hvb"), questions=["Fråga?"])


def test_a_visits_questions_come_from_its_services_template_until_answered(team, officer, hvb):
    services.save_question_template(
        actor=team, service=service("hvb"), questions=["Målgrupp?", "Skola?"]
    )
    visit = plan(officer, hvb)
    assert selectors.visit_questions(visit) == ["Målgrupp?", "Skola?"]
    record(officer, visit, answers=[{"question": "Målgrupp?", "answer": "13–17"}])
    services.save_question_template(actor=team, service=service("hvb"), questions=["Ny fråga?"])
    visit.refresh_from_db()
    assert selectors.visit_questions(visit) == ["Målgrupp?"]


# --- Yearly counts ---------------------------------------------------------------------------


def test_counts_per_area_and_operating_form_for_the_yearly_report(team, officer):
    adults_officer = placement_officer(officer.municipality, team=ADULTS)
    visits = [
        (officer, published_unit("hvb", "framework"), "hvb", "framework", CHILDREN),
        (officer, published_unit("stodboende", "direct"), "stodboende", "direct", CHILDREN),
        (
            adults_officer,
            published_unit("skyddat-boende", "iop"),
            "skyddat-boende",
            "iop",
            ADULTS,
        ),
    ]
    for actor, unit, service_code, form_code, team_code in visits:
        visit = plan(actor, unit, team=team_code, service_code=service_code, form_code=form_code)
        record(actor, visit, visited_on=dt.date(TODAY().year, 1, 1))
    plan(officer, published_unit("hvb", "framework"))  # planned only: not counted
    statistics = selectors.site_visit_statistics(TODAY().year)
    assert statistics["total"] == 3
    with translation.override("sv"):
        statistics = selectors.site_visit_statistics(TODAY().year)
    assert dict(statistics["per_area"]) == {"IFO Barn och unga": 2, "IFO Vuxen": 1}
    assert dict(statistics["per_form"]) == {
        "Ramavtal": 1,
        "Direktupphandling": 1,
        form("iop").name_sv: 1,
    }
    assert statistics["appropriate"] == 3


# --- Pages -----------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"followup:{name}", args=args)


def body(response) -> str:
    return response.content.decode()


def test_an_officer_plans_and_records_a_visit_on_the_pages(client, team, officer, hvb):
    services.save_question_template(
        actor=team, service=service("hvb"), questions=["Vilken målgrupp tar ni emot?"]
    )
    client.force_login(officer)
    form_page = client.get(url("site-visit-create"), {"unit": hvb.pk})
    assert form_page.status_code == 200
    response = client.post(
        url("site-visit-create"),
        {
            "unit": hvb.pk,
            "service": service("hvb").pk,
            "operating_form": form("framework").pk,
            "team": CHILDREN,
            "planned_for": "2026-12-01",
        },
    )
    visit = SiteVisit.objects.get()
    assert response["Location"] == url("site-visit-detail", visit.pk)
    record_page = client.get(url("site-visit-record", visit.pk))
    assert "Vilken målgrupp tar ni emot?" in body(record_page)
    response = client.post(
        url("site-visit-record", visit.pk),
        {
            "visited_on": TODAY().isoformat(),
            "answer_0": "Pojkar 15–18",
            "assessment": "appropriate",
            "register_changes": "",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.answers == [{"question": "Vilken målgrupp tar ni emot?", "answer": "Pojkar 15–18"}]


def test_planning_for_another_team_is_refused_on_the_page(client, officer, hvb):
    client.force_login(officer)
    response = client.post(
        url("site-visit-create"),
        {
            "unit": hvb.pk,
            "service": service("hvb").pk,
            "operating_form": form("framework").pk,
            "team": ADULTS,
            "planned_for": "2026-12-01",
        },
    )
    assert response.status_code == 400
    assert 'class="error-summary"' in body(response)
    assert not SiteVisit.objects.exists()


def test_another_team_cannot_open_the_record_form(client, officer, hvb):
    visit = plan(officer, hvb)
    client.force_login(placement_officer(officer.municipality, team=ADULTS))
    assert client.get(url("site-visit-detail", visit.pk)).status_code == 200
    assert client.get(url("site-visit-record", visit.pk)).status_code == 403


def test_the_quality_team_joins_on_the_page_and_edits_templates(client, team, officer, hvb):
    visit = plan(officer, hvb)
    client.force_login(team)
    assert client.post(url("site-visit-join", visit.pk)).status_code == 302
    visit.refresh_from_db()
    assert visit.joint_with_quality_team
    response = client.post(
        url("question-template-edit", "hvb"), {"questions": "Målgrupp?\n\nMetoder?"}
    )
    assert response.status_code == 302
    assert QuestionTemplate.objects.get(service__code="hvb").questions == ["Målgrupp?", "Metoder?"]


def test_officers_cannot_edit_templates_or_join(client, officer, hvb):
    visit = plan(officer, hvb)
    client.force_login(officer)
    assert client.get(url("question-template-list")).status_code == 403
    assert client.post(url("question-template-edit", "hvb"), {"questions": "x"}).status_code == 403
    assert client.post(url("site-visit-join", visit.pk)).status_code == 403


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.MANAGER, Role.PROCUREMENT])
def test_roles_without_site_visits_see_none(client, officer, hvb, role):
    visit = plan(officer, hvb)
    client.force_login(user_with_role(role))
    assert client.get(url("site-visit-list")).status_code == 403
    assert client.get(url("site-visit-detail", visit.pk)).status_code == 403
    assert client.get(url("site-visit-create")).status_code == 403


@pytest.mark.parametrize("count", [2, 12])
def test_the_site_visit_list_runs_a_fixed_number_of_queries(
    client, officer, django_assert_num_queries, count
):
    for _ in range(count):
        plan(officer, published_unit("hvb", "framework"))
    client.force_login(officer)
    # session, user, count, page, yearly statistics
    with django_assert_num_queries(7):  # and the unread notifications and saved filters
        response = client.get(url("site-visit-list"))
    assert len(re.findall('class="site-visit-row"', body(response))) == count


def test_the_list_filters_by_team(client, officer, hvb):
    plan(officer, hvb)
    adults_officer = placement_officer(officer.municipality, team=ADULTS)
    plan(
        adults_officer,
        published_unit("socialt-boende", "direct"),
        team=ADULTS,
        service_code="socialt-boende",
        form_code="direct",
    )
    client.force_login(officer)
    response = client.get(url("site-visit-list"), {"team": CHILDREN})
    assert len(re.findall('class="site-visit-row"', body(response))) == 1


def test_question_templates_are_edited_in_the_admin_as_lines(client):
    admin = user_with_role(Role.ADMINISTRATOR)
    client.force_login(admin)
    response = client.post(
        reverse("admin:followup_questiontemplate_add"),
        {"service": service("stodboende").pk, "questions": "Målgrupp?\n\n Skola? "},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    template = QuestionTemplate.objects.get(service__code="stodboende")
    assert template.questions == ["Målgrupp?", "Skola?"]
    change = client.get(reverse("admin:followup_questiontemplate_change", args=[template.pk]))
    assert "Målgrupp?\nSkola?" in change.content.decode()
