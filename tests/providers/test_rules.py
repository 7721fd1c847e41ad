"""The register's rules: publication workflow, stops, matchability, permits, admission."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from providers import rules, services
from providers.models import FrameworkAgreement, PublicationStatus, Unit, UnitEvent
from providers.rules import RuleViolation
from spink.accounts.models import Role
from tests.factories import UnitFactory, offering, permit, published_unit, user_with_role

pytestmark = pytest.mark.django_db
S = PublicationStatus
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def quality():
    return user_with_role(Role.QUALITY_CONTROL)


@pytest.fixture
def procurement():
    return user_with_role(Role.PROCUREMENT)


def move(unit, to_status, actor, reason="Kontroll genomförd"):
    return services.change_status(
        actor=actor, unit=unit.pk, to_status=to_status, reason=reason, on=TODAY
    )


# --- Workflow ----------------------------------------------------------------------------------

ALLOWED = [
    (S.DRAFT, S.UNDER_CONTROL),
    (S.DRAFT, S.REMOVED),
    (S.UNDER_CONTROL, S.PUBLISHED),
    (S.UNDER_CONTROL, S.DRAFT),
    (S.UNDER_CONTROL, S.REMOVED),
    (S.PUBLISHED, S.PAUSED),
    (S.PUBLISHED, S.REMOVED),
    (S.PAUSED, S.PUBLISHED),
    (S.PAUSED, S.REMOVED),
    (S.REMOVED, S.UNDER_CONTROL),
]


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_allowed_transition_changes_status_and_records_event(quality, from_status, to_status):
    unit = UnitFactory(status=from_status)
    # Framework: a direct-procurement unit also needs an approved control (tests/followup).
    offering(unit, "socialt-boende", "framework")
    event = move(unit, to_status, quality)
    unit.refresh_from_db()
    assert unit.status == to_status
    assert (event.from_status, event.to_status, event.actor) == (from_status, to_status, quality)
    assert event.reason == "Kontroll genomförd"


REFUSED = [(a, b) for a in S.values for b in S.values if a != b and (a, b) not in ALLOWED]


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_illegal_transition_is_refused_and_changes_nothing(quality, from_status, to_status):
    unit = UnitFactory(status=from_status)
    offering(unit, "socialt-boende", "direct")
    with pytest.raises(RuleViolation) as excinfo:
        move(unit, to_status, quality)
    assert excinfo.value.code == "illegal_transition"
    unit.refresh_from_db()
    assert unit.status == from_status
    assert not UnitEvent.objects.filter(unit=unit).exists()


def test_draft_to_published_is_refused_with_a_message_naming_both_states(quality):
    unit = UnitFactory(status=S.DRAFT)
    with pytest.raises(RuleViolation) as excinfo:
        move(unit, S.PUBLISHED, quality)
    assert "Draft" in str(excinfo.value.message) or "Utkast" in str(excinfo.value.message)


def test_status_change_needs_a_reason(quality):
    unit = UnitFactory(status=S.PUBLISHED)
    with pytest.raises(ValidationError) as excinfo:
        move(unit, S.PAUSED, quality, reason="   ")
    assert "reason" in excinfo.value.message_dict
    unit.refresh_from_db()
    assert unit.status == S.PUBLISHED


@pytest.mark.parametrize(
    "role", [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.MANAGER, Role.PROCUREMENT]
)
def test_only_the_register_team_changes_status(role):
    unit = UnitFactory(status=S.PUBLISHED)
    with pytest.raises(PermissionDenied):
        move(unit, S.PAUSED, user_with_role(role))


def test_unit_without_services_cannot_be_published(quality):
    unit = UnitFactory(status=S.UNDER_CONTROL)
    with pytest.raises(RuleViolation) as excinfo:
        move(unit, S.PUBLISHED, quality)
    assert excinfo.value.code == "no_services"


def test_permit_service_cannot_be_published_without_valid_permit(quality):
    unit = UnitFactory(status=S.UNDER_CONTROL)
    offering(unit, "hvb", "framework")
    with pytest.raises(RuleViolation) as excinfo:
        move(unit, S.PUBLISHED, quality)
    assert excinfo.value.code == "permit_missing"
    permit(unit, "hvb", valid_from=dt.date(2020, 1, 1))
    move(unit, S.PUBLISHED, quality)
    unit.refresh_from_db()
    assert unit.status == S.PUBLISHED


@pytest.mark.parametrize(
    "permit_kwargs",
    [
        {"valid_from": dt.date(2027, 1, 1)},  # not yet valid
        {"valid_from": dt.date(2020, 1, 1), "valid_to": dt.date(2026, 11, 22)},  # expired
        {"valid_from": dt.date(2020, 1, 1), "revoked_on": dt.date(2026, 11, 1)},  # revoked
    ],
)
def test_permit_that_is_not_valid_today_does_not_count(quality, permit_kwargs):
    unit = UnitFactory(status=S.UNDER_CONTROL)
    offering(unit, "hvb", "framework")
    permit(unit, "hvb", **permit_kwargs)
    with pytest.raises(RuleViolation):
        move(unit, S.PUBLISHED, quality)


def test_permit_for_another_service_does_not_count(quality):
    unit = UnitFactory(status=S.UNDER_CONTROL)
    offering(unit, "hvb", "framework")
    permit(unit, "stodboende")
    with pytest.raises(RuleViolation):
        move(unit, S.PUBLISHED, quality)


def test_own_operation_needs_no_permit(quality):
    unit = UnitFactory(status=S.UNDER_CONTROL)
    offering(unit, "hvb", "own")
    move(unit, S.PUBLISHED, quality)
    assert Unit.objects.get(pk=unit.pk).status == S.PUBLISHED


def test_the_workflow_table_is_the_publication_graph():
    """Which status may follow which is declared once, in rules.UNIT_WORKFLOW."""
    graph = rules.UNIT_WORKFLOW.transitions()
    assert {(a, b) for a, targets in graph.items() for b in targets if a != b} == set(ALLOWED)
    for from_status, to_status in ALLOWED:
        unit = Unit(status=from_status)
        assert to_status in rules.allowed_transitions(unit)
        action = rules.status_action(unit, to_status)
        assert rules.UNIT_WORKFLOW.target(action, unit) == to_status


@pytest.mark.parametrize(
    "fields",
    [
        {"status": S.PUBLISHED},
        {"recommendation_stop": True},
        {"order_stop": True},
        {"status_changed_at": None},
        {"provider": None},
        {"no_such_field": 1},
        {"places": 12, "status": S.PUBLISHED},
    ],
)
def test_update_unit_cannot_write_status_stops_or_unknown_fields(quality, fields):
    unit = UnitFactory(status=S.DRAFT, places=8)
    if "provider" in fields:
        fields = {"provider": UnitFactory().provider}
    with pytest.raises(ValidationError) as excinfo:
        services.update_unit(actor=quality, unit=unit, **fields)
    refused = set(fields) - {"places"}
    assert set(excinfo.value.message_dict) == refused
    unit.refresh_from_db()
    assert (unit.status, unit.recommendation_stop, unit.order_stop, unit.places) == (
        S.DRAFT,
        False,
        False,
        8,
    )
    assert not UnitEvent.objects.filter(unit=unit).exists()


def test_create_unit_cannot_write_status_either(quality):
    provider = UnitFactory().provider
    with pytest.raises(ValidationError) as excinfo:
        services.create_unit(
            actor=quality,
            provider=provider,
            name="Ny",
            municipality=provider.municipality,
            places=3,
            status=S.PUBLISHED,
        )
    assert set(excinfo.value.message_dict) == {"status"}
    assert not Unit.objects.filter(name="Ny").exists()


# --- Stops -------------------------------------------------------------------------------------


def test_recommendation_stop_on_direct_procurement_unit(quality):
    unit = published_unit("socialt-boende", "direct")
    services.set_recommendation_stop(
        actor=quality, unit=unit.pk, stop=True, reason="Mediebevakning"
    )
    unit.refresh_from_db()
    assert unit.recommendation_stop
    assert unit.events.get().kind == UnitEvent.Kind.RECOMMENDATION_STOP


def test_recommendation_stop_is_refused_for_framework_unit(quality):
    unit = published_unit("socialt-boende", "framework")
    with pytest.raises(RuleViolation) as excinfo:
        services.set_recommendation_stop(actor=quality, unit=unit.pk, stop=True, reason="x")
    assert excinfo.value.code == "not_direct_procurement"
    assert "direktupphandl" in str(excinfo.value.message).lower() or "direct" in str(
        excinfo.value.message
    )
    unit.refresh_from_db()
    assert not unit.recommendation_stop


def test_order_stop_is_decided_by_procurement_for_framework_unit(procurement):
    unit = published_unit("socialt-boende", "framework")
    services.set_order_stop(
        actor=procurement, unit=unit.pk, stop=True, reason="Brister i avtalsuppföljning"
    )
    unit.refresh_from_db()
    assert unit.order_stop


def test_order_stop_is_refused_for_direct_procurement_unit(procurement):
    unit = published_unit("socialt-boende", "direct")
    with pytest.raises(RuleViolation) as excinfo:
        services.set_order_stop(actor=procurement, unit=unit.pk, stop=True, reason="x")
    assert excinfo.value.code == "not_framework"


def test_quality_team_cannot_decide_an_order_stop(quality):
    unit = published_unit("socialt-boende", "framework")
    with pytest.raises(PermissionDenied):
        services.set_order_stop(actor=quality, unit=unit.pk, stop=True, reason="x")


def test_lifting_a_stop_that_is_not_there_is_refused(quality, procurement):
    unit = published_unit("socialt-boende", "direct")
    with pytest.raises(RuleViolation):
        services.set_recommendation_stop(actor=quality, unit=unit.pk, stop=False, reason="x")
    framework = published_unit("socialt-boende", "framework")
    with pytest.raises(RuleViolation):
        services.set_order_stop(actor=procurement, unit=framework.pk, stop=False, reason="x")


# --- Matchability ------------------------------------------------------------------------------


def matchable_names(on=TODAY):
    return set(rules.matchable_units(on).values_list("name", flat=True))


def test_published_unit_with_permit_is_matchable():
    published_unit("hvb", "framework", name="Matchbar")
    assert matchable_names() == {"Matchbar"}


@pytest.mark.parametrize("status", [S.DRAFT, S.UNDER_CONTROL, S.PAUSED, S.REMOVED])
def test_unit_that_is_not_published_is_not_matchable(status):
    unit = published_unit("socialt-boende", "direct", name="X")
    Unit.objects.filter(pk=unit.pk).update(status=status)
    assert matchable_names() == set()


def test_recommendation_stop_excludes_only_the_direct_procurement_offering(quality):
    unit = published_unit("socialt-boende", "direct", name="Blandad")
    offering(unit, "socialt-boende", "framework")
    services.set_recommendation_stop(actor=quality, unit=unit.pk, stop=True, reason="x")
    forms = set(rules.matchable_offerings(TODAY).values_list("operating_form__code", flat=True))
    assert forms == {"framework"}


def test_order_stopped_framework_unit_is_not_matchable(procurement):
    unit = published_unit("socialt-boende", "framework", name="Stoppad")
    services.set_order_stop(actor=procurement, unit=unit.pk, stop=True, reason="x")
    assert matchable_names() == set()


def test_revoked_permit_makes_unit_unmatchable_from_revocation_day():
    unit = published_unit("hvb", "framework", name="Återkallad")
    unit.permits.update(revoked_on=TODAY)
    assert matchable_names(TODAY - dt.timedelta(days=1)) == {"Återkallad"}
    assert matchable_names(TODAY) == set()


def test_exclusion_reasons_explain_why_an_offering_is_not_matchable(procurement):
    unit = published_unit("hvb", "framework", name="Förklarad")
    unit.permits.update(revoked_on=dt.date(2026, 1, 1))
    services.set_order_stop(actor=procurement, unit=unit.pk, stop=True, reason="x")
    Unit.objects.filter(pk=unit.pk).update(status=S.PAUSED)
    checked = rules.with_match_checks(unit.offerings.select_related("unit"), TODAY).get()
    reasons = rules.exclusion_reasons(checked)
    assert len(reasons) == 3
    assert any("IVO" in reason for reason in reasons)


def test_matchable_offering_has_no_exclusion_reasons():
    unit = published_unit("hvb", "framework")
    checked = rules.with_match_checks(unit.offerings.select_related("unit"), TODAY).get()
    assert rules.exclusion_reasons(checked) == []


# --- Offerings and agreements --------------------------------------------------------------------


def test_offering_outside_the_matrix_is_refused(quality):
    from categories.models import OperatingForm, Service

    unit = UnitFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.set_offering(
            actor=quality,
            unit=unit,
            service=Service.objects.get(code="bostad-forst"),
            operating_form=OperatingForm.objects.get(code="direct"),
        )
    assert "operating_form" in excinfo.value.message_dict
    assert not unit.offerings.exists()


def test_subcategory_of_another_service_is_refused(quality):
    from categories.models import OperatingForm, Service, Subcategory

    unit = UnitFactory()
    with pytest.raises(ValidationError):
        services.set_offering(
            actor=quality,
            unit=unit,
            service=Service.objects.get(code="hvb"),
            operating_form=OperatingForm.objects.get(code="framework"),
            subcategories=[Subcategory.objects.get(code="familjehem--jourhem")],
        )


@pytest.fixture
def agreement(db):
    from categories.models import CategoryArea

    return FrameworkAgreement.objects.create(
        name="HVB barn och unga",
        reference="RA-2025-01",
        is_open=True,
        area=CategoryArea.objects.get(code="barn-och-unga"),
        valid_from=dt.date(2025, 3, 1),
        valid_to=dt.date(2028, 2, 29),
    )


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.date(2025, 3, 1), True),  # the agreement's start
        (dt.date(2026, 1, 1), True),
        (dt.date(2026, 7, 1), True),
        (dt.date(2026, 3, 15), False),
        (dt.date(2029, 1, 1), False),  # after the period
    ],
)
def test_open_agreement_admits_units_on_start_and_admission_days(procurement, agreement, day, ok):
    unit = UnitFactory()
    if ok:
        services.admit_unit(actor=procurement, agreement=agreement, unit=unit, admitted_on=day)
        assert agreement.units.filter(pk=unit.pk).exists()
    else:
        with pytest.raises(RuleViolation):
            services.admit_unit(actor=procurement, agreement=agreement, unit=unit, admitted_on=day)


def test_closed_agreement_admits_units_only_at_start(procurement, agreement):
    agreement.is_open = False
    agreement.save()
    with pytest.raises(RuleViolation) as excinfo:
        services.admit_unit(
            actor=procurement,
            agreement=agreement,
            unit=UnitFactory(),
            admitted_on=dt.date(2026, 1, 1),
        )
    assert excinfo.value.code == "closed_agreement"


def test_next_admission_date(agreement):
    assert agreement.next_admission_date(dt.date(2026, 3, 2)) == dt.date(2026, 7, 1)
    assert agreement.next_admission_date(dt.date(2026, 7, 2)) == dt.date(2027, 1, 1)
    assert agreement.next_admission_date(dt.date(2028, 1, 2)) is None


# --- History ---------------------------------------------------------------------------


def test_every_change_is_recorded_in_history_with_the_user(quality):
    unit = published_unit("socialt-boende", "direct")
    services.update_unit(actor=quality, unit=unit, places=12)
    move(unit, S.PAUSED, quality, reason="Tillsyn pågår")
    records = list(unit.history.order_by("-history_date")[:2])
    assert records[0].status == S.PAUSED
    assert records[0].history_user == quality
    assert records[0].history_change_reason == "Tillsyn pågår"
    assert records[1].places == 12
    assert records[1].history_user == quality
