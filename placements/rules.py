"""The placement request workflow, in one place.

draft → submitted → in matching → recommended → placed / not placed; withdrawn from any open
state. REQUEST_WORKFLOW names, per action, the states it starts from, the state it leads to,
and who may take it. services.py applies an action only after REQUEST_WORKFLOW.check passes,
under a row lock; the pages and the API ask it which actions to offer.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from placements.models import OPEN_STATUSES, Attachment, PlacementRequest, RequestStatus
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User
from spink.workflow import Action, Workflow

R = RequestStatus


def _is_owner(user: User, request: PlacementRequest) -> bool:
    return request.social_worker_id == user.pk


def is_owning_administration_worker(user: User, request: PlacementRequest) -> bool:
    return (
        access.has_capability(user, Capability.SUBMIT_PLACEMENT_REQUEST)
        and user.administration_id == request.administration_id
    )


def is_team_officer(user: User, request: PlacementRequest) -> bool:
    return (
        access.has_capability(user, Capability.HANDLE_PLACEMENT_REQUEST)
        and user.municipality_id == request.administration.municipality_id
        and (user.placement_team == request.team or access.is_administrator(user))
    )


def _is_assigned_officer(user: User, request: PlacementRequest) -> bool:
    return request.assigned_officer_id == user.pk


def may_lodge_deviation(user: User, request: PlacementRequest) -> bool:
    """A deviation is about Spink's handling, so only of a request Spink has received."""
    return request.status != R.DRAFT and is_owning_administration_worker(user, request)


def may_handle_deviations(user: User, request: PlacementRequest) -> bool:
    return is_team_officer(user, request) or access.is_administrator(user)


def may_note_deviation(user: User, deviation) -> bool:
    """Spink handles or closes a deviation while it is open."""
    return deviation.status != deviation.Status.CLOSED and may_handle_deviations(
        user, deviation.request
    )


def may_see_matches(user: User, request: PlacementRequest) -> bool:
    """Placement officers see a request's matches; for a protected identity only those who may
    see the person, since exclusion reasons (age span, gender) would hint at who it is."""
    return access.has_capability(
        user, Capability.HANDLE_PLACEMENT_REQUEST
    ) and access.may_see_person(user, request)


OPEN = OPEN_STATUSES


def _may_message(user: User, request: PlacementRequest) -> bool:
    return (
        is_owning_administration_worker(user, request)
        or _is_assigned_officer(user, request)
        or is_team_officer(user, request)
    )


def _works_on(user: User, request: PlacementRequest) -> bool:
    """The request's own social worker and its assigned placement officer: the two who see
    its person even under a protected identity, and who build its file."""
    return _is_owner(user, request) or _is_assigned_officer(user, request)


# Attachments may be added and removed while the request is being prepared or handled; a
# closed request's file is the record of what was decided and stays as it was.
ATTACHMENT_STATES = frozenset({R.DRAFT}) | OPEN


def may_open_attachments(user: User, request: PlacementRequest) -> bool:
    """An attachment (a decision, an investigation extract) is about the person, so it is
    listed by name and downloaded exactly by those who may see the person (including the
    protected-identity rule), among those who can see the request at all."""
    return access.may_see_person(user, request)


REQUEST_WORKFLOW: Workflow[PlacementRequest] = Workflow(
    "placement request",
    subject=_("the request"),
    state=lambda request: request.status,
    state_label=lambda status: RequestStatus(status).label,
    actions={
        "edit_draft": Action(
            _("edit the draft"),
            {R.DRAFT},
            None,
            _is_owner,
            _("the social worker who created it"),
        ),
        "submit": Action(
            _("submit"),
            {R.DRAFT},
            R.SUBMITTED,
            _is_owner,
            _("the social worker who created it"),
        ),
        "take": Action(
            _("take the request"),
            {R.SUBMITTED},
            R.IN_MATCHING,
            is_team_officer,
            _("a placement officer of the request's team"),
        ),
        "assign": Action(
            _("assign the request"),
            {R.SUBMITTED, R.IN_MATCHING},
            R.IN_MATCHING,
            is_team_officer,
            _("a placement officer of the request's team"),
        ),
        "recommend": Action(
            _("send a recommendation"),
            {R.IN_MATCHING, R.RECOMMENDED},
            R.RECOMMENDED,
            _is_assigned_officer,
            _("the assigned placement officer"),
        ),
        # Picking candidates to compare before sending them as one recommendation set.
        "shortlist": Action(
            _("shortlist units"),
            {R.IN_MATCHING, R.RECOMMENDED},
            None,
            _is_assigned_officer,
            _("the assigned placement officer"),
        ),
        "no_provider_found": Action(
            _("record that no provider was found"),
            {R.IN_MATCHING, R.RECOMMENDED},
            R.NOT_PLACED,
            _is_assigned_officer,
            _("the assigned placement officer"),
        ),
        "choose": Action(
            _("report the chosen provider"),
            {R.RECOMMENDED},
            R.PLACED,
            is_owning_administration_worker,
            _("a social worker of the request's administration"),
        ),
        "none_chosen": Action(
            _("report that no provider was chosen"),
            {R.RECOMMENDED},
            R.NOT_PLACED,
            is_owning_administration_worker,
            _("a social worker of the request's administration"),
        ),
        "withdraw": Action(
            _("withdraw the request"),
            OPEN,
            R.WITHDRAWN,
            is_owning_administration_worker,
            _("a social worker of the request's administration"),
        ),
        "message": Action(
            _("write a message"),
            OPEN | frozenset({R.PLACED, R.NOT_PLACED}),
            None,
            _may_message,
            _("the request's social workers and placement officers"),
        ),
        # Who may read one is access.may_read_internal_notes: the same people.
        "internal_note": Action(
            _("write an internal note"),
            OPEN | frozenset({R.PLACED, R.NOT_PLACED}),
            None,
            access.may_read_internal_notes,
            _("the request's placement officers"),
        ),
        "attach": Action(
            _("attach a file"),
            ATTACHMENT_STATES,
            None,
            _works_on,
            _("the request's social worker and its assigned placement officer"),
        ),
        # Who uploaded the attachment is checked too (may_remove_attachment).
        "remove_attachment": Action(
            _("remove an attachment"),
            ATTACHMENT_STATES,
            None,
            _works_on,
            _("the request's social worker and its assigned placement officer"),
        ),
    },
)


def may_remove_attachment(user: User, attachment: Attachment) -> bool:
    """Only its uploader removes an attachment, while they may still remove attachments of
    the request (the workflow's "remove_attachment"): a colleague's document is not theirs
    to take off the file."""
    return attachment.uploaded_by_id == user.pk and REQUEST_WORKFLOW.allows(
        "remove_attachment", attachment.request, user
    )


# While one of these is open to a placement officer, the request page shows the matches.
MATCHING_ACTIONS = frozenset({"take", "assign", "recommend"})


def shows_matching(user: User, request: PlacementRequest, actions: set[str] | None = None) -> bool:
    """Whether `user` is shown the request's matches (and their excluded units and
    recommendation forms), on the page and in the API: while they can take, assign or
    recommend, and may see them. A closed request shows none."""
    actions = REQUEST_WORKFLOW.available(request, user) if actions is None else actions
    return bool(actions & MATCHING_ACTIONS) and may_see_matches(user, request)
