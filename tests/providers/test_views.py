"""The register's browser views: who sees and may change what, refusals shown, fixed queries."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from categories.models import CategoryArea, OperatingForm, Service
from providers import rules
from providers.models import (
    AgreementUnit,
    FrameworkAgreement,
    Provider,
    PublicationStatus,
    Unit,
    UnitEvent,
    UnitService,
)
from spink.accounts.models import Role
from tests.factories import (
    ProviderFactory,
    UnitFactory,
    next_org_number,
    offering,
    permit,
    published_unit,
    user_with_role,
)

pytestmark = pytest.mark.django_db

PLACING_ROLES = [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER]
FULL_REGISTER_ROLES = [Role.QUALITY_CONTROL, Role.PROCUREMENT]


def logged_in(client, role):
    client.force_login(user_with_role(role))
    return client


def swedish(callable_, *args):
    """The message a rule refuses with, as a Swedish user sees it."""
    with translation.override("sv"), pytest.raises(rules.RuleViolation) as refusal:
        callable_(*args)
    return str(refusal.value.message)


def body(response) -> str:
    return response.content.decode()


def unit_names_listed(response) -> set[str]:
    return set(
        re.findall(r'<th scope="row"><a href="/register/units/\d+/">([^<]+)</a>', body(response))
    )


def unit_in(status, **kwargs) -> Unit:
    """A unit that would be matchable if it were published."""
    unit = published_unit(**kwargs)
    unit.status = status
    unit.save()
    return unit


@pytest.fixture
def register():
    """One matchable unit and one of each status that placing roles must not see."""
    return {
        "published": published_unit(name="Gården Backa"),
        "paused": unit_in(PublicationStatus.PAUSED, name="Hemmet Tuve"),
        "draft": UnitFactory(name="Huset Askim", status=PublicationStatus.DRAFT),
        "removed": unit_in(PublicationStatus.REMOVED, name="Fyren Styrsö"),
    }


# --- Who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", PLACING_ROLES)
def test_placing_roles_see_only_matchable_units_in_the_register(client, register, role):
    response = logged_in(client, role).get(reverse("providers:unit-list"))
    assert response.status_code == 200
    assert unit_names_listed(response) == {"Gården Backa"}


@pytest.mark.parametrize("role", FULL_REGISTER_ROLES)
def test_register_roles_see_every_unit_whatever_its_status(client, register, role):
    response = logged_in(client, role).get(reverse("providers:unit-list"))
    assert unit_names_listed(response) == {
        "Gården Backa",
        "Hemmet Tuve",
        "Huset Askim",
        "Fyren Styrsö",
    }


@pytest.mark.parametrize("role", PLACING_ROLES)
def test_placing_roles_get_404_for_a_paused_units_page(client, register, role):
    client = logged_in(client, role)
    assert (
        client.get(reverse("providers:unit-detail", args=[register["paused"].pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("providers:unit-detail", args=[register["published"].pk])).status_code
        == 200
    )


@pytest.mark.parametrize("role", PLACING_ROLES)
def test_placing_roles_cannot_filter_their_way_to_hidden_units(client, register, role):
    response = logged_in(client, role).get(
        reverse("providers:unit-list"), {"status": "paused", "matchable": "false"}
    )
    assert 'name="status"' not in body(response)
    assert unit_names_listed(response) == {"Gården Backa"}


def test_status_filter_is_offered_to_the_register_team(client, register):
    response = logged_in(client, Role.QUALITY_CONTROL).get(
        reverse("providers:unit-list"), {"status": "paused"}
    )
    assert 'name="status"' in body(response)
    assert unit_names_listed(response) == {"Hemmet Tuve"}


def test_matchable_filter_shows_the_register_team_what_placing_roles_see(client, register):
    client = logged_in(client, Role.QUALITY_CONTROL)
    response = client.get(reverse("providers:unit-list"), {"matchable": "true"})
    assert unit_names_listed(response) == {"Gården Backa"}
    response = client.get(reverse("providers:unit-list"), {"matchable": "false"})
    assert unit_names_listed(response) == {"Hemmet Tuve", "Huset Askim", "Fyren Styrsö"}


def test_provider_page_shows_board_members_only_to_the_register_team(client, register):
    provider = register["published"].provider
    provider.people.create(name="Karin Berg", role="chair", valid_from=dt.date(2020, 1, 1))
    url = reverse("providers:provider-detail", args=[provider.pk])
    assert "Karin Berg" in body(logged_in(client, Role.QUALITY_CONTROL).get(url))
    client.logout()
    placing = logged_in(client, Role.PLACEMENT_OFFICER).get(url)
    assert placing.status_code == 200
    assert "Gården Backa" in body(placing)
    assert "Karin Berg" not in body(placing)


def test_providers_with_no_matchable_unit_are_hidden_from_placing_roles(client, register):
    url = reverse("providers:provider-detail", args=[register["paused"].provider.pk])
    assert logged_in(client, Role.SOCIAL_WORKER).get(url).status_code == 404


# --- Search and filters --------------------------------------------------------------------------


def test_search_matches_unit_name_provider_name_and_org_number(client, register):
    client = logged_in(client, Role.QUALITY_CONTROL)
    provider = register["paused"].provider
    digits = provider.org_number.replace("-", "")
    for text in ("backa", provider.legal_name, digits, provider.org_number):
        response = client.get(reverse("providers:unit-list"), {"q": text})
        expected = {"Gården Backa"} if text == "backa" else {"Hemmet Tuve"}
        assert unit_names_listed(response) == expected, text


def test_service_filter_lists_a_unit_with_several_matching_offerings_once(client):
    unit = published_unit(name="Lyktan Majorna", service_code="socialt-boende", form_code="direct")
    offering(unit, "socialt-boende", "framework")
    offering(unit, "skyddat-boende", "framework")
    response = logged_in(client, Role.QUALITY_CONTROL).get(
        reverse("providers:unit-list"), {"service": "socialt-boende"}
    )
    assert response.context["page"].paginator.count == 1
    assert unit_names_listed(response) == {"Lyktan Majorna"}


def test_service_and_operating_form_must_hold_for_the_same_offering(client):
    unit = published_unit(name="Bryggan Lundby", service_code="socialt-boende", form_code="direct")
    offering(unit, "skyddat-boende", "framework")
    client = logged_in(client, Role.QUALITY_CONTROL)
    url = reverse("providers:unit-list")
    assert (
        unit_names_listed(
            client.get(url, {"service": "skyddat-boende", "operating_form": "direct"})
        )
        == set()
    )
    assert unit_names_listed(
        client.get(url, {"service": "skyddat-boende", "operating_form": "framework"})
    ) == {"Bryggan Lundby"}


def test_htmx_filtering_returns_only_the_results_region(client, register):
    response = logged_in(client, Role.QUALITY_CONTROL).get(
        reverse("providers:unit-list"),
        {"q": "backa"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="register-results",
    )
    html = body(response)
    assert "<html" not in html
    assert unit_names_listed(response) == {"Gården Backa"}
    assert 'hx-swap-oob="innerHTML"' in html  # the result count outside the region is updated
    assert "HX-Request" in response.headers["Vary"]


def test_without_htmx_the_register_is_a_whole_page(client, register):
    html = body(
        logged_in(client, Role.QUALITY_CONTROL).get(reverse("providers:unit-list"), {"q": "backa"})
    )
    assert "<html" in html
    assert "hx-swap-oob" not in html
    assert 'method="get"' in html


def test_register_list_is_paginated_by_50(client):
    for index in range(51):
        UnitFactory(name=f"Enhet {index:03d}")
    client = logged_in(client, Role.QUALITY_CONTROL)
    first = client.get(reverse("providers:unit-list"))
    second = client.get(reverse("providers:unit-list"), {"page": 2})
    assert len(unit_names_listed(first)) == 50
    assert unit_names_listed(second) == {"Enhet 050"}


def make_units(count: int) -> None:
    for index in range(count):
        unit = published_unit(name=f"Verksamhet {index}", service_code="hvb", form_code="framework")
        offering(unit, "stodboende", "direct")
        if index % 3 == 0:
            unit.status = PublicationStatus.PAUSED
            unit.save()


# Session + user, the service filter's lookup, count + page + offerings prefetch, and the three
# choice lists of the filter form: none of them depends on how many units there are.
REGISTER_LIST_QUERIES = 11  # with the header's unread notifications and saved filters


@pytest.mark.parametrize("units", [5, 30])
@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.PLACEMENT_OFFICER])
def test_register_list_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, units, role
):
    make_units(units)
    client = logged_in(client, role)
    with django_assert_num_queries(REGISTER_LIST_QUERIES):
        response = client.get(reverse("providers:unit-list"), {"service": "hvb"})
    assert len(unit_names_listed(response)) == (
        units if role == Role.QUALITY_CONTROL else units - (units + 2) // 3
    )


# --- Status and stops ---------------------------------------------------------------------------


def status_url(unit):
    return reverse("providers:unit-status", args=[unit.pk])


@pytest.mark.parametrize("role", PLACING_ROLES + [Role.MANAGER, Role.PROCUREMENT])
def test_only_the_register_team_may_post_a_status_change(client, register, role):
    unit = register["published"]
    response = logged_in(client, role).post(
        status_url(unit), {"status-to_status": "paused", "status-reason": "Tillsyn"}
    )
    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PUBLISHED


@pytest.mark.parametrize("role", PLACING_ROLES)
@pytest.mark.parametrize(
    "url_name",
    ["unit-recommendation-stop", "unit-order-stop", "unit-edit", "unit-offerings"],
)
def test_placing_roles_get_403_on_register_changes(client, register, role, url_name):
    unit = register["published"]
    response = logged_in(client, role).post(
        reverse(f"providers:{url_name}", args=[unit.pk]),
        {
            "recommendation-stop": "1",
            "order-stop": "1",
            "recommendation-reason": "x",
            "order-reason": "x",
            "name": "Nytt namn",
            "places": 3,
        },
    )
    assert response.status_code == 403
    unit.refresh_from_db()
    assert (unit.name, unit.recommendation_stop, unit.order_stop) == ("Gården Backa", False, False)


def test_quality_control_pauses_a_unit_and_the_reason_is_logged(client, register):
    unit = register["published"]
    client = logged_in(client, Role.QUALITY_CONTROL)
    response = client.post(
        status_url(unit), {"status-to_status": "paused", "status-reason": "IVO-beslut 2026-03"}
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PAUSED
    page = body(client.get(reverse("providers:unit-detail", args=[unit.pk])))
    assert "IVO-beslut 2026-03" in page
    event = UnitEvent.objects.get(unit=unit)
    assert (event.from_status, event.to_status) == ("published", "paused")


def test_status_form_offers_only_the_allowed_next_steps(client, register):
    response = logged_in(client, Role.QUALITY_CONTROL).get(
        reverse("providers:unit-detail", args=[register["draft"].pk])
    )
    offered = set(re.findall(r'name="status-to_status" value="(\w+)"', body(response)))
    assert offered == set(rules.allowed_transitions(register["draft"]))


def test_missing_reason_gives_a_field_error_and_changes_nothing(client, register):
    unit = register["published"]
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        status_url(unit), {"status-to_status": "paused", "status-reason": "  "}
    )
    assert response.status_code == 400
    html = body(response)
    with translation.override("sv"):
        assert str(translation.gettext("Give a reason for the change.")) in html
    # The error is tied to the field for screen readers.
    assert 'id="id_status-reason_error"' in html
    assert re.search(r'<textarea[^>]*aria-describedby="id_status-reason_error"', html)
    assert re.search(r'<textarea[^>]*aria-invalid="true"', html)
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.PUBLISHED
    assert not UnitEvent.objects.filter(unit=unit).exists()


def test_refused_transition_shows_the_rules_message(client, register):
    unit = register["draft"]
    expected = swedish(rules.check_transition, unit, "published", timezone.localdate())
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        status_url(unit), {"status-to_status": "published", "status-reason": "Klar"}
    )
    assert response.status_code == 400
    assert expected in body(response)
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.DRAFT


def test_publishing_without_a_permit_is_refused_with_the_reason(client):
    unit = UnitFactory(status=PublicationStatus.UNDER_CONTROL)
    offering(unit, "hvb", "framework")
    expected = swedish(rules.check_transition, unit, "published", timezone.localdate())
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        status_url(unit), {"status-to_status": "published", "status-reason": "Kontroll klar"}
    )
    assert expected in body(response)
    unit.refresh_from_db()
    assert unit.status == PublicationStatus.UNDER_CONTROL


def test_procurement_sets_an_order_stop_on_a_framework_unit(client):
    unit = published_unit(service_code="hvb", form_code="framework")
    procurement = user_with_role(Role.PROCUREMENT)
    client.force_login(procurement)
    response = client.post(
        reverse("providers:unit-order-stop", args=[unit.pk]),
        {"order-stop": "1", "order-reason": "Avvikelser i leveransen"},
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.order_stop is True
    event = UnitEvent.objects.get(unit=unit)
    assert (event.kind, event.actor, event.reason) == (
        UnitEvent.Kind.ORDER_STOP,
        procurement,
        "Avvikelser i leveransen",
    )


def test_procurement_is_refused_a_recommendation_stop(client):
    unit = published_unit(service_code="socialt-boende", form_code="direct")
    response = logged_in(client, Role.PROCUREMENT).post(
        reverse("providers:unit-recommendation-stop", args=[unit.pk]),
        {"recommendation-stop": "1", "recommendation-reason": "Klagomål"},
    )
    assert response.status_code == 403
    unit.refresh_from_db()
    assert unit.recommendation_stop is False


def test_procurement_sees_the_order_stop_control_but_not_the_register_teams(client, register):
    html = body(
        logged_in(client, Role.PROCUREMENT).get(
            reverse("providers:unit-detail", args=[register["published"].pk])
        )
    )
    assert 'id="order-stop"' in html
    assert 'id="recommendation-stop"' not in html
    assert 'id="change-status"' not in html


def test_placing_roles_see_no_status_controls(client, register):
    html = body(
        logged_in(client, Role.SOCIAL_WORKER).get(
            reverse("providers:unit-detail", args=[register["published"].pk])
        )
    )
    assert '<form method="post" action="/register/' not in html


def test_recommendation_stop_on_a_framework_only_unit_is_refused_with_a_clear_error(client):
    unit = published_unit(service_code="hvb", form_code="framework")
    expected = swedish(rules.check_recommendation_stop, unit, True)
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        reverse("providers:unit-recommendation-stop", args=[unit.pk]),
        {"recommendation-stop": "1", "recommendation-reason": "Brister i dokumentation"},
    )
    assert response.status_code == 400
    assert expected in body(response)
    unit.refresh_from_db()
    assert unit.recommendation_stop is False
    assert not UnitEvent.objects.filter(unit=unit).exists()


def test_quality_control_decides_and_lifts_a_recommendation_stop(client):
    unit = published_unit(service_code="socialt-boende", form_code="direct")
    client = logged_in(client, Role.QUALITY_CONTROL)
    url = reverse("providers:unit-recommendation-stop", args=[unit.pk])
    client.post(url, {"recommendation-stop": "1", "recommendation-reason": "Klagomål"})
    unit.refresh_from_db()
    assert unit.recommendation_stop is True
    client.post(url, {"recommendation-stop": "0", "recommendation-reason": "Åtgärdat"})
    unit.refresh_from_db()
    assert unit.recommendation_stop is False
    assert list(unit.events.order_by("id").values_list("kind", flat=True)) == [
        UnitEvent.Kind.RECOMMENDATION_STOP,
        UnitEvent.Kind.RECOMMENDATION_STOP_LIFTED,
    ]


# --- Unit page ----------------------------------------------------------------------------------


def test_unit_page_shows_prices_permits_agreements_and_field_history(client):
    unit = published_unit(
        name="Solrosen Angered", service_code="hvb", form_code="framework", price=4250
    )
    permit(unit, "hvb", permit_number="IVO 8.5-111/2020", revoked_on=dt.date(2021, 1, 1))
    agreement = FrameworkAgreement.objects.create(
        name="HVB barn och unga",
        reference="RA-2025-01",
        area=CategoryArea.objects.get(code="barn-och-unga"),
        valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2028, 12, 31),
    )
    AgreementUnit.objects.create(agreement=agreement, unit=unit, admitted_on=dt.date(2025, 1, 1))
    client = logged_in(client, Role.QUALITY_CONTROL)
    client.post(
        reverse("providers:unit-edit", args=[unit.pk]),
        {
            "name": "Solrosen Angered",
            "municipality": unit.municipality_id,
            "age_min": 13,
            "age_max": 17,
            "gender": "any",
            "places": 6,
            "languages": "",
        },
    )
    html = body(client.get(reverse("providers:unit-detail", args=[unit.pk])))
    assert "4\xa0250\xa0kr/dygn" in html
    assert "IVO 8.5-111/2020" in html and "Återkallat" in html
    assert "RA-2025-01" in html
    assert "Antal platser: från 8 till 6" in html


# --- Editing ------------------------------------------------------------------------------------


def unit_form_pk(code):
    return OperatingForm.objects.get(code=code).pk


def provider_data(**overrides):
    data = {
        "legal_name": "Nova Omsorg AB",
        "org_number": next_org_number(),
        "legal_form": "aktiebolag",
        "municipality": ProviderFactory().municipality_id,
    }
    return {**data, **overrides}


def test_quality_control_creates_a_provider_and_it_is_recorded_as_theirs(client):
    quality = user_with_role(Role.QUALITY_CONTROL)
    client.force_login(quality)
    data = provider_data()
    response = client.post(reverse("providers:provider-create"), data)
    provider = Provider.objects.get(org_number=data["org_number"])
    assert response.status_code == 302
    assert provider.history.get().history_user == quality


def test_wrong_org_number_check_digit_is_shown_on_the_field(client):
    data = provider_data(org_number="556000-0000")
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        reverse("providers:provider-create"), data
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("org_number")
    assert 'id="id_org_number_error"' in body(response)
    assert not Provider.objects.filter(legal_name="Nova Omsorg AB").exists()


@pytest.mark.parametrize("role", PLACING_ROLES + [Role.PROCUREMENT])
def test_only_the_register_team_creates_providers(client, role):
    response = logged_in(client, role).post(reverse("providers:provider-create"), provider_data())
    assert response.status_code == 403
    assert not Provider.objects.filter(legal_name="Nova Omsorg AB").exists()


def test_new_unit_starts_as_a_draft_of_its_provider(client):
    provider = ProviderFactory()
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        reverse("providers:unit-create", args=[provider.pk]),
        {
            "name": "Ekbacken",
            "municipality": provider.municipality_id,
            "age_min": 18,
            "age_max": 65,
            "gender": "any",
            "places": 10,
            "languages": "svenska, arabiska",
        },
    )
    unit = Unit.objects.get(name="Ekbacken")
    assert response.status_code == 302
    assert (unit.provider, unit.status, unit.languages) == (
        provider,
        "draft",
        ["svenska", "arabiska"],
    )


def test_unit_form_names_the_field_when_ages_are_reversed(client):
    provider = ProviderFactory()
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        reverse("providers:unit-create", args=[provider.pk]),
        {
            "name": "Ekbacken",
            "municipality": provider.municipality_id,
            "age_min": 30,
            "age_max": 18,
            "gender": "any",
            "places": 10,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("age_max")
    assert not Unit.objects.filter(name="Ekbacken").exists()


def test_offering_outside_the_service_matrix_is_refused_on_the_field(client):
    unit = UnitFactory()
    response = logged_in(client, Role.QUALITY_CONTROL).post(
        reverse("providers:unit-offerings", args=[unit.pk]),
        {
            "service": Service.objects.get(code="bostad-forst").pk,
            "operating_form": unit_form_pk("direct"),
        },
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("operating_form")
    assert not unit.offerings.exists()


def test_quality_control_adds_and_removes_an_offering(client):
    unit = UnitFactory()
    client = logged_in(client, Role.QUALITY_CONTROL)
    client.post(
        reverse("providers:unit-offerings", args=[unit.pk]),
        {
            "service": Service.objects.get(code="hvb").pk,
            "operating_form": unit_form_pk("framework"),
        },
    )
    added = UnitService.objects.get(unit=unit)
    client.post(reverse("providers:unit-offering-remove", args=[unit.pk, added.pk]))
    assert not unit.offerings.exists()


# --- Framework agreements -----------------------------------------------------------------------


def agreement_data(**overrides):
    data = {
        "name": "Skyddat boende",
        "reference": "RA-2026-07",
        "area": CategoryArea.objects.get(code="vuxen").pk,
        "services": [Service.objects.get(code="skyddat-boende").pk],
        "valid_from": "2026-01-01",
        "valid_to": "2029-12-31",
        "is_open": "on",
    }
    return {**data, **overrides}


def test_procurement_creates_an_agreement(client):
    response = logged_in(client, Role.PROCUREMENT).post(
        reverse("providers:agreement-create"), agreement_data()
    )
    agreement = FrameworkAgreement.objects.get(reference="RA-2026-07")
    assert response.status_code == 302
    assert [s.code for s in agreement.services.all()] == ["skyddat-boende"]


def test_quality_control_reads_agreements_but_cannot_create_them(client):
    client = logged_in(client, Role.QUALITY_CONTROL)
    assert client.get(reverse("providers:agreement-list")).status_code == 200
    assert client.post(reverse("providers:agreement-create"), agreement_data()).status_code == 403


@pytest.mark.parametrize("role", PLACING_ROLES)
def test_placing_roles_do_not_see_agreements(client, role):
    assert logged_in(client, role).get(reverse("providers:agreement-list")).status_code == 403


def test_admission_outside_the_admission_days_is_refused_with_the_rules_message(client):
    agreement = FrameworkAgreement.objects.create(
        name="Skyddat boende",
        reference="RA-2026-07",
        is_open=True,
        area=CategoryArea.objects.get(code="vuxen"),
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2029, 12, 31),
    )
    agreement.services.set(Service.objects.filter(code="skyddat-boende"))
    unit = published_unit(service_code="skyddat-boende", form_code="framework")
    expected = swedish(rules.check_admission, agreement, dt.date(2026, 3, 15))
    client = logged_in(client, Role.PROCUREMENT)
    url = reverse("providers:agreement-admit", args=[agreement.pk])
    response = client.post(url, {"unit": unit.pk, "admitted_on": "2026-03-15"})
    assert response.status_code == 400
    assert expected in body(response)
    assert not AgreementUnit.objects.exists()
    assert client.post(url, {"unit": unit.pk, "admitted_on": "2026-07-01"}).status_code == 302
    assert AgreementUnit.objects.get().unit == unit


# --- Menu ---------------------------------------------------------------------------------------


def test_menu_marks_only_the_closest_entry_as_current(client):
    html = body(logged_in(client, Role.PROCUREMENT).get(reverse("providers:agreement-list")))
    assert html.count('aria-current="page"') == 1
    assert re.search(r'<a href="/register/agreements/" aria-current="page">', html)


@pytest.mark.parametrize(
    ("role", "sees_agreements"),
    [(Role.SOCIAL_WORKER, False), (Role.QUALITY_CONTROL, False), (Role.PROCUREMENT, True)],
)
def test_menu_shows_the_register_and_agreements_by_capability(client, role, sees_agreements):
    html = body(logged_in(client, role).get(reverse("home")))
    assert 'href="/register/"' in html
    assert ('href="/register/agreements/"' in html) is sees_agreements
