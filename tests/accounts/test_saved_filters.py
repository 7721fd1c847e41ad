"""Saved filters of the lists: a user names the filters of a list, the list can open with one,
nothing of a search term is kept, and nobody reaches another user's filters."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from spink.accounts import saved_filters
from spink.accounts.models import PlacementTeam, Role, SavedFilter
from tests.factories import placement_officer, social_worker

pytestmark = pytest.mark.django_db
QUEUE = "placements:queue"


@pytest.fixture
def officer():
    return placement_officer(social_worker().municipality, team=PlacementTeam.CHILDREN_YOUTH)


def _save(client, officer, name="Akuta", query="urgency=acute&q=Testsson&page=2", **extra):
    client.force_login(officer)
    data = {"list_name": QUEUE, "name": name, "query": query, **extra}
    return client.post(reverse("saved_filters:save"), data)


def test_a_saved_filter_keeps_the_filters_but_never_the_search_term_or_page(client, officer):
    response = _save(client, officer)
    saved = SavedFilter.objects.get(user=officer)
    assert (saved.list_name, saved.name, saved.query) == (QUEUE, "Akuta", "urgency=acute")
    assert response["Location"] == reverse(QUEUE) + "?urgency=acute"
    page = client.get(reverse(QUEUE), {"urgency": "acute"})
    assert page.context["saved"].current == saved
    assert "Akuta" in page.content.decode()


def test_the_same_name_again_replaces_the_filter(client, officer):
    _save(client, officer)
    _save(client, officer, query="urgency=planned")
    assert list(SavedFilter.objects.values_list("query", flat=True)) == ["urgency=planned"]


def test_the_list_opens_with_the_default_filter_unless_asked_not_to(client, officer):
    _save(client, officer, make_default="on")
    response = client.get(reverse(QUEUE))
    assert response.status_code == 302
    assert response["Location"] == reverse(QUEUE) + "?urgency=acute"
    assert client.get(reverse(QUEUE), {"clear": "1"}).status_code == 200
    # Another default takes its place; there is only ever one.
    _save(client, officer, name="Mina", query="mine=on", make_default="on")
    defaults = SavedFilter.objects.filter(user=officer, is_default=True)
    assert list(defaults.values_list("name", flat=True)) == ["Mina"]
    mine = defaults.get()
    client.post(reverse("saved_filters:default", args=[mine.pk]), {"is_default": "0"})
    assert client.get(reverse(QUEUE)).status_code == 200


def test_a_filter_without_a_name_or_without_filters_is_refused_next_to_the_field(client, officer):
    response = _save(client, officer, name="  ")
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    response = _save(client, officer, query="q=19121212-1212&page=3")
    assert response.status_code == 400
    assert response.context["form"].errors["name"]  # nothing but a search term and a page
    assert not SavedFilter.objects.exists()


def test_a_list_without_saved_filters_is_refused(client, officer):
    response = _save(client, officer, list_name="admin:index")
    assert response.status_code == 404
    assert not SavedFilter.objects.exists()


def test_nobody_reaches_another_users_filters(client, officer):
    _save(client, officer)
    saved = SavedFilter.objects.get()
    other = placement_officer(officer.municipality)
    client.force_login(other)
    assert client.post(reverse("saved_filters:delete", args=[saved.pk])).status_code == 404
    assert client.post(reverse("saved_filters:default", args=[saved.pk])).status_code == 404
    assert client.get(reverse(QUEUE)).context["saved"].filters == []
    client.force_login(officer)
    client.post(reverse("saved_filters:delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()


def test_a_user_keeps_at_most_twenty_filters_per_list(officer):
    for number in range(saved_filters.MAX_PER_LIST):
        saved_filters.save_filter(
            actor=officer, list_name=QUEUE, name=f"F{number}", query=f"urgency=acute&n={number}"
        )
    with pytest.raises(saved_filters.ValidationError):
        saved_filters.save_filter(actor=officer, list_name=QUEUE, name="One more", query="mine=on")


def test_the_register_list_saves_and_opens_with_a_default_filter_too(client):
    from tests.factories import user_with_role

    quality = user_with_role(Role.QUALITY_CONTROL)
    client.force_login(quality)
    response = client.post(
        reverse("saved_filters:save"),
        {
            "list_name": "providers:unit-list",
            "name": "Utkast",
            "query": "status=draft",
            "make_default": "on",
        },
    )
    assert response["Location"] == reverse("providers:unit-list") + "?status=draft"
    assert client.get(reverse("providers:unit-list"))["Location"].endswith("?status=draft")
    page = client.get(reverse("providers:unit-list"), {"status": "draft"})
    assert page.context["saved"].current.name == "Utkast"


def test_a_list_that_names_its_filter_fields_keeps_only_those_even_from_a_crafted_save(
    officer,
):
    # The control list names its fields (followup.apps): its statistics year is no filter.
    saved = saved_filters.save_filter(
        actor=officer,
        list_name="followup:control-list",
        name="Väntande",
        query="decision=pending&year=2023&page=2",
    )
    assert saved.query == "decision=pending"
    with pytest.raises(ValidationError):
        saved_filters.save_filter(
            actor=officer, list_name="followup:control-list", name="År", query="year=2023"
        )
