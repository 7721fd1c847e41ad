"""Pre-admission controls: the checklist, recording checks, the decision, the publication
condition for direct-procurement units, statistics, and the control pages."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from followup import rules, selectors, services
from followup.models import CheckResult, Control, ControlCheck
from providers import services as register_services
from providers.models import LegalForm, PublicationStatus, Unit, UnitEvent
from spink.accounts.models import Role
from spink.errors import RuleViolation
from tests.factories import ProviderFactory, UnitFactory, offering, permit, user_with_role
from tests.followup.support import (
    PDF,
    PNG,
    approved_control,
    completed_control,
    direct_unit,
    framework_unit,
    pdf_upload,
    quality,
)

pytestmark = pytest.mark.django_db
K = ControlCheck.Kind
S = PublicationStatus


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def team():
    return quality()


def kinds(control: Control) -> set[str]:
    return set(control.checks.values_list("kind", flat=True))


def swedish(callable_, *args) -> str:
    """The message a rule refuses with, as a Swedish user sees it."""
    with translation.override("sv"), pytest.raises(RuleViolation) as refusal:
        callable_(*args)
    return str(refusal.value.message)


def publish(unit: Unit, actor):
    return register_services.change_status(
        actor=actor, unit=unit.pk, to_status=S.PUBLISHED, reason="Klar"
    )


# --- The checklist ---------------------------------------------------------------------------

COMPANY = {K.CREDIT, K.EMPLOYER_REGISTRATION, K.F_TAX, K.LEGAL_DATABASE_COMPANY}
ASSOCIATION = {K.TAX_REGISTRATION, K.ENFORCEMENT_DEBTS, K.LEGAL_DATABASE_PEOPLE}
PERMIT = {K.IVO_PERMIT, K.SUPERVISION_REPORTS}


@pytest.mark.parametrize(
    ("legal_form", "expected"),
    [
        (LegalForm.COMPANY, COMPANY),
        (LegalForm.ECONOMIC_ASSOCIATION, COMPANY),
        (LegalForm.NON_PROFIT_ASSOCIATION, ASSOCIATION),
        (LegalForm.FOUNDATION, ASSOCIATION),
        (LegalForm.OTHER, COMPANY | ASSOCIATION),
    ],
)
def test_checklist_follows_the_providers_legal_form(team, legal_form, expected):
    unit = direct_unit(legal_form=legal_form)
    control = services.start_control(actor=team, provider=unit.provider)
    assert kinds(control) == expected
    assert set(control.checks.values_list("result", flat=True)) == {CheckResult.OPEN}


@pytest.mark.parametrize(
    ("service_code", "form_code", "needs_ivo"),
    [
        ("hvb", "direct", True),
        ("hvb", "own", False),  # own operation needs no IVO permit
        ("oppenvard", "direct", False),  # no permit needed for the service
    ],
)
def test_ivo_checks_are_added_when_a_unit_offers_permit_requiring_work(
    team, service_code, form_code, needs_ivo
):
    provider = ProviderFactory(legal_form=LegalForm.FOUNDATION)
    unit = UnitFactory(provider=provider)
    offering(unit, "socialt-boende", "direct")
    offering(unit, service_code, form_code)
    control = services.start_control(actor=team, provider=provider)
    assert kinds(control) == ASSOCIATION | (PERMIT if needs_ivo else set())


def test_ivo_checks_look_at_every_unit_of_the_control(team):
    provider = ProviderFactory(legal_form=LegalForm.COMPANY)
    direct_unit(provider=provider)
    hvb = UnitFactory(provider=provider)
    offering(hvb, "hvb", "direct")
    assert kinds(services.start_control(actor=team, provider=provider)) == COMPANY | PERMIT


def test_starting_a_control_moves_draft_and_removed_units_under_control_with_a_logged_reason(
    team,
):
    draft = direct_unit()
    removed = direct_unit(status=S.REMOVED, provider=draft.provider)
    published = direct_unit(status=S.PUBLISHED, provider=draft.provider)
    control = services.start_control(actor=team, provider=draft.provider)
    assert set(control.units.all()) == {draft, removed, published}
    for unit, expected in ((draft, S.UNDER_CONTROL), (removed, S.UNDER_CONTROL)):
        unit.refresh_from_db()
        assert unit.status == expected
        event = UnitEvent.objects.get(unit=unit)
        assert (event.actor, event.source) == (team, f"control {control.pk}")
    published.refresh_from_db()
    assert published.status == S.PUBLISHED


def test_a_control_can_cover_chosen_units_only(team):
    first = direct_unit()
    second = direct_unit(provider=first.provider)
    control = services.start_control(actor=team, provider=first.provider, units=[first])
    assert list(control.units.all()) == [first]
    second.refresh_from_db()
    assert second.status == S.DRAFT


def test_units_of_another_provider_are_refused(team):
    unit = direct_unit()
    stranger = direct_unit()
    with pytest.raises(ValidationError) as refusal:
        services.start_control(actor=team, provider=unit.provider, units=[unit, stranger])
    assert "units" in refusal.value.message_dict
    assert not Control.objects.exists()


def test_a_second_control_cannot_start_while_one_is_pending(team):
    unit = direct_unit()
    services.start_control(actor=team, provider=unit.provider)
    with pytest.raises(RuleViolation) as refusal:
        services.start_control(actor=team, provider=unit.provider)
    assert refusal.value.code == "control_in_progress"
    assert Control.objects.count() == 1


def test_own_operation_is_not_controlled(team):
    unit = direct_unit(legal_form=LegalForm.MUNICIPAL)
    with pytest.raises(RuleViolation) as refusal:
        services.start_control(actor=team, provider=unit.provider)
    assert refusal.value.code == "own_operation"


@pytest.mark.parametrize(
    "role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.PROCUREMENT, Role.MANAGER]
)
def test_only_the_quality_team_runs_controls(role):
    unit = direct_unit()
    with pytest.raises(PermissionDenied):
        services.start_control(actor=user_with_role(role), provider=unit.provider)


# --- Recording checks ------------------------------------------------------------------------


def test_recording_a_check_keeps_result_note_evidence_who_and_when(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    before = timezone.now()
    check = services.record_check(
        actor=team,
        control=control.pk,
        kind=K.CREDIT,
        result=CheckResult.REMARK,
        note="  Svag soliditet  ",
        evidence=pdf_upload(),
    )
    check.refresh_from_db()
    assert (check.result, check.note, check.checked_by) == (
        CheckResult.REMARK,
        "Svag soliditet",
        team,
    )
    assert check.checked_at >= before
    assert check.evidence.name.endswith(".pdf")
    assert check.evidence.read().startswith(b"%PDF")
    history = check.history.first()
    assert (history.history_user, history.result) == (team, CheckResult.REMARK)


@pytest.mark.parametrize(
    ("name", "content", "message_part"),
    [
        ("utdrag.exe", PDF, "PDF, PNG, JPG, DOCX"),
        ("utdrag.txt", b"text", "PDF, PNG, JPG, DOCX"),
        ("utdrag.pdf", PNG, "does not match"),  # a PNG renamed to .pdf
        ("stor.pdf", PDF + b"0" * (10 * 1024 * 1024), "10 MB"),
    ],
)
def test_evidence_must_be_a_small_pdf_image_or_office_file(team, name, content, message_part):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        services.record_check(
            actor=team,
            control=control.pk,
            kind=K.CREDIT,
            result=CheckResult.PASSED,
            evidence=pdf_upload(name, content),
        )
    assert message_part in " ".join(refusal.value.message_dict["evidence"])
    check = control.checks.get(kind=K.CREDIT)
    assert (check.result, check.evidence.name) == (CheckResult.OPEN, "")


def test_evidence_of_every_allowed_type_is_accepted(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:  # a real package: a damaged one is refused
        archive.writestr("word/document.xml", "<w:document/>")
    files = [
        ("a.pdf", PDF),
        ("b.PNG", PNG),
        ("c.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 16),
        ("d.docx", docx.getvalue()),
    ]
    for (name, content), kind in zip(
        files, [K.CREDIT, K.F_TAX, K.EMPLOYER_REGISTRATION, K.LEGAL_DATABASE_COMPANY], strict=True
    ):
        services.record_check(
            actor=team,
            control=control.pk,
            kind=kind,
            result=CheckResult.PASSED,
            evidence=pdf_upload(name, content),
        )
    assert control.checks.exclude(evidence="").count() == 4


@pytest.mark.parametrize("result", [CheckResult.OPEN, "maybe", ""])
def test_a_check_needs_a_result(team, result):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    with pytest.raises(ValidationError) as refusal:
        services.record_check(actor=team, control=control.pk, kind=K.CREDIT, result=result)
    assert "result" in refusal.value.message_dict


def test_a_check_not_on_the_checklist_is_refused(team):
    control = services.start_control(
        actor=team, provider=direct_unit(legal_form=LegalForm.COMPANY).provider
    )
    with pytest.raises(ValidationError):
        services.record_check(
            actor=team, control=control.pk, kind=K.TAX_REGISTRATION, result=CheckResult.PASSED
        )


# --- The decision ----------------------------------------------------------------------------


def test_a_control_with_every_check_passed_or_remarked_can_be_approved(team):
    control = completed_control(team, direct_unit().provider)
    services.record_check(actor=team, control=control.pk, kind=K.CREDIT, result=CheckResult.REMARK)
    services.approve_control(actor=team, control=control.pk)
    control.refresh_from_db()
    assert control.decision == Control.Decision.APPROVED
    assert control.decided_by == team
    assert control.history.first().history_user == team


def test_approving_with_an_open_check_is_refused_naming_the_check(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    for kind in (K.EMPLOYER_REGISTRATION, K.F_TAX, K.LEGAL_DATABASE_COMPANY):
        services.record_check(actor=team, control=control.pk, kind=kind, result=CheckResult.PASSED)
    with translation.override("en"), pytest.raises(RuleViolation) as refusal:
        services.approve_control(actor=team, control=control.pk)
    assert refusal.value.code == "open_checks"
    assert "Credit rating and finances" in str(refusal.value.message)
    control.refresh_from_db()
    assert control.decision == Control.Decision.PENDING


def test_approving_with_a_failed_check_is_refused(team):
    control = completed_control(team, direct_unit().provider)
    services.record_check(
        actor=team,
        control=control.pk,
        kind=K.F_TAX,
        result=CheckResult.FAILED,
        note="Saknar F-skatt",
    )
    with translation.override("en"), pytest.raises(RuleViolation) as refusal:
        services.approve_control(actor=team, control=control.pk)
    assert refusal.value.code == "failed_checks"
    assert "F-tax registration" in str(refusal.value.message)
    assert Control.objects.get(pk=control.pk).decision == Control.Decision.PENDING


def test_rejecting_needs_a_reason(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    with pytest.raises(ValidationError) as refusal:
        services.reject_control(actor=team, control=control.pk, reason="  ")
    assert "reason" in refusal.value.message_dict
    services.reject_control(actor=team, control=control.pk, reason="IVO-brister och svag ekonomi")
    control.refresh_from_db()
    assert (control.decision, control.decision_reason) == (
        Control.Decision.REJECTED,
        "IVO-brister och svag ekonomi",
    )


def test_a_decided_control_cannot_be_changed(team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    services.reject_control(actor=team, control=control.pk, reason="Saknar godkänd föreståndare")
    with pytest.raises(RuleViolation) as refusal:
        services.record_check(
            actor=team, control=control.pk, kind=K.CREDIT, result=CheckResult.PASSED
        )
    assert refusal.value.code == "control_decided"
    with pytest.raises(RuleViolation):
        services.approve_control(actor=team, control=control.pk)


# --- Publication -----------------------------------------------------------------------------


def test_a_direct_unit_cannot_be_published_without_a_control(team):
    unit = direct_unit(status=S.UNDER_CONTROL)
    with pytest.raises(RuleViolation) as refusal:
        publish(unit, team)
    assert refusal.value.code == "control_missing"
    unit.refresh_from_db()
    assert unit.status == S.UNDER_CONTROL


def test_a_direct_unit_cannot_be_published_while_the_control_is_pending(team):
    unit = direct_unit()
    completed_control(team, unit.provider)
    with pytest.raises(RuleViolation) as refusal:
        publish(unit, team)
    assert refusal.value.code == "control_pending"


def test_a_rejected_control_keeps_the_direct_unit_unpublished(team):
    unit = direct_unit()
    control = services.start_control(actor=team, provider=unit.provider)
    services.reject_control(actor=team, control=control.pk, reason="Anmärkning från revision")
    with pytest.raises(RuleViolation) as refusal:
        publish(unit, team)
    assert refusal.value.code == "control_rejected"
    unit.refresh_from_db()
    assert unit.status == S.UNDER_CONTROL


def test_an_approved_control_lets_the_direct_unit_be_published(team):
    unit = direct_unit()
    approved_control(team, unit.provider)
    publish(unit, team)
    unit.refresh_from_db()
    assert unit.status == S.PUBLISHED


def test_the_latest_decision_counts(team):
    unit = direct_unit()
    approved_control(team, unit.provider)
    later = services.start_control(actor=team, provider=unit.provider)
    services.reject_control(
        actor=team, control=later.pk, reason="Ny kreditupplysning visar skulder"
    )
    with pytest.raises(RuleViolation) as refusal:
        publish(unit, team)
    assert refusal.value.code == "control_rejected"


def test_a_framework_unit_is_published_without_a_spink_control(team):
    unit = framework_unit(status=S.UNDER_CONTROL)
    publish(unit, team)
    unit.refresh_from_db()
    assert unit.status == S.PUBLISHED


def test_the_publication_check_is_registered_with_the_register():
    from providers import rules as register_rules

    assert rules.check_unit_publishable in register_rules.PUBLICATION_CHECKS


def test_the_register_page_shows_why_publishing_is_refused(client, team):
    unit = direct_unit()
    control = services.start_control(actor=team, provider=unit.provider)
    services.reject_control(actor=team, control=control.pk, reason="Brister vid IVO-tillsyn")
    expected = swedish(rules.check_unit_publishable, unit, timezone.localdate())
    client.force_login(team)
    response = client.post(
        reverse("providers:unit-status", args=[unit.pk]),
        {"status-to_status": "published", "status-reason": "Klar"},
    )
    assert response.status_code == 400
    assert escape(expected) in response.content.decode()


# --- Statistics ------------------------------------------------------------------------------


def decided_on(control: Control, when: dt.datetime) -> None:
    Control.objects.filter(pk=control.pk).update(decided_at=when)


def test_statistics_count_controlled_and_not_approved_per_half_year_with_reasons(team):
    tz = timezone.get_current_timezone()
    outcomes = [
        (dt.datetime(2024, 3, 1, 12, tzinfo=tz), None),
        (dt.datetime(2024, 8, 1, 12, tzinfo=tz), "IVO-brister"),
        (dt.datetime(2024, 9, 1, 12, tzinfo=tz), "Saknar godkänd föreståndare"),
        (dt.datetime(2024, 10, 1, 12, tzinfo=tz), None),
        (dt.datetime(2023, 10, 1, 12, tzinfo=tz), "Annat år"),
    ]
    for when, rejection in outcomes:
        provider = direct_unit().provider
        if rejection:
            control = services.start_control(actor=team, provider=provider)
            services.reject_control(actor=team, control=control.pk, reason=rejection)
        else:
            control = approved_control(team, provider)
        decided_on(control, when)
    services.start_control(actor=team, provider=direct_unit().provider)  # pending: not counted

    first, second = selectors.control_statistics(2024)
    assert (first.controlled, first.approved, first.not_approved) == (1, 1, 0)
    assert (second.controlled, second.approved, second.not_approved) == (3, 1, 2)
    assert [r["reason"] for r in second.rejections] == [
        "Saknar godkänd föreståndare",
        "IVO-brister",
    ]
    (year,) = selectors.control_statistics(2024, by="year")
    assert (year.controlled, year.not_approved) == (4, 2)


# --- Pages -----------------------------------------------------------------------------------


def page(client, user, name, *args, method="get", data=None):
    client.force_login(user)
    return getattr(client, method)(reverse(f"followup:{name}", args=args), data or {})


def body(response) -> str:
    return response.content.decode()


def test_the_team_starts_a_control_from_the_page_and_sees_the_checklist(client, team):
    unit = direct_unit(name="Lugnet Angered")
    response = page(
        client, team, "control-create", method="post", data={"provider": unit.provider.pk}
    )
    control = Control.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("followup:control-detail", args=[control.pk])
    detail = page(client, team, "control-detail", control.pk)
    assert detail.status_code == 200
    with translation.override("sv"):
        for kind in COMPANY:
            assert str(K(kind).label) in body(detail)
    assert "Lugnet Angered" in body(detail)


def test_a_refused_start_is_shown_on_the_form(client, team):
    unit = direct_unit()
    services.start_control(actor=team, provider=unit.provider)
    response = page(
        client, team, "control-create", method="post", data={"provider": unit.provider.pk}
    )
    assert response.status_code == 400
    assert 'class="error-summary"' in body(response)
    assert Control.objects.count() == 1


def test_recording_a_check_on_the_page_with_evidence(client, team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    response = page(
        client,
        team,
        "control-check",
        control.pk,
        K.CREDIT,
        method="post",
        data={
            f"{K.CREDIT}-result": CheckResult.FAILED,
            f"{K.CREDIT}-note": "Betalningsanmärkningar",
            f"{K.CREDIT}-evidence": pdf_upload(),
        },
    )
    assert response.status_code == 302
    check = control.checks.get(kind=K.CREDIT)
    assert (check.result, check.note, check.checked_by) == (
        CheckResult.FAILED,
        "Betalningsanmärkningar",
        team,
    )
    evidence = page(client, team, "control-evidence", control.pk, K.CREDIT)
    assert evidence.status_code == 200
    assert b"".join(evidence.streaming_content).startswith(b"%PDF")


def test_recording_a_check_with_htmx_returns_just_the_check(client, team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    client.force_login(team)
    response = client.post(
        reverse("followup:control-check", args=[control.pk, K.F_TAX]),
        {f"{K.F_TAX}-result": CheckResult.PASSED},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"check-{K.F_TAX}",
    )
    assert response.status_code == 200
    assert "<html" not in body(response)
    assert f'id="check-{K.F_TAX}"' in body(response)


def test_a_bad_evidence_file_is_shown_on_the_check_form(client, team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    response = page(
        client,
        team,
        "control-check",
        control.pk,
        K.CREDIT,
        method="post",
        data={
            f"{K.CREDIT}-result": CheckResult.PASSED,
            f"{K.CREDIT}-evidence": pdf_upload("x.exe"),
        },
    )
    assert response.status_code == 400
    assert f'href="#id_{K.CREDIT}-evidence"' in body(response)
    assert control.checks.get(kind=K.CREDIT).result == CheckResult.OPEN


def test_approving_with_open_checks_on_the_page_shows_the_rules_message(client, team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    expected = swedish(rules.CONTROL.check_state, "approve", control)
    response = page(
        client,
        team,
        "control-decide",
        control.pk,
        method="post",
        data={"decision": "approved", "reason": ""},
    )
    assert response.status_code == 400
    assert escape(expected) in body(response)
    control.refresh_from_db()
    assert control.decision == Control.Decision.PENDING


def test_rejecting_on_the_page_records_the_reason(client, team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    response = page(
        client,
        team,
        "control-decide",
        control.pk,
        method="post",
        data={"decision": "rejected", "reason": "Brister i ekonomin"},
    )
    assert response.status_code == 302
    control.refresh_from_db()
    assert (control.decision, control.decision_reason) == ("rejected", "Brister i ekonomin")


@pytest.mark.parametrize(
    "role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.PROCUREMENT, Role.MANAGER]
)
def test_other_roles_cannot_open_or_change_controls(client, team, role):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    user = user_with_role(role)
    assert page(client, user, "control-list").status_code == 403
    assert page(client, user, "control-detail", control.pk).status_code == 403
    assert page(client, user, "control-evidence", control.pk, K.CREDIT).status_code == 403
    response = page(
        client,
        user,
        "control-decide",
        control.pk,
        method="post",
        data={"decision": "rejected", "reason": "x"},
    )
    assert response.status_code == 403
    assert Control.objects.get().decision == Control.Decision.PENDING


def control_rows(response) -> int:
    return len(re.findall(r'<tr class="control-row"', body(response)))


@pytest.mark.parametrize("count", [2, 12])
def test_the_control_list_runs_a_fixed_number_of_queries(
    client, team, django_assert_num_queries, count
):
    for _ in range(count):
        control = services.start_control(actor=team, provider=direct_unit().provider)
        services.record_check(
            actor=team, control=control.pk, kind=K.CREDIT, result=CheckResult.FAILED
        )
    client.force_login(team)
    # session + user, count + page, statistics.
    with django_assert_num_queries(7):  # and the unread notifications and saved filters
        response = client.get(reverse("followup:control-list"))
    assert control_rows(response) == count


def test_the_control_list_shows_the_statistics(client, team):
    control = services.start_control(actor=team, provider=direct_unit().provider)
    services.reject_control(actor=team, control=control.pk, reason="Saknar godkänd föreståndare")
    response = page(client, team, "control-list")
    assert "Saknar godkänd föreståndare" in body(response)


def test_permits_do_not_matter_for_framework_units_but_still_for_direct_ones(team):
    # The register's own permit rule still applies after the control: a permit revoked since
    # the control was approved keeps the unit from being published.
    unit = UnitFactory(status=S.UNDER_CONTROL)
    offering(unit, "hvb", "direct")
    first = permit(unit, "hvb", permit_number="IVO-1")
    approved_control(team, unit.provider)
    register_services.revoke_permit(
        actor=team, permit=first, revoked_on=timezone.localdate(), reason="IVO:s beslut"
    )
    with pytest.raises(RuleViolation) as refusal:
        publish(unit, team)
    assert refusal.value.code == "permit_missing"
    permit(unit, "hvb", permit_number="IVO-2")
    publish(unit, team)
    assert Unit.objects.get(pk=unit.pk).status == S.PUBLISHED


def test_the_ivo_check_passes_only_with_a_valid_permit_in_the_register(team):
    unit = UnitFactory(status=S.UNDER_CONTROL)
    offering(unit, "hvb", "direct")
    control = services.start_control(actor=team, provider=unit.provider)
    kind = ControlCheck.Kind.IVO_PERMIT
    for result in (CheckResult.PASSED, CheckResult.REMARK):
        with pytest.raises(ValidationError) as refused:
            services.record_check(actor=team, control=control, kind=kind, result=result)
        assert unit.name in str(refused.value.message_dict["result"])
    # Failing the check needs no permit; passing it does once one is registered.
    services.record_check(actor=team, control=control, kind=kind, result=CheckResult.FAILED)
    permit(unit, "hvb", permit_number="IVO-3")
    check = services.record_check(actor=team, control=control, kind=kind, result=CheckResult.PASSED)
    assert check.result == CheckResult.PASSED


# --- Menu and admin --------------------------------------------------------------------------

FOLLOWUP_MENU = {
    "followup:control-list",
    "followup:feedback-list",
    "followup:deep-control-list",
    "followup:site-visit-list",
    "followup:feedback-create",
    "followup:proposal-list",
}
EXPECTED_MENU = {
    Role.SOCIAL_WORKER: {"followup:feedback-create"},
    Role.PLACEMENT_OFFICER: {"followup:feedback-create", "followup:site-visit-list"},
    Role.QUALITY_CONTROL: {
        "followup:control-list",
        "followup:feedback-list",
        "followup:deep-control-list",
        "followup:site-visit-list",
    },
    Role.PROCUREMENT: {"followup:proposal-list"},
    Role.MANAGER: set(),
}


@pytest.mark.parametrize("role", list(EXPECTED_MENU))
def test_each_role_gets_only_its_follow_up_menu_entries(role):
    from spink.accounts.navigation import menu_for

    urls = {entry["url"] for entry in menu_for(user_with_role(role), "/")}
    shown = {name for name in FOLLOWUP_MENU if reverse(name) in urls}
    assert shown == EXPECTED_MENU[role]


def test_the_admin_lists_and_shows_the_follow_up_records(client, team):
    control = completed_control(team, direct_unit().provider)
    admin = user_with_role(Role.ADMINISTRATOR)
    client.force_login(admin)
    for model in ("control", "feedback", "deepcontrol", "questiontemplate", "sitevisit"):
        assert client.get(reverse(f"admin:followup_{model}_changelist")).status_code == 200
    response = client.get(reverse("admin:followup_control_change", args=[control.pk]))
    assert response.status_code == 200
    assert "Kontrollerat" in body(response)  # the checks inline
