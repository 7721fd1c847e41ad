"""Closed placement requests of Gothenburg for 2023 and 2024, for the yearly statistics.

The number of requests per service and year is exactly the table in the 2024 annual report
(`VOLUMES`); months, administrations, outcomes, lead times and persons are spread
realistically but deterministically (a fixed random seed). Rows are written with
`bulk_create` (a few seconds for ~14,500 requests) and carry no timeline, as they come from
the system Spink replaced. Idempotent: does nothing when the history is already there.

History persons have reserve numbers (`HIST…`) and the first name "Historik", so they can
never be mistaken for real people.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, ExtractYear, LPad
from django.utils import timezone

from categories.models import Service, Subcategory
from devtools.demo import accounts as accounts_demo
from placements.identity import person_key
from placements.models import PlacementRequest, Recommendation, RequestKind, RequestStatus
from placements.services import AREA_TEAMS
from providers.models import UnitService
from spink.accounts.models import Administration, OrgUnit, Role, User

MUNICIPALITY_CODE = "1480"  # Göteborg
YEARS = (2023, 2024)
SEED = 2024
FIRST_NAME = "Historik"
HISTORY_UNIT = "Historik (tidigare system)"

# Requests per service and year, Gothenburg, January–December (the domain brief's table).
VOLUMES: dict[str, dict[int, int]] = {
    "socialt-boende": {2023: 3781, 2024: 4080},
    "nodbistand-boende": {2023: 346, 2024: 319},
    "behandlingsinsatser": {2023: 196, 2024: 168},
    "skyddat-boende": {2023: 409, 2024: 467},
    "bostad-forst": {2023: 82, 2024: 113},
    "hvb": {2023: 743, 2024: 664},
    "stodboende": {2023: 132, 2024: 138},
    "familjehem": {2023: 392, 2024: 358},
    "oppenvard": {2023: 103, 2024: 85},
    "korttidsvistelse": {2023: 134, 2024: 125},
    "korttidsboende": {2023: 738, 2024: 908},
}

# Slightly fewer requests in the summer and over Christmas.
MONTH_WEIGHTS = [9, 8, 9, 9, 9, 7, 6, 7, 9, 9, 9, 7]
# Services mostly urgent: the rest are planned with days of lead time.
ACUTE_SHARE = {"nodbistand-boende": 0.9, "skyddat-boende": 0.8, "hvb": 0.45}
# About a third of requests are for a person seen before (within or across the years).
REPEAT_SHARE = 0.35
AGES = {"vuxen": (19, 75), "barn-och-unga": (2, 20), "funktionsstod": (5, 70)}


def _history_exists() -> bool:
    return PlacementRequest.objects.filter(
        administration__municipality__code=MUNICIPALITY_CODE,
        person_first_name=FIRST_NAME,
        submitted_at__year__in=YEARS,
    ).exists()


def _workers() -> dict[int, tuple[Administration, OrgUnit, User]]:
    """One social worker and org unit per Gothenburg administration (the demo's if there is
    one, else a history unit and an inactive history user that cannot log in)."""
    accounts_demo.seed_organisations()
    workers = {}
    administrations = Administration.objects.filter(municipality__code=MUNICIPALITY_CODE).order_by(
        "name"
    )
    for index, administration in enumerate(administrations, start=1):
        worker = (
            User.objects.filter(
                role=Role.SOCIAL_WORKER, administration=administration, org_unit__isnull=False
            )
            .select_related("org_unit")
            .order_by("username")
            .first()
        )
        if worker is None:
            org_unit, _ = OrgUnit.objects.get_or_create(
                administration=administration, name=HISTORY_UNIT
            )
            worker, _ = User.objects.get_or_create(
                username=f"historik.{index}",
                defaults={
                    "first_name": FIRST_NAME,
                    "last_name": administration.name,
                    "role": Role.SOCIAL_WORKER,
                    "municipality": administration.municipality,
                    "administration": administration,
                    "org_unit": org_unit,
                    "is_active": False,
                    "password": make_password(None),
                },
            )
        workers[administration.pk] = (administration, worker.org_unit, worker)
    return workers


def _administration_for(rng: random.Random, area: str, administrations: list[Administration]):
    """Disability support is mostly asked for by its own administration, IFO by the four
    district social administrations."""
    disability = [a for a in administrations if "funktionsstöd" in a.name.lower()]
    social = [a for a in administrations if a not in disability] or administrations
    if area == "funktionsstod" and disability and rng.random() < 0.85:
        return disability[0]
    return rng.choice(social)


def _lead_hours(rng: random.Random, acute: bool) -> float:
    if acute:
        return min(rng.lognormvariate(2.0, 0.8), 96.0)  # median ~7 hours
    return min(rng.lognormvariate(4.2, 0.6), 720.0)  # median ~3 days


@transaction.atomic
def seed_history() -> int:
    """Create the 2023–2024 history; returns the number of requests created (0 if present)."""
    if _history_exists():
        return 0
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    tz = timezone.get_default_timezone()
    workers = _workers()
    administrations = [entry[0] for entry in workers.values()]
    services = {s.code: s for s in Service.objects.select_related("area").filter(code__in=VOLUMES)}
    subcategories: dict[int, list[Subcategory]] = defaultdict(list)
    for sub in Subcategory.objects.filter(service__code__in=VOLUMES, is_active=True):
        subcategories[sub.service_id].append(sub)
    offerings: dict[int, list[int]] = defaultdict(list)
    for service_id, offering_id in UnitService.objects.filter(
        service__code__in=VOLUMES
    ).values_list("service_id", "pk"):
        offerings[service_id].append(offering_id)
    officers = dict(
        User.objects.filter(role=Role.PLACEMENT_OFFICER, municipality__code=MUNICIPALITY_CODE)
        .order_by("-username")
        .values_list("placement_team", "pk")
    )

    persons: dict[str, list[tuple[str, dt.date, str]]] = defaultdict(list)
    serial = 0
    rows: list[PlacementRequest] = []
    chosen: list[tuple[int, int]] = []  # (row index, offering id)
    for code, per_year in VOLUMES.items():
        service = services[code]
        area = service.area.code
        for year in YEARS:
            for _ in range(per_year[year]):
                month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
                day = rng.randrange(1, 29)
                submitted = dt.datetime(
                    year, month, day, rng.randrange(7, 18), rng.randrange(60), tzinfo=tz
                )
                pool = persons[area]
                if pool and rng.random() < REPEAT_SHARE:
                    identity, birth, gender = rng.choice(pool)
                else:
                    serial += 1
                    identity = f"HIST{serial:07d}"
                    low, high = AGES[area]
                    birth = dt.date(year - rng.randint(low, high), rng.randrange(1, 13), day)
                    gender = rng.choice(["female", "male"])
                    pool.append((identity, birth, gender))
                acute = rng.random() < ACUTE_SHARE.get(code, 0.2)
                outcome = rng.choices(
                    [RequestStatus.PLACED, RequestStatus.NOT_PLACED, RequestStatus.WITHDRAWN],
                    weights=[74, 14, 12],
                )[0]
                recommended = None
                if outcome == RequestStatus.PLACED or rng.random() < 0.4:
                    recommended = submitted + dt.timedelta(hours=_lead_hours(rng, acute))
                closed = (recommended or submitted) + dt.timedelta(
                    hours=rng.uniform(2, 24 * (2 if acute else 10))
                )
                administration, org_unit, worker = workers[
                    _administration_for(rng, area, administrations).pk
                ]
                team = AREA_TEAMS[area]
                subs = subcategories.get(service.pk)
                placed = outcome == RequestStatus.PLACED
                rows.append(
                    PlacementRequest(
                        kind=RequestKind.PLACEMENT,
                        administration=administration,
                        org_unit=org_unit,
                        social_worker=worker,
                        team=team,
                        assigned_officer_id=officers.get(team),
                        service=service,
                        subcategory=rng.choice(subs) if subs else None,
                        urgency="acute" if acute else "planned",
                        wanted_start=submitted.date() + dt.timedelta(days=0 if acute else 14),
                        person_identity_number=identity,
                        person_is_reserve_number=True,
                        person_first_name=FIRST_NAME,
                        person_last_name=f"Person {identity[4:]}",
                        person_birth_date=birth,
                        person_gender=gender,
                        person_key=person_key(identity),
                        status=outcome,
                        submitted_at=submitted,
                        first_recommended_at=recommended,
                        closed_at=closed,
                        placement_start=closed.date() if placed else None,
                        outcome_note="Från tidigare system (historik).",
                    )
                )
                if placed and offerings.get(service.pk):
                    chosen.append((len(rows) - 1, rng.choice(offerings[service.pk])))
    PlacementRequest.objects.bulk_create(rows, batch_size=2000)
    created = PlacementRequest.objects.filter(pk__in=[row.pk for row in rows])
    # created_at is auto_now_add, and the reference is made from the id as services do.
    created.update(
        created_at=F("submitted_at") - dt.timedelta(minutes=30),
        reference=Concat(
            Value("PF-"),
            Cast(ExtractYear("submitted_at"), CharField()),
            Value("-"),
            LPad(Cast("pk", CharField()), 6, Value("0")),
        ),
    )
    if chosen:
        creator = next(iter(workers.values()))[2]
        recommendations = Recommendation.objects.bulk_create(
            [
                Recommendation(
                    request=rows[index],
                    offering_id=offering_id,
                    created_by_id=rows[index].assigned_officer_id or creator.pk,
                    comment="Historik.",
                    notified_at=rows[index].first_recommended_at,
                )
                for index, offering_id in chosen
            ],
            batch_size=2000,
        )
        for (index, _), recommendation in zip(chosen, recommendations, strict=True):
            rows[index].chosen_recommendation = recommendation
        PlacementRequest.objects.bulk_update(
            [rows[index] for index, _ in chosen], ["chosen_recommendation"], batch_size=2000
        )
    return len(rows)
