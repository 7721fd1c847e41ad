"""What waits for the signed-in user: the home page's sections, with counts and links.

Every count is read through the selector of the list it links to (placements.worklists for
requests, the follow-up and register selectors for the rest), in the user's scope, with a fixed
number of queries per role whatever the amount of data. The home page shows counts only, never
a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from followup import selectors as followup_selectors
from followup.models import Control, Feedback
from followup.monitoring import selectors as monitoring_selectors
from placements import worklists
from providers.models import PublicationStatus, Unit
from reporting.plans import selectors as plan_selectors
from reporting.statistics import selectors as statistics_selectors
from spink.accounts.models import Role, User


@dataclass(frozen=True)
class Item:
    key: str
    label: str | Promise
    count: int
    url: str
    description: str | Promise = ""
    # Shown inside the item above it ("of which acute"), not as an item of its own.
    nested: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    items: list[Item] = field(default_factory=list)


def _url(name: str, **params: object) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def _worklist_items(user: User, keys: list[str], nest: dict[str, str] | None = None) -> list[Item]:
    """Items of worklists counted in one query; `nest` puts a worklist inside another."""
    nest = nest or {}
    counts = worklists.worklist_counts(user, keys)

    def item(key: str, nested: tuple[Item, ...] = ()) -> Item:
        worklist = worklists.WORKLISTS[key]
        return Item(key, worklist.label, counts[key], worklist.url, worklist.description, nested)

    inner = {parent: item(child) for child, parent in nest.items()}
    return [item(key, (inner[key],) if key in inner else ()) for key in keys if key not in nest]


# --- Per role --------------------------------------------------------------------------------


def social_worker_sections(user: User) -> list[Section]:
    return [
        Section(
            "waiting",
            _("Waiting for you"),
            _worklist_items(user, ["awaiting_my_choice", "officer_wrote", "my_drafts"]),
        )
    ]


def placement_officer_sections(user: User) -> list[Section]:
    items = _worklist_items(
        user,
        [
            "team_unassigned",
            "team_unassigned_acute",
            "overdue",
            "assigned_to_me",
            "waiting_on_social_worker",
        ],
        nest={"team_unassigned_acute": "team_unassigned"},
    )
    return [Section("queue", _("Your queue"), items)]


# One query each, the count of the list page's own selector and filter.


def _open_signals() -> Item:
    return Item(
        "open_signals",
        _("Open signals"),
        monitoring_selectors.inbox().order_by().count(),
        _url("monitoring:signal-list"),
        _("Signals that are new or being handled."),
    )


def _pending_controls() -> Item:
    pending = Control.Decision.PENDING
    return Item(
        "pending_controls",
        _("Controls awaiting a decision"),
        Control.objects.filter(decision=pending).count(),
        _url("followup:control-list", decision=pending),
        _("Pre-admission controls with no decision yet."),
    )


def _open_deep_controls() -> Item:
    return Item(
        "open_deep_controls",
        _("Open deep controls"),
        followup_selectors.deep_controls("open").order_by().count(),
        _url("followup:deep-control-list", state="open"),
        _("Deep controls with no outcome yet."),
    )


def _new_feedback() -> Item:
    received = Feedback.Status.RECEIVED
    return Item(
        "new_feedback",
        _("New feedback"),
        followup_selectors.team_feedback(received).order_by().count(),
        _url("followup:feedback-list", status=received),
        _("Feedback received and not yet communicated to the provider."),
    )


def quality_control_sections(user: User) -> list[Section]:
    items = [_open_signals(), _pending_controls(), _open_deep_controls(), _new_feedback()]
    return [Section("followup", _("Follow-up"), items)]


def _register_items() -> list[Item]:
    units = Unit.objects.aggregate(
        draft=Count("pk", filter=Q(status=PublicationStatus.DRAFT)),
        order_stop=Count("pk", filter=Q(order_stop=True)),
    )
    proposals = followup_selectors.order_stop_proposals("open").order_by().count()
    return [
        Item(
            "open_proposals",
            _("Order stop proposals awaiting your decision"),
            proposals,
            _url("followup:proposal-list", state="open"),
            _("Deep controls that proposed a temporary order stop."),
        ),
        Item(
            "draft_units",
            _("Units awaiting publication"),
            units["draft"],
            _url("providers:unit-list", status=PublicationStatus.DRAFT),
            _("Units in the register that are still drafts."),
        ),
        Item(
            "order_stopped_units",
            _("Units with a temporary order stop"),
            units["order_stop"],
            _url("providers:unit-list", order_stop="true"),
        ),
    ]


def procurement_sections(user: User) -> list[Section]:
    return [Section("register", _("Agreements and the register"), _register_items())]


def manager_sections(user: User, today: dt.date | None = None) -> list[Section]:
    year = (today or timezone.localdate()).year
    filters = statistics_selectors.Filters(year=year)
    submitted = statistics_selectors.scoped_tallies(user, filters).aggregate(
        current=Coalesce(Sum("requests", filter=Q(month__gte=dt.date(year, 1, 1))), 0)
    )["current"]
    plans = plan_selectors.plans(user, year=year).order_by().count()
    return [
        Section(
            "follow",
            _("Statistics and plans"),
            [
                Item(
                    "requests_this_year",
                    _("Placement requests submitted this year"),
                    submitted,
                    _url("statistics:yearly", year=year),
                    _("In your municipality, from 1 January."),
                ),
                Item(
                    "plans_this_year",
                    _("Category plans for this year"),
                    plans,
                    _url("category_plans:plan-list", year=year),
                ),
            ],
        )
    ]


def administrator_sections(user: User) -> list[Section]:
    return [
        Section(
            "requests",
            _("Placement requests"),
            _worklist_items(
                user,
                ["region_unassigned", "region_unassigned_acute"],
                nest={"region_unassigned_acute": "region_unassigned"},
            ),
        ),
        Section("followup", _("Follow-up"), [_open_signals(), _pending_controls()]),
    ]


def profile(user: User) -> User:
    """The user with the organisation the page's greeting names, in one query (instead of one
    per level)."""
    return User.objects.select_related("org_unit", "administration", "municipality").get(pk=user.pk)


def sections_for(user: User) -> list[Section]:
    """The home page of the user's role (administrators: by their flag, whatever the role)."""
    if user.is_administrator:
        return administrator_sections(user)
    by_role: dict[str, Callable[[User], list[Section]]] = {
        Role.SOCIAL_WORKER: social_worker_sections,
        Role.PLACEMENT_OFFICER: placement_officer_sections,
        Role.QUALITY_CONTROL: quality_control_sections,
        Role.PROCUREMENT: procurement_sections,
        Role.MANAGER: manager_sections,
    }
    build = by_role.get(user.role)
    return build(user) if build else []
