"""Edits that never overwrite each other, and creates that happen once: two tabs editing one
draft, a stale API write (ETag / If-Match), a create form posted twice and an API POST
retried with the same Idempotency-Key."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from placements import services
from placements.models import PlacementRequest, TimelineEvent
from spink.idempotency.models import IdempotencyKey
from tests.factories import request_fields, social_worker
from tests.forms_support import form_data

pytestmark = pytest.mark.django_db

K = TimelineEvent.Kind


@pytest.fixture
def worker():
    return social_worker()


@pytest.fixture
def draft(worker):
    return services.create_request(actor=worker, **request_fields())


def _logged_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _form_data(client: APIClient, url: str) -> dict:
    return form_data(client.get(url).content.decode())


def test_second_tab_saving_a_draft_changed_since_it_opened_is_refused_and_keeps_its_input(
    worker, draft
):
    url = reverse("placements:request-edit", args=[draft.pk])
    first, second = _logged_in(worker), _logged_in(worker)
    first_form, second_form = _form_data(first, url), _form_data(second, url)
    assert first_form["seen"] and second_form["seen"]

    first_form |= {"needs": "Första flikens text", "action": "save"}
    assert first.post(url, first_form).status_code == 302

    second_form |= {"language": "somaliska", "action": "save"}
    refused = second.post(url, second_form)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Någon annan har ändrat detta" in text
    assert "Behov och krav" in text or "needs" in text.lower()  # names what changed
    assert 'value="somaliska"' in text  # the user's input stays on the page
    draft.refresh_from_db()
    assert draft.needs == "Första flikens text" and draft.language == ""

    # Having seen the refusal, saving again goes through, over the version now saved.
    again = form_data(text)
    assert second.post(url, again | {"action": "save"}).status_code == 302
    draft.refresh_from_db()
    assert draft.language == "somaliska"


def test_a_draft_edit_records_which_fields_changed_but_not_their_values(worker, draft):
    services.update_draft(
        actor=worker, request=draft.pk, language="arabiska", needs="Ny text om behoven"
    )
    event = draft.timeline.filter(kind=K.UPDATED).get()
    assert sorted(event.data["fields"]) == ["language", "needs"]
    assert "arabiska" not in str(event.data) and "Ny text" not in event.text
    # Saving the same values again changes nothing and records nothing.
    services.update_draft(actor=worker, request=draft.pk, language="arabiska")
    assert draft.timeline.filter(kind=K.UPDATED).count() == 1


def test_create_form_posted_twice_makes_one_draft(worker):
    client = _logged_in(worker)
    url = reverse("placements:request-create")
    data = _form_data(client, url)
    assert data["form_key"]
    fields = request_fields()
    data |= {
        "service": str(fields["service"].pk),
        "urgency": fields["urgency"],
        "wanted_start": "2027-01-15",
        "expected_length": "unknown",
        "kind": "placement",
        "person_identity_number": fields["person_identity_number"],
        "person_first_name": "Dubbel",
        "person_last_name": "Klicksson",
        "action": "save",
    }
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert PlacementRequest.objects.filter(person_first_name="Dubbel").count() == 1
    # A new form (a new key) makes a new draft.
    data["form_key"] = _form_data(client, url)["form_key"]
    client.post(url, data)
    assert PlacementRequest.objects.filter(person_first_name="Dubbel").count() == 2


API = "/api/v1/placement-requests/"


def test_api_write_with_a_stale_etag_is_refused_with_412(worker, draft):
    client = _logged_in(worker)
    etag = client.get(f"{API}{draft.pk}/")["ETag"]
    assert etag.startswith('"')
    changed = client.patch(
        f"{API}{draft.pk}/", {"language": "persiska"}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    stale = client.patch(
        f"{API}{draft.pk}/", {"language": "dari"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale"
    draft.refresh_from_db()
    assert draft.language == "persiska"
    fresh = client.patch(
        f"{API}{draft.pk}/", {"language": "dari"}, format="json", HTTP_IF_MATCH=changed["ETag"]
    )
    assert fresh.status_code == 200


def test_api_post_retried_with_the_same_idempotency_key_is_answered_once(worker):
    client = _logged_in(worker)
    body = {
        "service": "hvb",
        "urgency": "planned",
        "wanted_start": "2027-02-01",
        "person_identity_number": request_fields()["person_identity_number"],
        "person_first_name": "Retry",
        "person_last_name": "Sändsson",
    }
    first = client.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="create-retry-0001")
    again = client.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="create-retry-0001")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert PlacementRequest.objects.filter(person_first_name="Retry").count() == 1
    other_body = client.post(
        API, body | {"urgency": "acute"}, format="json", HTTP_IDEMPOTENCY_KEY="create-retry-0001"
    )
    assert other_body.status_code == 422
    # Another client with the same key is another request.
    other = _logged_in(social_worker())
    assert (
        other.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="create-retry-0001").status_code
        == 201
    )
    assert IdempotencyKey.objects.count() == 2


def test_idempotency_keys_older_than_a_day_are_forgotten_hourly(worker):
    import datetime as dt

    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    from spink.idempotency.tasks import purge

    old = IdempotencyKey.objects.create(fingerprint="a" * 64)
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )
    fresh = IdempotencyKey.objects.create(fingerprint="b" * 64)
    assert purge() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    schedule = PeriodicTask.objects.get(task="idempotency.purge")
    assert (schedule.enabled, schedule.interval.every, schedule.interval.period) == (
        True,
        1,
        "hours",
    )
