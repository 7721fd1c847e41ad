"""A small region with a record of every kind the API serves, for the fuzzer and the input
tests: so that generated ids and codes hit real rows, not only 404s."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from rest_framework.authtoken.models import Token

from categories.models import CategoryArea, Service
from followup import services as followup_services
from followup.models import MonitoringRun, MonitoringSource, Severity, Signal
from placements import services as placement_services
from providers.models import FrameworkAgreement
from reporting.models import CategoryPlan, Goal, Kpi, Strategy
from spink.accounts.models import PlacementTeam, Role, User
from tests.db_support import rolled_back
from tests.factories import (
    AdministrationFactory,
    MunicipalityFactory,
    OrgUnitFactory,
    ProviderFactory,
    published_unit,
    request_fields,
    social_worker,
    submitted_request,
    user_with_role,
)


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def build_world(tokens: dict[str, str] | None = None) -> World:
    """Gothenburg with one administration, a user and an API token per role (the keys in
    `tokens` where given), published units, requests in several states, an agreement, a
    control, feedback, a signal, a monitoring run, a site visit, a deep control and a
    category plan."""
    world = World()
    gothenburg = MunicipalityFactory(name="Göteborg", code="1480")
    centrum = AdministrationFactory(municipality=gothenburg, name="Centrum")
    org_unit = OrgUnitFactory(administration=centrum, name="Barn och unga Centrum")
    worker = social_worker(org_unit=org_unit, username="fuzz-worker")
    users = {
        Role.ADMINISTRATOR: user_with_role(Role.ADMINISTRATOR, username="fuzz-admin"),
        Role.PLACEMENT_OFFICER: user_with_role(
            Role.PLACEMENT_OFFICER,
            gothenburg,
            team=PlacementTeam.CHILDREN_YOUTH,
            username="fuzz-officer",
        ),
        Role.SOCIAL_WORKER: worker,
        Role.QUALITY_CONTROL: user_with_role(Role.QUALITY_CONTROL, username="fuzz-quality"),
    }
    world.users = {str(role): user for role, user in users.items()}
    tokens = tokens or {}
    world.tokens = {
        str(role): Token.objects.create(
            user=user, key=tokens.get(str(role)) or Token.generate_key()
        ).key
        for role, user in users.items()
    }
    officer = users[Role.PLACEMENT_OFFICER]
    quality = users[Role.QUALITY_CONTROL]

    provider = ProviderFactory(municipality=gothenburg, legal_name="Fuzz Omsorg AB")
    hvb_unit = published_unit("hvb", "framework", provider=provider, municipality=gothenburg)
    direct_unit = published_unit("hvb", "direct", municipality=gothenburg, price=1600)
    world.ids.update(
        provider=provider.pk,
        unit=hvb_unit.pk,
        direct_unit=direct_unit.pk,
        org_unit=org_unit.pk,
        service=Service.objects.get(code="hvb").pk,
    )

    draft = placement_services.create_request(actor=worker, **request_fields())
    submitted = submitted_request(worker)
    in_matching = submitted_request(worker)
    placement_services.take(actor=officer, request=in_matching.pk)
    offering = direct_unit.offerings.get()
    recommendation = placement_services.send_recommendation(
        actor=officer,
        request=in_matching.pk,
        offering=offering.pk,
        daily_price=Decimal("1600.00"),
        comment="Passar bra.",
    )
    world.ids.update(
        draft=draft.pk,
        submitted=submitted.pk,
        in_matching=in_matching.pk,
        offering=offering.pk,
        recommendation=recommendation.pk,
    )

    agreement = FrameworkAgreement.objects.create(
        name="HVB barn 2026",
        reference="FUZZ-2026-1",
        area=CategoryArea.objects.get(code="barn-och-unga"),
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2029, 12, 31),
    )
    agreement.services.set(Service.objects.filter(code="hvb"))
    world.ids["agreement"] = agreement.pk

    control = followup_services.start_control(actor=quality, provider=direct_unit.provider)
    feedback = followup_services.lodge_feedback(
        actor=worker, unit=hvb_unit, category="staffing", description="Brister i bemötandet."
    )
    source = MonitoringSource.objects.create(
        name="Fuzz kreditbevakning", kind="credit", format="json", url="http://127.0.0.1:9/"
    )
    # A run under way: "run now" on the source is refused by the rules, so the fuzzer never
    # queues a real run (no worker would take it, and it would outlive the test).
    run = MonitoringRun.objects.create(source=source, status=MonitoringRun.Status.RUNNING)
    signal = Signal.objects.create(
        kind=Signal.Kind.CREDIT,
        severity=Severity.HIGH,
        provider=provider,
        unit=hvb_unit,
        title="Betalningsanmärkning",
        source=source,
        run=run,
        dedup_key="fuzz-credit-1",
    )
    visit = followup_services.plan_site_visit(
        actor=officer,
        unit=hvb_unit,
        service=Service.objects.get(code="hvb"),
        operating_form=hvb_unit.offerings.get().operating_form,
        team=PlacementTeam.CHILDREN_YOUTH,
        planned_for=timezone.localdate() + dt.timedelta(days=14),
    )
    deep_control = followup_services.start_deep_control(
        actor=quality, unit=hvb_unit, reason="feedback", feedback=feedback
    )
    world.ids.update(
        control=control.pk,
        feedback=feedback.pk,
        source=source.pk,
        run=run.pk,
        signal=signal.pk,
        site_visit=visit.pk,
        deep_control=deep_control.pk,
    )

    plan = CategoryPlan.objects.create(
        municipality=gothenburg,
        area=CategoryArea.objects.get(code="barn-och-unga"),
        year=timezone.localdate().year,
        title="Kategoriplan barn och unga",
    )
    goal = Goal.objects.create(plan=plan, title="Fler placeringar i egen regi")
    strategy = Strategy.objects.create(goal=goal, title="Bygga ut jourhem")
    Kpi.objects.create(
        strategy=strategy, name="Andel egen regi", unit="%", target_value=Decimal("60")
    )
    world.ids["plan"] = plan.pk
    return world


@contextmanager
def rolled_back_world(django_db_blocker, tokens: dict[str, str] | None = None) -> Iterator[World]:
    """The world for a whole test module, in a transaction of its own that is rolled back at
    the end: nothing is committed, nothing need be emptied. Each test's own transaction
    (pytest-django's `db`) nests in it, so each test's changes are rolled back too."""
    with rolled_back(django_db_blocker, lambda: build_world(tokens)) as world:
        yield world
