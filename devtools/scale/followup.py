"""Bulk generation of regional-scale supplier follow-up for benchmarks: pre-admission controls
with their checklists, monitoring signals with the nightly runs that found them, feedback,
deep controls and matching-focused site visits, spread over a range of years.

Like devtools.scale.register it bulk inserts (no per-row history, no e-mails, no register
changes) on top of a register that exists (generate_register, seed_demo) and the demo users. The
rows obey the rules the product's services enforce, asked of followup.rules (through
devtools.rulebook where its spelling matters): the checklist a control gets, no control of the
municipality's own operation, decisions that the check results allow, one pending control per
provider, an approved latest decision for every provider with published direct-procurement
units, feedback that moved through its workflow's steps, a pattern signal where the pattern
rule would have raised one, and deep-control outcomes that agree with the register's state of
the unit as it is now.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from categories.models import OperatingForm, Service
from devtools import rulebook
from followup import rules
from followup.models import (
    CheckResult,
    Control,
    ControlCheck,
    DeepControl,
    Feedback,
    FeedbackCategory,
    MonitoringKind,
    MonitoringRun,
    MonitoringSource,
    QuestionTemplate,
    Severity,
    Signal,
    SiteVisit,
)
from placements.services import AREA_TEAMS
from providers.models import LegalForm, Permit, Provider, PublicationStatus, Unit, UnitService
from spink.accounts.models import Role, User

BATCH = 2000
DAY = dt.timedelta(days=1)
S = PublicationStatus
O = DeepControl.Outcome  # noqa: E741 - as in followup.rules

# --- Shares and texts ---------------------------------------------------------------------------

# The first control of a provider is mostly long decided; a few are still under way.
PENDING_SHARE = 0.10
APPROVED_SHARE = 0.85
RECENT_CONTROL = dt.timedelta(days=90)
# Of the feedback closed, the share whose provider answered first (the workflow allows both).
ANSWERED_BEFORE_CLOSING = 0.6
# A pending control is under way: some checks done, a failed one perhaps not yet decided on.
PENDING_RESULTS = {
    CheckResult.OPEN: 50,
    CheckResult.PASSED: 40,
    CheckResult.REMARK: 7,
    CheckResult.FAILED: 3,
}
# A quarter of the feedback comes in bursts about a few providers, as it does in practice, so
# the pattern rule has something to find.
BURST_SHARE = 0.25
FEEDBACK_PER_BURST = 40
BURST_LENGTH = dt.timedelta(days=300)  # within the rule's 12 months
# Share of the handled signals that lead to a deep control: most proposals of the pattern
# rule, some serious signals, hardly any others.
DEEP_SHARE = {
    Signal.Kind.FEEDBACK_PATTERN: 0.6,
    Severity.HIGH: 0.15,
    Severity.MEDIUM: 0.01,
    Severity.LOW: 0.01,
}
# Site visits and independent deep controls have no count of their own.
ITEMS_PER_SITE_VISIT = 50
SIGNAL_KIND_WEIGHTS = {
    Signal.Kind.MEDIA: 35,
    Signal.Kind.CREDIT: 40,
    Signal.Kind.IVO_REVOCATION: 10,
    Signal.Kind.GROUP_REVIEW: 15,
    Signal.Kind.PERMIT_EXPIRING: 5,
}
MONITORED = {
    Signal.Kind.MEDIA: MonitoringKind.MEDIA,
    Signal.Kind.CREDIT: MonitoringKind.CREDIT,
    Signal.Kind.IVO_REVOCATION: MonitoringKind.IVO_REVOCATION,
}
# Inactive, so the nightly job never fetches from their made-up addresses.
SOURCES = {
    MonitoringKind.MEDIA: ("Mediebevakning (skaldata)", "https://media.example.invalid/feed"),
    MonitoringKind.CREDIT: ("Kreditupplysning (skaldata)", "https://kredit.example.invalid/feed"),
    MonitoringKind.IVO_REVOCATION: (
        "IVO återkallade tillstånd (skaldata)",
        "https://ivo.example.invalid/feed",
    ),
}
NIGHTLY_RUN = dt.time(2, 30)  # followup.migrations.0002: the beat schedule's nightly run

# Status weights by age: (younger than, weights); the last entry has no limit.
SIGNAL_STATUS: list[tuple[dt.timedelta | None, dict[str, int]]] = [
    (30 * DAY, {Signal.Status.NEW: 50, Signal.Status.IN_PROGRESS: 35, Signal.Status.CLOSED: 15}),
    (180 * DAY, {Signal.Status.NEW: 8, Signal.Status.IN_PROGRESS: 27, Signal.Status.CLOSED: 65}),
    (None, {Signal.Status.NEW: 1, Signal.Status.IN_PROGRESS: 2, Signal.Status.CLOSED: 97}),
]
F = Feedback.Status
FEEDBACK_STATUS: list[tuple[dt.timedelta | None, dict[str, int]]] = [
    (30 * DAY, {F.RECEIVED: 50, F.COMMUNICATED: 30, F.ANSWERED: 10, F.CLOSED: 10}),
    (180 * DAY, {F.RECEIVED: 8, F.COMMUNICATED: 27, F.ANSWERED: 25, F.CLOSED: 40}),
    (None, {F.RECEIVED: 0, F.COMMUNICATED: 2, F.ANSWERED: 3, F.CLOSED: 95}),
]
CATEGORY_WEIGHTS = {
    FeedbackCategory.DOCUMENTATION: 25,
    FeedbackCategory.DELIVERY: 25,
    FeedbackCategory.STAFFING: 20,
    FeedbackCategory.SAFETY: 10,
    FeedbackCategory.PREMISES: 8,
    FeedbackCategory.OTHER: 12,
}
CLOSING_WEIGHTS = {
    Feedback.Closing.DOCUMENTED: 38,
    Feedback.Closing.RESOLVED: 33,
    Feedback.Closing.UNFOUNDED: 14,
    Feedback.Closing.OTHER: 10,
    Feedback.Closing.DEEP_CONTROL: 3,
}

# Stored texts are in the team's language (Swedish), as the services write them.
DESCRIPTIONS = {
    FeedbackCategory.DOCUMENTATION: [
        "Genomförandeplanen saknades vid uppföljningen.",
        "Journalanteckningar fördes inte löpande.",
        "Avvikelserapporter lämnades in sent.",
    ],
    FeedbackCategory.DELIVERY: [
        "Insatsen gavs inte i den omfattning som beställts.",
        "Skolgången ordnades inte som överenskommet.",
        "Aktiviteter enligt vårdplanen uteblev.",
    ],
    FeedbackCategory.STAFFING: [
        "Bemanningen var lägre än avtalat under helgerna.",
        "Många vikarier utan introduktion.",
        "Personalen saknade utbildning för målgruppen.",
    ],
    FeedbackCategory.SAFETY: [
        "Den placerade känner sig inte trygg nattetid.",
        "Brister i tillsynen ledde till att den placerade avvek.",
        "Hot mellan boende hanterades inte.",
    ],
    FeedbackCategory.PREMISES: [
        "Lokalerna var i dåligt skick.",
        "Brandskyddet var bristfälligt.",
        "Rummet gick inte att låsa.",
    ],
    FeedbackCategory.OTHER: [
        "Utföraren svarade inte på kontakter från socialtjänsten.",
        "Fakturan stämde inte med avtalet.",
        "Otydlig information inför inflyttningen.",
    ],
}
PROVIDER_ANSWERS = [
    "Utföraren har tagit fram en åtgärdsplan.",
    "Utföraren bestrider uppgifterna och har lämnat sin version.",
    "Rutinerna har setts över och personalen har utbildats.",
    "Bemanningen har förstärkts.",
]
CLOSING_NOTES = {
    Feedback.Closing.DOCUMENTED: "Återkopplat till utföraren och dokumenterat.",
    Feedback.Closing.RESOLVED: "Utföraren har åtgärdat bristen.",
    Feedback.Closing.UNFOUNDED: "Uppgifterna kunde inte bekräftas.",
    Feedback.Closing.OTHER: "Avslutad efter samråd med handläggaren.",
    Feedback.Closing.DEEP_CONTROL: "Fördjupad kontroll startad.",
}
REMARK_NOTES = [
    "Mindre anmärkning; utföraren har fått återkoppling.",
    "Underlaget kompletterades efter påminnelse.",
    "Sen inlämning av underlag.",
]
FAILED_NOTES = {
    ControlCheck.Kind.CREDIT: "Svag kreditvärdighet och negativt eget kapital.",
    ControlCheck.Kind.EMPLOYER_REGISTRATION: "Inte registrerad som arbetsgivare.",
    ControlCheck.Kind.F_TAX: "Saknar F-skattsedel.",
    ControlCheck.Kind.LEGAL_DATABASE_COMPANY: "Styrelseledamot med näringsförbud.",
    ControlCheck.Kind.TAX_REGISTRATION: "Inte registrerad hos Skatteverket.",
    ControlCheck.Kind.ENFORCEMENT_DEBTS: "Skulder hos Kronofogden.",
    ControlCheck.Kind.LEGAL_DATABASE_PEOPLE: "Firmatecknare dömd för ekonomisk brottslighet.",
    ControlCheck.Kind.IVO_PERMIT: "IVO-tillstånd saknas för verksamheten.",
    ControlCheck.Kind.SUPERVISION_REPORTS: "Allvarliga brister i IVO:s tillsynsrapporter.",
}
MEDIA_HEADLINES = [
    "Larm om brister i bemanningen",
    "Anställd misstänkt för misshandel av boende",
    "Ungdom avvek från boendet",
    "Kritik mot hygien och lokaler",
    "Kommunen granskar verksamheten",
    "Personal vittnar om hög arbetsbelastning",
]
CREDIT_EVENTS = [
    "Betalningsanmärkning registrerad",
    "Sänkt kreditbetyg",
    "Ny styrelse registrerad",
    "Ansökan om företagsrekonstruktion",
    "Skuld hos Kronofogden",
    "Försenad årsredovisning",
]
SIGNAL_CLOSING_NOTES = [
    "Bedömd utan åtgärd.",
    "Utföraren har lämnat en förklaring; ingen åtgärd.",
    "Följs upp vid nästa avtalsuppföljning.",
    "Noterat i utförarens akt.",
]
DEEP_CHECKS = [
    "Kreditupplysning och registerkontroll.",
    "Genomgång av IVO:s tillsynsbeslut.",
    "Intervjuer med placerande handläggare.",
    "Bemanningsschema och avvikelserapporter begärda och granskade.",
]
DEEP_BACKGROUND = {
    DeepControl.Reason.SIGNAL: "Signal från omvärldsbevakningen.",
    DeepControl.Reason.FEEDBACK: "Återkommande synpunkter från placerande handläggare.",
    DeepControl.Reason.IVO_FINDING: "IVO har riktat kritik mot verksamheten.",
    DeepControl.Reason.POLICE: "Uppgifter från polisen om verksamheten.",
    DeepControl.Reason.OTHER: "Uppgifter från en anhörig.",
}
OUTCOME_REASONS = {
    O.NO_ACTION: "Inga brister som motiverar åtgärd.",
    O.PAUSED: "Allvarliga brister: verksamheten pausas i registret.",
    O.REMOVED: "Verksamheten uppfyller inte kraven och tas bort ur registret.",
    O.RECOMMENDATION_STOP: "Rekommendationsstopp tills bristerna är åtgärdade.",
    O.ORDER_STOP_PROPOSED: "Tillfälligt beställningsstopp föreslås upphandling.",
}
VISIT_QUESTIONS = [
    "Motsvarar målgruppen det som står i registret?",
    "Hur ser bemanningen ut dag och natt?",
    "Hur ordnas skolgång eller sysselsättning?",
    "Vilka anpassningar finns för funktionsnedsättning?",
]
VISIT_ANSWERS = [
    "Stämmer med registret.",
    "Fast personal dygnet runt, vaken natt.",
    "Samarbete med närliggande skola.",
    "Delvis; trappor till övervåningen.",
    "Behöver förtydligas i registret.",
]


# --- The time span ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    """The span rows are dated in: the given years, up to the end of yesterday at the latest,
    so nothing lies in the future and a second run the same day makes the same rows."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def for_years(cls, years: tuple[int, int]) -> _Clock:
        first, last = years
        tz = timezone.get_default_timezone()
        today = dt.datetime.combine(timezone.localdate(), dt.time(), tzinfo=tz)
        start = dt.datetime(first, 1, 1, tzinfo=tz)
        end = min(dt.datetime(last + 1, 1, 1, tzinfo=tz), today) - dt.timedelta(seconds=1)
        if first > last or end <= start:
            raise ValueError(f"No past days in the years {first}–{last}.")
        # Arithmetic in UTC: local wall-clock arithmetic would cross daylight-saving gaps.
        return cls(start.astimezone(dt.UTC), end.astimezone(dt.UTC))

    def between(
        self, rng: random.Random, low: dt.datetime, high: dt.datetime | None = None
    ) -> dt.datetime:
        low, high = max(low, self.start), min(high or self.end, self.end)
        return low if high <= low else low + (high - low) * rng.random()

    def anytime(self, rng: random.Random) -> dt.datetime:
        return self.between(rng, self.start, self.end)

    def after(
        self,
        rng: random.Random,
        moment: dt.datetime,
        low_days: float,
        high_days: float,
        limit: dt.datetime | None = None,
    ) -> dt.datetime:
        """A moment some days later, never past `limit` or the end (closer then, not piled up
        on the limit)."""
        high = min(moment + high_days * DAY, limit or self.end, self.end)
        low = min(moment + low_days * DAY, high)
        return low + (high - low) * rng.random()

    def age(self, moment: dt.datetime) -> dt.timedelta:
        return self.end - moment

    @property
    def last_day(self) -> dt.date:
        return timezone.localtime(self.end).date()


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _by_age(
    rng: random.Random, age: dt.timedelta, table: list[tuple[dt.timedelta | None, dict]]
) -> str:
    for limit, weights in table:
        if limit is None or age < limit:
            return _pick(rng, weights)
    raise AssertionError("the last entry has no limit")


def _stamp(model: type[models.Model], rows: list, name: str, moments: list[dt.datetime]) -> None:
    """Put the generated moments into an auto_now_add field, which bulk_create overwrote with
    the time of the insert. One UPDATE joined to arrays of ids and moments: bulk_update's CASE
    with a branch per row takes seconds to build for a few thousand rows."""
    for row, moment in zip(rows, moments, strict=True):
        setattr(row, name, moment)
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    column = quote(model._meta.get_field(name).column)
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the model's metadata; the values are parameters.
            f"UPDATE {table} SET {column} = v.moment "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, moment) "
            f"WHERE {table}.{pk} = v.id",
            [[row.pk for row in rows], moments],
        )


# --- What exists --------------------------------------------------------------------------------


class _Unit(NamedTuple):
    pk: int
    provider_id: int
    name: str
    status: str
    recommendation_stop: bool
    order_stop: bool


@dataclass
class _Actors:
    quality: list[int]
    placing: list[int]
    officers: dict[str, list[int]]
    procurement: list[int]

    @classmethod
    def load(cls) -> _Actors:
        active = User.objects.filter(is_active=True).order_by("pk")
        quality = list(active.filter(role=Role.QUALITY_CONTROL).values_list("pk", flat=True))
        placing = list(
            active.filter(role__in=[Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER]).values_list(
                "pk", flat=True
            )
        )
        if not quality or not placing:
            raise ValueError(
                "Follow-up needs active quality & control users and social workers or placement "
                "officers: run manage.py seed_demo first."
            )
        officers: dict[str, list[int]] = defaultdict(list)
        for pk, team in active.filter(role=Role.PLACEMENT_OFFICER).values_list(
            "pk", "placement_team"
        ):
            officers[team].append(pk)
        procurement = list(active.filter(role=Role.PROCUREMENT).values_list("pk", flat=True))
        return cls(quality, placing, dict(officers), procurement)


@dataclass
class _Register:
    providers: dict[int, tuple[str, str, str]]  # pk: legal form, legal name, org number
    units: dict[int, _Unit]
    units_of: dict[int, list[int]] = field(default_factory=dict)
    offerings_of: dict[int, list[tuple[int, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    permits: dict[int, str] = field(default_factory=dict)  # unit: a permit number
    service_area: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Register:
        providers = {
            pk: (legal_form, name, org_number)
            for pk, legal_form, name, org_number in Provider.objects.order_by("pk").values_list(
                "pk", "legal_form", "legal_name", "org_number"
            )
        }
        units = {
            row[0]: _Unit(*row)
            for row in Unit.objects.order_by("pk").values_list(
                "pk", "provider_id", "name", "status", "recommendation_stop", "order_stop"
            )
        }
        if not units:
            raise ValueError(
                "The register is empty: run manage.py seed_demo and generate_register first."
            )
        register = cls(providers, units)
        units_of = defaultdict(list)
        for unit in units.values():
            units_of[unit.provider_id].append(unit.pk)
        # A plain dict: a lookup must never add a provider without units.
        register.units_of = dict(units_of)
        register.service_area = dict(Service.objects.values_list("pk", "area__code"))
        for unit_id, service_id, form_code in UnitService.objects.order_by("pk").values_list(
            "unit_id", "service_id", "operating_form__code"
        ):
            register.offerings_of[unit_id].append((service_id, form_code))
        register.permits = dict(
            Permit.objects.order_by("-pk").values_list("unit_id", "permit_number")
        )
        return register

    def forms(self, unit_id: int) -> set[str]:
        return {form for _service, form in self.offerings_of.get(unit_id, [])}

    def providers_offering(self, statuses: set[str]) -> set[int]:
        """Providers with a unit in one of the statuses that offers direct procurement: those
        rules.check_unit_publishable asks an approved control of (it has no bulk form)."""
        return {
            unit.provider_id
            for unit in self.units.values()
            if unit.status in statuses and OperatingForm.DIRECT in self.forms(unit.pk)
        }

    def units_with(self, statuses: set[str]) -> list[int]:
        return [pk for pk, unit in self.units.items() if unit.status in statuses]

    def troubled(self, unit_id: int) -> bool:
        unit = self.units[unit_id]
        return unit.status in (S.PAUSED, S.REMOVED) or unit.recommendation_stop or unit.order_stop


# --- Pre-admission controls ---------------------------------------------------------------------


def _control_plan(
    rng: random.Random, count: int, register: _Register, blocked: set[int]
) -> list[tuple[int, int]]:
    """(provider, number of controls): every provider is controlled once before any is
    controlled again, those whose published direct-procurement units need an approval first."""
    # Own operation is never controlled (rules.PROVIDER_CONTROL, "start"); a control covers the
    # provider's units, so a provider without any has nothing to admit.
    eligible = [
        pk
        for pk, (form, *_rest) in register.providers.items()
        if rulebook.may_be_controlled(form) and pk in register.units_of and pk not in blocked
    ]
    if not eligible:
        raise ValueError("No provider to control: run generate_register first.")
    direct = register.providers_offering(set(S.values))
    published_direct = register.providers_offering({S.PUBLISHED, S.PAUSED})
    tiers: list[list[int]] = [[], [], []]
    for pk in eligible:
        tiers[0 if pk in published_direct else 1 if pk in direct else 2].append(pk)
    order = []
    for tier in tiers:
        rng.shuffle(tier)
        order += tier
    counts = Counter(order[:count])
    for _number in range(count - len(order)):
        counts[rng.choice(eligible)] += 1
    return [(pk, counts[pk]) for pk in order if counts[pk]]


def _generate_controls(
    rng: random.Random,
    clock: _Clock,
    count: int,
    register: _Register,
    actors: _Actors,
    progress: Callable[[str], None],
) -> dict[str, int]:
    if count <= 0:
        return {"controls": 0, "control_checks": 0}
    # The product allows one pending control per provider; later ones wait for it.
    pending_since: dict[int, dt.datetime] = {}
    for provider_id, created in Control.objects.filter(
        decision=Control.Decision.PENDING
    ).values_list("provider_id", "created_at"):
        pending_since[provider_id] = min(created, pending_since.get(provider_id, created))
    # Publishable only with an approved latest decision (rules.check_unit_publishable).
    published_direct = register.providers_offering({S.PUBLISHED, S.PAUSED})
    # No room for decided controls before one pending since the first days of the span.
    blocked = {pk for pk, since in pending_since.items() if since < clock.start + RECENT_CONTROL}

    controls: list[Control] = []
    started: list[dt.datetime] = []
    checks: list[tuple[int, ControlCheck]] = []  # (index of the control, check)
    for provider_id, n in _control_plan(rng, count, register, blocked):
        legal_form = register.providers[provider_id][0]
        until = pending_since.get(provider_id, clock.end)
        # A provider whose direct units are published must stay publishable: a control still
        # pending is a re-control, after an approved one.
        pending_last = (
            provider_id not in pending_since
            and rng.random() < PENDING_SHARE
            and (provider_id not in published_direct or n >= 2)
        )
        if pending_last:
            last = clock.between(rng, clock.end - RECENT_CONTROL)
            moments = sorted(clock.between(rng, clock.start, last) for _number in range(n - 1))
            moments.append(last)
        else:
            moments = sorted(clock.between(rng, clock.start, until) for _number in range(n))
        last_decided = n - 2 if pending_last else n - 1
        # What services.start_control gives a control of all the provider's units.
        kinds = rulebook.checklist(legal_form, register.units_of[provider_id])
        for index, created in enumerate(moments):
            actor = rng.choice(actors.quality)
            if pending_last and index == n - 1:
                decision, decided = Control.Decision.PENDING, None
            else:
                limit = moments[index + 1] if index + 1 < n else until
                decided = clock.after(rng, created, 2, 45, limit=limit)
                approve = rng.random() < APPROVED_SHARE or (
                    provider_id in published_direct and index == last_decided
                )
                decision = Control.Decision.APPROVED if approve else Control.Decision.REJECTED
            results = _check_results(rng, decision, len(kinds))
            rulebook.check_decidable(decision, kinds, results)
            control = Control(
                provider_id=provider_id,
                decision=decision,
                decision_reason=_decision_reason(decision, kinds, results),
                decided_by_id=actor if decided else None,
                decided_at=decided,
                created_by_id=actor,
            )
            for kind, result in zip(kinds, results, strict=True):
                done = result != CheckResult.OPEN
                checks.append(
                    (
                        len(controls),
                        ControlCheck(
                            kind=kind,
                            result=result,
                            note=_check_note(rng, kind, result),
                            checked_by_id=actor if done else None,
                            checked_at=clock.between(rng, created, decided) if done else None,
                        ),
                    )
                )
            controls.append(control)
            started.append(created)

    Control.objects.bulk_create(controls, batch_size=BATCH)
    _stamp(Control, controls, "created_at", started)
    for index, check in checks:
        check.control_id = controls[index].pk
    ControlCheck.objects.bulk_create([check for _index, check in checks], batch_size=BATCH)
    through = Control.units.through
    through.objects.bulk_create(
        [
            through(control_id=control.pk, unit_id=unit_id)
            for control in controls
            for unit_id in register.units_of[control.provider_id]
        ],
        batch_size=BATCH,
    )
    decisions = Counter(control.decision for control in controls)
    progress(
        f"{len(controls)} controls ({decisions['approved']} approved, "
        f"{decisions['rejected']} not approved, {decisions['pending']} pending), "
        f"{len(checks)} checks"
    )
    return {"controls": len(controls), "control_checks": len(checks)}


def _check_results(rng: random.Random, decision: str, n: int) -> list[str]:
    """Results that allow the decision: approved only with every check passed or remarked,
    not approved with at least one failed, pending with at least one still open."""
    if decision == Control.Decision.APPROVED:
        return [
            CheckResult.PASSED if rng.random() < 0.88 else CheckResult.REMARK
            for _number in range(n)
        ]
    if decision == Control.Decision.REJECTED:
        # Not approved may be decided before every check is done.
        weights = {CheckResult.OPEN: 5, CheckResult.PASSED: 80, CheckResult.REMARK: 15}
        results = [_pick(rng, weights) for _number in range(n)]
        for index in rng.sample(range(n), k=min(n, rng.choice([1, 1, 1, 2]))):
            results[index] = CheckResult.FAILED
        return results
    results = [_pick(rng, PENDING_RESULTS) for _number in range(n)]
    results[rng.randrange(n)] = CheckResult.OPEN
    return results


def _check_note(rng: random.Random, kind: str, result: str) -> str:
    if result == CheckResult.FAILED:
        return FAILED_NOTES[kind]
    if result == CheckResult.REMARK:
        return rng.choice(REMARK_NOTES)
    return "Kontrollerat utan anmärkning." if result == CheckResult.PASSED else ""


def _decision_reason(decision: str, kinds: list[str], results: list[str]) -> str:
    if decision == Control.Decision.APPROVED:
        if CheckResult.REMARK in results:
            return "Godkänd med anmärkningar som följs upp."
        return "Alla kontrollpunkter godkända."
    if decision == Control.Decision.REJECTED:
        failed = [
            str(ControlCheck.Kind(kind).label)
            for kind, result in zip(kinds, results, strict=True)
            if result == CheckResult.FAILED
        ]
        return "Ej godkänd. Kontrollpunkter som inte klarades: " + ", ".join(failed).lower() + "."
    return ""


# --- Feedback -----------------------------------------------------------------------------------


@dataclass
class _Feedback:
    rows: list[Feedback]
    lodged: list[dt.datetime]


def _generate_feedback(
    rng: random.Random,
    clock: _Clock,
    count: int,
    register: _Register,
    actors: _Actors,
    progress: Callable[[str], None],
) -> _Feedback:
    # Those placing lodge feedback on units they could place with: units that are (or were)
    # in the published register.
    units = register.units_with({S.PUBLISHED, S.PAUSED, S.REMOVED}) or list(register.units)
    units_of: dict[int, list[int]] = defaultdict(list)
    for pk in units:
        units_of[register.units[pk].provider_id].append(pk)
    providers = sorted(units_of)
    bursts = []
    if count >= 2 * rules.pattern_threshold():
        for _number in range(max(1, count // FEEDBACK_PER_BURST)):
            begin = clock.between(rng, clock.start, clock.end - BURST_LENGTH)
            bursts.append(
                (
                    rng.choice(providers),
                    _pick(rng, CATEGORY_WEIGHTS),
                    begin,
                    min(begin + BURST_LENGTH, clock.end),
                )
            )

    rows: list[Feedback] = []
    lodged: list[dt.datetime] = []
    for _number in range(count):
        if bursts and rng.random() < BURST_SHARE:
            provider_id, main_category, begin, finish = rng.choice(bursts)
            unit_id = rng.choice(units_of[provider_id])
            category = main_category if rng.random() < 0.7 else _pick(rng, CATEGORY_WEIGHTS)
            created = clock.between(rng, begin, finish)
        else:
            unit_id = rng.choice(units)
            category = _pick(rng, CATEGORY_WEIGHTS)
            created = clock.anytime(rng)
        status = _by_age(rng, clock.age(created), FEEDBACK_STATUS)
        row = Feedback(
            unit_id=unit_id,
            category=category,
            description=rng.choice(DESCRIPTIONS[category]),
            lodged_by_id=rng.choice(actors.placing),
            status=status,
        )
        # The workflow's steps from received to that status, each with what it records.
        for _before, step in rulebook.feedback_path(
            F.RECEIVED, status, detour=lambda: rng.random() < ANSWERED_BEFORE_CLOSING
        ):
            if step == F.COMMUNICATED:
                row.communicated_at = clock.after(rng, created, 0.5, 14)
            elif step == F.ANSWERED:
                row.provider_answer = rng.choice(PROVIDER_ANSWERS)
            elif step == F.CLOSED:
                row.closed_at = clock.after(rng, row.communicated_at, 3, 45)
                row.closing_category = _pick(rng, CLOSING_WEIGHTS)
                row.closing_note = CLOSING_NOTES[row.closing_category]
        rows.append(row)
        lodged.append(created)
    Feedback.objects.bulk_create(rows, batch_size=BATCH)
    _stamp(Feedback, rows, "created_at", lodged)
    statuses = Counter(row.status for row in rows)
    progress(
        f"{len(rows)} feedback ("
        + ", ".join(f"{statuses[status]} {status}" for status in F.values)
        + ")"
    )
    return _Feedback(rows, lodged)


def _feedback_patterns(
    feedback: _Feedback, register: _Register, taken: set[str]
) -> list[tuple[str, int, list[int]]]:
    """(dedup key, feedback that raised it, its cluster) for every signal the pattern rule of
    followup.services.detect_feedback_pattern raises as the generated feedback is lodged, in
    order of lodging. Keys already in the inbox are left out, as the rule leaves them."""
    rows, lodged = feedback.rows, feedback.lodged
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[(register.units[row.unit_id].provider_id, row.category)].append(index)
    found: dict[str, tuple[int, list[int]]] = {}
    for (provider_id, category), indexes in sorted(groups.items()):
        indexes.sort(key=lambda i: (lodged[i], rows[i].pk))
        first = 0
        for last, index in enumerate(indexes):
            since = rules.months_before(lodged[index])
            while lodged[indexes[first]] <= since:
                first += 1
            cluster = indexes[first : last + 1]
            if not rules.is_pattern(len(cluster)):
                continue
            window_start = _local_day(lodged[cluster[0]])
            key = f"feedback-pattern:{provider_id}:{category}:{window_start.isoformat()}"
            if key not in taken:
                found.setdefault(key, (index, cluster))
    return sorted(
        ((key, index, cluster) for key, (index, cluster) in found.items()),
        key=lambda item: lodged[item[1]],
    )


# --- Signals and monitoring runs ----------------------------------------------------------------


def _sources() -> dict[str, MonitoringSource]:
    sources = {}
    for kind, (name, url) in SOURCES.items():
        sources[kind], _created = MonitoringSource.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "format": MonitoringSource.Format.JSON,
                "url": url,
                "is_active": False,
            },
        )
    return sources


class _Serials:
    """Unused numbers for dedup keys: the same record never makes two signals, so a second
    generation must not repeat the first one's keys."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.next = len(taken)

    def key(self, make: Callable[[int], str]) -> str:
        while (key := make(self.next)) in self.taken:
            self.next += 1
        self.next += 1
        self.taken.add(key)
        return key


def _generate_signals(
    rng: random.Random,
    clock: _Clock,
    count: int,
    register: _Register,
    actors: _Actors,
    feedback: _Feedback,
    progress: Callable[[str], None],
) -> tuple[list[Signal], int]:
    if count <= 0:
        return [], 0
    taken = set(Signal.objects.values_list("dedup_key", flat=True))
    patterns = _feedback_patterns(feedback, register, taken)
    if len(patterns) > count // 4:
        # Room for the other kinds: keep an even spread of the patterns over the years.
        patterns = [patterns[i] for i in sorted(rng.sample(range(len(patterns)), count // 4))]
    sources = _sources()
    serials = _Serials(taken)
    # Monitoring watches outside providers, not the municipality's own operation.
    providers = [
        pk for pk in sorted(register.units_of) if register.providers[pk][0] != LegalForm.MUNICIPAL
    ] or sorted(register.units_of)
    troubled = [pk for pk in register.units if register.troubled(pk)]
    revocable = sorted(register.permits) or list(register.units)
    revoked = [pk for pk in revocable if register.units[pk].status in (S.PAUSED, S.REMOVED)]

    signals: list[Signal] = []
    created: list[dt.datetime] = []
    for key, index, cluster in patterns:
        row = feedback.rows[index]
        unit = register.units[row.unit_id]
        label = str(FeedbackCategory(row.category).label).lower()
        # The product's own texts (followup.services.detect_feedback_pattern).
        title = _(
            "%(count)s feedbacks about %(provider)s in the category “%(category)s” within "
            "12 months: a deep control is proposed"
        ) % {
            "count": len(cluster),
            "provider": register.providers[unit.provider_id][1],
            "category": label,
        }
        details = "\n".join(
            _("Feedback %(id)s, %(date)s, %(unit)s")
            % {
                "id": feedback.rows[i].pk,
                "date": _local_day(feedback.lodged[i]).isoformat(),
                "unit": register.units[feedback.rows[i].unit_id].name,
            }
            for i in cluster
        )
        signals.append(
            Signal(
                kind=Signal.Kind.FEEDBACK_PATTERN,
                severity=Severity.HIGH,
                provider_id=unit.provider_id,
                unit_id=unit.pk,
                title=title[:300],
                details=details,
                dedup_key=key,
            )
        )
        created.append(min(feedback.lodged[index] + dt.timedelta(seconds=1), clock.end))

    kinds = list(SIGNAL_KIND_WEIGHTS)  # each kind at least once, then by weight
    for number in range(count - len(signals)):
        kind = kinds[number] if number < len(kinds) else _pick(rng, SIGNAL_KIND_WEIGHTS)
        if kind == Signal.Kind.IVO_REVOCATION:
            # Most revoked permits belong to units the register has paused or removed since.
            unit_id = rng.choice(revoked if revoked and rng.random() < 0.7 else revocable)
            provider_id = register.units[unit_id].provider_id
        else:
            provider_id = rng.choice(providers)
            unit_id = (
                rng.choice(register.units_of[provider_id])
                if kind == Signal.Kind.MEDIA and rng.random() < 0.5
                else None
            )
        moment = clock.anytime(rng)
        if kind == Signal.Kind.GROUP_REVIEW:
            signal = _group_review(rng, register, providers, troubled, serials)
        elif kind == Signal.Kind.PERMIT_EXPIRING:
            signal = _permit_expiring(rng, register, moment, serials)
        else:
            signal = _monitoring_signal(
                rng, kind, sources[MONITORED[kind]], register, provider_id, unit_id, serials
            )
            # Found by a nightly run: the run of that night is made below.
            day = _local_day(moment)
            moment = dt.datetime.combine(
                day, NIGHTLY_RUN, tzinfo=timezone.get_default_timezone()
            ).astimezone(dt.UTC) + dt.timedelta(seconds=rng.uniform(5, 90))
        signals.append(signal)
        created.append(moment)

    for signal, moment in zip(signals, created, strict=True):
        signal.status = _by_age(rng, clock.age(moment), SIGNAL_STATUS)
        if signal.status != Signal.Status.NEW:
            signal.handled_by_id = rng.choice(actors.quality)
        if signal.status == Signal.Status.CLOSED:
            signal.closed_at = clock.after(rng, moment, 0.1, 30)
            signal.closing_note = rng.choice(SIGNAL_CLOSING_NOTES)
        if signal.kind == Signal.Kind.IVO_REVOCATION:
            signal.notified_at = moment + dt.timedelta(minutes=rng.uniform(1, 5))

    runs = _monitoring_runs(rng, signals, created)
    Signal.objects.bulk_create(signals, batch_size=BATCH)
    _stamp(Signal, signals, "created_at", created)
    kinds_made = Counter(signal.kind for signal in signals)
    statuses = Counter(signal.status for signal in signals)
    progress(
        f"{len(signals)} signals ("
        + ", ".join(f"{kinds_made[kind]} {kind}" for kind in Signal.Kind.values)
        + "; "
        + ", ".join(f"{statuses[status]} {status}" for status in Signal.Status.values)
        + f"), {runs} monitoring runs"
    )
    return signals, runs


def _monitoring_signal(
    rng: random.Random,
    kind: str,
    source: MonitoringSource,
    register: _Register,
    provider_id: int,
    unit_id: int | None,
    serials: _Serials,
) -> Signal:
    _form, provider_name, org_number = register.providers[provider_id]
    unit_name = register.units[unit_id].name if unit_id else ""
    serial = serials.key(lambda n: f"{source.pk}:scale-{n:07d}")
    facts = [(_("Source"), source.name), (_("Record"), serial.split(":", 1)[1])]
    if kind == Signal.Kind.MEDIA:
        title = f"{rng.choice(MEDIA_HEADLINES)}: {unit_name or provider_name}"
        severity = _pick(rng, {Severity.LOW: 20, Severity.MEDIUM: 60, Severity.HIGH: 20})
        url = f"https://media.example.invalid/artikel/{serial.split(':', 1)[1]}"
        facts.append((_("Name in the source"), unit_name or provider_name))
    elif kind == Signal.Kind.CREDIT:
        title = f"{rng.choice(CREDIT_EVENTS)}: {provider_name}"
        severity = _pick(rng, {Severity.LOW: 30, Severity.MEDIUM: 55, Severity.HIGH: 15})
        url = ""
        facts.append((_("Organisation number"), org_number))
    else:
        title = f"{MonitoringKind(source.kind).label}: {unit_name}"
        severity = Severity.HIGH
        url = ""
        facts.append((_("Permit number"), register.permits.get(unit_id, "")))
    return Signal(
        kind=kind,
        severity=severity,
        provider_id=provider_id,
        unit_id=unit_id,
        title=title[:300],
        details="\n".join(f"{label}: {value}" for label, value in facts),
        url=url,
        source=source,
        dedup_key=serial,
    )


def _permit_expiring(
    rng: random.Random, register: _Register, moment: dt.datetime, serials: _Serials
) -> Signal:
    """An IVO permit ending within the reminder's days, as the morning job words it
    (followup.services.remind_expiring_permits)."""
    with_permit = sorted(register.permits.keys() & register.units.keys())
    unit_id = rng.choice(with_permit or list(register.units))
    unit = register.units[unit_id]
    ends = _local_day(moment) + dt.timedelta(days=rng.randrange(1, 60))
    number = register.permits.get(unit_id, f"IVO-{unit_id}")
    return Signal(
        kind=Signal.Kind.PERMIT_EXPIRING,
        severity=Severity.MEDIUM,
        provider_id=unit.provider_id,
        unit_id=unit_id,
        title=(
            _("The IVO permit %(number)s of %(unit)s ends on %(date)s")
            % {"number": number, "unit": unit.name, "date": ends.isoformat()}
        )[:300],
        dedup_key=serials.key(lambda n: f"permit-expiring:scale-{n:07d}:{ends.isoformat()}"),
    )


def _group_review(
    rng: random.Random,
    register: _Register,
    providers: list[int],
    troubled: list[int],
    serials: _Serials,
) -> Signal:
    """A related provider to review after a unit elsewhere in its group was stopped; the
    product's texts (followup.monitoring.group_review)."""
    trigger = register.units[rng.choice(troubled or list(register.units))]
    provider_id = rng.choice(providers)
    if provider_id == trigger.provider_id and len(providers) > 1:
        # Another provider, never the trigger's own.
        provider_id = providers[(providers.index(provider_id) + 1) % len(providers)]
    _form, trigger_name, trigger_org = register.providers[trigger.provider_id]
    change = {
        S.REMOVED: _("the unit was removed from the register"),
        S.PAUSED: _("the unit was paused"),
    }.get(trigger.status) or (
        _("the unit got a recommendation stop")
        if trigger.recommendation_stop
        else _("the unit got a temporary order stop")
    )
    background = _("%(unit)s of %(provider)s (%(org_number)s): %(change)s.") % {
        "unit": trigger.name,
        "provider": trigger_name,
        "org_number": trigger_org,
        "change": change,
    }
    return Signal(
        kind=Signal.Kind.GROUP_REVIEW,
        severity=Severity.MEDIUM,
        provider_id=provider_id,
        title=(
            _("Review %(provider)s: related to %(trigger)s")
            % {"provider": register.providers[provider_id][1], "trigger": trigger_name}
        )[:300],
        details="\n".join([background, _("Shares a current board member or signatory.")]),
        dedup_key=serials.key(lambda n: f"group_review:scale-{n:07d}:{provider_id}"),
    )


def _monitoring_runs(rng: random.Random, signals: list[Signal], created: list[dt.datetime]) -> int:
    """One succeeded run per source and night that found something (nights that found
    nothing are left out)."""
    nights: dict[tuple[int, dt.date], list[int]] = defaultdict(list)
    for index, signal in enumerate(signals):
        if signal.source is not None:
            nights[(signal.source.pk, _local_day(created[index]))].append(index)
    runs, started = [], []
    for (source_id, _day), indexes in nights.items():
        first = min(created[i] for i in indexes)
        last = max(created[i] for i in indexes)
        seen = len(indexes) + rng.randrange(0, 40)
        runs.append(
            MonitoringRun(
                source_id=source_id,
                status=MonitoringRun.Status.SUCCEEDED,
                finished_at=last + dt.timedelta(seconds=rng.uniform(1, 30)),
                attempts=1,
                records_seen=seen,
                signals_created=len(indexes),
            )
        )
        started.append(first - dt.timedelta(seconds=rng.uniform(1, 4)))
    MonitoringRun.objects.bulk_create(runs, batch_size=BATCH)
    _stamp(MonitoringRun, runs, "started_at", started)
    for run, indexes in zip(runs, nights.values(), strict=True):
        for index in indexes:
            signals[index].run = run
    return len(runs)


# --- Deep controls ------------------------------------------------------------------------------


def _generate_deep_controls(
    rng: random.Random,
    clock: _Clock,
    register: _Register,
    actors: _Actors,
    feedback: _Feedback,
    signals: list[Signal],
    signal_created: dict[int, dt.datetime],
    progress: Callable[[str], None],
) -> int:
    """From the feedback closed as "led to a deep control", from a share of the handled
    signals (most pattern signals) and a few on the team's own initiative."""
    starts: list[tuple[int, str, Signal | None, Feedback | None, dt.datetime, int]] = []
    for row in feedback.rows:
        if row.closing_category == Feedback.Closing.DEEP_CONTROL:
            moment = clock.between(rng, row.communicated_at, row.closed_at)
            starts.append(
                (
                    row.unit_id,
                    DeepControl.Reason.FEEDBACK,
                    None,
                    row,
                    moment,
                    rng.choice(actors.quality),
                )
            )
    for signal in signals:
        # Starting a deep control takes the signal: never from one still new.
        if signal.status == Signal.Status.NEW:
            continue
        if signal.kind == Signal.Kind.FEEDBACK_PATTERN:
            share = DEEP_SHARE[Signal.Kind.FEEDBACK_PATTERN]
        else:
            share = DEEP_SHARE[signal.severity]
        if rng.random() >= share:
            continue
        unit_id = signal.unit_id or rng.choice(register.units_of[signal.provider_id])
        moment = clock.after(
            rng, signal_created[signal.pk], 0.2, 14, limit=signal.closed_at or clock.end
        )
        starts.append(
            (unit_id, DeepControl.Reason.SIGNAL, signal, None, moment, signal.handled_by_id)
        )
    troubled = [pk for pk in register.units if register.troubled(pk)] or list(register.units)
    own_initiative = len(starts) // 6 + (1 if signals or feedback.rows else 0)
    for _number in range(own_initiative):
        reason = _pick(
            rng,
            {
                DeepControl.Reason.IVO_FINDING: 50,
                DeepControl.Reason.POLICE: 20,
                DeepControl.Reason.OTHER: 30,
            },
        )
        unit_id = rng.choice(troubled if rng.random() < 0.5 else list(register.units))
        starts.append((unit_id, reason, None, None, clock.anytime(rng), rng.choice(actors.quality)))

    rows, created = [], []
    changed: set[int] = set()  # a unit's register state is changed by one outcome at most
    for unit_id, reason, signal, item, moment, actor in starts:
        row = DeepControl(
            unit_id=unit_id,
            reason=reason,
            reason_details=DEEP_BACKGROUND[reason],
            signal=signal,
            feedback=item,
            checks_done="\n".join(rng.sample(DEEP_CHECKS, k=rng.randint(1, 3))),
            created_by_id=actor,
        )
        decided_share = 0.92 if clock.age(moment) > 60 * DAY else 0.35
        decided = clock.after(rng, moment, 7, 90) if rng.random() < decided_share else None
        if rng.random() < 0.3:
            row.site_visit_done = True
            row.site_visit_date = _local_day(clock.between(rng, moment, decided))
            row.site_visit_notes = "Oanmält besök; miljön och bemanningen granskades."
        if decided is not None:
            row.outcome = _outcome(rng, register, unit_id, changed)
            row.outcome_reason = OUTCOME_REASONS[row.outcome]
            row.decided_by_id = actor
            row.decided_at = decided
            _order_stop_decision(rng, clock, register, actors, row)
        rows.append(row)
        created.append(moment)
    DeepControl.objects.bulk_create(rows, batch_size=BATCH)
    _stamp(DeepControl, rows, "created_at", created)
    outcomes = Counter(row.outcome or "open" for row in rows)
    progress(
        f"{len(rows)} deep controls ("
        + ", ".join(f"{number} {outcome}" for outcome, number in sorted(outcomes.items()))
        + ")"
    )
    return len(rows)


def _outcome(rng: random.Random, register: _Register, unit_id: int, changed: set[int]) -> str:
    """An outcome the register's present state bears out: a unit paused, removed or stopped
    now may be so because of this control; a proposal goes to framework units only."""
    unit = register.units[unit_id]
    options = {O.NO_ACTION: 50}
    if unit_id not in changed:
        if unit.status == S.PAUSED:
            options[O.PAUSED] = 35
        if unit.status == S.REMOVED:
            options[O.REMOVED] = 35
        if unit.recommendation_stop:
            options[O.RECOMMENDATION_STOP] = 35
        if OperatingForm.FRAMEWORK in register.forms(unit_id):
            options[O.ORDER_STOP_PROPOSED] = 40 if unit.order_stop else 10
    outcome = _pick(rng, options)
    if outcome != O.NO_ACTION:
        changed.add(unit_id)
    return outcome


def _order_stop_decision(
    rng: random.Random, clock: _Clock, register: _Register, actors: _Actors, row: DeepControl
) -> None:
    """Procurement decided the proposals of units that have an order stop now and declined
    most others (a recent one may still wait)."""
    if row.outcome != O.ORDER_STOP_PROPOSED or not actors.procurement:
        return
    if register.units[row.unit_id].order_stop:
        decision = DeepControl.OrderStopDecision.DECIDED
        reason = "Beställningsstopp beslutat i enlighet med förslaget."
    elif rng.random() < 0.8:
        decision = DeepControl.OrderStopDecision.DECLINED
        reason = "Bristerna bedöms inte motivera ett beställningsstopp."
    else:
        return
    row.order_stop_decision = decision
    row.order_stop_reason = reason
    row.order_stop_decided_by_id = rng.choice(actors.procurement)
    row.order_stop_decided_at = clock.after(rng, row.decided_at, 1, 21)


# --- Site visits --------------------------------------------------------------------------------


def _generate_site_visits(
    rng: random.Random,
    clock: _Clock,
    count: int,
    register: _Register,
    actors: _Actors,
    progress: Callable[[str], None],
) -> int:
    units = [
        pk for pk in register.units_with({S.PUBLISHED, S.PAUSED}) if register.offerings_of.get(pk)
    ]
    if count <= 0 or not units:
        return 0
    forms = dict(OperatingForm.objects.values_list("code", "pk"))
    templates = dict(QuestionTemplate.objects.values_list("service_id", "questions"))
    rows, created = [], []
    for _number in range(count):
        unit_id = rng.choice(units)
        service_id, form_code = rng.choice(register.offerings_of[unit_id])
        team = AREA_TEAMS[register.service_area[service_id]]
        officers = actors.officers.get(team)
        # Planned by an officer of the team, or by the quality team (then always joint).
        creator = rng.choice(officers) if officers else rng.choice(actors.quality)
        planned = _local_day(clock.anytime(rng))
        visited = None
        if rng.random() < (0.92 if (clock.last_day - planned).days > 14 else 0.4):
            visited = min(planned + dt.timedelta(days=rng.choice([0, 0, 0, 1, 2])), clock.last_day)
        row = SiteVisit(
            unit_id=unit_id,
            service_id=service_id,
            operating_form_id=forms[form_code],
            team=team,
            planned_for=planned,
            visited_on=visited,
            joint_with_quality_team=not officers or rng.random() < 0.25,
            created_by_id=creator,
        )
        if visited is not None:
            questions = templates.get(service_id) or VISIT_QUESTIONS
            row.answers = [
                {"question": question, "answer": rng.choice(VISIT_ANSWERS)}
                for question in questions
            ]
            row.assessment = (
                SiteVisit.Assessment.APPROPRIATE
                if rng.random() < 0.85
                else SiteVisit.Assessment.NOT_APPROPRIATE
            )
            if row.assessment == SiteVisit.Assessment.NOT_APPROPRIATE:
                row.register_changes = "Målgrupp och åldersspann justerade i registret."
        planned_at = dt.datetime.combine(
            planned, dt.time(9), tzinfo=timezone.get_default_timezone()
        ).astimezone(dt.UTC)
        rows.append(row)
        created.append(clock.between(rng, planned_at - 40 * DAY, planned_at - 3 * DAY))
    SiteVisit.objects.bulk_create(rows, batch_size=BATCH)
    _stamp(SiteVisit, rows, "created_at", created)
    done = sum(1 for row in rows if row.visited_on)
    progress(f"{len(rows)} site visits ({done} done, {len(rows) - done} planned)")
    return len(rows)


# --- Entry point --------------------------------------------------------------------------------


@transaction.atomic
def generate_followup(
    controls: int = 5000,
    signals: int = 5000,
    feedback: int = 5000,
    *,
    years: tuple[int, int],
    seed: int = 7,
    progress: Callable[[str], None] = print,
) -> dict[str, int]:
    """Create follow-up rows dated within `years` (inclusive, never after yesterday) and
    return how many of each. Adds to what exists; whether to run at all is the caller's call.
    Deep controls and site visits follow from the other counts (a few hundred for 5,000)."""
    rng = random.Random(seed)
    clock = _Clock.for_years(years)
    actors = _Actors.load()
    register = _Register.load()
    # Stored texts (labels, titles) in the team's language, as followup.services writes them.
    with translation.override(settings.LANGUAGE_CODE):
        made = _generate_controls(rng, clock, controls, register, actors, progress)
        items = _generate_feedback(rng, clock, feedback, register, actors, progress)
        made["feedback"] = len(items.rows)
        signal_rows, made["monitoring_runs"] = _generate_signals(
            rng, clock, signals, register, actors, items, progress
        )
        made["signals"] = len(signal_rows)
        made["deep_controls"] = _generate_deep_controls(
            rng,
            clock,
            register,
            actors,
            items,
            signal_rows,
            {signal.pk: signal.created_at for signal in signal_rows},
            progress,
        )
        made["site_visits"] = _generate_site_visits(
            rng,
            clock,
            (controls + signals + feedback) // ITEMS_PER_SITE_VISIT,
            register,
            actors,
            progress,
        )
    return made
