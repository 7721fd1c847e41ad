"""Demo data: Göteborg's Kategoriplan Funktionsstöd 2026, from the plan adopted by the category
council on 2025-12-15 (a selection of its goals, strategies, activities and KPIs). Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from categories.models import CategoryArea, Service
from reporting.models import (
    Activity,
    ActivityStatus,
    CategoryPlan,
    CouncilDecision,
    Goal,
    Kpi,
    KpiDirection,
    KpiSource,
    Strategy,
)
from spink.accounts.models import Municipality

GOTHENBURG = ("1480", "Göteborg")

ANALYSIS = """Förvaltningen för funktionsstöd har arbetat med kategoristyrning sedan 2021 och den första kategoriplanen för funktionsstöd antogs i maj 2022. Planen revideras årligen. Kategoriplan Funktionsstöd fokuserar på insatserna bostad med särskild service för barn och vuxna, korttidsvistelse, korttidsboende SoL och boendestöd.

Kategoriplanens nulägesanalys visar att:
- förvaltningen bedriver cirka 80 procent av sin verksamhet i egen regi,
- cirka 90 procent av de köpta insatserna är i enlighet med ramavtal, vilket bedöms vara en godtagbar nivå,
- Göteborg har ett högre kostnadsläge för verkställighet av insatser än Malmö och Stockholm.

Utifrån ej verkställda beslut, ökande volymer inom vissa insatser och brist på lämpliga lokaler är bedömningen att det fortsatt kommer finnas behov av att komplettera egen regi med köp."""  # noqa: E501

NOT_STARTED, DONE, ONGOING = (
    ActivityStatus.NOT_STARTED,
    ActivityStatus.COMPLETED,
    ActivityStatus.ONGOING,
)
AT_LEAST, AT_MOST, EQUAL, INFO = (
    KpiDirection.AT_LEAST,
    KpiDirection.AT_MOST,
    KpiDirection.EQUAL,
    KpiDirection.INFORMATION,
)

# goal → strategies → (activities: title, description, status), (kpis: name, unit, target text,
# target value, direction, source, service code)
PLAN = [
    (
        "Rätt insats till rätt kostnad",
        [
            (
                "Möta barns behov",
                [
                    (
                        "Utveckla stödet för barn med komplexa behov",
                        "Planering av BmSS barn och korttidsvistelse för barn med komplexa behov.",
                        ONGOING,
                    ),
                    (
                        "Omhändertagande av akuta insatsbehov",
                        "Upprätta rutiner för att omhänderta akuta insatsbehov.",
                        DONE,
                    ),
                    (
                        "Uppföljning effekter av förändrad helgmodell för korttidshem",
                        "Hur har ny helgmodell påverkat verkställighet av beslut om "
                        "korttidsvistelse?",
                        NOT_STARTED,
                    ),
                ],
                [
                    ("Antal nya beslut BmSS barn", "st", "Information", None, INFO, "manual", None),
                    (
                        "Antal ej verkställda beslut BmSS barn",
                        "st",
                        "Målvärde: 0",
                        Decimal(0),
                        EQUAL,
                        "manual",
                        None,
                    ),
                    (
                        "Beläggningsgrad korttidshem egen regi",
                        "%",
                        "Målvärde: 80 %",
                        Decimal(80),
                        AT_LEAST,
                        "manual",
                        None,
                    ),
                ],
            ),
            (
                "Möta boendebehov för vuxna",
                [
                    (
                        "Uppföljning av korttidsboende i egen regi",
                        "Beläggningsgrad, antal betaldagar och antal direktupphandlingar.",
                        ONGOING,
                    ),
                ],
                [
                    (
                        "Beläggningsgrad korttidsboende SoL egen regi",
                        "%",
                        "Målvärde: 90 %",
                        Decimal(90),
                        AT_LEAST,
                        "manual",
                        None,
                    ),
                    (
                        "Antal direktupphandlingar",
                        "st",
                        "Information",
                        None,
                        INFO,
                        KpiSource.DIRECT_PROCUREMENTS,
                        None,
                    ),
                    (
                        "Förfrågningar korttidsboende SoL",
                        "st",
                        "Information",
                        None,
                        INFO,
                        KpiSource.REQUESTS_PER_SERVICE,
                        "korttidsboende",
                    ),
                ],
            ),
        ],
    ),
    (
        "Ökad styrning, uppföljning och kontroll",
        [
            (
                "Öka andel ramavtal",
                [
                    (
                        "Uppföljning av ramavtalstrohet",
                        "Uppföljning och analys av andel köp på ramavtal.",
                        ONGOING,
                    )
                ],
                [
                    (
                        "Andel köp på ramavtal",
                        "%",
                        "100 % ramavtal",
                        Decimal(100),
                        AT_LEAST,
                        KpiSource.FRAMEWORK_SHARE,
                        None,
                    ),
                    (
                        "Ledtid förfrågan till första förslag (median)",
                        "timmar",
                        "Högst 48 timmar",
                        Decimal(48),
                        AT_MOST,
                        KpiSource.LEAD_TIME,
                        None,
                    ),
                ],
            ),
            (
                "Utveckla uppföljningen av kostnad per insats",
                [
                    (
                        "Säkerställa beräkning av kostnad per insats",
                        "Arbete med kostnad per insats behöver utvecklas inom förvaltningen.",
                        NOT_STARTED,
                    ),
                    (
                        "Analys av kostnadsläge i nationell jämförelse",
                        "Analysera orsaker till förvaltningens kostnadsläge i nationell "
                        "jämförelse.",
                        NOT_STARTED,
                    ),
                ],
                [
                    (
                        "Fördelning regiform: andel egen regi",
                        "%",
                        "Information",
                        None,
                        INFO,
                        KpiSource.OWN_OPERATION_SHARE,
                        None,
                    )
                ],
            ),
        ],
    ),
    (
        "Sund konkurrens",
        [
            (
                "Utveckla arbetet med upphandling och systematisk leverantörsuppföljning",
                [
                    (
                        "Ta fram avtalsstrategier för insatser inom området",
                        "Avtalsstrategier som grund för kommande upphandling.",
                        ONGOING,
                    ),
                    (
                        "Utveckla arbetet med systematisk leverantörsuppföljning",
                        "Utvecklingsarbete med inköps- och upphandlingsförvaltningen under 2026.",
                        ONGOING,
                    ),
                ],
                [],
            )
        ],
    ),
]


@transaction.atomic
def seed() -> CategoryPlan | None:
    """Create the plan unless it exists; returns the new plan, or None when it was there."""
    area = CategoryArea.objects.filter(code="funktionsstod").first()
    if area is None:
        return None
    # The plan is the City of Gothenburg's own document; the accounts demo creates the
    # municipality, but the plan does not depend on being seeded after it.
    code, name = GOTHENBURG
    gothenburg, _created = Municipality.objects.get_or_create(code=code, defaults={"name": name})
    if CategoryPlan.objects.filter(municipality=gothenburg, area=area, year=2026).exists():
        return None
    plan = CategoryPlan.objects.create(
        municipality=gothenburg,
        area=area,
        year=2026,
        title="Kategoriplan Funktionsstöd 2026",
        current_state_analysis=ANALYSIS,
        adopted_on=dt.date(2025, 12, 15),
    )
    for goal_position, (goal_title, strategies) in enumerate(PLAN):
        goal = Goal.objects.create(plan=plan, title=goal_title, position=goal_position)
        for position, (title, activities, kpis) in enumerate(strategies):
            strategy = Strategy.objects.create(goal=goal, title=title, position=position)
            for a_position, (a_title, description, status) in enumerate(activities):
                Activity.objects.create(
                    strategy=strategy,
                    title=a_title,
                    description=description,
                    status=status,
                    owner="Kategoriteam Funktionsstöd",
                    start_date=dt.date(2026, 1, 1),
                    end_date=dt.date(2026, 12, 31),
                    position=a_position,
                )
            for k_position, (name, unit, text, value, direction, source, service) in enumerate(
                kpis
            ):
                Kpi.objects.create(
                    strategy=strategy,
                    name=name,
                    unit=unit,
                    target_text=text,
                    target_value=value,
                    direction=direction,
                    source=source,
                    service=Service.objects.get(code=service) if service else None,
                    position=k_position,
                )
    CouncilDecision.objects.create(
        plan=plan,
        decided_on=dt.date(2025, 12, 15),
        decision="Kategoriråd har fattat beslut om antagande av planen.",
        decided_by="Kategoriråd Funktionsstöd",
    )
    return plan
