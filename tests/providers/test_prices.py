"""Daily prices kept in the unit's page (issue 15): a new price from a date ends the running
one the day before; the history stays; matching takes the price valid on the day."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from placements.matching import current_price
from providers import services
from providers.models import Price, PriceSource, UnitService
from tests.factories import (
    MunicipalityFactory,
    offering,
    placement_officer,
    published_unit,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def unit():
    return published_unit("hvb", "direct", name="HVB Ekbacken", price=Decimal("4500"))


def prices_url(unit) -> str:
    return reverse("providers:unit-prices", args=[unit.pk])


def price_today(offering_id: int):
    return UnitService.objects.annotate(today=current_price()).get(pk=offering_id).today


def test_a_new_price_from_a_date_ends_the_running_one_the_day_before(client, quality, unit):
    hvb = unit.offerings.get()
    client.force_login(quality)
    response = client.post(
        prices_url(unit),
        {
            "price-offering": hvb.pk,
            "price-daily_price": "4 800,50",
            "price-valid_from": TODAY.isoformat(),
            "price-source": PriceSource.DIRECT_OFFER,
        },
    )
    assert response.status_code == 302
    old, new = hvb.prices.order_by("valid_from")
    assert (old.valid_to, new.valid_from, new.valid_to) == (
        TODAY - dt.timedelta(days=1),
        TODAY,
        None,
    )
    assert new.daily_price == Decimal("4800.50")
    assert price_today(hvb.pk) == Decimal("4800.50")
    assert old.history.latest().history_user == quality  # who ended it, and why
    page = client.get(prices_url(unit)).content.decode()
    assert "4\xa0500\xa0kr/dygn" in page and "4\xa0800,50\xa0kr/dygn" in page


def test_a_price_in_the_way_is_named_next_to_the_date(client, quality, unit):
    hvb = unit.offerings.get()
    services.change_price(
        actor=quality,
        offering=hvb,
        daily_price=Decimal("4700"),
        valid_from=TODAY + dt.timedelta(days=30),
        source=PriceSource.DIRECT_OFFER,
    )
    client.force_login(quality)
    response = client.post(
        prices_url(unit),
        {
            "price-offering": hvb.pk,
            "price-daily_price": "4600",
            "price-valid_from": (TODAY + dt.timedelta(days=30)).isoformat(),
            "price-source": PriceSource.DIRECT_OFFER,
        },
    )
    assert response.status_code == 400
    assert 'id="id_price-valid_from_error"' in response.content.decode()
    assert hvb.prices.count() == 2  # nothing changed
    other = offering(published_unit("hvb", "framework"), "stodboende", "direct")
    response = client.post(
        prices_url(unit),
        {
            "price-offering": other.pk,  # another unit's: not among the choices
            "price-daily_price": "100",
            "price-valid_from": TODAY.isoformat(),
            "price-source": PriceSource.DIRECT_OFFER,
        },
    )
    assert response.status_code == 400 and not other.prices.exists()


def test_only_the_register_team_changes_prices(client, unit):
    officer = placement_officer(MunicipalityFactory())
    client.force_login(officer)
    assert client.get(prices_url(unit)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.change_price(
            actor=officer,
            offering=unit.offerings.get(),
            daily_price=Decimal("1"),
            valid_from=TODAY,
            source=PriceSource.DIRECT_OFFER,
        )
    with pytest.raises(ValidationError):
        services.change_price(
            actor=None,
            offering=unit.offerings.get(),
            daily_price=Decimal("-5"),
            valid_from=TODAY,
            source=PriceSource.DIRECT_OFFER,
        )
    assert Price.objects.filter(offering__unit=unit).count() == 1


def test_the_prices_page_takes_the_same_number_of_queries_for_more_prices(client, quality, unit):
    client.force_login(quality)
    client.get(prices_url(unit))
    with CaptureQueriesContext(connection) as few:
        client.get(prices_url(unit))
    offering(unit, "stodboende", "direct", price=Decimal("1200"))
    for days in (10, 20, 30):
        services.change_price(
            actor=quality,
            offering=unit.offerings.get(service__code="hvb"),
            daily_price=Decimal(4500 + days),
            valid_from=TODAY + dt.timedelta(days=days),
            source=PriceSource.DIRECT_OFFER,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(prices_url(unit))
    assert len(many) == len(few)
