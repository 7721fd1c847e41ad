"""Register edits that never overwrite each other: two tabs editing one provider, unit or
agreement (the second save is refused, keeps its input and can be saved again), status and
stop changes sent from stale pages (one wins, the other is told), and create forms posted
twice (one record)."""

import pytest
from django.urls import reverse

from categories.models import CategoryArea, Service
from providers.models import FrameworkAgreement, Provider, PublicationStatus, Unit, UnitEvent
from spink.accounts.models import Role
from tests.factories import (
    ProviderFactory,
    UnitFactory,
    next_org_number,
    published_unit,
    user_with_role,
)
from tests.forms_support import form_data, label, logged_in, refused, two_tabs

pytestmark = pytest.mark.django_db

S = PublicationStatus


@pytest.fixture
def quality():
    return user_with_role(Role.QUALITY_CONTROL)


@pytest.fixture
def procurement():
    return user_with_role(Role.PROCUREMENT)


# --- Edits ---------------------------------------------------------------------------------------


def test_second_tab_saving_a_provider_changed_since_it_opened_is_refused_and_keeps_its_input(
    quality,
):
    provider = ProviderFactory(phone="031-100000", email="")
    url = reverse("providers:provider-edit", args=[provider.pk])
    (first, first_form), (second, second_form) = two_tabs(quality, url)
    assert first_form["seen"] and second_form["seen"]

    assert first.post(url, first_form | {"phone": "031-222222"}).status_code == 302
    text = refused(second.post(url, second_form | {"email": "ny@omsorg.se"}))
    assert label(Provider, "phone") in text  # says what changed
    assert 'value="ny@omsorg.se"' in text  # the user's input stays on the page
    provider.refresh_from_db()
    assert (provider.phone, provider.email) == ("031-222222", "")

    # Having seen the refusal, saving again goes through, over the version now saved.
    again = form_data(text)
    assert second.post(url, again | {"phone": "031-222222"}).status_code == 302
    provider.refresh_from_db()
    assert (provider.phone, provider.email) == ("031-222222", "ny@omsorg.se")


def test_second_tab_saving_a_unit_changed_since_it_opened_is_refused(quality):
    unit = UnitFactory(places=8, available_places=2)
    url = reverse("providers:unit-edit", args=[unit.pk])
    (first, first_form), (second, second_form) = two_tabs(quality, url)

    assert first.post(url, first_form | {"available_places": "0"}).status_code == 302
    text = refused(second.post(url, second_form | {"places": "12"}))
    assert label(Unit, "available_places") in text
    assert 'value="12"' in text
    unit.refresh_from_db()
    assert (unit.places, unit.available_places) == (8, 0)

    assert second.post(url, form_data(text) | {"available_places": "0"}).status_code == 302
    unit.refresh_from_db()
    assert (unit.places, unit.available_places) == (12, 0)


def test_second_tab_saving_an_agreement_changed_since_it_opened_is_refused(procurement):
    agreement = FrameworkAgreement.objects.create(
        name="Skyddat boende",
        reference="RA-2026-07",
        area=CategoryArea.objects.get(code="vuxen"),
        valid_from="2026-01-01",
        valid_to="2029-12-31",
    )
    agreement.services.set([Service.objects.get(code="skyddat-boende")])
    url = reverse("providers:agreement-edit", args=[agreement.pk])
    (first, first_form), (second, second_form) = two_tabs(procurement, url)

    assert first.post(url, first_form | {"valid_to": "2030-06-30"}).status_code == 302
    text = refused(second.post(url, second_form | {"name": "Skyddat boende, vuxna"}))
    assert label(FrameworkAgreement, "valid_to") in text
    assert 'value="Skyddat boende, vuxna"' in text
    agreement.refresh_from_db()
    assert (agreement.name, str(agreement.valid_to)) == ("Skyddat boende", "2030-06-30")

    assert second.post(url, form_data(text)).status_code == 302
    agreement.refresh_from_db()
    assert agreement.name == "Skyddat boende, vuxna"


def test_an_edit_posted_without_a_version_claims_nothing_and_is_saved(quality):
    """Old pages and scripted posts without `seen` keep working (no claim, no check)."""
    provider = ProviderFactory()
    url = reverse("providers:provider-edit", args=[provider.pk])
    client = logged_in(quality)
    data = form_data(client.get(url).content.decode())
    del data["seen"]
    assert client.post(url, data | {"phone": "08-1"}).status_code == 302


# --- Status and stops ----------------------------------------------------------------------------


def test_publish_and_remove_from_two_stale_pages_apply_only_the_first(quality):
    unit = published_unit(form_code="framework")
    unit.status = S.PAUSED
    unit.save()
    page = reverse("providers:unit-detail", args=[unit.pk])
    action = reverse("providers:unit-status", args=[unit.pk])
    (first, publish), (second, remove) = two_tabs(quality, page, action)
    assert publish["status-from_status"] == remove["status-from_status"] == S.PAUSED

    published = first.post(
        action, publish | {"status-to_status": S.PUBLISHED, "status-reason": "Klar"}
    )
    assert published.status_code == 302
    text = refused(
        second.post(action, remove | {"status-to_status": S.REMOVED, "status-reason": "Avslutad"})
    )
    assert "Avslutad" in text  # the reason stays on the page
    unit.refresh_from_db()
    assert unit.status == S.PUBLISHED
    assert list(UnitEvent.objects.filter(unit=unit).values_list("to_status", flat=True)) == [
        S.PUBLISHED
    ]

    # The refused page now carries the status it shows; removing from it is a decision taken
    # knowing the unit is published, and goes through.
    again = form_data(text, action)
    assert again["status-from_status"] == S.PUBLISHED
    assert second.post(action, again | {"status-to_status": S.REMOVED}).status_code == 302
    unit.refresh_from_db()
    assert unit.status == S.REMOVED


def test_a_status_change_without_the_status_seen_claims_nothing(quality):
    unit = published_unit(form_code="framework")
    response = logged_in(quality).post(
        reverse("providers:unit-status", args=[unit.pk]),
        {"status-to_status": S.PAUSED, "status-reason": "Tillsyn"},
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.status == S.PAUSED


def test_a_recommendation_stop_decided_meanwhile_is_not_decided_again(quality):
    unit = published_unit(form_code="direct")
    page = reverse("providers:unit-detail", args=[unit.pk])
    action = reverse("providers:unit-recommendation-stop", args=[unit.pk])
    (first, first_form), (second, second_form) = two_tabs(quality, page, action)

    reason = {"recommendation-reason": "Klagomål"}
    assert first.post(action, first_form | reason).status_code == 302
    text = refused(second.post(action, second_form | {"recommendation-reason": "Annat skäl"}))
    assert "Annat skäl" in text
    assert UnitEvent.objects.filter(unit=unit).count() == 1
    # The page now offers to lift the stop, from the state it shows.
    again = form_data(text, action)
    assert again["recommendation-stop"] == "0"
    assert second.post(action, again).status_code == 302
    unit.refresh_from_db()
    assert not unit.recommendation_stop


def test_an_order_stop_from_a_stale_page_is_refused(procurement):
    unit = published_unit(form_code="framework")
    page = reverse("providers:unit-detail", args=[unit.pk])
    action = reverse("providers:unit-order-stop", args=[unit.pk])
    (first, first_form), (second, second_form) = two_tabs(procurement, page, action)
    assert first.post(action, first_form | {"order-reason": "Avtalsbrott"}).status_code == 302
    refused(second.post(action, second_form | {"order-reason": "Avtalsbrott"}))
    assert UnitEvent.objects.filter(unit=unit, kind=UnitEvent.Kind.ORDER_STOP).count() == 1


# --- Creates -------------------------------------------------------------------------------------


def test_provider_create_form_posted_twice_makes_one_provider(quality):
    client = logged_in(quality)
    url = reverse("providers:provider-create")
    data = form_data(client.get(url).content.decode())
    assert data["form_key"]
    data |= {
        "legal_name": "Dubbelklick Omsorg AB",
        "org_number": next_org_number(),
        "legal_form": "aktiebolag",
        "municipality": str(ProviderFactory().municipality_id),
    }
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Provider.objects.filter(legal_name="Dubbelklick Omsorg AB").count() == 1


def test_unit_create_form_posted_twice_makes_one_unit(quality):
    provider = ProviderFactory()
    client = logged_in(quality)
    url = reverse("providers:unit-create", args=[provider.pk])
    data = form_data(client.get(url).content.decode()) | {
        "name": "Ekbacken",
        "age_min": "18",
        "age_max": "65",
        "gender": "any",
        "places": "10",
    }
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Unit.objects.filter(provider=provider, name="Ekbacken").count() == 1
    # A new form (a new key) makes a new unit.
    data["form_key"] = form_data(client.get(url).content.decode())["form_key"]
    assert client.post(url, data).status_code == 302
    assert Unit.objects.filter(provider=provider, name="Ekbacken").count() == 2


def test_agreement_create_form_posted_twice_makes_one_agreement(procurement):
    client = logged_in(procurement)
    url = reverse("providers:agreement-create")
    data = form_data(client.get(url).content.decode()) | {
        "name": "Skyddat boende",
        "reference": "RA-2026-99",
        "area": str(CategoryArea.objects.get(code="vuxen").pk),
        "services": [str(Service.objects.get(code="skyddat-boende").pk)],
        "valid_from": "2026-01-01",
        "valid_to": "2029-12-31",
    }
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert FrameworkAgreement.objects.filter(reference="RA-2026-99").count() == 1


def test_a_create_refused_by_the_rules_can_be_corrected_and_posted_with_the_same_key(quality):
    client = logged_in(quality)
    url = reverse("providers:provider-create")
    data = form_data(client.get(url).content.decode()) | {
        "legal_name": "Rättad Omsorg AB",
        "org_number": "556000-0000",  # wrong check digit
        "legal_form": "aktiebolag",
        "municipality": str(ProviderFactory().municipality_id),
    }
    assert client.post(url, data).status_code == 400
    assert client.post(url, data | {"org_number": next_org_number()}).status_code == 302
    assert Provider.objects.filter(legal_name="Rättad Omsorg AB").count() == 1


# --- The API: ETag and If-Match ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["providers", "units", "agreements"])
def test_api_write_with_a_stale_etag_is_refused_with_412_and_changes_nothing(
    quality, procurement, kind
):
    from rest_framework.test import APIClient

    if kind == "agreements":
        user = procurement
        record = FrameworkAgreement.objects.create(
            name="Korttidsboende",
            reference="RA-2026-11",
            area=CategoryArea.objects.get(code="vuxen"),
            valid_from="2026-01-01",
            valid_to="2029-12-31",
        )
        field, first_value, second_value = "name", "Korttid A", "Korttid B"
    else:
        user = quality
        unit = UnitFactory()
        record = unit.provider if kind == "providers" else unit
        field, first_value, second_value = "city", "Borås", "Alingsås"
    client = APIClient()
    client.force_login(user)
    path = f"/api/v1/{kind}/{record.pk}/"
    etag = client.get(path)["ETag"]
    changed = client.patch(path, {field: first_value}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != etag
    stale = client.patch(path, {field: second_value}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale"
    record.refresh_from_db()
    assert getattr(record, field) == first_value
    fresh = client.patch(path, {field: second_value}, format="json", HTTP_IF_MATCH=changed["ETag"])
    assert fresh.status_code == 200
