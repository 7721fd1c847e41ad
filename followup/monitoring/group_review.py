"""Reviews of related providers.

When a unit is paused or removed, or gets a recommendation stop or an order stop, the other
providers of its corporate group and the providers sharing a current board member or
signatory (same name and birth date) may have the same problem: each gets one GROUP_REVIEW
signal per triggering change. The receiver runs inside the transaction of the change
(providers.signals.unit_status_changed), so a change that rolls back leaves no review behind.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from followup.models import Severity, Signal
from providers.models import Provider, ProviderPerson, PublicationStatus, Unit, UnitEvent

logger = logging.getLogger(__name__)

TRIGGER_STATUSES = {PublicationStatus.PAUSED, PublicationStatus.REMOVED}
TRIGGER_KINDS = {UnitEvent.Kind.RECOMMENDATION_STOP, UnitEvent.Kind.ORDER_STOP}


def is_trigger(event: UnitEvent) -> bool:
    if event.kind == UnitEvent.Kind.STATUS:
        return event.to_status in TRIGGER_STATUSES
    return event.kind in TRIGGER_KINDS


def dedup_key(event: UnitEvent, provider: Provider) -> str:
    return f"group_review:{event.pk}:{provider.pk}"


def _current(on: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": on})
    )


def related_providers(provider: Provider, on: dt.date) -> dict[int, tuple[Provider, list[str]]]:
    """Other providers of the group and those sharing a current board member, with why."""
    related: dict[int, tuple[Provider, list[str]]] = {}

    def add(other: Provider, why: str) -> None:
        related.setdefault(other.pk, (other, []))[1].append(why)

    if provider.corporate_group_id:
        group = provider.corporate_group
        assert group is not None  # the id is set
        for other in Provider.objects.filter(corporate_group_id=group.pk).exclude(pk=provider.pk):
            add(other, _("Same corporate group: %(group)s.") % {"group": group.name})
    people = list(
        ProviderPerson.objects.filter(_current(on), provider=provider, birth_date__isnull=False)
        .values_list("name", "birth_date")
        .distinct()
    )
    if people:
        # Without a birth date a name alone says too little to tie two providers together.
        same_person = reduce(
            or_, (Q(name__iexact=name, birth_date=birth_date) for name, birth_date in people)
        )
        shared = (
            Provider.objects.filter(
                pk__in=ProviderPerson.objects.filter(_current(on))
                .filter(same_person)
                .exclude(provider=provider)
                .values("provider_id")
            )
            .order_by("pk")
            .distinct()
        )
        for other in shared:
            # The person is not named: the signal says why, the register shows who.
            add(other, _("Shares a current board member or signatory."))
    return related


def _change(event: UnitEvent) -> str:
    if event.kind == UnitEvent.Kind.STATUS and event.to_status == PublicationStatus.REMOVED:
        return _("the unit was removed from the register")
    if event.kind == UnitEvent.Kind.STATUS:
        return _("the unit was paused")
    if event.kind == UnitEvent.Kind.RECOMMENDATION_STOP:
        return _("the unit got a recommendation stop")
    return _("the unit got a temporary order stop")


def create_reviews(unit: Unit, event: UnitEvent) -> list[Signal]:
    """One GROUP_REVIEW signal per related provider; a repeated call adds nothing."""
    provider = Provider.objects.select_related("corporate_group").get(pk=unit.provider_id)
    related = related_providers(provider, timezone.localdate())
    if not related:
        return []
    # Stored text, read by the team: written in the interface's default language.
    with translation.override("sv"):
        background = _("%(unit)s of %(provider)s (%(org_number)s): %(change)s.") % {
            "unit": unit.name,
            "provider": provider.legal_name,
            "org_number": provider.org_number,
            "change": _change(event),
        }
        signals = [
            Signal(
                kind=Signal.Kind.GROUP_REVIEW,
                severity=Severity.MEDIUM,
                provider=other,
                title=(
                    _("Review %(provider)s: related to %(trigger)s")
                    % {"provider": other.legal_name, "trigger": provider.legal_name}
                )[:300],
                details="\n".join([background, *reasons]),
                dedup_key=dedup_key(event, other),
            )
            for other, reasons in related.values()
        ]
    Signal.objects.bulk_create(signals, ignore_conflicts=True)
    logger.info("unit event %s: %s related providers to review", event.pk, len(signals))
    return signals


def on_unit_status_changed(sender, unit: Unit, event: UnitEvent, **kwargs) -> None:
    if is_trigger(event):
        create_reviews(unit, event)
