"""Writes to placement requests. Every state change checks placements.rules.REQUEST_WORKFLOW
under a row lock, takes the state the workflow names and adds a timeline event; nothing else
changes a request's status.

Every service takes keyword arguments, the actor first, and records or their ids (never a form).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, overload

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from categories.models import OperatingForm, Service
from placements import matching, rules, selectors
from placements.identity import parse_personal_number, person_key, validate_reserve_number
from placements.models import (
    REQUEST_EDITABLE_FIELDS,
    Deviation,
    PersonDataAccess,
    PlacementRequest,
    Recommendation,
    RecommendationSet,
    ShortlistEntry,
    TimelineEvent,
)
from providers.models import UnitService
from spink import concurrency, outbox
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import PlacementTeam, Role, User
from spink.errors import RuleViolation

logger = logging.getLogger(__name__)
K = TimelineEvent.Kind

AREA_TEAMS = {
    "vuxen": PlacementTeam.ADULTS,
    "barn-och-unga": PlacementTeam.CHILDREN_YOUTH,
    "funktionsstod": PlacementTeam.DISABILITY_SUPPORT,
}

# The job a recommendation set queues (declared, under this name, in placements.tasks).
NOTIFY_RECOMMENDATION_SET_TASK = "placements.notify_recommendation_set"


def _event(
    request: PlacementRequest, kind: str, actor: User | None, text: str = "", **data: Any
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        request=request, kind=kind, actor=actor, text=text, data=data
    )


@overload
def _pk(record: Model | int) -> int: ...
@overload
def _pk(record: None) -> None: ...
def _pk(record: Model | int | None) -> int | None:
    """A service takes a record or its id."""
    return record.pk if isinstance(record, Model) else record


def locked_request(request: PlacementRequest | int) -> PlacementRequest:
    """The request, row-locked for this transaction: every write to a request or to what hangs
    on it (recommendations, deviations, attachments) takes this lock first, so that they are
    serialised per request."""
    return (
        PlacementRequest.objects.select_for_update(of=("self",))
        .select_related("administration")
        .get(pk=_pk(request))
    )


def _check(action: str, request: PlacementRequest, actor: User) -> None:
    """Refuse (RuleViolation) unless the workflow lets `actor` take `action` now."""
    rules.REQUEST_WORKFLOW.check(action, request, actor)


def _advance(action: str, request: PlacementRequest) -> None:
    """Put the request in the state `action` leads to (checked before with _check)."""
    request.status = rules.REQUEST_WORKFLOW.target(action, request)


def _require_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    return value


def _apply_person(request: PlacementRequest) -> None:
    """Validate the identity number; derive birth date and gender; key the person."""
    if request.person_is_reserve_number:
        try:
            request.person_identity_number = validate_reserve_number(request.person_identity_number)
        except ValidationError as error:
            raise ValidationError({"person_identity_number": error.messages}) from None
    else:
        try:
            parsed = parse_personal_number(request.person_identity_number)
        except ValidationError as error:
            raise ValidationError({"person_identity_number": error.messages}) from None
        request.person_identity_number = parsed.normalised
        request.person_birth_date = parsed.birth_date
        request.person_gender = parsed.gender
    request.person_key = person_key(request.person_identity_number)


def _apply_fields(request: PlacementRequest, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(REQUEST_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    for name, value in fields.items():
        setattr(request, name, value)
    _apply_person(request)
    if request.service_id:
        request.team = AREA_TEAMS[
            Service.objects.select_related("area").get(pk=request.service_id).area.code
        ]
    if (
        request.subcategory_id
        and request.subcategory is not None
        and request.subcategory.service_id != request.service_id
    ):
        raise ValidationError({"subcategory": _("The subcategory belongs to another service.")})
    request.full_clean(exclude=["reference", "person_key", "team"])


# --- Social worker ----------------------------------------------------------------------------


def _refuse_past_start(wanted_start: dt.date | None) -> None:
    """A request asks for a placement from today on: a wanted start in the past is a typo."""
    if isinstance(wanted_start, dt.date) and wanted_start < timezone.localdate():
        raise ValidationError(
            {"wanted_start": _("The wanted start lies in the past: choose today or a later day.")}
        )


@transaction.atomic
def create_request(*, actor: User, **fields: Any) -> PlacementRequest:
    """A social worker starts a request (a draft, REQUEST_EDITABLE_FIELDS) for their own
    organisation unit."""
    if not access.has_capability(actor, Capability.SUBMIT_PLACEMENT_REQUEST) or not (
        actor.org_unit_id
    ):
        raise PermissionDenied
    assert actor.administration_id is not None  # set with the org unit (User.clean)
    _refuse_past_start(fields.get("wanted_start"))
    request = PlacementRequest(
        social_worker=actor,
        org_unit_id=actor.org_unit_id,
        administration_id=actor.administration_id,
    )
    _apply_fields(request, fields)
    request.save()
    # The reference is derived from the id, so it is unique and never reused.
    request.reference = f"PF-{request.created_at:%Y}-{request.pk:06d}"
    request.save(update_fields=["reference"])
    _event(request, K.CREATED, actor)
    logger.info("placement request %s created by user %s", request.pk, actor.pk)
    return request


@transaction.atomic
def update_draft(
    *,
    actor: User,
    request: PlacementRequest | int,
    seen: str | None = None,
    **fields: Any,
) -> PlacementRequest:
    """Change a draft. `seen` is the version the author saw (a form's token or an If-Match
    value): a save over someone else's later change is refused (concurrency.StaleEdit).
    The timeline's event names the fields that changed, never their values."""
    request = locked_request(request)
    _check("edit_draft", request, actor)
    concurrency.check(request, REQUEST_EDITABLE_FIELDS, seen=seen)
    before = concurrency.snapshot(request, REQUEST_EDITABLE_FIELDS)
    if fields.get("wanted_start", request.wanted_start) != request.wanted_start:
        _refuse_past_start(fields["wanted_start"])
    _apply_fields(request, fields)
    after = concurrency.snapshot(request, REQUEST_EDITABLE_FIELDS)
    changed = [name for name in REQUEST_EDITABLE_FIELDS if before[name] != after[name]]
    if not changed:
        return request
    request.save()
    _event(request, K.UPDATED, actor, fields=changed)
    return request


class DuplicateOpenRequest(RuleViolation):
    """A submit refused until its author confirms: another open request for the same person
    and service, among those the author may see (`references`)."""

    def __init__(self, references: list[str]):
        super().__init__(
            _(
                "There is another open request for the same person and service: check it, "
                "and confirm to submit anyway."
            ),
            code="duplicate_open_request",
        )
        self.references = references


@transaction.atomic
def submit(
    *, actor: User, request: PlacementRequest | int, confirm_duplicate: bool = False
) -> PlacementRequest:
    """Send a draft to the placement team. Another open request for the same person and
    service (selectors.open_duplicates) stops it until the author confirms."""
    request = locked_request(request)
    _check("submit", request, actor)
    if request.wanted_start < timezone.localdate():
        raise RuleViolation(
            _("The wanted start of the draft has passed: change it before submitting."),
            code="wanted_start_passed",
        )
    if not confirm_duplicate:
        references = [
            reference
            for reference in selectors.open_duplicates(actor, request).values_list(
                "reference", flat=True
            )
            if reference
        ]
        if references:
            raise DuplicateOpenRequest(references)
    _advance("submit", request)
    request.submitted_at = timezone.now()
    request.save(update_fields=["status", "submitted_at"])
    _event(request, K.SUBMITTED, actor)
    return request


def withdraw(*, actor: User, request: PlacementRequest | int, reason: str) -> PlacementRequest:
    return _close_with_reason(actor, request, reason, "withdraw", K.WITHDRAWN)


@transaction.atomic
def report_choice(
    *,
    actor: User,
    request: PlacementRequest | int,
    recommendation: Recommendation | int,
    start_date: dt.date,
) -> PlacementRequest:
    request = locked_request(request)
    _check("choose", request, actor)
    chosen = (
        request.recommendations.select_related("offering__unit")
        .filter(pk=_pk(recommendation))
        .first()
    )
    if chosen is None:
        raise ValidationError({"recommendation": _("Choose one of the recommended providers.")})
    if start_date is None:
        raise ValidationError({"start_date": _("This field is required.")})
    request.chosen_recommendation = chosen
    request.placement_start = start_date
    _close(request, "choose", "")
    _event(
        request,
        K.PROVIDER_CHOSEN,
        actor,
        "",
        unit=chosen.offering.unit.name,
        unit_id=chosen.offering.unit_id,
        start_date=start_date.isoformat(),
    )
    return request


def report_none_chosen(
    *, actor: User, request: PlacementRequest | int, reason: str
) -> PlacementRequest:
    return _close_with_reason(actor, request, reason, "none_chosen", K.NOT_PLACED)


@transaction.atomic
def _close_with_reason(
    actor: User, request: PlacementRequest | int, reason: str, action: str, kind: str
) -> PlacementRequest:
    reason = _require_text(reason, "reason")
    request = locked_request(request)
    _check(action, request, actor)
    _close(request, action, reason)
    _event(request, kind, actor, reason)
    return request


def _close(request: PlacementRequest, action: str, note: str) -> None:
    _advance(action, request)
    request.closed_at = timezone.now()
    request.outcome_note = note
    request.save(
        update_fields=[
            "status",
            "closed_at",
            "outcome_note",
            "chosen_recommendation",
            "placement_start",
        ]
    )


# --- Placement officer ------------------------------------------------------------------------


@transaction.atomic
def take(*, actor: User, request: PlacementRequest | int) -> PlacementRequest:
    """An officer takes a submitted request. Two officers at once: the second is refused."""
    request = locked_request(request)
    _check("take", request, actor)
    request.assigned_officer = actor
    _advance("take", request)
    request.save(update_fields=["assigned_officer", "status"])
    _event(request, K.ASSIGNED, actor, "", officer=actor.get_full_name())
    return request


@transaction.atomic
def assign(
    *, actor: User, request: PlacementRequest | int, officer: User | int
) -> PlacementRequest:
    request = locked_request(request)
    _check("assign", request, actor)
    assignee = officer if isinstance(officer, User) else User.objects.filter(pk=officer).first()
    if assignee is None or not (
        assignee.role == Role.PLACEMENT_OFFICER
        and rules.REQUEST_WORKFLOW["take"].allowed(assignee, request)
    ):
        raise ValidationError({"officer": _("Choose a placement officer of the request's team.")})
    request.assigned_officer = assignee
    _advance("assign", request)
    request.save(update_fields=["assigned_officer", "status"])
    _event(request, K.ASSIGNED, actor, "", officer=assignee.get_full_name())
    return request


@dataclass(frozen=True)
class RecommendationItem:
    """One unit of a recommendation set: the offering, its daily price (required for direct
    procurement; else today's price when left out) and a comment for the social worker."""

    offering: UnitService | int
    daily_price: Decimal | None = None
    comment: str = ""


class PriceFlagged(RuleViolation):
    """A set refused until the officer confirms: prices well above the framework level,
    `flags` by the index of the item."""

    def __init__(self, flags: dict[int, str]):
        super().__init__(" ".join(flags.values()), code="price_flagged")
        self.flags = flags


# A set is what a social worker can weigh and call round in one go.
MAX_SET_SIZE = 10


def _item_errors(index: int, errors: dict[str, str]) -> dict[str, str]:
    # The API's field names for an item of the list: items.0.daily_price.
    return {f"items.{index}.{name}": message for name, message in errors.items()}


def _checked_items(
    request: PlacementRequest, items: Sequence[RecommendationItem]
) -> list[tuple[matching.Candidate, Decimal | None, str, str | None]]:
    """Each item's matching candidate, price, comment and price flag; every item's errors at
    once (ValidationError keyed items.N.field)."""
    if not items:
        raise ValidationError({"items": _("Choose at least one unit to recommend.")})
    if len(items) > MAX_SET_SIZE:
        raise ValidationError(
            {"items": _("Send at most %(count)s units at a time.") % {"count": MAX_SET_SIZE}}
        )
    ids = [_pk(item.offering) for item in items]
    if len(set(ids)) != len(ids):
        raise ValidationError({"items": _("Each unit can be in the set once.")})
    candidates = {
        candidate.offering.pk: candidate
        for candidate in matching.rank_candidates(request, offering_ids=ids)
    }
    recommended = set(
        request.recommendations.filter(offering_id__in=ids).values_list("offering_id", flat=True)
    )
    median = matching.framework_median_price(request.service)
    errors: dict[str, str] = {}
    checked = []
    for index, (item, offering_id) in enumerate(zip(items, ids, strict=True)):
        candidate = candidates.get(offering_id)
        if candidate is None:
            errors |= _item_errors(index, {"offering": _("The unit does not match this request.")})
            continue
        if offering_id in recommended:
            errors |= _item_errors(
                index, {"offering": _("This unit has already been recommended.")}
            )
            continue
        offering = candidate.offering
        price = item.daily_price
        if price is None and offering.operating_form.code == OperatingForm.DIRECT:
            errors |= _item_errors(
                index, {"daily_price": _("A daily price is required for direct procurement.")}
            )
            continue
        price = candidate.daily_price if price is None else price
        flag = matching.price_flag_against(offering, price, median)
        checked.append((candidate, price, item.comment.strip(), str(flag) if flag else None))
    if errors:
        raise ValidationError(errors)
    return checked


@transaction.atomic
def send_recommendation_set(
    *,
    actor: User,
    request: PlacementRequest | int,
    items: Sequence[RecommendationItem],
    message: str = "",
    accept_price_flag: bool = False,
) -> RecommendationSet:
    """Recommend matching units together, with one message: one timeline event, one
    notification and one e-mail to the social worker. Direct procurement needs a price; prices
    well above the framework level are refused (PriceFlagged) until the officer confirms them
    (accept_price_flag). The sent units leave the shortlist."""
    request = locked_request(request)
    _check("recommend", request, actor)
    checked = _checked_items(request, items)
    flags = {index: flag for index, (*_rest, flag) in enumerate(checked) if flag}
    if flags and not accept_price_flag:
        raise PriceFlagged(flags)
    message = message.strip()
    sending = RecommendationSet.objects.create(request=request, message=message, sent_by=actor)
    for candidate, price, comment, flag in checked:  # one by one: each gets its history row
        Recommendation.objects.create(
            request=request,
            recommendation_set=sending,
            offering=candidate.offering,
            daily_price=price,
            comment=comment,
            price_flagged=flag is not None,
            created_by=actor,
        )
    request.shortlist.filter(
        offering_id__in=[candidate.offering.pk for candidate, *_rest in checked]
    ).delete()
    _advance("recommend", request)
    request.first_recommended_at = request.first_recommended_at or timezone.now()
    request.save(update_fields=["status", "first_recommended_at"])
    _event(
        request,
        K.RECOMMENDATION_SENT,
        actor,
        message,
        recommendation_set=sending.pk,
        units=[
            {
                "unit": candidate.unit.name,
                "unit_id": candidate.unit.pk,
                "operating_form": candidate.operating_form.code,
                "daily_price": str(price) if price is not None else None,
                "price_flagged": flag is not None,
            }
            for candidate, price, _comment, flag in checked
        ],
    )
    # Recorded with the set, sent when the broker can take it (spink.outbox).
    outbox.enqueue(NOTIFY_RECOMMENDATION_SET_TASK, sending.pk)
    return sending


def send_recommendation(
    *,
    actor: User,
    request: PlacementRequest | int,
    offering: UnitService | int,
    daily_price: Decimal | None,
    comment: str = "",
    accept_price_flag: bool = False,
) -> Recommendation:
    """Recommend one matching unit: a recommendation set of one. Its errors are keyed by the
    item's own field names (daily_price, offering)."""
    try:
        sending = send_recommendation_set(
            actor=actor,
            request=request,
            items=[RecommendationItem(offering, daily_price, comment)],
            message=comment,
            accept_price_flag=accept_price_flag,
        )
    except ValidationError as error:
        raise ValidationError(
            {
                name.removeprefix("items.0."): messages
                for name, messages in error.message_dict.items()
            }
        ) from error
    return sending.recommendations.get()


@transaction.atomic
def shortlist_add(
    *, actor: User, request: PlacementRequest | int, offering: UnitService | int
) -> ShortlistEntry:
    """Pick a matching unit for the request's shortlist (again: no change)."""
    request = locked_request(request)
    _check("shortlist", request, actor)
    if not matching.rank_candidates(request, offering_ids=[_pk(offering)]):
        raise ValidationError({"offering": _("The unit does not match this request.")})
    if request.recommendations.filter(offering_id=_pk(offering)).exists():
        raise ValidationError({"offering": _("This unit has already been recommended.")})
    entry, _created = ShortlistEntry.objects.get_or_create(
        request=request, offering_id=_pk(offering), defaults={"added_by": actor}
    )
    return entry


@transaction.atomic
def shortlist_remove(
    *, actor: User, request: PlacementRequest | int, offering: UnitService | int
) -> None:
    """Take a unit off the request's shortlist (not on it: no change)."""
    request = locked_request(request)
    _check("shortlist", request, actor)
    request.shortlist.filter(offering_id=_pk(offering)).delete()


def record_no_provider_found(
    *, actor: User, request: PlacementRequest | int, reason: str
) -> PlacementRequest:
    return _close_with_reason(actor, request, reason, "no_provider_found", K.NO_PROVIDER_FOUND)


def notify_recommendation_set(*, recommendation_set: RecommendationSet | int) -> bool:
    """Tell the social worker recommendations arrived (the task placements.tasks sends): one
    e-mail per sending, whatever the number of units. It carries the reference and a link
    only: never a name, identity number or address. Idempotent: sends at most once (the
    outbox may deliver the task twice; the row lock and notified_at make the second a no-op).
    Returns whether a mail was sent."""
    with transaction.atomic():
        locked = (
            RecommendationSet.objects.select_for_update(of=("self",))
            .select_related("request__social_worker")
            .filter(pk=_pk(recommendation_set))
            .first()
        )
        if locked is None or locked.notified_at is not None:
            return False
        request = locked.request
        worker = request.social_worker
        if not worker.email:
            return False
        count = locked.recommendations.count()
        with translation.override("sv"):
            subject = ngettext(
                "Spink: a new recommendation for %(reference)s",
                "Spink: %(count)s new recommendations for %(reference)s",
                count,
            ) % {"reference": request.reference, "count": count}
            body = ngettext(
                "A placement officer has sent a recommendation for placement request "
                "%(reference)s.\n\nOpen the request in Spink to see it and report your "
                "choice:\n%(url)s\n",
                "A placement officer has sent %(count)s recommendations for placement request "
                "%(reference)s.\n\nOpen the request in Spink to see them and report your "
                "choice:\n%(url)s\n",
                count,
            ) % {
                "reference": request.reference,
                "count": count,
                "url": settings.SITE_URL + reverse("placements:request-detail", args=[request.pk]),
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [worker.email])
        locked.notified_at = timezone.now()
        locked.save(update_fields=["notified_at"])
    return True


# --- Both -----------------------------------------------------------------------------------------


@transaction.atomic
def post_message(*, actor: User, request: PlacementRequest | int, text: str) -> TimelineEvent:
    text = _require_text(text, "text")
    request = locked_request(request)
    _check("message", request, actor)
    return _event(request, K.MESSAGE, actor, text)


@transaction.atomic
def post_internal_note(*, actor: User, request: PlacementRequest | int, text: str) -> TimelineEvent:
    """A placement officer's note on the timeline, read only by those
    access.may_read_internal_notes names (placements.selectors.timeline_for); nobody is
    notified of it and no export carries it."""
    text = _require_text(text, "text")
    request = locked_request(request)
    _check("internal_note", request, actor)
    return _event(request, K.INTERNAL_NOTE, actor, text)


def log_person_read(*, actor: User, request: PlacementRequest, channel: str) -> None:
    """Record that `actor` was shown the person data of `request`."""
    PersonDataAccess.objects.create(request=request, user=actor, channel=channel)


def log_person_reads(*, actor: User, requests: Iterable[PlacementRequest], channel: str) -> None:
    """Record that `actor` was shown the persons of `requests` (a search's hits), in one
    statement."""
    PersonDataAccess.objects.bulk_create(
        PersonDataAccess(request=request, user=actor, channel=channel) for request in requests
    )


# --- Deviations (avvikelser) -------------------------------------------------------------------


@transaction.atomic
def lodge_deviation(*, actor: User, request: PlacementRequest | int, description: str) -> Deviation:
    """An administration complains about Spink's handling of one of its requests."""
    description = _require_text(description, "description")
    request = locked_request(request)
    if not rules.may_lodge_deviation(actor, request):
        raise RuleViolation(
            _("Only a social worker of the request's administration can lodge a deviation."),
            "not_allowed",
        )
    deviation = Deviation.objects.create(request=request, description=description, lodged_by=actor)
    _event(request, K.DEVIATION, actor, description, deviation=deviation.pk)
    return deviation


def _locked_open_deviation(actor: User, deviation: Deviation | int) -> Deviation:
    deviation = (
        Deviation.objects.select_for_update(of=("self",))
        .select_related("request__administration")
        .get(pk=_pk(deviation))
    )
    if not rules.may_handle_deviations(actor, deviation.request):
        raise RuleViolation(
            _("Deviations are handled by Spink's placement officers."), "not_allowed"
        )
    if not rules.may_note_deviation(actor, deviation):
        raise RuleViolation(_("The deviation is already closed."), "closed")
    return deviation


@transaction.atomic
def handle_deviation(*, actor: User, deviation: Deviation | int, note: str) -> Deviation:
    note = _require_text(note, "note")
    deviation = _locked_open_deviation(actor, deviation)
    deviation.status = Deviation.Status.IN_PROGRESS
    deviation.handling_note = note
    deviation.save(update_fields=["status", "handling_note"])
    _event(deviation.request, K.DEVIATION_HANDLED, actor, note, deviation=deviation.pk)
    return deviation


@transaction.atomic
def close_deviation(*, actor: User, deviation: Deviation | int, note: str) -> Deviation:
    note = _require_text(note, "note")
    deviation = _locked_open_deviation(actor, deviation)
    deviation.status = Deviation.Status.CLOSED
    deviation.closing_note = note
    deviation.closed_at = timezone.now()
    deviation.save(update_fields=["status", "closing_note", "closed_at"])
    _event(deviation.request, K.DEVIATION_CLOSED, actor, note, deviation=deviation.pk)
    return deviation
