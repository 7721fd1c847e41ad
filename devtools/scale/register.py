"""Bulk generation of a regional-size register for benchmarks (10,000 units and up).

Bulk inserts (no per-row history) keep it to seconds; the rows obey the same rules as the
demo register: the service × operating-form matrix, permits where the register's permit rule
asks for one (devtools.rulebook), stops only on the operating form they belong to. Providers
are in the municipalities with an organisation (the region prepared so far), their units a
few kilometres around the municipality's centre (devtools.demo.register.near_centre).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from categories.models import CategoryArea, OperatingForm, Service
from devtools import rulebook
from devtools.demo.register import (
    EU_HOUSING,
    NAME_WORDS,
    PLACES,
    PRICE_RANGE,
    _org_number,
    near_centre,
    organised_municipalities,
)
from providers.models import (
    AgreementUnit,
    FrameworkAgreement,
    LegalForm,
    Permit,
    Price,
    PriceSource,
    Provider,
    PublicationStatus,
    Unit,
    UnitService,
)

BATCH = 2000
FORM_WEIGHTS = {"own": 10, "framework": 55, "direct": 30, "iop": 5}
PRICE_SOURCE = {"framework": PriceSource.FRAMEWORK, "own": PriceSource.OWN_COST}
AGREEMENT_START = dt.date(2025, 1, 1)


def _agreements(seed: int) -> dict[int, FrameworkAgreement]:
    """One framework agreement per category area for the generated framework units."""
    agreements = {}
    for area in CategoryArea.objects.prefetch_related("services"):
        agreement, created = FrameworkAgreement.objects.get_or_create(
            reference=f"SCALE-{area.code.upper()}-{seed}",
            defaults={
                "name": f"Ramavtal {area.name_sv} (skalningsdata)",
                "area": area,
                "valid_from": AGREEMENT_START,
                "valid_to": dt.date(2028, 12, 31),
                "is_open": True,
            },
        )
        if created:
            agreement.services.set(area.services.all())
        agreements[area.pk] = agreement
    return agreements


@transaction.atomic
def generate_register(
    units: int = 10_000, seed: int = 7, progress: Callable[[str], None] = print
) -> int:
    rng = random.Random(seed)
    coordinates_rng = random.Random(seed + 1)  # a stream of its own: the rest stays as it was
    # Where people are placed from, as before the region's file: seed_demo creates all its
    # municipalities, most of them only places a request may prefer.
    municipalities = list(organised_municipalities().order_by("name"))
    if not municipalities:
        raise ValueError("Create municipalities first (manage.py seed_demo).")
    forms = {form.code: form for form in OperatingForm.objects.all()}
    services = list(Service.objects.select_related("area").prefetch_related("operating_forms"))
    existing = set(Provider.objects.values_list("org_number", flat=True))
    agreements = _agreements(seed)

    providers = []
    for index in range(max(1, units // 3)):
        legal_form = rng.choice(
            [LegalForm.COMPANY, LegalForm.NON_PROFIT_ASSOCIATION, LegalForm.FOUNDATION]
        )
        org_number = _org_number(rng, legal_form)
        while org_number in existing:
            org_number = _org_number(rng, legal_form)
        existing.add(org_number)
        providers.append(
            Provider(
                legal_name=f"{rng.choice(NAME_WORDS)} {rng.choice(PLACES)} Vård {index} AB",
                org_number=org_number,
                legal_form=legal_form,
                municipality=rng.choice(municipalities),
            )
        )
    Provider.objects.bulk_create(providers, batch_size=BATCH)
    progress(f"{len(providers)} providers")

    unit_rows, plans = [], []
    for index in range(units):
        provider = rng.choice(providers)
        service = rng.choice(services)
        allowed = [f.code for f in service.operating_forms.all()]
        form_code = rng.choices(allowed, weights=[FORM_WEIGHTS[c] for c in allowed])[0]
        status = rng.choices(list(PublicationStatus.values), weights=[3, 3, 85, 5, 4])[0]
        place = rng.choice(PLACES)
        unit_rows.append(
            Unit(
                provider=provider,
                name=f"{rng.choice(NAME_WORDS)} {place} {index}",
                city=place,
                municipality=provider.municipality,
                **near_centre(provider.municipality, coordinates_rng),
                places=rng.randrange(2, 30),
                age_min=0 if service.area.code != "vuxen" else 18,
                age_max=20 if service.area.code == "barn-och-unga" else 120,
                status=status,
                recommendation_stop=form_code == "direct" and rng.random() < 0.03,
                order_stop=form_code == "framework" and rng.random() < 0.03,
                # A tenth of the adults' units draws; of those, the housing that takes persons
                # assigned under the EU directive does (the draw kept for the seeded stream).
                takes_eu_assignments=(
                    service.area.code == "vuxen"
                    and rng.random() < 0.1
                    and service.code in EU_HOUSING
                ),
            )
        )
        plans.append((service, form_code))
    Unit.objects.bulk_create(unit_rows, batch_size=BATCH)
    progress(f"{len(unit_rows)} units")

    offerings = [
        UnitService(unit=unit, service=service, operating_form=forms[form_code])
        for unit, (service, form_code) in zip(unit_rows, plans, strict=True)
    ]
    UnitService.objects.bulk_create(offerings, batch_size=BATCH)
    # The new units have no permits yet: the offerings the permit rule refuses need one.
    needing_permit = rulebook.offerings_needing_permit(
        [offering.pk for offering in offerings], timezone.localdate()
    )
    prices, permits, permit_services, links = [], [], [], []
    for offering, (service, form_code) in zip(offerings, plans, strict=True):
        low, high = PRICE_RANGE[service.code]
        prices.append(
            Price(
                offering=offering,
                daily_price=Decimal(rng.randrange(low, high, 10)),
                valid_from=dt.date(2025, 1, 1),
                source=PRICE_SOURCE.get(form_code, PriceSource.DIRECT_OFFER),
                agreement=agreements[service.area_id] if form_code == "framework" else None,
            )
        )
        if form_code == "framework":
            links.append(
                AgreementUnit(
                    agreement=agreements[service.area_id],
                    unit_id=offering.unit_id,
                    admitted_on=AGREEMENT_START,
                )
            )
        if offering.pk in needing_permit:
            permits.append(
                Permit(
                    permit_number=f"SCALE-{seed}-{offering.unit_id}",
                    unit_id=offering.unit_id,
                    valid_from=dt.date(2019, 1, 1),
                )
            )
            permit_services.append(service)
    Price.objects.bulk_create(prices, batch_size=BATCH)
    AgreementUnit.objects.bulk_create(links, batch_size=BATCH)
    Permit.objects.bulk_create(permits, batch_size=BATCH)
    through = Permit.services.through
    through.objects.bulk_create(
        [
            through(permit_id=p.pk, service_id=s.pk)
            for p, s in zip(permits, permit_services, strict=True)
        ],
        batch_size=BATCH,
    )
    progress(
        f"{len(offerings)} offerings, {len(prices)} prices, {len(permits)} permits, "
        f"{len(links)} framework-agreement places"
    )
    return len(unit_rows)
