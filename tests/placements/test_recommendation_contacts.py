"""Each recommendation on the request page shows what the social worker needs to call: the
contact person, phone (tel:), e-mail (mailto:), the address (the unit's, else the provider's)
and — for those who may view the register — a link to the unit; at a fixed query count."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from placements import services
from providers.models import Provider, Unit
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import PlacementTeam, Role
from tests.factories import placement_officer, published_unit, social_worker, submitted_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


def _unit(name, **provider):
    unit = published_unit("hvb", "framework", name=name, price=Decimal("4200"))
    Provider.objects.filter(pk=unit.provider_id).update(**provider)
    return unit


@pytest.fixture
def fyren():
    """A unit with its own address; the provider has the contact person, phone and e-mail."""
    unit = _unit(
        "HVB Fyren",
        contact_name="Karin Lind",
        phone="031-123 45 67",
        email="karin.lind@fyren.example",
        street_address="Providervägen 1",
        postal_code="41101",
        city="Göteborg",
    )
    Unit.objects.filter(pk=unit.pk).update(
        street_address="Fyrvägen 3", postal_code="42150", city="Västra Frölunda"
    )
    return unit


@pytest.fixture
def ekbacken():
    """A unit without an address of its own: the provider's is shown."""
    unit = _unit(
        "HVB Ekbacken",
        contact_name="Omar Said",
        phone="0701234567",
        email="omar@ekbacken.example",
        street_address="Ekvägen 9",
        postal_code="43130",
        city="Mölndal",
    )
    Unit.objects.filter(pk=unit.pk).update(street_address="", postal_code="", city="")
    return unit


def recommend(officer, request, *units):
    for unit in units:
        services.send_recommendation(
            actor=officer, request=request.pk, offering=unit.offerings.get().pk, daily_price=None
        )


@pytest.fixture
def recommended(worker, officer, fyren, ekbacken):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    recommend(officer, request, fyren, ekbacken)
    return request


def page(client, user, request) -> str:
    client.force_login(user)
    response = client.get(reverse("placements:request-detail", args=[request.pk]))
    assert response.status_code == 200
    return response.content.decode()


def contacts(html: str) -> str:
    start = html.index('id="recommendation-contacts-heading"')
    return html[start : html.index("</ul>", start)]


def test_each_recommendation_shows_contact_person_phone_email_and_address(
    client, worker, recommended
):
    section = contacts(page(client, worker, recommended))
    assert "HVB Fyren" in section and "HVB Ekbacken" in section
    assert "Karin Lind" in section and "Omar Said" in section
    assert '<a href="tel:0311234567">031-123 45 67</a>' in section
    assert '<a href="tel:0701234567">0701234567</a>' in section
    assert '<a href="mailto:karin.lind@fyren.example">karin.lind@fyren.example</a>' in section
    assert '<a href="mailto:omar@ekbacken.example">' in section
    # The unit's own address first; the provider's where the unit has none.
    assert "Fyrvägen 3, 42150 Västra Frölunda" in section
    assert "Providervägen 1" not in section
    assert "Ekvägen 9, 43130 Mölndal" in section


def test_missing_contact_fields_show_a_dash_not_an_empty_link(client, worker, officer):
    bare = published_unit("hvb", "framework", name="HVB Tom", price=Decimal("4200"))
    Unit.objects.filter(pk=bare.pk).update(street_address="", city="")
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    recommend(officer, request, bare)
    section = contacts(page(client, worker, request))
    assert 'href="tel:' not in section and 'href="mailto:' not in section
    assert section.count("<dd>–</dd>") == 4  # contact person, phone, e-mail, address


def test_unit_link_for_those_who_may_view_the_register(
    client, worker, officer, recommended, fyren, ekbacken
):
    for user in (worker, officer):
        section = contacts(page(client, user, recommended))
        for unit in (fyren, ekbacken):
            assert f'href="{reverse("providers:unit-detail", args=[unit.pk])}"' in section
    client.force_login(worker)
    assert client.get(reverse("providers:unit-detail", args=[fyren.pk])).status_code == 200


def test_no_unit_link_without_the_register_capability(
    client, worker, recommended, fyren, monkeypatch
):
    without = access.ROLE_CAPABILITIES[Role.SOCIAL_WORKER] - {Capability.VIEW_REGISTER}
    monkeypatch.setitem(access.ROLE_CAPABILITIES, Role.SOCIAL_WORKER, without)
    section = contacts(page(client, worker, recommended))
    assert "Karin Lind" in section  # the contacts stay
    assert reverse("providers:unit-detail", args=[fyren.pk]) not in section
    assert not re.search(r'href="/[^"]*units/\d+/"', section)


def _queries(client, user, request) -> int:
    client.force_login(user)
    url = reverse("placements:request-detail", args=[request.pk])
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_contacts_add_no_query_per_recommendation(client, worker, officer, fyren, ekbacken):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    recommend(officer, request, fyren)
    one = _queries(client, worker, request)
    third = published_unit("hvb", "framework", name="HVB Tredje", price=Decimal("4200"))
    recommend(officer, request, ekbacken, third)
    assert _queries(client, worker, request) == one
