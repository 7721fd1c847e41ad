"""Who is told of what: the one declaration of notifications.

`EVENTS` maps each kind of timeline event (placements.models.TimelineEvent.Kind) that
concerns someone to a row: the notification's kind, who receives it, and what it says.
`REMINDERS` does the same for the beat jobs' reminders. The services apply two rules to every
row, whatever it says: the actor of an event is never told of their own act, and nobody is
told of a request they may not see (placements.selectors.visible_requests).

What a notification says is made from its kind and the request's reference only: never a
name, an identity number or the free text of a message, reason or deviation, so that a
protected identity cannot leak through a notification or its e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notifications.models import Kind
from placements.models import TimelineEvent
from spink.accounts.models import Role

E = TimelineEvent.Kind


class Recipient(StrEnum):
    """Who, relative to the request (resolved by notifications.selectors.recipients)."""

    SOCIAL_WORKER = "social_worker"  # the request's social worker (its author)
    ASSIGNED_OFFICER = "assigned_officer"  # the placement officer it is assigned to, if any
    # The request's assigned officer, or, while it has none, its team's officers.
    OFFICERS = "officers"
    # Those who handle deviations (placements.rules.may_handle_deviations): the placement
    # officers of the request's team in its municipality.
    DEVIATION_HANDLERS = "deviation_handlers"
    DEVIATION_LODGER = "deviation_lodger"  # who lodged the deviation the event is about


# The roles that receive each kind of recipient: the preferences page offers a user the kinds
# that can reach their role.
RECIPIENT_ROLES: dict[Recipient, Role] = {
    Recipient.SOCIAL_WORKER: Role.SOCIAL_WORKER,
    Recipient.DEVIATION_LODGER: Role.SOCIAL_WORKER,
    Recipient.ASSIGNED_OFFICER: Role.PLACEMENT_OFFICER,
    Recipient.OFFICERS: Role.PLACEMENT_OFFICER,
    Recipient.DEVIATION_HANDLERS: Role.PLACEMENT_OFFICER,
}


@dataclass(frozen=True)
class Row:
    kind: Kind
    recipients: tuple[Recipient, ...]
    # What the notification says; %(reference)s is the request's reference.
    message: Promise
    # Sent by e-mail when the user has made no choice for the kind.
    email_by_default: bool
    # Whether the user chooses about e-mail for this kind; recommendations are e-mailed by
    # placements itself (placements.services.notify_recommendation_set), to every social worker.
    email_choice: bool = True

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(RECIPIENT_ROLES[recipient] for recipient in self.recipients)


R = Recipient

EVENTS: dict[str, Row] = {
    E.RECOMMENDATION_SENT: Row(
        Kind.RECOMMENDATION,
        (R.SOCIAL_WORKER,),
        _("A recommendation was sent for %(reference)s."),
        email_by_default=False,
        email_choice=False,
    ),
    E.MESSAGE: Row(
        Kind.MESSAGE,
        (R.SOCIAL_WORKER, R.ASSIGNED_OFFICER),
        _("New message on %(reference)s."),
        email_by_default=True,
    ),
    # E.INTERNAL_NOTE has no row: an internal note tells nobody (never the social worker).
    E.ASSIGNED: Row(
        Kind.ASSIGNED,
        (R.ASSIGNED_OFFICER,),
        _("%(reference)s was assigned to you."),
        email_by_default=True,
    ),
    E.WITHDRAWN: Row(
        Kind.WITHDRAWN,
        (R.ASSIGNED_OFFICER,),
        _("%(reference)s was withdrawn by the social worker."),
        email_by_default=True,
    ),
    E.PROVIDER_CHOSEN: Row(
        Kind.PROVIDER_CHOSEN,
        (R.ASSIGNED_OFFICER,),
        _("The social worker reported the chosen provider for %(reference)s."),
        email_by_default=False,
    ),
    E.NOT_PLACED: Row(
        Kind.NOT_PLACED,
        (R.ASSIGNED_OFFICER,),
        _("The social worker chose none of the recommendations for %(reference)s."),
        email_by_default=False,
    ),
    E.NO_PROVIDER_FOUND: Row(
        Kind.NO_PROVIDER_FOUND,
        (R.SOCIAL_WORKER,),
        _("No provider was found for %(reference)s."),
        email_by_default=True,
    ),
    E.DEVIATION: Row(
        Kind.DEVIATION,
        (R.DEVIATION_HANDLERS,),
        _("A deviation was lodged on %(reference)s."),
        email_by_default=True,
    ),
    E.DEVIATION_HANDLED: Row(
        Kind.DEVIATION_HANDLED,
        (R.DEVIATION_LODGER,),
        _("The deviation on %(reference)s is being handled."),
        email_by_default=False,
    ),
    E.DEVIATION_CLOSED: Row(
        Kind.DEVIATION_CLOSED,
        (R.DEVIATION_LODGER,),
        _("The deviation on %(reference)s was closed."),
        email_by_default=False,
    ),
}

REMINDERS: dict[Kind, Row] = {
    Kind.CHOICE_WAITING: Row(
        Kind.CHOICE_WAITING,
        (R.SOCIAL_WORKER, R.ASSIGNED_OFFICER),
        _("The recommendations for %(reference)s have waited a long time for a choice."),
        email_by_default=True,
    ),
    Kind.START_SOON: Row(
        Kind.START_SOON,
        (R.OFFICERS,),
        _("%(reference)s wants to start soon and has no recommendation yet."),
        email_by_default=True,
    ),
    Kind.STALE_DRAFT: Row(
        Kind.STALE_DRAFT,
        (R.SOCIAL_WORKER,),
        _("Your draft %(reference)s has not been touched for a long time."),
        email_by_default=False,
    ),
}

# Every row by its notification kind (the pages, the e-mail and the preferences read this).
ROWS: dict[str, Row] = {row.kind: row for row in (*EVENTS.values(), *REMINDERS.values())}
assert set(ROWS) == set(Kind.values), "every kind of notification has one row"


def message(kind: str, reference: str) -> str:
    """What a notification of `kind` about the request `reference` says."""
    return str(ROWS[kind].message) % {"reference": reference}


def email_kinds_for(role: str, *, administrator: bool = False) -> list[Row]:
    """The rows a user of `role` chooses about on the preferences page (all, for an
    administrator), in the order of Kind."""
    return [
        ROWS[kind]
        for kind in Kind.values
        if ROWS[kind].email_choice and (administrator or role in ROWS[kind].roles)
    ]
