"""Demo placement requests in every state, made through the real services (so every one has a
true timeline). Idempotent: does nothing when the demo social worker already has requests."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from categories.models import Service
from placements import matching, services
from placements.models import PlacementRequest, RequestKind
from spink.accounts.models import PlacementTeam, Role, User
from spink.luhn import luhn_check_digit

SEED = 11
FIRST = {
    "female": ["Alva", "Ebba", "Selma", "Nora", "Amira", "Lina"],
    "male": ["Liam", "Elias", "Omar", "Noah", "Hugo", "Adam"],
}
LAST = ["Lind", "Ek", "Nyström", "Hassan", "Karlsson", "Mohammed", "Berg", "Sandberg"]


def personal_number(rng: random.Random, birth: dt.date, female: bool) -> str:
    serial = rng.randrange(10, 99)
    gender_digit = rng.choice("02468" if female else "13579")
    body = f"{birth:%y%m%d}{serial:02d}{gender_digit}"
    return f"{birth:%Y%m%d}-{serial:02d}{gender_digit}{luhn_check_digit(body)}"


# (service code, age, urgency, how far the request got)
PLAN = [
    ("hvb", 15, "acute", "submitted"),
    ("hvb", 14, "planned", "submitted"),
    ("stodboende", 17, "planned", "in_matching"),
    ("familjehem", 9, "acute", "recommended"),
    ("hvb", 16, "planned", "placed"),
    ("oppenvard", 13, "planned", "not_placed"),
    ("hvb", 12, "acute", "withdrawn"),
    ("familjehem", 6, "planned", "placed"),
    ("socialt-boende", 34, "acute", "submitted"),
    ("socialt-boende", 52, "planned", "placed"),
    ("skyddat-boende", 29, "acute", "recommended"),
    ("behandlingsinsatser", 41, "planned", "in_matching"),
    ("nodbistand-boende", 45, "acute", "placed"),
    ("bostad-forst", 58, "planned", "submitted"),
    ("korttidsboende", 23, "planned", "submitted"),
    ("korttidsvistelse", 11, "planned", "placed"),
    ("hvb", 15, "planned", "draft"),
]
# Open assignments under the EU mass-flight directive (housing that takes them), one waiting
# in the queue and one an officer is matching.
EU_PLAN = [
    ("socialt-boende", 31, "acute", "submitted"),
    ("socialt-boende", 44, "planned", "in_matching"),
]


def _officer_for(team: str, municipality_id: int) -> User | None:
    return User.objects.filter(
        role=Role.PLACEMENT_OFFICER, placement_team=team, municipality_id=municipality_id
    ).first()


@transaction.atomic
def seed() -> int:
    workers = list(
        User.objects.filter(role=Role.SOCIAL_WORKER, org_unit__isnull=False).order_by("username")
    )
    if not workers or PlacementRequest.objects.filter(social_worker__in=workers).exists():
        return 0
    # Spink's demo officers work for Gothenburg, so the journey is shown there.
    workers = [w for w in workers if w.municipality.code == "1480"] or workers
    rng = random.Random(SEED)
    today = timezone.localdate()
    created = 0
    plan = [(*row, RequestKind.PLACEMENT) for row in PLAN]
    plan += [(*row, RequestKind.EU_ASSIGNMENT) for row in EU_PLAN]
    for index, (service_code, age, urgency, stage, kind) in enumerate(plan):
        worker = workers[index % len(workers)]
        female = rng.random() < 0.5
        birth = dt.date(today.year - age, rng.randrange(1, 13), rng.randrange(1, 28))
        service = Service.objects.select_related("area").get(code=service_code)
        request = services.create_request(
            actor=worker,
            kind=kind,
            service=service,
            urgency=urgency,
            wanted_start=today + dt.timedelta(days=rng.randrange(0, 30)),
            person_identity_number=personal_number(rng, birth, female),
            person_first_name=rng.choice(FIRST["female" if female else "male"]),
            person_last_name=rng.choice(LAST),
            needs="Demoförfrågan: behov av stöd och trygg miljö.",
            protected_identity=service_code == "skyddat-boende",
            needs_protected_housing=service_code == "skyddat-boende",
        )
        created += 1
        if stage == "draft":
            continue
        # A person may have two open requests; their social worker confirmed it.
        services.submit(actor=worker, request=request.pk, confirm_duplicate=True)
        if stage == "submitted":
            continue
        if stage == "withdrawn":
            services.withdraw(
                actor=worker, request=request.pk, reason="Behovet löstes inom nätverket."
            )
            continue
        team = services.AREA_TEAMS[service.area.code]
        officer = _officer_for(team, worker.municipality_id) or _officer_for(
            PlacementTeam.CHILDREN_YOUTH, worker.municipality_id
        )
        if officer is None or officer.placement_team != team:
            continue
        services.take(actor=officer, request=request.pk)
        if stage == "in_matching":
            continue
        candidates = matching.match(request).candidates
        if not candidates or stage == "not_placed":
            services.record_no_provider_found(
                actor=officer, request=request.pk, reason="Ingen lämplig verksamhet hade plats."
            )
            continue
        recommendations = [
            services.send_recommendation(
                actor=officer,
                request=request.pk,
                offering=candidate.offering.pk,
                daily_price=candidate.daily_price or 2500,
                comment="Demorekommendation.",
                accept_price_flag=True,
            )
            for candidate in candidates[:2]
        ]
        if stage == "placed":
            services.report_choice(
                actor=worker,
                request=request.pk,
                recommendation=recommendations[0].pk,
                start_date=today + dt.timedelta(days=rng.randrange(1, 14)),
            )
    return created
