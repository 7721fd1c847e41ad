"""The home page per role: each worklist's count is the rows its list shows, in the user's
scope, with a fixed number of queries whatever the amount of data, and no person data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from placements import selectors, worklists
from placements import services as placement_services
from placements.models import PlacementRequest, RequestStatus
from spink.accounts.models import Role, User
from tests.db_support import rolled_back
from tests.factories import (
    placement_officer,
    request_fields,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db

R = RequestStatus


@dataclass
class World:
    worker: User
    colleague: User
    officer: User
    other_officer: User
    stranger_officer: User  # another municipality's
    rows: dict[str, PlacementRequest]


def _set(request: PlacementRequest, **fields) -> None:
    # Hand-built states: the workflow's path there is tested in tests/placements.
    PlacementRequest.objects.filter(pk=request.pk).update(**fields)


def build_world() -> World:
    today = timezone.localdate()
    worker = social_worker(username="home-worker")
    colleague = social_worker(org_unit=worker.org_unit, username="home-colleague")
    municipality = worker.municipality
    officer = placement_officer(municipality, username="home-officer")
    other_officer = placement_officer(municipality, username="home-officer-2")
    stranger = social_worker(username="home-stranger")
    stranger_officer = placement_officer(stranger.municipality, username="home-stranger-officer")
    soon = today + dt.timedelta(days=1)
    later = today + dt.timedelta(days=30)

    rows: dict[str, PlacementRequest] = {}
    rows["draft"] = placement_services.create_request(actor=worker, **request_fields())
    rows["colleague_draft"] = placement_services.create_request(actor=colleague, **request_fields())
    rows["acute_soon"] = submitted_request(worker, urgency="acute", wanted_start=soon)
    rows["planned_later"] = submitted_request(colleague, wanted_start=later)
    rows["mine_past"] = submitted_request(worker, wanted_start=later)
    placement_services.take(actor=officer, request=rows["mine_past"].pk)
    _set(rows["mine_past"], wanted_start=today - dt.timedelta(days=1))
    rows["mine_recommended"] = submitted_request(worker, wanted_start=soon)
    placement_services.take(actor=officer, request=rows["mine_recommended"].pk)
    _set(rows["mine_recommended"], status=R.RECOMMENDED)
    rows["other_recommended"] = submitted_request(colleague, wanted_start=later)
    placement_services.take(actor=other_officer, request=rows["other_recommended"].pk)
    _set(rows["other_recommended"], status=R.RECOMMENDED)
    rows["protected"] = submitted_request(
        worker,
        urgency="acute",
        wanted_start=later,
        protected_identity=True,
        person_first_name="Hemlig",
        person_last_name="Skyddadsson",
    )
    rows["placed_past"] = submitted_request(worker, wanted_start=later)
    _set(rows["placed_past"], status=R.PLACED, wanted_start=today - dt.timedelta(days=5))
    # Another municipality's acute, overdue request: counted for nobody here.
    rows["stranger"] = submitted_request(stranger, urgency="acute", wanted_start=today)
    # The officer writes to the worker; the worker's own message waits on nobody.
    placement_services.post_message(actor=officer, request=rows["mine_past"].pk, text="Ring mig.")
    placement_services.post_message(
        actor=worker, request=rows["acute_soon"].pk, text="Har ni hittat något?"
    )
    for key, row in rows.items():
        rows[key] = PlacementRequest.objects.get(pk=row.pk)
    return World(worker, colleague, officer, other_officer, stranger_officer, rows)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker, build_world) as made:
        yield made


def ids(world: World, *names: str) -> set[int]:
    return {world.rows[name].pk for name in names}


# Each worklist's rows in the world above, for the user who sees it.
EXPECTED = {
    "awaiting_my_choice": ("worker", {"mine_recommended"}),
    "my_drafts": ("worker", {"draft"}),
    "officer_wrote": ("worker", {"mine_past"}),
    "team_unassigned": ("officer", {"acute_soon", "planned_later", "protected"}),
    "team_unassigned_acute": ("officer", {"acute_soon", "protected"}),
    "assigned_to_me": ("officer", {"mine_past", "mine_recommended"}),
    "waiting_on_social_worker": ("officer", {"mine_recommended"}),
    "overdue": ("officer", {"acute_soon", "mine_past"}),
}


def _list_base(worklist: worklists.Worklist, user: User):
    if worklist.list_url_name == worklists.QUEUE:
        return selectors.work_queue(user)
    return selectors.visible_requests(user)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_worklist_counts_exactly_the_rows_its_list_filter_returns(world, key):
    who, names = EXPECTED[key]
    user = getattr(world, who)
    worklist = worklists.WORKLISTS[key]
    listed = set(worklist.filter(user, _list_base(worklist, user)).values_list("pk", flat=True))
    assert listed == ids(world, *names)
    assert worklists.worklist_counts(user, [key]) == {key: len(names)}


def test_every_declared_worklist_is_tested_or_for_administrators():
    untested = set(worklists.WORKLISTS) - set(EXPECTED)
    assert all(worklists.WORKLISTS[k].capability == "administer" for k in untested)


def test_counts_of_several_worklists_come_from_one_query(world, django_assert_num_queries):
    keys = [key for key, (who, _names) in EXPECTED.items() if who == "officer"]
    with django_assert_num_queries(1):
        counts = worklists.worklist_counts(world.officer, keys)
    assert counts == {key: len(EXPECTED[key][1]) for key in keys}


def test_another_municipality_requests_are_not_counted(world):
    counts = worklists.worklist_counts(world.stranger_officer, ["team_unassigned", "overdue"])
    assert counts == {"team_unassigned": 1, "overdue": 1}  # its own request only
    officer_ids = set(
        worklists.WORKLISTS["overdue"]
        .filter(world.officer, selectors.work_queue(world.officer))
        .values_list("pk", flat=True)
    )
    assert world.rows["stranger"].pk not in officer_ids


def test_worklists_the_user_may_not_open_count_zero(world):
    assert worklists.worklist_counts(world.worker, ["team_unassigned"]) == {"team_unassigned": 0}
    assert worklists.worklist_counts(world.officer, ["my_drafts"]) == {"my_drafts": 0}


def test_a_colleagues_draft_is_neither_counted_nor_listed(world):
    drafts = worklists.WORKLISTS["my_drafts"]
    assert worklists.worklist_counts(world.colleague, ["my_drafts"]) == {"my_drafts": 1}
    listed = drafts.filter(world.worker, selectors.visible_requests(world.worker))
    assert world.rows["colleague_draft"].pk not in set(listed.values_list("pk", flat=True))


def test_worklist_links_name_their_list_and_key():
    worklist = worklists.WORKLISTS["overdue"]
    assert worklist.url == reverse("placements:queue") + "?worklist=overdue"
    assert worklists.get("nonsense") is None


# --- The page --------------------------------------------------------------------------------


def _page(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def _count_in(html: str, key: str) -> int:
    start = html.index(f'data-worklist="{key}"')
    marker = "<strong data-count>"
    at = html.index(marker, start) + len(marker)
    return int(html[at : html.index("</strong>", at)])


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_officer_home_shows_each_count_with_a_link_to_its_list(client, world):
    html = _page(client, world.officer)
    for key in ("team_unassigned", "team_unassigned_acute", "assigned_to_me", "overdue"):
        assert _count_in(html, key) == len(EXPECTED[key][1])
        assert f'href="/requests/queue/?worklist={key}"' in html
    # The definition of overdue is on the page, next to its count.
    assert str(worklists.WORKLISTS["overdue"].description) in html


def test_social_worker_home_shows_what_waits_and_a_slot_for_notifications(client, world):
    html = _page(client, world.worker)
    assert _count_in(html, "awaiting_my_choice") == 1
    assert _count_in(html, "my_drafts") == 1
    assert _count_in(html, "officer_wrote") == 1
    assert 'href="/requests/?worklist=awaiting_my_choice"' in html
    assert "team_unassigned" not in html


def test_home_page_shows_no_person_data(client, world):
    for user in (world.worker, world.officer):
        html = _page(client, user)
        assert "Skyddadsson" not in html and "Testsson" not in html
        assert "Alva" not in html and "Hemlig" not in html


ROLE_SECTIONS = {
    Role.SOCIAL_WORKER: {"awaiting_my_choice", "my_drafts", "officer_wrote"},
    Role.PLACEMENT_OFFICER: {
        "team_unassigned",
        "team_unassigned_acute",
        "overdue",
        "assigned_to_me",
        "waiting_on_social_worker",
    },
    Role.QUALITY_CONTROL: {
        "open_signals",
        "pending_controls",
        "open_deep_controls",
        "new_feedback",
    },
    Role.PROCUREMENT: {"open_proposals", "draft_units", "order_stopped_units"},
    Role.MANAGER: {"requests_this_year", "plans_this_year"},
    Role.ADMINISTRATOR: {
        "region_unassigned",
        "region_unassigned_acute",
        "open_signals",
        "pending_controls",
    },
}
ALL_KEYS = set().union(*ROLE_SECTIONS.values())
# Session, user and the user's organisation for the greeting, then the role's counts: one
# query for all request worklists, one per follow-up or register table (units: one for both),
# and the unread notifications (the header's badge and the home page share it).
ROLE_QUERIES = {
    Role.SOCIAL_WORKER: 5,
    Role.PLACEMENT_OFFICER: 5,
    Role.QUALITY_CONTROL: 8,
    Role.PROCUREMENT: 6,
    Role.MANAGER: 6,
    Role.ADMINISTRATOR: 7,
}


def _user_of(world: World, role: Role) -> User:
    if role == Role.SOCIAL_WORKER:
        return world.worker
    if role == Role.PLACEMENT_OFFICER:
        return world.officer
    return user_with_role(role, world.worker.municipality)


@pytest.mark.parametrize("role", list(ROLE_SECTIONS))
def test_each_role_sees_its_own_set(client, world, role):
    html = _page(client, _user_of(world, role))
    shown = {key for key in ALL_KEYS if f'data-worklist="{key}"' in html}
    assert shown == ROLE_SECTIONS[role]


@pytest.mark.parametrize("role", list(ROLE_SECTIONS))
def test_home_page_runs_a_fixed_number_of_queries_whatever_the_data(
    client, world, role, django_assert_num_queries
):
    user = _user_of(world, role)
    client.force_login(user)
    client.get(reverse("home"))
    with django_assert_num_queries(ROLE_QUERIES[role]):
        client.get(reverse("home"))
    # Twenty more requests in every worklist's reach: the same queries.
    for _ in range(10):
        submitted_request(world.worker, urgency="acute", wanted_start=timezone.localdate())
        placement_services.create_request(actor=world.worker, **request_fields())
    with django_assert_num_queries(ROLE_QUERIES[role]):
        response = client.get(reverse("home"))
    assert response.status_code == 200
