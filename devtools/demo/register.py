"""A demo register of realistic size for Gothenburg and its neighbours.

Deterministic (seeded), idempotent (does nothing when the demo register exists), and
consistent with the register's rules, which it asks (providers.rules): permits where an
offering needs one, recommendation stops only on direct-procurement units, order stops only
on framework units. Units stand in the municipalities with an organisation (the demo's three),
a few kilometres around the municipality's centre (near_centre); the region's other
municipalities are places a request may prefer.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from categories.models import CategoryArea, OperatingForm, Service
from devtools import rulebook
from providers import rules as register_rules
from providers.models import (
    AgreementUnit,
    CorporateGroup,
    FrameworkAgreement,
    LegalForm,
    Permit,
    Price,
    PriceSource,
    Provider,
    ProviderPerson,
    PublicationStatus,
    Unit,
    UnitEvent,
    UnitService,
)
from spink.accounts.models import Administration, Municipality
from spink.luhn import luhn_check_digit

SEED = 2024
UNIT_COUNT = 320
FIRST_NAMES = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Sara",
    "Per",
    "Lena",
    "Ali",
    "Fatima",
    "Mohammed",
    "Eva",
    "Anders",
    "Ingrid",
    "Hassan",
    "Elin",
    "Nils",
]
LAST_NAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Hassan",
    "Berg",
]
PLACES = [
    "Backa",
    "Biskopsgården",
    "Frölunda",
    "Angered",
    "Majorna",
    "Lundby",
    "Tuve",
    "Högsbo",
    "Kortedala",
    "Bergsjön",
    "Askim",
    "Torslanda",
    "Styrsö",
    "Lindome",
    "Kållered",
    "Ytterby",
    "Marstrand",
    "Partille",
    "Lerum",
    "Alingsås",
    "Kungsbacka",
]
NAME_WORDS = [
    "Gården",
    "Hemmet",
    "Huset",
    "Boendet",
    "Stödet",
    "Vägen",
    "Nova",
    "Linnea",
    "Ekbacken",
    "Solrosen",
    "Havsbrisen",
    "Lyktan",
    "Bryggan",
    "Fyren",
    "Kompassen",
]
GROUPS = ["Humana", "Attendo", "Nytida", "Frösunda Omsorg", "Vardaga Sociala"]
PRICE_RANGE = {  # daily price (SEK) spans per service, from framework price lists of the period
    "socialt-boende": (900, 2200),
    "nodbistand-boende": (500, 900),
    "behandlingsinsatser": (2500, 4500),
    "skyddat-boende": (1800, 3500),
    "bostad-forst": (600, 1100),
    "hvb": (3500, 7500),
    "stodboende": (1800, 3200),
    "familjehem": (900, 2100),
    "oppenvard": (1200, 2600),
    "korttidsvistelse": (3000, 6500),
    "korttidsboende": (2200, 4800),
}
# The housing that takes persons the Migration Agency assigns under the EU mass-flight
# directive: supported social housing and emergency shelters (adults' "boende" services), about
# half of their units. Drawn from a random stream of its own, so the rest of the register is
# the same as without it.
EU_HOUSING = ("socialt-boende", "nodbistand-boende")
EU_HOUSING_SHARE = 0.5
AGE_SPAN = {"barn-och-unga": (0, 20), "vuxen": (18, 120), "funktionsstod": (0, 120)}
PRICE_START = dt.date(2025, 1, 1)
# A unit stands up to this far (north-south and east-west) from its municipality's centre, so
# that distances inside a municipality differ. Drawn from a random stream of its own.
UNIT_SPREAD_KM = 4.0
KM_PER_DEGREE = 111.2  # of latitude, and of longitude at the equator


def near_centre(municipality: Municipality, rng: random.Random) -> dict[str, Decimal]:
    """A unit's coordinates: its municipality's centre moved by up to UNIT_SPREAD_KM each way
    (deterministic with a seeded `rng`, which it always draws twice); none when the
    municipality has no coordinates."""
    north, east = rng.uniform(-1, 1), rng.uniform(-1, 1)
    if municipality.latitude is None or municipality.longitude is None:
        return {}
    latitude = float(municipality.latitude) + north * UNIT_SPREAD_KM / KM_PER_DEGREE
    longitude = float(municipality.longitude) + east * UNIT_SPREAD_KM / (
        KM_PER_DEGREE * math.cos(math.radians(latitude))
    )
    return {
        "latitude": Decimal(f"{latitude:.5f}"),
        "longitude": Decimal(f"{longitude:.5f}"),
    }


def organised_municipalities():
    """The municipalities with an organisation (administrations), by code: the ones whose
    users place people, and where the generated registers put their providers."""
    return Municipality.objects.filter(
        Exists(Administration.objects.filter(municipality=OuterRef("pk")))
    ).order_by("code")


def _org_number(rng: random.Random, legal_form: str) -> str:
    prefix = {
        "aktiebolag": "556",
        "ekonomisk_forening": "769",
        "ideell_forening": "802",
        "stiftelse": "802",
        "kommunal": "212",
        "annan": "969",
    }[legal_form]
    body = prefix + f"{rng.randrange(0, 1_000_000):06d}"
    digits = body + luhn_check_digit(body)
    return f"{digits[:6]}-{digits[6:]}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _free_places(rng: random.Random) -> dict:
    """Free places as a unit reported them in the last month, for about half of the units
    (the others "not known"); at most two, which every unit has."""
    if rng.random() < 0.5:
        return {}
    return {
        "available_places": rng.choice([0, 1, 1, 2]),
        "available_places_reported_at": timezone.now()
        - dt.timedelta(days=rng.randrange(0, 30), hours=rng.randrange(0, 24)),
    }


def demo_register_exists() -> bool:
    return FrameworkAgreement.objects.filter(reference__startswith="DEMO-").exists()


@transaction.atomic
def seed(actor=None) -> int:
    """Create the demo register; returns the number of units created (0 if it existed)."""
    if demo_register_exists():
        return 0
    rng = random.Random(SEED)
    eu_rng = random.Random(SEED + 1)
    coordinates_rng = random.Random(SEED + 2)
    vacancy_rng = random.Random(SEED + 3)
    municipalities = list(organised_municipalities())
    gothenburg = next((m for m in municipalities if m.code == "1480"), municipalities[0])
    forms = {form.code: form for form in OperatingForm.objects.all()}
    services = list(Service.objects.select_related("area").prefetch_related("operating_forms"))
    groups = [CorporateGroup.objects.get_or_create(name=name)[0] for name in GROUPS]
    today = timezone.localdate()

    agreements = {}
    for area in CategoryArea.objects.all():
        agreement = FrameworkAgreement.objects.create(
            name=f"Ramavtal {area.name_sv}",
            reference=f"DEMO-{area.code.upper()}-2025",
            area=area,
            valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2028, 12, 31),
            is_open=area.code != "funktionsstod",
        )
        agreement.services.set([s for s in services if s.area_id == area.pk])
        agreements[area.pk] = agreement

    seen_org_numbers: set[str] = set()
    created = 0
    provider = None
    for index in range(UNIT_COUNT):
        # Providers run one to four units each; group members share a name stem.
        if provider is None or rng.random() < 0.45:
            legal_form = rng.choices(
                [
                    LegalForm.COMPANY,
                    LegalForm.NON_PROFIT_ASSOCIATION,
                    LegalForm.FOUNDATION,
                    LegalForm.ECONOMIC_ASSOCIATION,
                ],
                weights=[70, 15, 10, 5],
            )[0]
            org_number = _org_number(rng, legal_form)
            while org_number in seen_org_numbers:
                org_number = _org_number(rng, legal_form)
            seen_org_numbers.add(org_number)
            group = rng.choice(groups) if rng.random() < 0.25 else None
            stem = group.name if group else f"{rng.choice(NAME_WORDS)} {rng.choice(PLACES)}"
            suffix = {"aktiebolag": "AB", "stiftelse": "Stiftelsen"}.get(legal_form, "förening")
            provider = Provider.objects.create(
                legal_name=f"{stem} Omsorg {index} {suffix}",
                org_number=org_number,
                legal_form=legal_form,
                corporate_group=group,
                municipality=gothenburg if rng.random() < 0.7 else rng.choice(municipalities),
                contact_name=_person(rng),
                email=f"kontakt{index}@utforare.example",
                phone=f"031-{rng.randrange(100000, 999999)}",
                city="Göteborg",
            )
            for role in (
                ProviderPerson.Role.CHAIR,
                ProviderPerson.Role.BOARD_MEMBER,
                ProviderPerson.Role.SIGNATORY,
            ):
                ProviderPerson.objects.create(
                    provider=provider,
                    name=_person(rng),
                    role=role,
                    birth_date=dt.date(
                        rng.randrange(1955, 1990), rng.randrange(1, 13), rng.randrange(1, 29)
                    ),
                    valid_from=dt.date(2020, 1, 1),
                )
        service = rng.choice(services)
        low, high = AGE_SPAN[service.area.code]
        place = rng.choice(PLACES)
        unit = Unit.objects.create(
            provider=provider,
            name=f"{rng.choice(NAME_WORDS)} {place} {index}",
            street_address=f"{place}vägen {rng.randrange(1, 120)}",
            postal_code=f"4{rng.randrange(1000, 9999)}",
            city=place,
            municipality=provider.municipality,
            **near_centre(provider.municipality, coordinates_rng),
            age_min=low,
            age_max=high,
            gender=rng.choices(["any", "female", "male"], weights=[70, 15, 15])[0],
            co_morbidity=rng.random() < 0.3,
            wheelchair_accessible=rng.random() < 0.25,
            protected_housing_suitable=service.code == "skyddat-boende" or rng.random() < 0.05,
            pets_allowed=rng.random() < 0.1,
            takes_eu_assignments=(
                service.code in EU_HOUSING and eu_rng.random() < EU_HOUSING_SHARE
            ),
            languages=rng.sample(
                ["svenska", "engelska", "arabiska", "somaliska", "persiska", "tigrinja"],
                k=rng.randrange(1, 3),
            ),
            places=rng.randrange(2, 24),
            **_free_places(vacancy_rng),
            status=rng.choices(
                [
                    PublicationStatus.PUBLISHED,
                    PublicationStatus.PAUSED,
                    PublicationStatus.DRAFT,
                    PublicationStatus.UNDER_CONTROL,
                    PublicationStatus.REMOVED,
                ],
                weights=[80, 6, 5, 5, 4],
            )[0],
        )
        allowed = [f.code for f in service.operating_forms.all()]
        form_code = rng.choices(
            allowed,
            weights=[{"own": 10, "framework": 55, "direct": 30, "iop": 5}[c] for c in allowed],
        )[0]
        offering = UnitService.objects.create(
            unit=unit, service=service, operating_form=forms[form_code]
        )
        low_price, high_price = PRICE_RANGE[service.code]
        Price.objects.create(
            offering=offering,
            daily_price=Decimal(rng.randrange(low_price, high_price, 10)),
            valid_from=PRICE_START,
            source={"framework": PriceSource.FRAMEWORK, "own": PriceSource.OWN_COST}.get(
                form_code, PriceSource.DIRECT_OFFER
            ),
            agreement=agreements[service.area_id] if form_code == "framework" else None,
        )
        if form_code == "framework":
            AgreementUnit.objects.create(
                agreement=agreements[service.area_id], unit=unit, admitted_on=dt.date(2025, 1, 1)
            )
        # A few published units get the stop their operating form allows.
        if unit.status == PublicationStatus.PUBLISHED:
            if rulebook.may_stop(unit, "order") and rng.random() < 0.04:
                unit.order_stop = True
            if rulebook.may_stop(unit, "recommendation") and rng.random() < 0.05:
                unit.recommendation_stop = True
        # Before its permit exists, an offering that needs one lacks it.
        if not register_rules.offering_has_needed_permit(offering, today):
            permit = Permit.objects.create(
                permit_number=f"IVO 8.5-{10000 + index}/{2018 + index % 7}",
                unit=unit,
                valid_from=dt.date(2018 + index % 7, 1, 1),
            )
            permit.services.add(service)
        unit.save()
        if unit.status != PublicationStatus.DRAFT:
            UnitEvent.objects.create(
                unit=unit,
                kind=UnitEvent.Kind.STATUS,
                from_status=PublicationStatus.DRAFT,
                to_status=unit.status,
                reason="Demodata",
                actor=actor,
                source="seed_demo",
            )
        created += 1
    return created
