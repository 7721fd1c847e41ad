"""IVO permits kept in the app (issue 15): the quality & control team registers, renews and
revokes a unit's permits in its page, through providers.services; matching follows."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from categories.models import Service
from placements.matching import excluded_offerings, rank_candidates
from providers import services
from providers.models import Permit
from spink.errors import RuleViolation
from tests.factories import (
    MunicipalityFactory,
    offering,
    permit,
    placement_officer,
    published_unit,
    submitted_request,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def hvb_unit():
    """A published HVB unit (framework) with its permit, offering supported housing too."""
    unit = published_unit("hvb", "framework", name="HVB Fyren")
    offering(unit, "stodboende", "direct")
    return unit


def permits_url(unit) -> str:
    return reverse("providers:unit-permits", args=[unit.pk])


def page(response) -> str:
    return response.content.decode()


def test_the_team_registers_a_permit_for_services_the_unit_offers(client, quality, hvb_unit):
    client.force_login(quality)
    hvb = Service.objects.get(code="hvb")
    response = client.post(
        permits_url(hvb_unit),
        {
            "permit-permit_number": "  IVO 8.5-1234/2026 ",
            "permit-services": [hvb.pk],
            "permit-valid_from": "2026-01-01",
            "permit-valid_to": "2030-12-31",
            "permit-target_group": "Ungdomar 13–17 år",
        },
    )
    assert response.status_code == 302
    registered = Permit.objects.get(permit_number="IVO 8.5-1234/2026")
    assert list(registered.services.all()) == [hvb]
    assert {entry.history_user for entry in registered.history.all()} == {quality}
    assert "IVO 8.5-1234/2026" in page(client.get(permits_url(hvb_unit)))


def test_a_permit_is_refused_next_to_the_field_for_a_service_not_offered_or_a_number_taken(
    client, quality, hvb_unit
):
    client.force_login(quality)
    taken = hvb_unit.permits.get().permit_number
    not_offered = Service.objects.get(code="skyddat-boende")
    response = client.post(
        permits_url(hvb_unit),
        {
            "permit-permit_number": taken.lower(),
            "permit-services": [Service.objects.get(code="hvb").pk],
            "permit-valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 400
    assert "Tillståndsnumret är redan registrerat." in page(response)
    response = client.post(
        permits_url(hvb_unit),
        {
            "permit-permit_number": "IVO-NY",
            "permit-services": [not_offered.pk],
            "permit-valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 400  # not among the choices: the unit does not offer it
    assert 'id="id_permit-services_error"' in page(response)
    with pytest.raises(ValidationError) as refused:
        services.add_permit(
            actor=quality,
            unit=hvb_unit,
            permit_number="IVO-NY",
            services=[not_offered],
            valid_from=TODAY,
        )
    assert "services" in refused.value.message_dict
    assert Permit.objects.count() == 1


def test_renewing_extends_the_end_and_a_shorter_end_is_refused(client, quality, hvb_unit):
    current = hvb_unit.permits.get()
    current.valid_to = dt.date(2027, 6, 30)
    current.save()
    client.force_login(quality)
    url = reverse("providers:permit-renew", args=[hvb_unit.pk, current.pk])
    field = f"renew-{current.pk}-valid_to"
    response = client.post(url, {field: "2027-01-01"})
    assert response.status_code == 400
    assert "Det nya slutet måste vara senare än det nuvarande (2027-06-30)." in page(response)
    assert client.post(url, {field: "2031-06-30"}).status_code == 302
    current.refresh_from_db()
    assert current.valid_to == dt.date(2031, 6, 30)
    assert current.history.latest().history_change_reason == "Tillståndet förnyades"


def test_a_revoked_permit_takes_the_unit_out_of_matching_and_matching_says_why(
    client, quality, hvb_unit
):
    request = submitted_request()
    assert [c.unit for c in rank_candidates(request)] == [hvb_unit]
    current = hvb_unit.permits.get()
    client.force_login(quality)
    url = reverse("providers:permit-revoke", args=[hvb_unit.pk, current.pk])
    prefix = f"revoke-{current.pk}"
    response = client.post(url, {f"{prefix}-revoked_on": TODAY.isoformat()})
    assert response.status_code == 400  # the reason is required
    assert f'id="id_{prefix}-reason_error"' in page(response)
    response = client.post(
        url, {f"{prefix}-revoked_on": TODAY.isoformat(), f"{prefix}-reason": "IVO:s beslut"}
    )
    assert response.status_code == 302
    assert rank_candidates(request) == []
    (excluded,) = excluded_offerings(request)
    assert "Inget giltigt IVO-tillstånd för insatsen" in excluded.reasons
    # Revoked once: it can be neither revoked again nor renewed.
    with pytest.raises(RuleViolation):
        services.revoke_permit(actor=quality, permit=current, revoked_on=TODAY, reason="x")
    with pytest.raises(RuleViolation):
        services.renew_permit(actor=quality, permit=current, valid_to=None)
    assert "Förnya" not in page(client.get(permits_url(hvb_unit)))


def test_a_permit_cannot_be_revoked_before_it_starts(quality, hvb_unit):
    current = hvb_unit.permits.get()
    with pytest.raises(ValidationError) as refused:
        services.revoke_permit(
            actor=quality,
            permit=current,
            revoked_on=current.valid_from - dt.timedelta(days=1),
            reason="Fel",
        )
    assert "revoked_on" in refused.value.message_dict


def test_only_the_register_team_keeps_permits(client, hvb_unit):
    officer = placement_officer(MunicipalityFactory())
    client.force_login(officer)
    assert client.get(permits_url(hvb_unit)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.add_permit(
            actor=officer,
            unit=hvb_unit,
            permit_number="IVO-X",
            services=[Service.objects.get(code="hvb")],
            valid_from=TODAY,
        )


def test_the_permits_page_takes_the_same_number_of_queries_for_one_permit_or_three(
    client, quality, hvb_unit
):
    client.force_login(quality)
    client.get(permits_url(hvb_unit))
    with CaptureQueriesContext(connection) as one:
        client.get(permits_url(hvb_unit))
    permit(hvb_unit, "stodboende", permit_number="IVO-2")
    permit(hvb_unit, "hvb", "stodboende", permit_number="IVO-3")
    with CaptureQueriesContext(connection) as three:
        response = client.get(permits_url(hvb_unit))
    assert len(three) == len(one)
    assert "IVO-3" in page(response)


# --- The API: the same records, the same rules ------------------------------------------------


def test_the_api_registers_renews_and_revokes_a_permit_with_field_errors(client, quality, hvb_unit):
    client.force_login(quality)
    base = f"/api/v1/units/{hvb_unit.pk}/permits/"
    body = {"permit_number": "IVO-API-1", "services": ["hvb"], "valid_from": "2026-01-01"}
    response = client.post(base, body, content_type="application/json")
    assert response.status_code == 201
    created = Permit.objects.get(permit_number="IVO-API-1")
    assert "IVO-API-1" in {p["permit_number"] for p in response.json()["permits"]}
    for bad in (
        {**body, "permit_number": "ivo-api-1"},  # taken
        {**body, "permit_number": "IVO-API-2", "services": ["skyddat-boende"]},  # not offered
        {**body, "permit_number": "IVO-API-3", "services": ["no-such-service"]},
        {**body, "permit_number": "IVO-API-4", "valid_from": "not a date"},
    ):
        response = client.post(base, bad, content_type="application/json")
        assert response.status_code == 400, bad
    renew = f"{base}{created.pk}/renew/"
    response = client.post(renew, {"valid_to": "2030-12-31"}, content_type="application/json")
    assert response.status_code == 200
    revoke = f"{base}{created.pk}/revoke/"
    response = client.post(
        revoke,
        {"revoked_on": "2026-06-01", "reason": "IVO:s beslut"},
        content_type="application/json",
    )
    assert response.status_code == 200
    shown = next(p for p in response.json()["permits"] if p["id"] == created.pk)
    assert (shown["revoked_on"], shown["revocation_reason"]) == ("2026-06-01", "IVO:s beslut")
    response = client.post(
        revoke, {"revoked_on": "2026-06-02", "reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 400  # already revoked
    assert (
        client.post(
            f"{base}99999999/renew/", {"valid_to": None}, content_type="application/json"
        ).status_code
        == 404
    )


def test_the_api_refuses_permit_writes_to_those_who_only_place(client, hvb_unit):
    client.force_login(placement_officer(MunicipalityFactory()))
    body = {"permit_number": "IVO-X", "services": ["hvb"], "valid_from": "2026-01-01"}
    response = client.post(
        f"/api/v1/units/{hvb_unit.pk}/permits/", body, content_type="application/json"
    )
    assert response.status_code == 403  # they see the published unit, but may not change it
    assert not Permit.objects.filter(permit_number="IVO-X").exists()


# --- Permits ending soon: a signal in quality & control's inbox, once ---------------------------


def test_a_permit_ending_soon_raises_one_signal_and_a_renewal_raises_the_next_in_its_time(
    quality, hvb_unit, settings
):
    from followup.models import Signal
    from followup.services import remind_expiring_permits

    settings.PERMIT_EXPIRY_REMINDER_DAYS = 30
    current = hvb_unit.permits.get()
    current.valid_to = TODAY + dt.timedelta(days=20)
    current.save()
    far = permit(
        hvb_unit, "stodboende", permit_number="IVO-FAR", valid_to=TODAY + dt.timedelta(days=90)
    )
    revoked = permit(
        hvb_unit,
        "hvb",
        permit_number="IVO-GONE",
        valid_to=TODAY + dt.timedelta(days=5),
        revoked_on=TODAY,
    )
    assert remind_expiring_permits() == 1
    assert remind_expiring_permits() == 0  # once
    (signal,) = Signal.objects.filter(kind=Signal.Kind.PERMIT_EXPIRING)
    assert signal.unit == hvb_unit and current.permit_number in signal.title
    assert (TODAY + dt.timedelta(days=20)).isoformat() in signal.title
    assert far.permit_number not in signal.title and revoked.permit_number not in signal.title
    # Renewed: nothing now; the new end is reminded when it comes near.
    services.renew_permit(actor=quality, permit=current, valid_to=TODAY + dt.timedelta(days=400))
    assert remind_expiring_permits() == 0
    assert remind_expiring_permits(on=TODAY + dt.timedelta(days=380)) == 1


def test_the_permit_reminder_runs_every_morning_through_beat():
    from django_celery_beat.models import PeriodicTask

    job = PeriodicTask.objects.get(task="followup.remind_expiring_permits")
    assert job.enabled and (job.crontab.hour, job.crontab.minute) == ("7", "0")
