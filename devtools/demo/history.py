"""Closed placement requests and EU assignments of Gothenburg from 2023 up to yesterday, for
the yearly statistics and for lists that show recent weeks.

- 2023 and 2024 reproduce the 2024 annual report: the number of placement requests per
  service and year is exactly its table (`VOLUMES`), and the EU assignments of 2024 concern
  exactly 217 persons ("Under 2024 har Spink hanterat anvisningar rörande 217 personer";
  2023: "närmare 560 personer").
- From 2025 the volumes are derived from 2024's per service (`GROWTH` a year); the current
  year runs from 1 January up to yesterday (`timezone.localdate()` at seed time), its volume
  the share of the year that has passed (`volumes()`, a pure function of the day).

Months, administrations, outcomes, lead times and persons are spread realistically but
deterministically (fixed random seeds: 2023–2024 draw from exactly the sequence they always
did, the later years and the EU assignments from their own). Rows are written with
`bulk_create` and carry no timeline, as they come from the system Spink replaced; the database
triggers keep the statistics' tallies. Idempotent: does nothing when the history is there.

History persons have reserve numbers (`HIST…`) and the first name "Historik", so they can
never be mistaken for real people.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, ExtractYear, LPad
from django.utils import timezone

from categories.models import Service, Subcategory
from devtools.demo import accounts as accounts_demo
from placements.identity import person_key
from placements.models import (
    PlacementRequest,
    Recommendation,
    RecommendationSet,
    RequestKind,
    RequestStatus,
)
from placements.services import AREA_TEAMS
from providers.models import UnitService
from spink.accounts.models import Administration, OrgUnit, Role, User

MUNICIPALITY_CODE = "1480"  # Göteborg
YEARS = (2023, 2024)  # the annual report's years, reproduced exactly
FIRST_YEAR = YEARS[0]
SEED = 2024
LATER_SEED = 2025  # the years after the report
EU_SEED = 2022  # the EU assignments (Spink receives them since 1 July 2022)
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
# After 2024, each service grows by this factor a year (from its 2024 volume).
GROWTH = 1.03

# Persons assigned to Gothenburg under the EU mass-flight directive (annual report 2024,
# section 2.2: "närmare 560" in 2023, 217 in 2024); later years keep falling (`EU_DECLINE`).
EU_PERSONS = {2023: 556, 2024: 217}
EU_DECLINE = 0.75
# A few persons get a second assignment in the year (the first housing did not hold).
EU_REASSIGNED_SHARE = 0.05
# Assigned persons are matched to housing that takes EU assignments: supported social housing.
EU_SERVICE = "socialt-boende"
EU_AGES = (0, 70)  # families: children and adults
EU_ACUTE_SHARE = 0.3

# Slightly fewer requests in the summer and over Christmas.
MONTH_WEIGHTS = [9, 8, 9, 9, 9, 7, 6, 7, 9, 9, 9, 7]
# Services mostly urgent: the rest are planned with days of lead time.
ACUTE_SHARE = {"nodbistand-boende": 0.9, "skyddat-boende": 0.8, "hvb": 0.45}
# About a third of requests are for a person seen before (within or across the years).
REPEAT_SHARE = 0.35
AGES = {"vuxen": (19, 75), "barn-och-unga": (2, 20), "funktionsstod": (5, 70)}


# --- Volumes: what the history holds for a given day ---------------------------------------


def years(today: dt.date) -> list[int]:
    """The history's years seeded on `today`: 2023 up to this year (if a day of it has passed)."""
    last = today.year if today > dt.date(today.year, 1, 1) else today.year - 1
    return list(range(FIRST_YEAR, max(last, YEARS[-1]) + 1))


def _month_days(year: int, today: dt.date) -> list[int]:
    """Days of each month of `year` before `today` (the whole month for past years)."""
    days = []
    for month in range(1, 13):
        length = calendar.monthrange(year, month)[1]
        first = dt.date(year, month, 1)
        days.append(0 if first >= today else min(length, (today - first).days))
    return days


def _elapsed_share(year: int, today: dt.date) -> float:
    """The share of the year's requests submitted before `today` (month weights, by day)."""
    days = _month_days(year, today)
    weight = sum(
        w * d / calendar.monthrange(year, m)[1]
        for m, (w, d) in enumerate(zip(MONTH_WEIGHTS, days, strict=True), start=1)
    )
    return weight / sum(MONTH_WEIGHTS)


def volumes(today: dt.date) -> dict[str, dict[int, int]]:
    """Placement requests per service and year seeded on `today` (deterministic)."""
    result: dict[str, dict[int, int]] = {}
    for code, per_year in VOLUMES.items():
        result[code] = {}
        for year in years(today):
            if year in YEARS:
                result[code][year] = per_year[year]
            else:
                full = round(per_year[YEARS[-1]] * GROWTH ** (year - YEARS[-1]))
                result[code][year] = round(full * _elapsed_share(year, today))
    return result


def eu_persons(today: dt.date) -> dict[int, int]:
    """Persons assigned under the EU mass-flight directive per year seeded on `today`."""
    result = {}
    for year in years(today):
        if year in EU_PERSONS:
            result[year] = EU_PERSONS[year]
        else:
            full = EU_PERSONS[YEARS[-1]] * EU_DECLINE ** (year - YEARS[-1])
            result[year] = round(full * _elapsed_share(year, today))
    return result


# --- Seeding -------------------------------------------------------------------------------


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


Person = tuple[str, dt.date, str]  # reserve number, birth date, gender


@dataclass
class _Builder:
    """The rows of one seeding, and what they are made from."""

    now: dt.datetime
    workers: dict[int, tuple[Administration, OrgUnit, User]]
    services: dict[str, Service]
    subcategories: dict[int, list[Subcategory]]
    offerings: dict[int, list[int]]
    eu_offerings: list[int]
    officers: dict[str, int]
    serial: int = 0
    rows: list[PlacementRequest] = field(default_factory=list)
    chosen: list[tuple[int, int]] = field(default_factory=list)  # (row index, offering id)
    # Persons seen before, per category area: a third of requests are for one of them.
    persons: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))

    @property
    def administrations(self) -> list[Administration]:
        return [entry[0] for entry in self.workers.values()]

    def new_person(self, rng: random.Random, year: int, ages: tuple[int, int], day: int):
        self.serial += 1
        identity = f"HIST{self.serial:07d}"
        low, high = ages
        birth = dt.date(year - rng.randint(low, high), rng.randrange(1, 13), day)
        return identity, birth, rng.choice(["female", "male"])

    def add(
        self,
        rng: random.Random,
        *,
        kind: str,
        service: Service,
        submitted: dt.datetime,
        person: Person,
        acute_share: float,
        outcome_weights: list[int],
        subcategory: bool = True,
        offerings: list[int] | None = None,
    ) -> None:
        """One closed request, its draws in the order the 2023–2024 history always made them
        (so that those years stay exactly as they are)."""
        identity, birth, gender = person
        area = service.area.code
        acute = rng.random() < acute_share
        outcome = rng.choices(
            [RequestStatus.PLACED, RequestStatus.NOT_PLACED, RequestStatus.WITHDRAWN],
            weights=outcome_weights,
        )[0]
        recommended = None
        if outcome == RequestStatus.PLACED or rng.random() < 0.4:
            recommended = submitted + dt.timedelta(hours=_lead_hours(rng, acute))
        closed = (recommended or submitted) + dt.timedelta(
            hours=rng.uniform(2, 24 * (2 if acute else 10))
        )
        if closed >= self.now:
            # Submitted in the last days: it was handled faster, and is closed by now.
            span = self.now - dt.timedelta(minutes=5) - submitted
            closed = submitted + span * 0.9
            if recommended is not None:
                recommended = submitted + span * 0.4
        administration, org_unit, worker = self.workers[
            _administration_for(rng, area, self.administrations).pk
        ]
        team = AREA_TEAMS[area]
        subs = self.subcategories.get(service.pk) if subcategory else None
        placed = outcome == RequestStatus.PLACED
        self.rows.append(
            PlacementRequest(
                kind=kind,
                administration=administration,
                org_unit=org_unit,
                social_worker=worker,
                team=team,
                assigned_officer_id=self.officers.get(team),
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
        pool = self.offerings.get(service.pk) if offerings is None else offerings
        if placed and pool:
            self.chosen.append((len(self.rows) - 1, rng.choice(pool)))


def _report_years(builder: _Builder, tz) -> None:
    """2023 and 2024: exactly the rows (and random draws) the history always had."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    persons = builder.persons
    for code, per_year in VOLUMES.items():
        service = builder.services[code]
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
                    person = rng.choice(pool)
                else:
                    person = builder.new_person(rng, year, AGES[area], day)
                    pool.append(person)
                builder.add(
                    rng,
                    kind=RequestKind.PLACEMENT,
                    service=service,
                    submitted=submitted,
                    person=person,
                    acute_share=ACUTE_SHARE.get(code, 0.2),
                    outcome_weights=[74, 14, 12],
                )


def _moment_in(rng: random.Random, year: int, today: dt.date, tz) -> dt.datetime:
    """A working-day-time moment of `year` before `today`, months weighted as the history."""
    days = _month_days(year, today)
    weights = [w * d for w, d in zip(MONTH_WEIGHTS, days, strict=True)]
    month = rng.choices(range(1, 13), weights=weights)[0]
    day = rng.randrange(1, days[month - 1] + 1)
    return dt.datetime(year, month, day, rng.randrange(7, 18), rng.randrange(60), tzinfo=tz)


def _later_years(builder: _Builder, today: dt.date, tz) -> None:
    """2025 up to yesterday: 2024's volumes per service, grown by `GROWTH` a year."""
    rng = random.Random(LATER_SEED)  # noqa: S311 - demo data, not security
    persons = builder.persons
    planned = volumes(today)
    for code in VOLUMES:
        service = builder.services[code]
        area = service.area.code
        for year in years(today):
            if year in YEARS:
                continue
            for _ in range(planned[code][year]):
                submitted = _moment_in(rng, year, today, tz)
                pool = persons[area]
                if pool and rng.random() < REPEAT_SHARE:
                    person = rng.choice(pool)
                else:
                    person = builder.new_person(rng, year, AGES[area], min(submitted.day, 28))
                    pool.append(person)
                builder.add(
                    rng,
                    kind=RequestKind.PLACEMENT,
                    service=service,
                    submitted=submitted,
                    person=person,
                    acute_share=ACUTE_SHARE.get(code, 0.2),
                    outcome_weights=[74, 14, 12],
                )


def _eu_assignments(builder: _Builder, today: dt.date, tz) -> None:
    """Assignments under the EU mass-flight directive: `eu_persons()` distinct persons a year,
    a few of them assigned twice; matched to supported social housing that takes them."""
    rng = random.Random(EU_SEED)  # noqa: S311 - demo data, not security
    service = builder.services[EU_SERVICE]
    for year, count in eu_persons(today).items():
        for _ in range(count):
            submitted = _moment_in(rng, year, today, tz)
            person = builder.new_person(rng, year, EU_AGES, min(submitted.day, 28))
            times = [submitted]
            if rng.random() < EU_REASSIGNED_SHARE:
                again = submitted + dt.timedelta(days=rng.randrange(14, 120))
                if again.date() < today and again.year == year:
                    times.append(again)
            for moment in times:
                builder.add(
                    rng,
                    kind=RequestKind.EU_ASSIGNMENT,
                    service=service,
                    submitted=moment,
                    person=person,
                    acute_share=EU_ACUTE_SHARE,
                    outcome_weights=[88, 8, 4],
                    subcategory=False,
                    offerings=builder.eu_offerings,
                )


def _builder() -> _Builder:
    services = {s.code: s for s in Service.objects.select_related("area").filter(code__in=VOLUMES)}
    subcategories: dict[int, list[Subcategory]] = defaultdict(list)
    for sub in Subcategory.objects.filter(service__code__in=VOLUMES, is_active=True):
        subcategories[sub.service_id].append(sub)
    offerings: dict[int, list[int]] = defaultdict(list)
    for service_id, offering_id in UnitService.objects.filter(
        service__code__in=VOLUMES
    ).values_list("service_id", "pk"):
        offerings[service_id].append(offering_id)
    eu_offerings = list(
        UnitService.objects.filter(
            service__code=EU_SERVICE, unit__takes_eu_assignments=True
        ).values_list("pk", flat=True)
    )
    officers = dict(
        User.objects.filter(role=Role.PLACEMENT_OFFICER, municipality__code=MUNICIPALITY_CODE)
        .order_by("-username")
        .values_list("placement_team", "pk")
    )
    return _Builder(
        now=timezone.now(),
        workers=_workers(),
        services=services,
        subcategories=subcategories,
        offerings=offerings,
        eu_offerings=eu_offerings,
        officers=officers,
    )


def _save(builder: _Builder) -> None:
    rows, chosen = builder.rows, builder.chosen
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
    if not chosen:
        return
    creator = next(iter(builder.workers.values()))[2]
    # Each chosen recommendation was sent in a set of its own, e-mailed when it was sent.
    sendings = RecommendationSet.objects.bulk_create(
        [
            RecommendationSet(
                request=rows[index],
                sent_by_id=rows[index].assigned_officer_id or creator.pk,
                notified_at=rows[index].first_recommended_at,
            )
            for index, _offering_id in chosen
        ],
        batch_size=2000,
    )
    recommendations = Recommendation.objects.bulk_create(
        [
            Recommendation(
                request=rows[index],
                recommendation_set=sending,
                offering_id=offering_id,
                created_by_id=sending.sent_by_id,
                comment="Historik.",
            )
            for (index, offering_id), sending in zip(chosen, sendings, strict=True)
        ],
        batch_size=2000,
    )
    for (index, _), recommendation in zip(chosen, recommendations, strict=True):
        rows[index].chosen_recommendation = recommendation
    PlacementRequest.objects.bulk_update(
        [rows[index] for index, _ in chosen], ["chosen_recommendation"], batch_size=2000
    )


@transaction.atomic
def seed_history(today: dt.date | None = None) -> int:
    """Create the history from 2023 up to the day before `today` (default: the local date);
    returns the number of requests and assignments created (0 if the history is there)."""
    if _history_exists():
        return 0
    today = today or timezone.localdate()
    tz = timezone.get_default_timezone()
    builder = _builder()
    _report_years(builder, tz)
    _later_years(builder, today, tz)
    _eu_assignments(builder, today, tz)
    _save(builder)
    return len(builder.rows)
