"""The monitoring API: the team's signals (take, close) and runs (POST = run now)."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from followup.models import MonitoringKind, MonitoringRun, MonitoringSource, Severity, Signal
from spink.accounts.models import Role
from tests.factories import ProviderFactory, UnitFactory, user_with_role
from tests.followup import monitoring_support as support
from tests.followup.monitoring_support import finished

SIGNALS = "/api/v1/signals/"
RUNS = "/api/v1/monitoring-runs/"
OUTSIDERS = [Role.SOCIAL_WORKER, Role.PLACEMENT_OFFICER, Role.PROCUREMENT, Role.MANAGER]


def client_for(role: Role) -> tuple[APIClient, object]:
    user = user_with_role(role)
    client = APIClient()
    client.force_authenticate(user)
    return client, user


@pytest.fixture
def feeds():
    with support.running_feed_server() as server:
        yield server


@pytest.fixture
def inbox():
    provider = ProviderFactory(legal_name="Björkens Vård AB")
    unit = UnitFactory(provider=provider, name="Björkens gruppbostad")
    other = ProviderFactory(legal_name="Solgläntan Omsorg AB")
    source = support.source(
        "Kreditbevakning", MonitoringKind.CREDIT, MonitoringSource.Format.JSON, url="http://x/"
    )
    run = MonitoringRun.objects.create(
        source=source,
        status=MonitoringRun.Status.PARTIAL,
        attempts=2,
        records_seen=2,
        signals_created=1,
        records_skipped=1,
        skipped=[{"ref": "post 2", "reason": "Okänd allvarlighetsgrad ”akut”."}],
    )

    def make(title, **fields):
        return Signal.objects.create(title=title, dedup_key=f"api:{title}", **fields)

    return {
        "provider": provider,
        "unit": unit,
        "source": source,
        "run": run,
        "credit": make(
            "Sänkt kreditbetyg",
            kind=Signal.Kind.CREDIT,
            severity=Severity.MEDIUM,
            provider=provider,
            source=source,
            run=run,
        ),
        "ivo": make(
            "IVO återkallar tillstånd",
            kind=Signal.Kind.IVO_REVOCATION,
            severity=Severity.HIGH,
            provider=provider,
            unit=unit,
        ),
        "media": make(
            "Larm om brister",
            kind=Signal.Kind.MEDIA,
            severity=Severity.LOW,
            provider=other,
            status=Signal.Status.CLOSED,
        ),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [signal["title"] for signal in response.json()["results"]]


# --- Who may -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", OUTSIDERS)
def test_only_the_quality_team_may_use_the_monitoring_api(inbox, role):
    client, _ = client_for(role)
    signal, run = inbox["credit"], inbox["run"]

    assert client.get(SIGNALS).status_code == 403
    assert client.get(f"{SIGNALS}{signal.pk}/").status_code == 403
    assert client.post(f"{SIGNALS}{signal.pk}/take/").status_code == 403
    assert client.post(f"{SIGNALS}{signal.pk}/close/", {"note": "Klart"}).status_code == 403
    assert client.get(RUNS).status_code == 403
    assert client.get(f"{RUNS}{run.pk}/").status_code == 403
    assert client.post(RUNS, {"source": inbox["source"].pk}).status_code == 403
    signal.refresh_from_db()
    assert signal.status == Signal.Status.NEW
    assert MonitoringRun.objects.count() == 1


@pytest.mark.django_db
def test_the_monitoring_api_needs_a_signed_in_user(inbox):
    assert APIClient().get(SIGNALS).status_code in (401, 403)
    assert APIClient().post(RUNS, {"source": inbox["source"].pk}).status_code in (401, 403)


# --- Signals -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.QUALITY_CONTROL, Role.ADMINISTRATOR])
def test_team_lists_every_signal_newest_first(inbox, role):
    client, _ = client_for(role)

    assert titles(client.get(SIGNALS)) == [
        "Larm om brister",
        "IVO återkallar tillstånd",
        "Sänkt kreditbetyg",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "ivo_revocation"}, {"IVO återkallar tillstånd"}),
        ({"status": "closed"}, {"Larm om brister"}),
        ({"severity": "medium"}, {"Sänkt kreditbetyg"}),
        ({"provider": "björken"}, {"Sänkt kreditbetyg", "IVO återkallar tillstånd"}),
        ({"unit": "unit"}, {"IVO återkallar tillstånd"}),
    ],
)
def test_signals_are_filtered_by_kind_status_severity_provider_and_unit(inbox, query, expected):
    client, _ = client_for(Role.QUALITY_CONTROL)
    names = {"björken": inbox["provider"].pk, "unit": inbox["unit"].pk}
    query = {key: names.get(value, value) for key, value in query.items()}

    assert set(titles(client.get(SIGNALS, query))) == expected


@pytest.mark.django_db
def test_a_signal_shows_its_provider_unit_and_source(inbox):
    client, _ = client_for(Role.QUALITY_CONTROL)

    data = client.get(f"{SIGNALS}{inbox['ivo'].pk}/").json()

    assert data["kind"] == "ivo_revocation"
    assert data["severity"] == "high"
    assert data["provider"]["legal_name"] == "Björkens Vård AB"
    assert data["unit"]["name"] == "Björkens gruppbostad"
    assert client.get(f"{SIGNALS}{inbox['credit'].pk}/").json()["source_name"] == (
        "Kreditbevakning"
    )


@pytest.mark.django_db
def test_team_takes_and_closes_a_signal_through_the_api(inbox):
    client, user = client_for(Role.QUALITY_CONTROL)
    signal = inbox["credit"]

    taken = client.post(f"{SIGNALS}{signal.pk}/take/")
    closed = client.post(
        f"{SIGNALS}{signal.pk}/close/", {"note": "Ny kreditupplysning beställd."}, format="json"
    )

    assert taken.status_code == 200
    assert taken.json()["status"] == "in_progress"
    assert taken.json()["handled_by"] == user.pk
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closing_note"] == "Ny kreditupplysning beställd."
    signal.refresh_from_db()
    assert signal.closed_at is not None


@pytest.mark.django_db
def test_closing_without_a_note_answers_400_with_the_field(inbox):
    client, _ = client_for(Role.QUALITY_CONTROL)

    response = client.post(f"{SIGNALS}{inbox['credit'].pk}/close/", {"note": ""}, format="json")

    assert response.status_code == 400
    assert "note" in response.json()
    assert Signal.objects.get(pk=inbox["credit"].pk).status == Signal.Status.NEW


@pytest.mark.django_db
@pytest.mark.parametrize("step", ["take", "close"])
def test_a_closed_signal_cannot_be_taken_or_closed_again(inbox, step):
    client, _ = client_for(Role.QUALITY_CONTROL)

    response = client.post(f"{SIGNALS}{inbox['media'].pk}/{step}/", {"note": "Igen"})

    assert response.status_code == 400
    assert response.json()["code"] == "closed"


@pytest.mark.django_db
def test_taking_a_signal_someone_handles_answers_400(inbox):
    client, _ = client_for(Role.QUALITY_CONTROL)
    client.post(f"{SIGNALS}{inbox['ivo'].pk}/take/")
    colleague, _ = client_for(Role.QUALITY_CONTROL)

    response = colleague.post(f"{SIGNALS}{inbox['ivo'].pk}/take/")

    assert response.status_code == 400
    assert response.json()["code"] == "already_taken"


@pytest.mark.django_db
def test_an_unknown_signal_answers_404():
    client, _ = client_for(Role.QUALITY_CONTROL)

    assert client.get(f"{SIGNALS}999999/").status_code == 404
    assert client.post(f"{SIGNALS}999999/take/").status_code == 404


# --- Runs -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_runs_are_listed_with_their_skipped_records(inbox):
    client, _ = client_for(Role.QUALITY_CONTROL)

    listed = client.get(RUNS).json()["results"]
    detail = client.get(f"{RUNS}{inbox['run'].pk}/").json()

    assert [run["id"] for run in listed] == [inbox["run"].pk]
    assert detail["status"] == "partial"
    assert detail["attempts"] == 2
    assert detail["source_name"] == "Kreditbevakning"
    assert detail["skipped"] == [{"ref": "post 2", "reason": "Okänd allvarlighetsgrad ”akut”."}]


@pytest.mark.django_db
def test_posting_a_run_queues_it_and_answers_202(inbox, django_capture_on_commit_callbacks):
    client, user = client_for(Role.QUALITY_CONTROL)
    source = inbox["source"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(RUNS, {"source": source.pk}, format="json")
    again = client.post(RUNS, {"source": source.pk}, format="json")

    assert response.status_code == 202
    run = MonitoringRun.objects.get(pk=response.json()["id"])
    assert (run.source, run.status, run.triggered_by) == (source, "running", user)
    assert len(callbacks) == 1
    assert again.status_code == 400
    assert again.json()["code"] == "run_under_way"


@pytest.mark.django_db
def test_posting_a_run_of_an_unknown_source_answers_400():
    client, _ = client_for(Role.QUALITY_CONTROL)

    response = client.post(RUNS, {"source": 999999}, format="json")

    assert response.status_code == 400
    assert "source" in response.json()


@pytest.mark.django_db(transaction=True)
def test_run_now_through_the_api_is_carried_out_by_the_worker(celery_worker, feeds):
    register_ = support.credit_register()
    source = support.credit_source(feeds)
    client, user = client_for(Role.QUALITY_CONTROL)

    response = client.post(RUNS, {"source": source.pk}, format="json")
    run = finished(response.json()["id"])

    assert response.status_code == 202
    assert run.status == MonitoringRun.Status.PARTIAL
    assert run.triggered_by == user
    assert run.signals_created == 3
    shown = client.get(f"{SIGNALS}", {"provider": register_["solglantan"].pk}).json()
    assert [signal["title"] for signal in shown["results"]] == [
        "Betalningsanmärkning: skuld hos Kronofogden 412 000 kr"
    ]


# --- Schema ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_schema_documents_the_monitoring_endpoints_without_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    schema = (tmp_path / "schema.yaml").read_text()

    for path in [
        "/api/v1/signals/",
        "/api/v1/signals/{id}/",
        "/api/v1/signals/{id}/take/",
        "/api/v1/signals/{id}/close/",
        "/api/v1/monitoring-runs/",
        "/api/v1/monitoring-runs/{id}/",
    ]:
        assert f"  {path}:" in schema
