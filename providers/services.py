"""Writes to the provider register. Every status or stop change goes through here.

Every service takes keyword arguments, the actor first (None: a system job acting on its own
rules), and records (or their ids) rather than forms. Which status may follow which, and who
may take each step, is providers.rules.UNIT_WORKFLOW's; the services check it under a row lock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from categories.models import OperatingForm
from providers import rules
from providers.models import (
    AGREEMENT_EDITABLE_FIELDS,
    PROVIDER_EDITABLE_FIELDS,
    UNIT_EDITABLE_FIELDS,
    AgreementUnit,
    FrameworkAgreement,
    Permit,
    Price,
    Provider,
    Unit,
    UnitEvent,
    UnitService,
)
from providers.signals import unit_status_changed
from spink import concurrency
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User
from spink.errors import RuleViolation

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=Model)


def require(actor: User | None, capability: Capability) -> None:
    """Persons need the capability; actor=None means a system job acting on its own rules."""
    if actor is not None and not access.has_capability(actor, capability):
        raise PermissionDenied


def save_with_history(instance: _M, actor: User | None, reason: str = "") -> _M:
    """full_clean and save, recording who made the change in the model's history."""
    instance.full_clean()
    # simple_history reads these two attributes off the instance it saves.
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        # The history row keeps at most 100 characters (simple_history's column); the full
        # reason of a status change is in UnitEvent.
        instance._change_reason = reason if len(reason) <= 100 else reason[:99] + "…"  # type: ignore[attr-defined]
    instance.save()
    return instance


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the change.")})
    return reason


def _pk(record: Model | int) -> int:
    """A service takes a record or its id."""
    return record if isinstance(record, int) else record.pk


def _locked_unit(unit: Unit | int) -> Unit:
    return Unit.objects.select_for_update().get(pk=_pk(unit))


def _only_editable(fields: dict[str, Any], editable: Iterable[str]) -> None:
    """Refuse fields outside the record's editable-field list (as placements.services does):
    status and stops change only through change_status and the stop services, and a misspelt
    name must not pass silently."""
    refused = sorted(set(fields) - set(editable))
    if refused:
        raise ValidationError({name: _("This field cannot be set.") for name in refused})


def _record(
    unit: Unit,
    actor: User | None,
    kind: str,
    reason: str,
    source: str,
    from_status: str = "",
    to_status: str = "",
) -> UnitEvent:
    unit.status_changed_at = timezone.now()
    save_with_history(unit, actor, reason)
    event = UnitEvent.objects.create(
        unit=unit,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        actor=actor,
        source=source,
    )
    logger.info(
        "unit %s: %s %s→%s by user %s%s",
        unit.pk,
        kind,
        from_status,
        to_status,
        getattr(actor, "pk", None),
        f" ({source})" if source else "",
    )
    # Follow-up reacts to pauses, removals and stops (e.g. reviews of related providers).
    unit_status_changed.send(sender=Unit, unit=unit, event=event)
    return event


# --- Providers and units ----------------------------------------------------------------------


def _require_register_write(actor: User | None, for_agreement: FrameworkAgreement | None) -> None:
    """Register data is the register team's, except that procurement enters the providers and
    units of its own framework agreements (it controls them before they enter the register).
    Publishing stays with the register team: change_status still needs EDIT_REGISTER.
    """
    if for_agreement is None:
        require(actor, Capability.EDIT_REGISTER)
    else:
        require(actor, Capability.MANAGE_AGREEMENTS)


def create_provider(
    *, actor: User | None, for_agreement: FrameworkAgreement | None = None, **fields: Any
) -> Provider:
    _require_register_write(actor, for_agreement)
    _only_editable(fields, PROVIDER_EDITABLE_FIELDS)
    return save_with_history(Provider(**fields), actor)


# A field whose change is a report with a time of its own: {model: {field: its time field}}.
REPORT_STAMPS: dict[type[Model], dict[str, str]] = {
    Unit: {"available_places": "available_places_reported_at"},
}


def _stamp_reports(row: Model, changed: set[str]) -> None:
    for name, stamp in REPORT_STAMPS.get(type(row), {}).items():
        if name in changed:
            setattr(row, stamp, timezone.now())


def _update_locked(instance: _M, fields: dict[str, Any], version_fields, seen, actor) -> _M:
    """Apply `fields` to the row read again under a lock, after checking that it is still
    the version the caller saw (`seen`; None claims nothing). The caller's object gets the
    applied values too."""
    _only_editable(fields, version_fields)
    row = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    concurrency.check(row, version_fields, seen=seen)
    changed = {name for name, value in fields.items() if getattr(row, name) != value}
    for name, value in fields.items():
        setattr(row, name, value)
    _stamp_reports(row, changed)
    save_with_history(row, actor)
    for name in fields:
        setattr(instance, name, getattr(row, name))
    return row


@transaction.atomic
def update_provider(
    *, actor: User | None, provider: Provider, seen: str | None = None, **fields: Any
) -> Provider:
    """Change a provider's PROVIDER_EDITABLE_FIELDS. `seen` is the version the editor saw (a
    form's token or an If-Match value): a save over someone else's later change is refused
    (concurrency.StaleEdit)."""
    require(actor, Capability.EDIT_REGISTER)
    return _update_locked(provider, fields, PROVIDER_EDITABLE_FIELDS, seen, actor)


def create_unit(
    *,
    actor: User | None,
    provider: Provider | int,
    for_agreement: FrameworkAgreement | None = None,
    **fields: Any,
) -> Unit:
    """A new unit (UNIT_EDITABLE_FIELDS) of `provider` starts as a draft; publishing goes
    through change_status."""
    _require_register_write(actor, for_agreement)
    _only_editable(fields, UNIT_EDITABLE_FIELDS)
    unit = Unit(provider_id=_pk(provider), **fields)
    _stamp_reports(unit, {name for name, value in fields.items() if value is not None})
    return save_with_history(unit, actor)


@transaction.atomic
def update_unit(
    *,
    actor: User | None,
    unit: Unit,
    for_agreement: FrameworkAgreement | None = None,
    seen: str | None = None,
    **fields: Any,
) -> Unit:
    """Change a unit's details (UNIT_EDITABLE_FIELDS): never its provider, status or stops,
    which are refused (ValidationError) like any other field outside the list. `seen` as in
    update_provider."""
    _require_register_write(actor, for_agreement)
    return _update_locked(unit, fields, UNIT_EDITABLE_FIELDS, seen, actor)


def set_offering(
    *,
    actor: User | None,
    unit: Unit,
    service,
    operating_form,
    subcategories=(),
    for_agreement: FrameworkAgreement | None = None,
) -> UnitService:
    """Add (or update the subcategories of) a service the unit offers in an operating form.

    With `for_agreement` (procurement entering its agreement's units) only framework offerings.
    """
    _require_register_write(actor, for_agreement)
    if for_agreement is not None and operating_form.code != OperatingForm.FRAMEWORK:
        raise PermissionDenied
    if not service.allows(operating_form):
        raise ValidationError(
            {
                "operating_form": _("%(service)s cannot be bought as %(form)s.")
                % {"service": service.name, "form": operating_form.name}
            }
        )
    wrong = [s.name for s in subcategories if s.service_id != service.pk]
    if wrong:
        raise ValidationError(
            {
                "subcategories": _("Not subcategories of %(service)s: %(names)s.")
                % {"service": service.name, "names": ", ".join(wrong)}
            }
        )
    offering = UnitService.objects.filter(
        unit=unit, service=service, operating_form=operating_form
    ).first() or UnitService(unit=unit, service=service, operating_form=operating_form)
    save_with_history(offering, actor)
    offering.subcategories.set(subcategories)
    return offering


def add_price(
    *,
    actor: User | None,
    offering: UnitService,
    daily_price,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    source: str,
    agreement: FrameworkAgreement | None = None,
) -> Price:
    """A daily price for an offering. Periods of one offering never overlap: the database
    refuses that too, but only with the constraint's name, so say which price is in the way."""
    _require_register_write(actor, agreement)
    overlapping = offering.prices.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    clash = overlapping.order_by("valid_from").first()
    if clash is not None:
        raise ValidationError(
            {
                "valid_from": _(
                    "The period overlaps the price of %(price)s kr valid from %(from)s to %(to)s."
                )
                % {
                    "price": clash.daily_price,
                    "from": clash.valid_from.isoformat(),
                    "to": clash.valid_to.isoformat() if clash.valid_to else "…",
                }
            }
        )
    price = Price(
        offering=offering,
        daily_price=daily_price,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
        agreement=agreement,
    )
    return save_with_history(price, actor)


def save_permit(
    *,
    actor: User | None,
    permit: Permit,
    services=None,
    for_agreement: FrameworkAgreement | None = None,
) -> Permit:
    """Create or update an IVO permit and (when given) the services it covers."""
    _require_register_write(actor, for_agreement)
    save_with_history(permit, actor)
    if services is not None:
        permit.services.set(services)
    return permit


@transaction.atomic
def change_price(
    *,
    actor: User | None,
    offering: UnitService,
    daily_price,
    valid_from: dt.date,
    source: str,
) -> Price:
    """A new daily price from `valid_from` on, until further notice: the price running then
    (open-ended, begun earlier) ends the day before, as a price list's new price replaces the
    old. A price that begins on or after that day is in the way (add_price says which)."""
    _require_register_write(actor, None)
    # The offering's row lock keeps two changes of its price from both ending the same one.
    UnitService.objects.select_for_update().filter(pk=offering.pk).get()
    running = (
        offering.prices.filter(valid_from__lt=valid_from, valid_to__isnull=True)
        .order_by("-valid_from")
        .first()
    )
    if running is not None:
        running.valid_to = valid_from - dt.timedelta(days=1)
        save_with_history(running, actor, _("Ended by a new price"))
    return add_price(
        actor=actor,
        offering=offering,
        daily_price=daily_price,
        valid_from=valid_from,
        source=source,
    )


# --- IVO permits (in the unit's page; matching reads them through providers.rules) ------------


def _permit_services(unit: Unit, services: Iterable[Any]) -> list[Any]:
    chosen = list(services)
    if not chosen:
        raise ValidationError({"services": _("Choose the services the permit covers.")})
    offered = set(unit.offerings.values_list("service_id", flat=True))
    if any(service.pk not in offered for service in chosen):
        raise ValidationError({"services": _("A permit can cover only services the unit offers.")})
    return chosen


@transaction.atomic
def add_permit(
    *,
    actor: User | None,
    unit: Unit,
    permit_number: str,
    services: Iterable[Any],
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    target_group: str = "",
) -> Permit:
    """Register an IVO permit of the unit for services it offers."""
    require(actor, Capability.EDIT_REGISTER)
    number = " ".join((permit_number or "").split())
    if Permit.objects.filter(permit_number__iexact=number).exists():
        raise ValidationError({"permit_number": _("This permit number is already registered.")})
    chosen = _permit_services(unit, services)
    permit = save_with_history(
        Permit(
            unit=unit,
            permit_number=number,
            valid_from=valid_from,
            valid_to=valid_to,
            target_group=target_group.strip(),
        ),
        actor,
        _("Permit registered"),
    )
    permit.services.set(chosen)
    return permit


def _locked_permit(permit: Permit | int) -> Permit:
    pk = permit.pk if isinstance(permit, Permit) else permit
    return Permit.objects.select_for_update().get(pk=pk)


@transaction.atomic
def renew_permit(*, actor: User | None, permit: Permit | int, valid_to: dt.date | None) -> Permit:
    """Extend a permit that is not revoked to a later end (None: until further notice)."""
    require(actor, Capability.EDIT_REGISTER)
    permit = _locked_permit(permit)
    if not rules.permit_is_open(permit):
        raise RuleViolation(
            _("A revoked permit cannot be renewed: register the new one."), "revoked"
        )
    if valid_to is not None and permit.valid_to is not None and valid_to <= permit.valid_to:
        raise ValidationError(
            {
                "valid_to": _("The new end must be later than the present one (%(date)s).")
                % {"date": permit.valid_to.isoformat()}
            }
        )
    if valid_to is not None and valid_to < permit.valid_from:
        raise ValidationError({"valid_to": _("The end cannot be before the start.")})
    permit.valid_to = valid_to
    return save_with_history(permit, actor, _("Permit renewed"))


@transaction.atomic
def revoke_permit(
    *, actor: User | None, permit: Permit | int, revoked_on: dt.date, reason: str
) -> Permit:
    """IVO revoked the permit from `revoked_on`: from that day the unit is no longer matched
    for the services the permit covered (providers.rules, the permit rule)."""
    require(actor, Capability.EDIT_REGISTER)
    permit = _locked_permit(permit)
    if not rules.permit_is_open(permit):
        raise RuleViolation(_("The permit is already revoked."), "revoked")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("This field is required.")})
    if revoked_on < permit.valid_from:
        raise ValidationError({"revoked_on": _("A permit cannot be revoked before it starts.")})
    permit.revoked_on = revoked_on
    permit.revocation_reason = reason
    return save_with_history(permit, actor, _("Permit revoked"))


def remove_offering(*, actor: User | None, offering: UnitService) -> None:
    require(actor, Capability.EDIT_REGISTER)
    offering._history_user = actor  # type: ignore[attr-defined]  # read by simple_history
    offering.delete()


# --- Status and stops --------------------------------------------------------------------------


def _check(action: str, unit: Unit, actor: User | None) -> None:
    """The workflow's check; a job (actor=None) is asked only what the unit's state allows."""
    if actor is None:
        rules.UNIT_WORKFLOW.check_state(action, unit)
    else:
        rules.UNIT_WORKFLOW.check(action, unit, actor)


@transaction.atomic
def change_status(
    *,
    actor: User | None,
    unit: Unit | int,
    to_status: str,
    reason: str,
    source: str = "",
    on: dt.date | None = None,
    from_status: str | None = None,
) -> UnitEvent:
    """Move a unit through the publication workflow (rules.UNIT_WORKFLOW), with a reason.

    `from_status` is the status the person's page showed: if the unit has moved on since
    (someone else published or removed it), the change is refused (concurrency.StaleState)
    rather than applied over a state they never saw. None claims nothing.
    Jobs (e.g. an IVO revocation) call this with actor=None and a `source`.
    """
    require(actor, Capability.EDIT_REGISTER)
    reason = _require_reason(reason)
    unit = _locked_unit(unit)
    concurrency.check_state(unit, "status", seen=from_status)
    rules.check_transition(unit, to_status, on or timezone.localdate(), actor)
    from_status, unit.status = unit.status, to_status
    return _record(unit, actor, UnitEvent.Kind.STATUS, reason, source, from_status, to_status)


@transaction.atomic
def set_recommendation_stop(
    *,
    actor: User | None,
    unit: Unit | int,
    stop: bool,
    reason: str,
    source: str = "",
    from_stop: bool | None = None,
) -> UnitEvent:
    """Spink's quality & control team stops (or resumes) recommending a direct-procurement unit.

    `from_stop`: whether the person's page showed a recommendation stop (as from_status in
    change_status)."""
    require(actor, Capability.EDIT_REGISTER)
    reason = _require_reason(reason)
    unit = _locked_unit(unit)
    concurrency.check_state(unit, "recommendation_stop", seen=from_stop)
    _check(rules.recommendation_stop_action(stop), unit, actor)
    unit.recommendation_stop = stop
    kind = UnitEvent.Kind.RECOMMENDATION_STOP if stop else UnitEvent.Kind.RECOMMENDATION_STOP_LIFTED
    return _record(unit, actor, kind, reason, source)


@transaction.atomic
def set_order_stop(
    *,
    actor: User,
    unit: Unit | int,
    stop: bool,
    reason: str,
    from_stop: bool | None = None,
) -> UnitEvent:
    """Procurement decides (or lifts) a temporary order stop on a framework unit.

    `from_stop`: whether the person's page showed an order stop (as in change_status)."""
    if actor is None:
        raise PermissionDenied  # always a decision by a person in procurement
    require(actor, Capability.DECIDE_ORDER_STOP)
    reason = _require_reason(reason)
    unit = _locked_unit(unit)
    concurrency.check_state(unit, "order_stop", seen=from_stop)
    _check(rules.order_stop_action(stop), unit, actor)
    unit.order_stop = stop
    kind = UnitEvent.Kind.ORDER_STOP if stop else UnitEvent.Kind.ORDER_STOP_LIFTED
    return _record(unit, actor, kind, reason, "")


# --- Framework agreements -----------------------------------------------------------------------


@transaction.atomic
def save_agreement(
    *,
    actor: User | None,
    agreement: FrameworkAgreement,
    services=None,
    seen: str | None = None,
) -> FrameworkAgreement:
    """Create or change an agreement (and the services it covers). A change is checked
    against the version the editor saw (`seen`, as in update_provider), under a lock."""
    require(actor, Capability.MANAGE_AGREEMENTS)
    if agreement.pk is not None:
        row = FrameworkAgreement.objects.select_for_update().get(pk=agreement.pk)
        concurrency.check(row, AGREEMENT_EDITABLE_FIELDS, seen=seen)
    save_with_history(agreement, actor)
    if services is not None:
        agreement.services.set(services)
    return agreement


def admit_unit(
    *,
    actor: User | None,
    agreement: FrameworkAgreement,
    unit: Unit,
    admitted_on: dt.date,
) -> AgreementUnit:
    require(actor, Capability.MANAGE_AGREEMENTS)
    rules.check_admission(agreement, admitted_on)
    link, _created = AgreementUnit.objects.get_or_create(
        agreement=agreement, unit=unit, defaults={"admitted_on": admitted_on}
    )
    return link
