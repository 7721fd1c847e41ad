"""Saved filters on the follow-up lists (spink.accounts.saved_filters): on each list with a
filter form a user saves the filters shown under a name, makes one the list's default, opens the
list without it with ?clear=1, and never sees nor uses another user's filters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from categories.models import OperatingForm, Service
from followup import services
from followup.models import DeepControl, FeedbackCategory, Signal
from spink.accounts.models import PlacementTeam, Role, SavedFilter, User
from tests.factories import (
    MunicipalityFactory,
    placement_officer,
    published_unit,
    social_worker,
    user_with_role,
)
from tests.followup.support import direct_unit, quality

pytestmark = pytest.mark.django_db


# --- The lists -----------------------------------------------------------------------------------
# Each list gets one record its saved filter leaves out: the filtered list shows no row, the
# unfiltered list shows one.


def _control(team: User) -> None:
    services.start_control(actor=team, provider=direct_unit().provider)  # pending, not approved


def _feedback(team: User) -> None:
    services.lodge_feedback(
        actor=social_worker(),
        unit=published_unit(),
        category=FeedbackCategory.DOCUMENTATION,
        description="Genomförandeplanen saknas.",
    )


def _open_deep_control(team: User) -> None:
    services.start_deep_control(
        actor=team, unit=published_unit(), reason=DeepControl.Reason.IVO_FINDING
    )


def _undecided_proposal(procurement: User) -> None:
    team = quality()
    unit = published_unit("socialt-boende", "framework")
    deep_control = services.start_deep_control(
        actor=team, unit=unit, reason=DeepControl.Reason.IVO_FINDING
    )
    services.decide_deep_control(
        actor=team,
        deep_control=deep_control.pk,
        outcome=DeepControl.Outcome.ORDER_STOP_PROPOSED,
        reason="Förslag om tillfälligt beställningsstopp",
    )


def _planned_site_visit(officer: User) -> None:
    services.plan_site_visit(
        actor=officer,
        unit=published_unit("hvb", "framework"),
        service=Service.objects.get(code="hvb"),
        operating_form=OperatingForm.objects.get(code="framework"),
        team=PlacementTeam.CHILDREN_YOUTH,
        planned_for=timezone.localdate() + dt.timedelta(days=7),
    )


def _credit_signal(team: User) -> None:
    unit = published_unit()
    Signal.objects.create(
        kind=Signal.Kind.CREDIT,
        title="Betalningsanmärkning",
        dedup_key=f"credit:{unit.pk}",
        provider=unit.provider,
        unit=unit,
    )


@dataclass(frozen=True)
class FollowupList:
    url_name: str
    user: Callable[[], User]
    filters: dict[str, str]  # leave out the record `record` makes
    record: Callable[[User], None]
    row: str  # how the list's rows are found

    @property
    def query(self) -> str:
        return "&".join(f"{key}={value}" for key, value in sorted(self.filters.items()))

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def rows(self, response) -> int:
        return len(re.findall(self.row, response.content.decode()))


def _procurement() -> User:
    return user_with_role(Role.PROCUREMENT)


def _officer() -> User:
    return placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)


LISTS = [
    FollowupList(
        "followup:control-list",
        quality,
        {"decision": "approved"},
        _control,
        r'<tr class="control-row"',
    ),
    FollowupList(
        "followup:feedback-list",
        quality,
        {"category": "safety", "status": "received"},
        _feedback,
        r'<tr class="feedback-row"',
    ),
    FollowupList(
        "followup:deep-control-list",
        quality,
        {"state": "decided"},
        _open_deep_control,
        r'<tr class="deep-control-row"',
    ),
    FollowupList(
        "followup:proposal-list",
        _procurement,
        {"state": "decided"},
        _undecided_proposal,
        r'<tr class="proposal-row"',
    ),
    FollowupList(
        "followup:site-visit-list",
        _officer,
        {"state": "visited", "team": "children_youth"},
        _planned_site_visit,
        r'<tr class="site-visit-row"',
    ),
    FollowupList(
        "monitoring:signal-list",
        quality,
        {"kind": "media"},
        _credit_signal,
        r'href="/monitoring/signals/\d+/"',
    ),
]
each_list = pytest.mark.parametrize("followup_list", LISTS, ids=lambda each: each.url_name)


def _save(client, followup_list: FollowupList, name: str = "Mitt filter", **extra):
    data = {"list_name": followup_list.url_name, "name": name, "query": followup_list.query}
    return client.post(reverse("saved_filters:save"), {**data, **extra})


# --- Saving, the default, ?clear=1 ---------------------------------------------------------------


@each_list
def test_the_filters_shown_are_saved_under_a_name_and_shown_as_the_current_one(
    client, followup_list
):
    user = followup_list.user()
    client.force_login(user)
    page = client.get(followup_list.url, {**followup_list.filters, "page": "1"})
    assert page.context["saved"].query == followup_list.query  # never the page
    assert f'name="query" value="{escape(followup_list.query)}"' in page.content.decode()

    response = _save(client, followup_list)

    saved = SavedFilter.objects.get(user=user)
    assert (saved.list_name, saved.query, saved.is_default) == (
        followup_list.url_name,
        followup_list.query,
        False,
    )
    assert response["Location"] == f"{followup_list.url}?{followup_list.query}"
    page = client.get(followup_list.url, followup_list.filters)
    assert page.context["saved"].current == saved
    assert 'aria-current="true">Mitt filter</a>' in page.content.decode()
    assert client.get(followup_list.url).status_code == 200  # no default: opens unfiltered


@each_list
def test_the_list_opens_with_the_filter_made_its_default(client, followup_list):
    user = followup_list.user()
    followup_list.record(user)
    client.force_login(user)
    _save(client, followup_list)
    saved = SavedFilter.objects.get(user=user)

    client.post(reverse("saved_filters:default", args=[saved.pk]), {"is_default": "1"})

    response = client.get(followup_list.url)
    assert response.status_code == 302
    assert response["Location"] == f"{followup_list.url}?{followup_list.query}"
    opened = client.get(response["Location"])
    assert opened.context["saved"].current == opened.context["saved"].default == saved
    assert followup_list.rows(opened) == 0  # the record the filter leaves out


@each_list
def test_a_filter_saved_as_the_default_opens_the_list_at_once(client, followup_list):
    client.force_login(followup_list.user())
    _save(client, followup_list, make_default="on")
    response = client.get(followup_list.url)
    assert response["Location"] == f"{followup_list.url}?{followup_list.query}"


@each_list
def test_clear_shows_the_list_unfiltered_despite_the_default(client, followup_list):
    user = followup_list.user()
    followup_list.record(user)
    client.force_login(user)
    _save(client, followup_list, make_default="on")

    response = client.get(followup_list.url, {"clear": "1"})

    assert response.status_code == 200
    assert followup_list.rows(response) == 1
    assert response.context["saved"].query == ""
    assert response.context["saved"].current is None
    assert ">Mitt filter</a>" in response.content.decode()  # still offered, just not applied


# --- Another user's filters ----------------------------------------------------------------------


@each_list
def test_another_users_filters_are_neither_shown_nor_usable(client, followup_list):
    owner = followup_list.user()
    client.force_login(owner)
    _save(client, followup_list, name="Ägarens filter", make_default="on")
    saved = SavedFilter.objects.get(user=owner)

    other = Client()  # another user, in another browser
    other.force_login(followup_list.user())
    response = other.get(followup_list.url)

    assert response.status_code == 200  # the owner's default is not this user's
    assert response.context["saved"].filters == []
    assert "Ägarens filter" not in response.content.decode()
    assert other.post(reverse("saved_filters:default", args=[saved.pk])).status_code == 404
    assert other.post(reverse("saved_filters:delete", args=[saved.pk])).status_code == 404
    saved.refresh_from_db()
    assert saved.is_default


# --- What is not a filter ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "followup_list",
    [LISTS[0], LISTS[4]],
    ids=["followup:control-list", "followup:site-visit-list"],
)
def test_the_statistics_year_is_not_part_of_a_saved_filter(client, followup_list):
    client.force_login(followup_list.user())
    _save(client, followup_list, make_default="on")

    response = client.get(followup_list.url, {**followup_list.filters, "year": "2023"})
    assert response.context["saved"].query == followup_list.query
    assert response.context["saved"].current is not None

    response = client.get(followup_list.url, {"year": "2023"})  # the year form alone
    assert response.status_code == 200  # a year asked for is not "no filter at all"
    assert response.context["saved"].query == ""
    assert 'name="query"' not in response.content.decode()  # nothing to save


# --- htmx ----------------------------------------------------------------------------------------

FEEDBACK = LISTS[1]


def _htmx_get(client, data):
    return client.get(FEEDBACK.url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="feedback-results")


def test_the_feedback_lists_htmx_results_bring_the_saved_filters_out_of_band(client):
    client.force_login(FEEDBACK.user())
    _save(client, FEEDBACK)

    response = _htmx_get(client, FEEDBACK.filters)

    content = response.content.decode()
    assert "<html" not in content
    section = re.search(r'<section id="saved-filters"[^>]*>', content)
    assert section is not None
    assert 'hx-swap-oob="true"' in section.group(0)
    # The save form carries the filters just chosen, and the saved one is marked current.
    assert f'name="query" value="{escape(FEEDBACK.query)}"' in content
    assert 'aria-current="true">Mitt filter</a>' in content


def test_an_htmx_request_without_filters_is_not_sent_to_the_default(client):
    client.force_login(FEEDBACK.user())
    _save(client, FEEDBACK, make_default="on")
    response = _htmx_get(client, {})
    assert response.status_code == 200
    assert response.context["saved"].query == ""


def test_the_full_page_shows_the_saved_filters_in_place_not_out_of_band(client):
    client.force_login(FEEDBACK.user())
    content = client.get(FEEDBACK.url, FEEDBACK.filters).content.decode()
    assert content.count('id="saved-filters"') == 1
    assert re.search(r'<section id="saved-filters"[^>]*hx-swap-oob', content) is None
