"""Named worklists: the sets of placement requests that wait for someone.

One declaration per worklist, read by the home page (its counts, `worklist_counts`) and by the
request list and work queue (`?worklist=<key>` narrows the page to the same rows with
`Worklist.filter`), so a count and the list it links to can never disagree.

Each worklist is a condition (a `Q`) over `placements.selectors.visible_requests(user)`: the
scope is never part of the condition, and a condition is written only with the request
workflow's own states (`placements.models.OPEN_STATUSES`, `RequestStatus`), never a rule of its
own about which step is possible. Conditions include what their list page itself narrows to
(a social worker's list shows their own requests by default, the queue one team's open
requests), so that the linked page shows exactly the counted rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from placements.models import (
    OPEN_STATUSES,
    PlacementRequest,
    RequestStatus,
    TimelineEvent,
    Urgency,
)
from placements.selectors import visible_requests
from spink.accounts import access
from spink.accounts.access import Capability
from spink.accounts.models import User

R = RequestStatus

REQUEST_LIST = "placements:request-list"
QUEUE = "placements:queue"

# How near a wanted start must be, with no recommendation sent yet, for a request to count
# as overdue; and how far back "the officer wrote to me recently" looks. The descriptions
# below name these numbers: change them together.
OVERDUE_WITHIN_DAYS = 2
RECENT_MESSAGE_DAYS = 7

# Waiting for a recommendation: submitted or being matched, none sent yet (sending the first
# recommendation is what moves a request to "recommended").
NOT_YET_RECOMMENDED = frozenset({R.SUBMITTED, R.IN_MATCHING})


@dataclass(frozen=True)
class Worklist:
    key: str
    label: str | Promise
    description: str | Promise
    # Who may open the list the worklist links to (the list page asks the same capability).
    capability: Capability
    list_url_name: str
    # The rows, as a condition over visible_requests(user) on the given day.
    condition: Callable[[User, dt.date], Q]

    def q(self, user: User, today: dt.date | None = None) -> Q:
        return self.condition(user, today or timezone.localdate())

    def filter(
        self, user: User, requests: QuerySet[PlacementRequest]
    ) -> QuerySet[PlacementRequest]:
        """`requests` (visible_requests or work_queue of `user`) narrowed to this worklist."""
        return requests.filter(self.q(user))

    @property
    def url(self) -> str:
        return f"{reverse(self.list_url_name)}?worklist={self.key}"

    def available_to(self, user: User) -> bool:
        return access.has_capability(user, self.capability)


# --- Conditions ----------------------------------------------------------------------------------


def _mine(user: User) -> Q:
    return Q(social_worker_id=user.pk)


def _team_open(user: User) -> Q:
    # An officer without a team (an administrator) has no team queue: matches nothing.
    return Q(team=user.placement_team or None, status__in=OPEN_STATUSES)


def _awaiting_my_choice(user: User, today: dt.date) -> Q:
    return _mine(user) & Q(status=R.RECOMMENDED)


def _my_drafts(user: User, today: dt.date) -> Q:
    return _mine(user) & Q(status=R.DRAFT)


def _officer_wrote_recently(user: User, today: dt.date) -> Q:
    since = timezone.now() - dt.timedelta(days=RECENT_MESSAGE_DAYS)
    # Someone else's message: the social worker's own messages do not wait on them.
    others_message = TimelineEvent.objects.filter(
        request_id=OuterRef("pk"),
        kind=TimelineEvent.Kind.MESSAGE,
        created_at__gte=since,
    ).exclude(actor_id=user.pk)
    return _mine(user) & ~Q(status=R.DRAFT) & Q(Exists(others_message))


def _unassigned(user: User, today: dt.date) -> Q:
    return _team_open(user) & Q(assigned_officer__isnull=True)


def _unassigned_acute(user: User, today: dt.date) -> Q:
    return _unassigned(user, today) & Q(urgency=Urgency.ACUTE)


def _assigned_to_me(user: User, today: dt.date) -> Q:
    return _team_open(user) & Q(assigned_officer_id=user.pk)


def _waiting_on_social_worker(user: User, today: dt.date) -> Q:
    return _assigned_to_me(user, today) & Q(status=R.RECOMMENDED)


def _overdue(user: User, today: dt.date) -> Q:
    # Open means no provider chosen yet (choosing one places the request).
    return _team_open(user) & (
        Q(wanted_start__lt=today)
        | Q(
            wanted_start__lte=today + dt.timedelta(days=OVERDUE_WITHIN_DAYS),
            status__in=NOT_YET_RECOMMENDED,
        )
    )


def _region_unassigned(user: User, today: dt.date) -> Q:
    return Q(status__in=OPEN_STATUSES, assigned_officer__isnull=True)


def _region_unassigned_acute(user: User, today: dt.date) -> Q:
    return _region_unassigned(user, today) & Q(urgency=Urgency.ACUTE)


# --- The registry --------------------------------------------------------------------------------

_DECLARED = [
    # Social worker
    Worklist(
        "awaiting_my_choice",
        _("Recommendations awaiting your choice"),
        _("Your requests with recommendations sent: report which provider was chosen."),
        Capability.SUBMIT_PLACEMENT_REQUEST,
        REQUEST_LIST,
        _awaiting_my_choice,
    ),
    Worklist(
        "my_drafts",
        _("Your drafts"),
        _("Requests you have started but not submitted."),
        Capability.SUBMIT_PLACEMENT_REQUEST,
        REQUEST_LIST,
        _my_drafts,
    ),
    Worklist(
        "officer_wrote",
        _("Requests with a recent message to you"),
        _("Your requests where someone else wrote a message in the last 7 days."),
        Capability.SUBMIT_PLACEMENT_REQUEST,
        REQUEST_LIST,
        _officer_wrote_recently,
    ),
    # Placement officer
    Worklist(
        "team_unassigned",
        _("Your team's unassigned requests"),
        _("Open requests of your team that no placement officer has taken, acute first."),
        Capability.HANDLE_PLACEMENT_REQUEST,
        QUEUE,
        _unassigned,
    ),
    Worklist(
        "team_unassigned_acute",
        _("Acute unassigned requests"),
        _("Acute open requests of your team that no placement officer has taken."),
        Capability.HANDLE_PLACEMENT_REQUEST,
        QUEUE,
        _unassigned_acute,
    ),
    Worklist(
        "assigned_to_me",
        _("Assigned to you"),
        _("Open requests of your team assigned to you."),
        Capability.HANDLE_PLACEMENT_REQUEST,
        QUEUE,
        _assigned_to_me,
    ),
    Worklist(
        "waiting_on_social_worker",
        _("Waiting on the social worker"),
        _(
            "Requests assigned to you with recommendations sent, awaiting the social worker's "
            "choice."
        ),
        Capability.HANDLE_PLACEMENT_REQUEST,
        QUEUE,
        _waiting_on_social_worker,
    ),
    Worklist(
        "overdue",
        _("Overdue"),
        _(
            "Open requests of your team with no provider chosen whose wanted start date has "
            "passed, or is within 2 days with no recommendation sent yet."
        ),
        Capability.HANDLE_PLACEMENT_REQUEST,
        QUEUE,
        _overdue,
    ),
    # Administrator (the request list shows an administrator every administration's)
    Worklist(
        "region_unassigned",
        _("Open requests no one has taken"),
        _("Open requests in every municipality that no placement officer has taken."),
        Capability.ADMINISTER,
        REQUEST_LIST,
        _region_unassigned,
    ),
    Worklist(
        "region_unassigned_acute",
        _("Acute open requests no one has taken"),
        _("Acute open requests in every municipality that no placement officer has taken."),
        Capability.ADMINISTER,
        REQUEST_LIST,
        _region_unassigned_acute,
    ),
]

WORKLISTS: dict[str, Worklist] = {worklist.key: worklist for worklist in _DECLARED}


def get(key: str | None) -> Worklist | None:
    """The worklist named `key`; None for an unknown key (an old or mistyped link)."""
    return WORKLISTS.get(key or "")


def worklist_counts(
    user: User, keys: Iterable[str], today: dt.date | None = None
) -> dict[str, int]:
    """The number of rows of each worklist, in one query over the user's visible requests.

    The WHERE clause is the union of the conditions, so the planner reads only the rows some
    worklist can count (through the queue, officer and worker indexes), never the user's whole
    scope; each count then filters that union. Worklists the user may not open count 0.
    """
    today = today or timezone.localdate()
    chosen = [WORKLISTS[key] for key in keys]
    allowed = [worklist for worklist in chosen if worklist.available_to(user)]
    counts = {worklist.key: 0 for worklist in chosen}
    if not allowed:
        return counts
    conditions = {worklist.key: worklist.q(user, today) for worklist in allowed}
    union = Q()
    for condition in conditions.values():
        union |= condition
    aggregated = (
        visible_requests(user)
        .filter(union)
        .order_by()
        .aggregate(**{key: Count("pk", filter=q) for key, q in conditions.items()})
    )
    counts.update({key: value or 0 for key, value in aggregated.items()})
    return counts
