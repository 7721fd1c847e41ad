"""Matching as a compact ranked list, the shortlist, the comparison side by side and the
sending of shortlisted units as one recommendation set: one timeline event, one notification,
one e-mail (placements.recommending, views_matching, services.send_recommendation_set)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from categories.models import OperatingForm
from followup.models import SiteVisit
from notifications.models import Kind, Notification
from placements import services
from placements.models import (
    Recommendation,
    RecommendationSet,
    RequestStatus,
    ShortlistEntry,
    TimelineEvent,
)
from spink.accounts.models import PlacementTeam
from spink.errors import RuleViolation
from spink.outbox.models import OutboxMessage
from tests.factories import (
    MunicipalityFactory,
    placement_officer,
    published_unit,
    social_worker,
    submitted_request,
)

pytestmark = pytest.mark.django_db
K = TimelineEvent.Kind


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def officer(worker):
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def colleague(worker):
    """Another officer of the same team, not assigned."""
    return placement_officer(worker.municipality, team=PlacementTeam.CHILDREN_YOUTH)


@pytest.fixture
def units():
    """Two framework units and a direct-procurement one for HVB."""
    return [
        published_unit("hvb", "framework", name="HVB Fyren", price=Decimal("4200")),
        published_unit("hvb", "framework", name="HVB Lotsen", price=Decimal("4300")),
        published_unit("hvb", "direct", name="HVB Ekbacken", price=Decimal("4500")),
    ]


@pytest.fixture
def request_in_matching(worker, officer):
    request = submitted_request(worker)
    services.take(actor=officer, request=request.pk)
    return request


def offering_of(unit) -> int:
    return unit.offerings.get().pk


def shortlist(officer, request, *units) -> None:
    for unit in units:
        services.shortlist_add(actor=officer, request=request.pk, offering=offering_of(unit))


def as_user(client, user):
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


def detail_url(request) -> str:
    return reverse("placements:request-detail", args=[request.pk])


def compare_url(request) -> str:
    return reverse("placements:request-compare", args=[request.pk])


def send_url(request) -> str:
    return reverse("placements:request-recommendations-send", args=[request.pk])


def shortlist_url(request, unit) -> str:
    return reverse("placements:request-shortlist", args=[request.pk, offering_of(unit)])


def send_form(*units, **fields) -> dict:
    data = {f"include_{offering_of(unit)}": "on" for unit in units}
    data.update(fields)
    return data


# --- The ranked list ------------------------------------------------------------------------


def test_matching_is_a_ranked_list_of_rows_with_the_reasons_folded_and_the_excluded_counted(
    client, officer, request_in_matching, units
):
    boys_only = published_unit("hvb", "framework", name="HVB Pojkhemmet", gender="male")
    text = page(as_user(client, officer).get(detail_url(request_in_matching)))
    matching = text[text.index('id="matching-heading"') :]
    assert matching.count('<li class="match"') == 3
    assert matching.index("HVB Fyren") < matching.index("HVB Lotsen") < matching.index("Ekbacken")
    # The reasons are in a folded detail of the row, not a card of their own.
    assert '<details class="match__more">' in matching
    assert "Erbjuder HVB barn och unga som ramavtal" in matching
    assert "4\xa0200\xa0kr/dygn" in matching
    # Each row has its shortlist button, posting without JavaScript too.
    assert f'action="{shortlist_url(request_in_matching, units[0])}"' in matching
    excluded = matching[matching.index('<details class="excluded"') :]
    assert "Uteslutna verksamheter (1)" in excluded and boys_only.name not in excluded
    listed = page(
        client.get(reverse("placements:request-excluded-units", args=[request_in_matching.pk]))
    )
    assert boys_only.name in listed and "Verksamheten tar emot ett annat kön" in listed


def test_the_request_page_takes_the_same_number_of_queries_with_a_longer_shortlist(
    client, officer, request_in_matching, units
):
    client = as_user(client, officer)
    shortlist(officer, request_in_matching, units[0])
    client.get(detail_url(request_in_matching))  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as one:
        client.get(detail_url(request_in_matching))
    shortlist(officer, request_in_matching, units[1], units[2])
    with CaptureQueriesContext(connection) as three:
        response = client.get(detail_url(request_in_matching))
    assert len(three) == len(one)
    assert "Kortlista (3 verksamheter)" in page(response)


# --- The shortlist --------------------------------------------------------------------------


def test_an_officer_shortlists_a_unit_without_javascript_and_takes_it_off_again(
    client, officer, request_in_matching, units
):
    client = as_user(client, officer)
    url = shortlist_url(request_in_matching, units[0])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#candidate-{offering_of(units[0])}")
    assert client.post(url).status_code == 302  # twice: still once on the list
    assert ShortlistEntry.objects.filter(request=request_in_matching).count() == 1
    text = page(client.get(detail_url(request_in_matching)))
    assert "Kortlista (1 verksamhet)" in text and 'aria-pressed="true"' in text
    assert client.post(url, {"remove": "1"}).status_code == 302
    assert not ShortlistEntry.objects.exists()


def test_shortlisting_with_htmx_answers_the_button_and_the_panel_out_of_band(
    client, officer, request_in_matching, units
):
    response = as_user(client, officer).post(
        shortlist_url(request_in_matching, units[1]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    text = page(response)
    assert 'id="shortlist"' in text and 'hx-swap-oob="true"' in text
    assert "HVB Lotsen" in text and 'name="remove"' in text
    assert "<html" not in text


def test_only_the_assigned_officer_shortlists(
    client, worker, colleague, request_in_matching, units
):
    url = shortlist_url(request_in_matching, units[0])
    assert as_user(client, worker).post(url).status_code == 403  # no matching for them
    response = as_user(client, colleague).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert "den tilldelade placeringshandläggaren" in page(response)
    stranger = placement_officer(MunicipalityFactory(), team=PlacementTeam.CHILDREN_YOUTH)
    assert as_user(client, stranger).post(url).status_code == 404
    assert not ShortlistEntry.objects.exists()


def test_a_unit_that_does_not_match_cannot_be_shortlisted(client, officer, request_in_matching):
    adults_unit = published_unit("socialt-boende", "framework", name="Boendet Vuxen")
    response = as_user(client, officer).post(
        shortlist_url(request_in_matching, adults_unit), follow=True
    )
    assert "Verksamheten matchar inte den här förfrågan." in page(response)
    assert not ShortlistEntry.objects.exists()


# --- The comparison -------------------------------------------------------------------------


def test_the_comparison_shows_the_shortlist_side_by_side_with_the_latest_site_visit(
    client, officer, request_in_matching, units
):
    SiteVisit.objects.create(
        unit=units[1],
        service=units[1].offerings.get().service,
        operating_form=units[1].offerings.get().operating_form,
        team=PlacementTeam.CHILDREN_YOUTH,
        planned_for=dt.date(2026, 10, 1),
        visited_on=dt.date(2026, 10, 2),
        assessment=SiteVisit.Assessment.APPROPRIATE,
        created_by=officer,
    )
    shortlist(officer, request_in_matching, units[1], units[0])
    text = page(as_user(client, officer).get(compare_url(request_in_matching)))
    table = text[text.index("<table") : text.index("</table>")]
    # The units are columns, in the order they were picked.
    assert table.index('<th scope="col">HVB Lotsen') < table.index('<th scope="col">HVB Fyren')
    for row in ("Utförare", "Regiform", "Dygnspris i dag", "Lediga platser", "Varför den passar"):
        assert f'<th scope="row">{row}' in table
    assert "2026-10-02 · Lämplig" in table
    assert 'role="region"' in text  # the table scrolls in its own region on a phone
    assert f'action="{send_url(request_in_matching)}"' in text


def test_the_comparison_takes_the_same_number_of_queries_for_two_units_or_three(
    client, officer, request_in_matching, units
):
    client = as_user(client, officer)
    shortlist(officer, request_in_matching, units[0], units[1])
    client.get(compare_url(request_in_matching))
    with CaptureQueriesContext(connection) as two:
        client.get(compare_url(request_in_matching))
    shortlist(officer, request_in_matching, units[2])
    with CaptureQueriesContext(connection) as three:
        client.get(compare_url(request_in_matching))
    assert len(three) == len(two)


def test_a_shortlisted_unit_that_stopped_matching_is_left_out_and_said_so(
    client, officer, request_in_matching, units
):
    shortlist(officer, request_in_matching, units[0], units[1])
    units[1].available_places = 0
    units[1].save(update_fields=["available_places"])
    text = page(as_user(client, officer).get(compare_url(request_in_matching)))
    assert "1 verksamhet på kortlistan matchar inte längre förfrågan" in text
    assert '<th scope="col">HVB Lotsen' not in text


def test_the_social_worker_is_not_shown_the_comparison(client, worker, request_in_matching):
    assert as_user(client, worker).get(compare_url(request_in_matching)).status_code == 403


# --- Sending one set ------------------------------------------------------------------------


def test_the_shortlist_goes_as_one_set_with_one_event_one_notification_and_one_email(
    client, worker, officer, request_in_matching, units
):
    shortlist(officer, request_in_matching, units[0], units[1])
    response = as_user(client, officer).post(
        send_url(request_in_matching),
        send_form(
            units[0],
            units[1],
            message="Ring Fyren först.",
            **{f"comment_{offering_of(units[1])}": "Har plats från måndag"},
        ),
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#recommendations-heading")
    (sending,) = RecommendationSet.objects.all()
    assert sending.message == "Ring Fyren först." and sending.sent_by == officer
    assert [r.offering.unit.name for r in sending.recommendations.order_by("pk")] == [
        "HVB Fyren",
        "HVB Lotsen",
    ]
    assert sending.recommendations.get(offering=offering_of(units[1])).comment == (
        "Har plats från måndag"
    )
    (event,) = request_in_matching.timeline.filter(kind=K.RECOMMENDATION_SENT)
    assert event.text == "Ring Fyren först."
    assert [sent["unit"] for sent in event.data["units"]] == ["HVB Fyren", "HVB Lotsen"]
    (notification,) = Notification.objects.filter(recipient=worker)
    assert notification.kind == Kind.RECOMMENDATION
    request_in_matching.refresh_from_db()
    assert request_in_matching.status == RequestStatus.RECOMMENDED
    assert not ShortlistEntry.objects.exists()
    # One e-mail job for the set, and it sends one e-mail naming the count.
    (job,) = OutboxMessage.objects.filter(task=services.NOTIFY_RECOMMENDATION_SET_TASK)
    assert job.args == [sending.pk]
    assert services.notify_recommendation_set(recommendation_set=sending.pk) is True
    assert services.notify_recommendation_set(recommendation_set=sending.pk) is False
    (email,) = mail.outbox
    assert "2 nya rekommendationer" in email.subject
    assert request_in_matching.reference in email.subject


def test_a_unit_left_out_of_the_set_stays_on_the_shortlist(
    client, officer, request_in_matching, units
):
    shortlist(officer, request_in_matching, units[0], units[1])
    response = as_user(client, officer).post(send_url(request_in_matching), send_form(units[0]))
    assert response.status_code == 302
    assert list(Recommendation.objects.values_list("offering", flat=True)) == [
        offering_of(units[0])
    ]
    assert list(ShortlistEntry.objects.values_list("offering", flat=True)) == [
        offering_of(units[1])
    ]


def test_a_set_with_no_unit_chosen_is_refused_with_the_reason(
    client, officer, request_in_matching, units
):
    shortlist(officer, request_in_matching, units[0])
    response = as_user(client, officer).post(send_url(request_in_matching), {})
    assert response.status_code == 400
    assert "Välj minst en verksamhet att rekommendera." in page(response)
    assert not RecommendationSet.objects.exists()


def test_direct_procurement_needs_a_price_shown_next_to_that_units_field(
    client, officer, request_in_matching, units
):
    direct = units[2]
    shortlist(officer, request_in_matching, units[0], direct)
    response = as_user(client, officer).post(
        send_url(request_in_matching),
        send_form(units[0], direct, **{f"daily_price_{offering_of(direct)}": ""}),
    )
    assert response.status_code == 400
    text = page(response)
    assert f'id="id_daily_price_{offering_of(direct)}_error"' in text
    assert "dygnspris krävs" in text.lower()
    assert not RecommendationSet.objects.exists()  # all or nothing
    assert ShortlistEntry.objects.count() == 2


def test_a_flagged_price_in_the_set_needs_the_officers_confirmation(
    client, officer, request_in_matching, units
):
    direct = units[2]
    shortlist(officer, request_in_matching, units[0], direct)
    client = as_user(client, officer)
    data = send_form(units[0], direct, **{f"daily_price_{offering_of(direct)}": "9000"})
    response = client.post(send_url(request_in_matching), data)
    assert response.status_code == 409
    text = page(response)
    assert "HVB Ekbacken:" in text and "medianpriset" in text
    assert 'name="accept_price_flag"' in text
    assert not RecommendationSet.objects.exists()
    response = client.post(send_url(request_in_matching), {**data, "accept_price_flag": "on"})
    assert response.status_code == 302
    flagged = Recommendation.objects.get(offering=offering_of(direct))
    assert flagged.price_flagged and flagged.daily_price == Decimal("9000")
    assert not Recommendation.objects.get(offering=offering_of(units[0])).price_flagged


def test_a_colleague_who_is_not_assigned_cannot_send(
    client, officer, colleague, request_in_matching, units
):
    shortlist(officer, request_in_matching, units[0])
    response = as_user(client, colleague).post(send_url(request_in_matching), send_form(units[0]))
    assert response.status_code == 403
    assert "den tilldelade placeringshandläggaren" in page(response)
    assert not RecommendationSet.objects.exists()


# --- The service's rules --------------------------------------------------------------------


def test_a_set_refuses_a_unit_twice_an_already_recommended_unit_and_too_many_units(
    officer, request_in_matching, units
):
    first = services.RecommendationItem(offering_of(units[0]))
    with pytest.raises(ValidationError) as twice:
        services.send_recommendation_set(
            actor=officer, request=request_in_matching.pk, items=[first, first]
        )
    assert "items" in twice.value.message_dict
    services.send_recommendation_set(actor=officer, request=request_in_matching.pk, items=[first])
    again = [services.RecommendationItem(offering_of(units[1])), first]
    with pytest.raises(ValidationError) as recommended:
        services.send_recommendation_set(actor=officer, request=request_in_matching.pk, items=again)
    assert list(recommended.value.message_dict) == ["items.1.offering"]
    many = [services.RecommendationItem(offering_of(units[1]))] * (services.MAX_SET_SIZE + 1)
    with pytest.raises(ValidationError):
        services.send_recommendation_set(actor=officer, request=request_in_matching.pk, items=many)
    assert RecommendationSet.objects.count() == 1


def test_prices_flagged_in_a_set_are_reported_by_item(officer, request_in_matching, units):
    items = [
        services.RecommendationItem(offering_of(units[0])),
        services.RecommendationItem(offering_of(units[2]), Decimal("9000")),
    ]
    with pytest.raises(services.PriceFlagged) as flagged:
        services.send_recommendation_set(actor=officer, request=request_in_matching.pk, items=items)
    assert list(flagged.value.flags) == [1]
    assert isinstance(flagged.value, RuleViolation) and flagged.value.code == "price_flagged"


def test_a_single_recommendation_is_a_set_of_one_with_plain_field_errors(
    officer, request_in_matching, units
):
    with pytest.raises(ValidationError) as missing:
        services.send_recommendation(
            actor=officer,
            request=request_in_matching.pk,
            offering=offering_of(units[2]),
            daily_price=None,
        )
    assert list(missing.value.message_dict) == ["daily_price"]
    recommendation = services.send_recommendation(
        actor=officer,
        request=request_in_matching.pk,
        offering=offering_of(units[0]),
        daily_price=None,
        comment="Nära skolan",
    )
    assert recommendation.recommendation_set.message == "Nära skolan"
    assert recommendation.offering.operating_form.code == OperatingForm.FRAMEWORK


# --- The API ---------------------------------------------------------------------------------


def api_url(request, path: str) -> str:
    return f"/api/v1/placement-requests/{request.pk}/{path}"


def test_the_api_shortlists_and_sends_a_set_with_item_errors_keyed_by_index(
    client, officer, request_in_matching, units
):
    client = as_user(client, officer)
    response = client.post(
        api_url(request_in_matching, "shortlist/"),
        {"offering": offering_of(units[0])},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [entry["unit"]["name"] for entry in response.json()] == ["HVB Fyren"]
    response = client.delete(api_url(request_in_matching, f"shortlist/{offering_of(units[0])}/"))
    assert response.status_code == 200 and response.json() == []

    body = {"items": [{"offering": offering_of(units[0])}, {"offering": offering_of(units[2])}]}
    sets = api_url(request_in_matching, "recommendation-sets/")
    response = client.post(sets, body, content_type="application/json")
    assert response.status_code == 400
    assert "items.1.daily_price" in response.json()
    body["items"][1]["daily_price"] = "9000"
    response = client.post(sets, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "price_flagged" and list(response.json()["flags"]) == ["1"]
    response = client.post(
        sets,
        {**body, "accept_price_flag": True, "message": "Två förslag"},
        content_type="application/json",
    )
    assert response.status_code == 201
    created = response.json()
    assert created["message"] == "Två förslag" and len(created["recommendations"]) == 2
    listed = client.get(sets).json()
    assert [s["id"] for s in listed] == [created["id"]]


def test_the_api_refuses_an_empty_set_and_a_bad_offering_id_with_400(
    client, officer, request_in_matching
):
    client = as_user(client, officer)
    sets = api_url(request_in_matching, "recommendation-sets/")
    for body in ({"items": []}, {"items": [{"offering": "x"}]}, {"items": "x"}, {}):
        assert client.post(sets, body, content_type="application/json").status_code == 400
    response = client.delete(api_url(request_in_matching, "shortlist/99999999999999999999/"))
    assert response.status_code == 404


def test_the_list_and_the_comparison_show_the_distance_from_the_persons_municipality(
    client, officer, request_in_matching, units
):
    home = request_in_matching.administration.municipality
    home.latitude, home.longitude = Decimal("57.70716"), Decimal("11.96679")  # Göteborg
    home.save()
    kungalv = units[0].municipality
    kungalv.latitude, kungalv.longitude = Decimal("57.87096"), Decimal("11.98054")
    kungalv.save()
    client = as_user(client, officer)
    row = page(client.get(detail_url(request_in_matching)))
    row = row[row.index(f'id="candidate-{offering_of(units[0])}"') :]
    assert "Testkommun" in row and "· 18\xa0km</span>" in row[: row.index("</li>")]
    shortlist(officer, request_in_matching, units[0])
    compared = page(client.get(compare_url(request_in_matching)))
    assert "18\xa0km bort" in compared
