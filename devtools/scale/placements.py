"""Regional-scale placement requests for benchmarks: ten municipalities, ten years.

Each request is walked through the product's own workflow (`placements.rules`, asked through
devtools.rulebook): every step is checked against the action's allowed states and actors
before it is recorded, its status is the one the action leads to, and the timeline gets the
same events the services write. A request's path is planned with
times; whatever would happen after now is cut off, so recent requests are still open (the
officers' queues) and the newest are drafts. Rows go in with PostgreSQL COPY
(`spink.db.copy_rows`) — about 750,000 requests and 3–4 million timeline events in minutes —
from a fixed seed, so the same arguments give the same data.

Generated persons get names and valid-looking personal numbers; organisations beyond the
demo's get administrations, org units and users that cannot log in (no usable password).
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from categories.models import Service, Subcategory
from devtools import rulebook
from devtools.demo import accounts as accounts_demo
from devtools.demo.history import ACUTE_SHARE, AGES, MONTH_WEIGHTS, REPEAT_SHARE, VOLUMES
from devtools.demo.placements import personal_number
from devtools.demo.register import FIRST_NAMES, LAST_NAMES
from placements.identity import person_key
from placements.models import (
    CLOSED_STATUSES,
    PlacementRequest,
    Recommendation,
    RecommendationSet,
    RequestKind,
    RequestStatus,
    TimelineEvent,
)
from placements.services import AREA_TEAMS
from providers.models import Price, UnitService
from providers.rules import matchable_offerings
from spink.accounts.models import (
    Administration,
    Municipality,
    OrgUnit,
    PlacementTeam,
    Role,
    User,
)
from spink.db import copy_rows, reserve_ids

K = TimelineEvent.Kind
R = RequestStatus

# The municipalities of the Gothenburg region, by population (thousands): requests are
# spread in proportion, so Gothenburg carries most of the load as it does in reality.
REGION = [
    ("Göteborg", "1480", 600),
    ("Mölndal", "1481", 70),
    ("Kungälv", "1482", 48),
    ("Kungsbacka", "1384", 85),
    ("Lerum", "1441", 44),
    ("Alingsås", "1489", 42),
    ("Partille", "1402", 40),
    ("Härryda", "1401", 39),
    ("Ale", "1440", 32),
    ("Stenungsund", "1415", 27),
    ("Öckerö", "1407", 13),
    ("Tjörn", "1419", 16),
    ("Lilla Edet", "1462", 14),
]
# Administrations and org units created where a municipality has none (name suffixes).
NEW_ADMINISTRATIONS = {
    "Socialförvaltningen": ["Barn och unga", "Vuxen"],
    "Förvaltningen för funktionsstöd": ["Biståndshandläggning LSS"],
}
WORKERS_PER_ORG_UNIT = 6
OFFICERS_PER_TEAM = 3
YEARLY_GROWTH = 1.03
EU_SHARE = 0.03  # 217 of 7,425 in Gothenburg 2024
PROTECTED_SHARE = 0.01
DRAFT_SHARE = 0.02  # of the requests created in the last month
MESSAGE_SHARE = 0.2
BATCH = 20_000

SERVICE_WEIGHTS = {code: per_year[2024] for code, per_year in VOLUMES.items()}
# How requests end (before "now" cuts the newest short): placed / no provider chosen /
# no provider found / withdrawn — the history's 74/14/12 split.
ENDINGS = {"choose": 74, "none_chosen": 7, "no_provider_found": 7, "withdraw": 12}
REASONS = {
    "none_chosen": "Den enskilde tackade nej till de föreslagna verksamheterna.",
    "no_provider_found": "Ingen ledig plats som motsvarar behovet.",
    "withdraw": "Behovet löstes på annat sätt.",
}
EVENT_FOR_ACTION = {
    "submit": K.SUBMITTED,
    "take": K.ASSIGNED,
    "recommend": K.RECOMMENDATION_SENT,
    "choose": K.PROVIDER_CHOSEN,
    "none_chosen": K.NOT_PLACED,
    "no_provider_found": K.NO_PROVIDER_FOUND,
    "withdraw": K.WITHDRAWN,
}


@dataclass
class Place:
    """One municipality's organisation: who asks (per area) and who matches (per team)."""

    municipality: Municipality
    weight: float
    # area code → [(administration, org unit, [social worker ids])]
    askers: dict[str, list[tuple[Administration, OrgUnit, list[User]]]]
    officers: dict[str, list[User]]


@dataclass
class Offer:
    offering_id: int
    unit_id: int
    unit_name: str
    form_code: str
    price: Decimal | None


@dataclass
class Counts:
    requests: int = 0
    timeline: int = 0
    recommendations: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def first_year(years: int, now: dt.datetime | None = None) -> int:
    """The first of `years` calendar years that end with this one."""
    return timezone.localtime(now).year - years + 1


# --- Organisations ------------------------------------------------------------------------------


def _org_units(municipality: Municipality) -> list[OrgUnit]:
    units = list(
        OrgUnit.objects.filter(administration__municipality=municipality).select_related(
            "administration"
        )
    )
    if units:
        return units
    for administration_name, unit_names in NEW_ADMINISTRATIONS.items():
        administration = Administration.objects.create(
            municipality=municipality, name=f"{administration_name} {municipality.name}"
        )
        for unit_name in unit_names:
            units.append(OrgUnit.objects.create(administration=administration, name=unit_name))
    return units


def _area_of(org_unit: OrgUnit) -> set[str]:
    """Which category areas an org unit asks for, from its and its administration's names."""
    name = f"{org_unit.administration.name} {org_unit.name}".lower()
    if "funktionsstöd" in name or "lss" in name or "socialpsykiatri" in name:
        return {"funktionsstod"}
    if "vuxen" in name:
        return {"vuxen"}
    if "barn" in name or "familj" in name:
        return {"barn-och-unga"}
    return {"vuxen", "barn-och-unga", "funktionsstod"}


def _users(
    municipality: Municipality, org_units: list[OrgUnit], password: str
) -> tuple[dict[int, list[User]], dict[str, list[User]]]:
    """Social workers per org unit and officers per team: the existing ones plus generated
    ones (username prefix `scale.<code>.`), so a demo user also owns some requests."""
    prefix = f"scale.{municipality.code}."
    if not User.objects.filter(username__startswith=prefix).exists():
        new = []
        for org_unit in org_units:
            for index in range(WORKERS_PER_ORG_UNIT):
                new.append(
                    User(
                        username=f"{prefix}sw.{org_unit.pk}.{index}",
                        first_name=FIRST_NAMES[(org_unit.pk + index) % len(FIRST_NAMES)],
                        last_name=LAST_NAMES[(org_unit.pk * 7 + index) % len(LAST_NAMES)],
                        role=Role.SOCIAL_WORKER,
                        municipality=municipality,
                        administration=org_unit.administration,
                        org_unit=org_unit,
                        password=password,
                    )
                )
        for team in PlacementTeam.values:
            for index in range(OFFICERS_PER_TEAM):
                new.append(
                    User(
                        username=f"{prefix}po.{team}.{index}",
                        first_name=FIRST_NAMES[(index * 5 + len(team)) % len(FIRST_NAMES)],
                        last_name=LAST_NAMES[(index * 3 + len(team)) % len(LAST_NAMES)],
                        role=Role.PLACEMENT_OFFICER,
                        municipality=municipality,
                        placement_team=team,
                        password=password,
                    )
                )
        User.objects.bulk_create(new)
    workers: dict[int, list[User]] = defaultdict(list)
    officers: dict[str, list[User]] = defaultdict(list)
    for user in User.objects.filter(municipality=municipality, is_active=True).order_by("pk"):
        if user.role == Role.SOCIAL_WORKER and user.org_unit_id:
            workers[user.org_unit_id].append(user)
        elif user.role == Role.PLACEMENT_OFFICER and user.placement_team:
            officers[user.placement_team].append(user)
    return workers, officers


def prepare_region(count: int) -> list[Place]:
    """The first `count` municipalities of the region with their organisation and users."""
    if not 1 <= count <= len(REGION):
        raise ValueError(f"--municipalities must be between 1 and {len(REGION)}.")
    accounts_demo.seed_organisations()
    password = make_password(None)
    places = []
    for name, code, population in REGION[:count]:
        municipality, _ = Municipality.objects.get_or_create(code=code, defaults={"name": name})
        org_units = _org_units(municipality)
        workers, officers = _users(municipality, org_units, password)
        askers: dict[str, list] = defaultdict(list)
        for org_unit in org_units:
            if workers.get(org_unit.pk):
                for area in _area_of(org_unit):
                    askers[area].append((org_unit.administration, org_unit, workers[org_unit.pk]))
        places.append(Place(municipality, population, askers, officers))
    return places


# --- What can be recommended ----------------------------------------------------------------------


def _offers(today: dt.date) -> dict[tuple[int, bool], list[Offer]]:
    """Matchable offerings per (service, takes EU assignments) with their current price."""
    prices = {}
    for offering_id, price in (
        Price.objects.filter(valid_from__lte=today)
        .order_by("offering_id", "valid_from")
        .values_list("offering_id", "daily_price")
    ):
        prices[offering_id] = price  # the latest wins
    offers: dict[tuple[int, bool], list[Offer]] = defaultdict(list)
    rows = matchable_offerings(today, UnitService.objects.all()).values_list(
        "pk",
        "service_id",
        "unit_id",
        "unit__name",
        "operating_form__code",
        "unit__takes_eu_assignments",
    )
    for pk, service_id, unit_id, unit_name, form_code, eu in rows.order_by("pk"):
        offer = Offer(pk, unit_id, unit_name, form_code, prices.get(pk))
        offers[(service_id, False)].append(offer)
        if eu:
            offers[(service_id, True)].append(offer)
    return offers


# --- One request --------------------------------------------------------------------------------


class Walk:
    """A request going through the workflow: each step is checked by the product's rules,
    and the status after each event is the one the rules lead to."""

    def __init__(self, request: SimpleNamespace, created: dt.datetime, creator: User) -> None:
        self.request = request
        self.events: list[tuple[str, dt.datetime, User, str, dict]] = [
            (K.CREATED, created, creator, "", {})
        ]
        self.statuses: list[str] = [request.status]  # the request's status after each event

    def step(self, action: str, actor: User, at: dt.datetime, text: str = "", **data) -> None:
        self.request.status = rulebook.request_step(action, self.request, actor)
        self.events.append((EVENT_FOR_ACTION[action], at, actor, text, data))
        self.statuses.append(self.request.status)


def _lead(rng: random.Random, acute: bool) -> dt.timedelta:
    hours = rng.lognormvariate(2.0, 0.8) if acute else rng.lognormvariate(4.2, 0.6)
    return dt.timedelta(hours=min(hours, 96.0 if acute else 720.0))


class Generator:
    def __init__(
        self,
        places: list[Place],
        years: int,
        total: int,
        seed: int,
        now: dt.datetime,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
        self.places = places
        self.now = timezone.localtime(now)
        self.tz = timezone.get_default_timezone()
        self.first_year = first_year(years, now)
        self.years = list(range(self.first_year, self.now.year + 1))
        self.total = total
        self.services = {
            s.code: s for s in Service.objects.select_related("area").filter(code__in=VOLUMES)
        }
        self.subcategories: dict[int, list[int]] = defaultdict(list)
        for pk, service_id in Subcategory.objects.filter(
            service__code__in=VOLUMES, is_active=True
        ).values_list("pk", "service_id"):
            self.subcategories[service_id].append(pk)
        self.offers = _offers(now.date())
        self.persons: dict[tuple[int, str], list[tuple[str, dt.date, str, str, str]]] = defaultdict(
            list
        )
        self.counts = Counts()

    def plan(self) -> Iterator[tuple[Place, int, int]]:
        """(municipality, year, number of requests) so that the whole adds up to `total`:
        a little growth every year, and only the part of this year that has passed."""
        elapsed = (self.now - dt.datetime(self.now.year, 1, 1, tzinfo=self.tz)) / dt.timedelta(
            days=365
        )
        year_weights = {
            year: YEARLY_GROWTH ** (year - self.first_year)
            * (elapsed if year == self.now.year else 1)
            for year in self.years
        }
        population = sum(place.weight for place in self.places)
        scale = self.total / sum(year_weights.values()) / population
        for place in self.places:
            for year in self.years:
                yield place, year, round(scale * place.weight * year_weights[year])

    def _when(self, year: int) -> dt.datetime:
        """A working-hours moment of the year, by the month weights, never after now."""
        last_month = self.now.month if year == self.now.year else 12
        month = self.rng.choices(range(1, last_month + 1), weights=MONTH_WEIGHTS[:last_month])[0]
        while True:
            at = dt.datetime(
                year,
                month,
                self.rng.randrange(1, calendar.monthrange(year, month)[1] + 1),
                self.rng.randrange(7, 18),
                self.rng.randrange(60),
                tzinfo=self.tz,
            )
            if at <= self.now:
                return at
            month = self.rng.randrange(1, last_month + 1)

    def _person(self, place: Place, area: str, year: int):
        pool = self.persons[(place.municipality.pk, area)]
        if pool and self.rng.random() < REPEAT_SHARE:
            # People come back within a few years, not across the whole decade.
            return pool[-self.rng.randrange(1, min(len(pool), 4000) + 1)]
        gender = self.rng.choice(["female", "male"])
        low, high = AGES[area]
        birth = dt.date(
            year - self.rng.randint(low, high), self.rng.randrange(1, 13), self.rng.randrange(1, 29)
        )
        number = personal_number(self.rng, birth, gender == "female")
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        person = (number, birth, gender, first, last)
        pool.append(person)
        return person

    def requests(self, place: Place, year: int, count: int, ids: range) -> tuple[list, list, list]:
        """Rows for `count` requests of one municipality and year (requests, recommendations,
        timeline events), all ids assigned."""
        request_rows, recommendation_rows, walks = [], [], []
        rng = self.rng
        for request_id in ids[:count]:
            eu = rng.random() < EU_SHARE
            code = (
                "socialt-boende"
                if eu
                else rng.choices(list(SERVICE_WEIGHTS), weights=list(SERVICE_WEIGHTS.values()))[0]
            )
            service = self.services[code]
            area = service.area.code
            administration, org_unit, workers = rng.choice(
                place.askers.get(area) or [a for group in place.askers.values() for a in group]
            )
            worker = rng.choice(workers)
            team = AREA_TEAMS[area]
            officers = place.officers.get(team, [])
            acute = rng.random() < ACUTE_SHARE.get(code, 0.2)
            submitted = self._when(year)
            created = submitted - dt.timedelta(minutes=rng.randrange(10, 60 * 48))
            number, birth, gender, first, last = self._person(place, area, year)
            request = SimpleNamespace(
                id=request_id,
                status=R.DRAFT,
                social_worker_id=worker.pk,
                administration_id=administration.pk,
                administration=administration,
                team=team,
                assigned_officer_id=None,
            )
            walk = Walk(request, created, worker)
            row = {
                "id": request_id,
                "reference": f"PF-{created.astimezone(dt.UTC):%Y}-{request_id:06d}",
                "kind": RequestKind.EU_ASSIGNMENT if eu else RequestKind.PLACEMENT,
                "administration_id": administration.pk,
                "org_unit_id": org_unit.pk,
                "social_worker_id": worker.pk,
                "team": team,
                "service_id": service.pk,
                "subcategory_id": rng.choice(self.subcategories[service.pk])
                if self.subcategories.get(service.pk)
                else None,
                "urgency": "acute" if acute else "planned",
                "wanted_start": submitted.date() + dt.timedelta(days=0 if acute else 14),
                "needs": "Behov enligt utredning.",
                "protected_identity": rng.random() < PROTECTED_SHARE,
                "person_identity_number": number,
                "person_first_name": first,
                "person_last_name": last,
                "person_birth_date": birth,
                "person_gender": gender,
                "person_key": person_key(number),
                "created_at": created,
            }
            if submitted > self.now - dt.timedelta(days=30) and rng.random() < DRAFT_SHARE:
                request_rows.append(row | {"status": R.DRAFT})
                walks.append(walk)
                continue
            walk.step("submit", worker, submitted)
            row["submitted_at"] = submitted
            self._route(walk, row, service.pk, eu, acute, submitted, worker, officers)
            self._cut_at_now(walk, row)
            recommendation_rows.extend(row.pop("_recommendations"))
            request_rows.append(row)
            walks.append(walk)
        timeline_rows = [
            {
                "request_id": walk.request.id,
                "kind": kind,
                "actor_id": actor.pk,
                "text": text,
                "data": data,
                "created_at": at,
            }
            for walk in walks
            for kind, at, actor, text, data in walk.events
        ]
        return request_rows, recommendation_rows, timeline_rows

    def _route(self, walk, row, service_id, eu, acute, submitted, worker, officers) -> None:
        """Plan the rest of the request's life, all of it, ignoring now (cut later)."""
        rng = self.rng
        ending = rng.choices(list(ENDINGS), weights=list(ENDINGS.values()))[0]
        at = submitted
        if ending == "withdraw" and rng.random() < 0.3 or not officers:
            walk.step(
                "withdraw", worker, at + dt.timedelta(hours=rng.uniform(1, 48)), REASONS["withdraw"]
            )
            row["_recommendations"] = []
            return
        officer = rng.choice(officers)
        at += dt.timedelta(minutes=rng.uniform(5, 240 if acute else 2880))
        walk.step("take", officer, at, officer=officer.get_full_name())
        walk.request.assigned_officer_id = officer.pk
        row["assigned_officer_id"] = officer.pk
        offers = self.offers.get((service_id, eu), [])
        if ending == "no_provider_found" or not offers:
            walk.step(
                "no_provider_found", officer, at + _lead(rng, acute), REASONS["no_provider_found"]
            )
            row["_recommendations"] = []
            return
        recommendations = []
        lead = submitted + _lead(rng, acute)
        for offer in rng.sample(offers, k=min(len(offers), rng.choice([1, 1, 2, 2, 3]))):
            at = max(at, lead) + dt.timedelta(minutes=rng.uniform(1, 90))
            price = offer.price
            if price is not None:  # today's prices, a little lower in earlier years
                price = (price / Decimal(YEARLY_GROWTH ** (self.now.year - at.year))).quantize(
                    Decimal("1")
                )
            walk.step(
                "recommend",
                officer,
                at,
                units=[  # as services.send_recommendation_set records a set of one
                    {
                        "unit": offer.unit_name,
                        "unit_id": offer.unit_id,
                        "operating_form": offer.form_code,
                        "daily_price": str(price) if price is not None else None,
                        "price_flagged": False,
                    }
                ],
            )
            recommendations.append(
                {
                    "id": None,
                    "request_id": row["id"],
                    "offering_id": offer.offering_id,
                    "daily_price": price,
                    "created_by_id": officer.pk,
                    "created_at": at,
                    "notified_at": at + dt.timedelta(seconds=rng.uniform(1, 30)),
                    "_unit": offer,
                }
            )
        row["_recommendations"] = recommendations
        at += dt.timedelta(hours=rng.uniform(1, 24 * (2 if acute else 10)))
        if ending == "choose":
            chosen = rng.choice(recommendations)
            start = (at + dt.timedelta(days=rng.randrange(0, 8))).date()
            walk.step(
                "choose",
                worker,
                at,
                unit=chosen["_unit"].unit_name,
                unit_id=chosen["_unit"].unit_id,
                start_date=start.isoformat(),
            )
            row["_chosen"] = chosen
            row["_start"] = start
        else:
            walk.step(ending, worker, at, REASONS[ending])

    def _cut_at_now(self, walk: Walk, row: dict) -> None:
        """Keep what has happened by now (the events are in time order); the request's
        status is the one its last kept step led to, and its fields follow that step."""
        kept = 0
        while kept < len(walk.events) and walk.events[kept][1] <= self.now:
            kept += 1
        walk.events = walk.events[:kept]
        status = walk.statuses[kept - 1]
        recommendations = [r for r in row["_recommendations"] if r["created_at"] <= self.now]
        for kind, at, _actor, _text, _data in walk.events:
            if kind == K.RECOMMENDATION_SENT:  # as services.send_recommendation_set sets it
                row.setdefault("first_recommended_at", at)
        if status in CLOSED_STATUSES:  # as services close a request
            _kind, at, _actor, text, _data = walk.events[-1]
            row["closed_at"] = at
            row["outcome_note"] = text
            if status == R.PLACED:
                row["chosen_recommendation"] = row["_chosen"]
                row["placement_start"] = row["_start"]
        if status == R.SUBMITTED:  # taken only after now: not assigned yet
            row.pop("assigned_officer_id", None)
        row["status"] = status
        row["_recommendations"] = recommendations
        row.pop("_chosen", None)
        row.pop("_start", None)
        walk.request.status = status
        self.counts.by_status[status] += 1


def _messages(rng: random.Random, timeline: list[dict], now: dt.datetime) -> list[dict]:
    """A share of requests get a message from their social worker or officer."""
    by_request: dict[int, list[dict]] = defaultdict(list)
    for event in timeline:
        by_request[event["request_id"]].append(event)
    messages = []
    for request_id, events in by_request.items():
        if len(events) < 3 or rng.random() >= MESSAGE_SHARE:
            continue
        after = events[rng.randrange(1, len(events) - 1)]
        at = min(after["created_at"] + dt.timedelta(minutes=rng.uniform(5, 120)), now)
        messages.append(
            {
                "request_id": request_id,
                "kind": K.MESSAGE,
                "actor_id": after["actor_id"],
                "text": "Kompletterande uppgifter om behovet.",
                "data": {},
                "created_at": at,
            }
        )
    return messages


@transaction.atomic
def generate_requests(
    places: list[Place],
    years: int = 10,
    total: int = 750_000,
    seed: int = 7,
    progress: Callable[[str], None] = print,
    now: dt.datetime | None = None,
) -> Counts:
    """Create about `total` requests over `years` years (ending now) in `places`."""
    generator = Generator(places, years, total, seed, now or timezone.now())
    plan = list(generator.plan())
    ids = reserve_ids(PlacementRequest, sum(n for _, _, n in plan))
    counts = generator.counts
    taken = 0
    for place, year, count in plan:
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            first = ids.start + taken
            taken += size
            request_rows, recommendation_rows, timeline_rows = generator.requests(
                place, year, size, range(first, first + size)
            )
            timeline_rows += _messages(generator.rng, timeline_rows, generator.now)
            # Each recommendation of the history was sent in a set of its own.
            set_rows = []
            for recommendation, pk, set_pk in zip(
                recommendation_rows,
                reserve_ids(Recommendation, len(recommendation_rows)),
                reserve_ids(RecommendationSet, len(recommendation_rows)),
                strict=True,
            ):
                recommendation["id"] = pk
                recommendation["recommendation_set_id"] = set_pk
                del recommendation["_unit"]
                set_rows.append(
                    {
                        "id": set_pk,
                        "request_id": recommendation["request_id"],
                        "message": "",
                        "sent_by_id": recommendation["created_by_id"],
                        "sent_at": recommendation["created_at"],
                        "notified_at": recommendation.pop("notified_at"),
                    }
                )
            for row in request_rows:
                chosen = row.pop("chosen_recommendation", None)
                row["chosen_recommendation_id"] = chosen["id"] if chosen else None
            # Recommendations first (foreign keys are deferred): the statistics trigger on
            # requests looks up the chosen provider's operating form.
            copy_rows(RecommendationSet, set_rows)
            copy_rows(Recommendation, recommendation_rows)
            copy_rows(PlacementRequest, request_rows)
            copy_rows(TimelineEvent, timeline_rows)
            counts.requests += len(request_rows)
            counts.recommendations += len(recommendation_rows)
            counts.timeline += len(timeline_rows)
            done += size
        progress(
            f"{place.municipality.name} {year}: {count} requests "
            f"({counts.requests} of about {generator.total})"
        )
    return counts


def analyze() -> None:
    """Vacuum as autovacuum would by the time such a history exists: freshly copied tables
    have no visibility map, so index-only scans would still read every heap page."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
