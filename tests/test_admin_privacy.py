"""The Django admin reveals no person: not by query-string lookups, search, sorting, the change
and history pages, the autocomplete endpoint, nor someone else's draft (spink.admin_safety)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from followup.models import DeepControl, Feedback, FeedbackCategory
from placements import services as placement_services
from placements.models import (
    CASE_DETAIL_FIELDS,
    PERSON_FIELDS,
    Deviation,
    PersonDataAccess,
    PersonGender,
    PlacementRequest,
    RequestStatus,
    TimelineEvent,
)
from spink.accounts.models import Role
from spink.admin_safety import (
    SpinkAdminSite,
    StrictHistoryAdmin,
    StrictLookupAdmin,
    check_admin_safety,
    person_data_models,
)
from tests.db_support import rolled_back
from tests.factories import (
    MunicipalityFactory,
    UnitFactory,
    request_fields,
    social_worker,
    submitted_request,
    user_with_role,
)

pytestmark = pytest.mark.django_db

PROTECTED_NUMBER = "20120315-2382"  # a girl born 15 March 2012 (test number, Luhn-valid)
ORDINARY_NUMBER = "19811218-9876"

# What the protected person's records hold, each written so that it cannot turn up by chance.
SECRETS = {
    "person_identity_number": PROTECTED_NUMBER,
    "person_first_name": "Ylvalisa",
    "person_last_name": "Skyddadsson",
    "person_address": "Lönngatan 7",
    "needs": "Behöver boende med hemlig adress",
    "language": "Tigrinja",
    "preferred_area": "Hisingen-Norrlid",
    "decision_reference": "DR-4711-HEMLIG",
}
TIMELINE_TEXT = "Meddelande om Ylvalisas flytt"
DEVIATION_TEXT = "Avvikelse om Ylvalisas skola"
FEEDBACK_TEXT = "Synpunkt om Ylvalisas rum"
FEEDBACK_TEXT_LATER = "Synpunkt om Ylvalisas rum, rättad"
DEEP_CONTROL_TEXT = "Bakgrund: Ylvalisas placering"


def leaked_strings(protected: PlacementRequest) -> list[str]:
    """Text that would show the protected person, or the details that point at her."""
    with translation.override("sv"):
        gender_sv = str(PersonGender(protected.person_gender).label)
    with translation.override("en"):
        gender_en = str(PersonGender(protected.person_gender).label)
    return [
        *SECRETS.values(),
        PROTECTED_NUMBER.replace("-", ""),
        protected.person_key,
        "2012-03-15",
        "15 mars 2012",
        gender_sv,
        gender_en,
        TIMELINE_TEXT,
        DEVIATION_TEXT,
        FEEDBACK_TEXT,
        FEEDBACK_TEXT_LATER,
        DEEP_CONTROL_TEXT,
    ]


@dataclass
class World:
    administrator: object
    author: object
    protected: PlacementRequest
    ordinary: PlacementRequest
    draft: PlacementRequest
    timeline_event: TimelineEvent
    ordinary_event: TimelineEvent
    deviation: Deviation
    access: PersonDataAccess
    feedback: Feedback
    deep_control: DeepControl
    draft_records: dict[type[Model], Model]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The records of the module, made once (the tests only read them, each in a transaction
    rolled back after it) and rolled back after the last test."""
    with rolled_back(django_db_blocker, build_world) as made:
        yield made


def build_world() -> World:
    worker = social_worker()
    protected = submitted_request(
        worker,
        protected_identity=True,
        preferred_municipality=MunicipalityFactory(name="Hemligstads kommun"),
        **SECRETS,
    )
    ordinary = submitted_request(
        worker,
        person_identity_number=ORDINARY_NUMBER,
        person_first_name="Öppen",
        person_last_name="Vanligsson",
        needs="Behöver ett vanligt boende",
    )
    # A staff member who is also a social worker, with a draft of their own: drafts stay
    # their author's, and the author may be someone who reaches the admin.
    author = social_worker(is_staff=True, is_superuser=True)
    draft = placement_services.create_request(
        actor=author, **request_fields(person_first_name="Utkastina", person_last_name="Utkastsson")
    )
    unit = UnitFactory()
    feedback = Feedback.objects.create(
        unit=unit,
        placement_request=protected,
        category=FeedbackCategory.SAFETY,
        description=FEEDBACK_TEXT,
        lodged_by=worker,
    )
    feedback.description = FEEDBACK_TEXT_LATER  # a second version, for the history pages
    feedback.save()
    draft_records = {
        TimelineEvent: draft.timeline.get(),
        Deviation: Deviation.objects.create(
            request=draft, description="Om utkastet", lodged_by=author
        ),
        PersonDataAccess: PersonDataAccess.objects.create(
            request=draft, user=author, channel="web"
        ),
        Feedback: Feedback.objects.create(
            unit=unit,
            placement_request=draft,
            category=FeedbackCategory.OTHER,
            description="Om utkastet",
            lodged_by=author,
        ),
    }
    return World(
        administrator=user_with_role(Role.ADMINISTRATOR),
        author=author,
        protected=protected,
        ordinary=ordinary,
        draft=draft,
        timeline_event=TimelineEvent.objects.create(
            request=protected,
            kind=TimelineEvent.Kind.MESSAGE,
            actor=worker,
            text=TIMELINE_TEXT,
            data={"note": TIMELINE_TEXT},
        ),
        ordinary_event=TimelineEvent.objects.create(
            request=ordinary, kind=TimelineEvent.Kind.MESSAGE, actor=worker, text="Vanlig text"
        ),
        deviation=Deviation.objects.create(
            request=protected, description=DEVIATION_TEXT, lodged_by=worker
        ),
        access=PersonDataAccess.objects.create(request=protected, user=worker, channel="web"),
        feedback=feedback,
        deep_control=DeepControl.objects.create(
            unit=unit,
            reason=DeepControl.Reason.FEEDBACK,
            feedback=feedback,
            reason_details=DEEP_CONTROL_TEXT,
            created_by=worker,
        ),
        draft_records=draft_records,
    )


@pytest.fixture
def admin_client(client: Client, world: World) -> Client:
    client.force_login(world.administrator)
    return client


REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
REGISTERED_MODELS = [model for model, _admin in REGISTERED]


def changelist_url(model: type[Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change_url(obj: Model, view: str = "change", *args) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk, *args])


def paths_to_requests(model: type[Model]) -> list[str]:
    """The relation paths from `model` to PlacementRequest, forward and reverse: every one of
    at most two steps, else the shortest ("" is the request itself)."""
    found = [""] if model is PlacementRequest else []
    frontier = [(model, "", {model})]
    for depth in range(1, 5):
        next_frontier = []
        for current, prefix, seen in frontier:
            for field in current._meta.get_fields():
                if not field.is_relation or field.related_model is None:
                    continue
                path = f"{prefix}{field.name}"
                if field.related_model is PlacementRequest:
                    found.append(path)
                elif field.related_model not in seen:
                    next_frontier.append(
                        (field.related_model, f"{path}__", seen | {field.related_model})
                    )
        frontier = next_frontier
        if depth >= 2 and found:
            break
    return found


def join(*parts: str) -> str:
    return "__".join(part for part in parts if part)


def person_lookups(model: type[Model], protected: PlacementRequest) -> list[tuple[str, str]]:
    """Query-string lookups that would find the protected person if the admin applied them."""
    lookups = []
    paths = paths_to_requests(model)
    for path in paths:
        for name in (*PERSON_FIELDS, "person_key"):
            value = str(getattr(protected, name))
            # A prefix (the character-by-character attack) and the value itself; other lookup
            # names take the same path through the admin's allow-list.
            lookups += [(join(path, name, "startswith"), value[:4]), (join(path, name), value)]
        for name in CASE_DETAIL_FIELDS:
            value = str(getattr(protected, f"{name}_id", None) or getattr(protected, name))
            lookups.append((join(path, name, "startswith"), value[:4]))
    if paths:
        lookups.append((join(paths[0], "person_identity_number", "regex"), "^2"))
    own = person_data_models().get(model)
    if own is not None:
        for name in sorted(own.hidden_when_protected):
            lookups += [(join(name, "startswith"), "Ylva"), (join(name, "icontains"), "Ylva")]
    return lookups


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=lambda model: model._meta.label)
def test_no_admin_accepts_a_query_string_lookup_on_person_data(admin_client, world, model):
    url = changelist_url(model)
    accepted = [
        (lookup, response.status_code)
        for lookup, value in person_lookups(model, world.protected)
        if (response := admin_client.get(url, {lookup: value})).status_code != 400
    ]
    assert accepted == []


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=lambda model: model._meta.label)
def test_no_admin_search_finds_or_shows_the_protected_person(admin_client, world, model):
    url = changelist_url(model)
    baseline = admin_client.get(url, {"q": "inget-sådant-finns"})
    assert baseline.status_code == 200
    leaks = leaked_strings(world.protected)
    for term in leaks:
        response = admin_client.get(url, {"q": term})
        assert response.status_code == 200, term
        assert response.context["cl"].result_count == baseline.context["cl"].result_count, term
        # The search box shows the term back; nothing else may show.
        content = response.content.decode()
        assert [leak for leak in leaks if leak not in term and leak in content] == [], term


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=lambda model: model._meta.label)
def test_no_admin_changelist_shows_person_data_sorted_by_any_column(admin_client, world, model):
    url = changelist_url(model)
    columns = admin_client.get(url).context["cl"].list_display
    leaks = leaked_strings(world.protected)
    for index in range(len(columns)):
        for order in (str(index), f"-{index}"):
            response = admin_client.get(url, {"o": order})
            assert response.status_code == 200, order
            content = response.content.decode()
            assert [leak for leak in leaks if leak in content] == [], order


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=lambda model: model._meta.label)
def test_every_declared_filter_and_date_hierarchy_still_answers(admin_client, world, model):
    url = changelist_url(model)
    cl = admin_client.get(url).context["cl"]
    query_strings = [
        choice["query_string"] for spec in cl.filter_specs for choice in list(spec.choices(cl))[:4]
    ]
    model_admin = admin.site._registry[model]
    if model_admin.date_hierarchy:
        query_strings.append(f"?{model_admin.date_hierarchy}__year=2026")
    for query_string in query_strings:
        assert admin_client.get(url + query_string).status_code == 200, query_string


def test_the_request_admin_filters_by_status_and_lists_the_protected_request_by_reference(
    admin_client, world
):
    response = admin_client.get(
        changelist_url(PlacementRequest), {"status__exact": RequestStatus.SUBMITTED}
    )

    assert response.status_code == 200
    assert world.protected in response.context["cl"].queryset
    assert world.protected.reference in response.content.decode()


def test_the_model_field_lookup_django_would_allow_is_refused(admin_client, world):
    response = admin_client.get(
        changelist_url(PlacementRequest), {"person_identity_number__startswith": "2012"}
    )

    assert response.status_code == 400


def assert_shows_none(response, obj_fields: set[str], leaks: list[str]) -> None:
    assert response.status_code == 200
    content = response.content.decode()
    assert [name for name in sorted(obj_fields) if f"field-{name}" in content] == []
    assert [leak for leak in leaks if leak in content] == []


def test_the_protected_requests_page_shows_neither_person_nor_case_details(admin_client, world):
    hidden = person_data_models()[PlacementRequest].sensitive - {"person_name"}

    response = admin_client.get(change_url(world.protected))

    assert_shows_none(response, hidden, leaked_strings(world.protected))
    assert "Hemligstads kommun" not in response.content.decode()
    assert "field-service" in response.content.decode()


def test_an_ordinary_requests_page_shows_case_details_but_never_the_person(admin_client, world):
    content = admin_client.get(change_url(world.ordinary)).content.decode()

    assert "Behöver ett vanligt boende" in content
    assert ORDINARY_NUMBER not in content
    assert "Vanligsson" not in content
    assert "field-person_gender" not in content


@pytest.mark.parametrize(
    "name", ["timeline_event", "deviation", "access", "feedback", "deep_control"]
)
def test_pages_of_records_about_the_protected_person_hide_what_points_at_her(
    admin_client, world, name
):
    obj = getattr(world, name)
    hidden = person_data_models()[type(obj)].hidden_when_protected

    assert_shows_none(admin_client.get(change_url(obj)), hidden, leaked_strings(world.protected))


def test_a_timeline_event_of_an_ordinary_request_shows_its_text(admin_client, world):
    assert "Vanlig text" in admin_client.get(change_url(world.ordinary_event)).content.decode()


def test_the_history_of_feedback_about_the_protected_person_shows_no_description(
    admin_client, world
):
    leaks = leaked_strings(world.protected)
    hidden = person_data_models()[Feedback].hidden_when_protected
    versions = list(world.feedback.history.all())
    assert len(versions) == 2

    assert_shows_none(admin_client.get(change_url(world.feedback, "history")), hidden, leaks)
    for version in versions:
        page = admin_client.get(change_url(world.feedback, "simple_history", version.history_id))
        assert_shows_none(page, hidden, leaks)


def test_to_field_cannot_look_a_request_up_by_its_person_number(admin_client, world):
    change = reverse(
        "admin:placements_placementrequest_change", args=[world.protected.person_identity_number]
    )

    assert admin_client.get(change, {"_to_field": "person_identity_number"}).status_code == 400
    popup = {"_to_field": "person_identity_number", "_popup": "1"}
    assert admin_client.get(changelist_url(PlacementRequest), popup).status_code == 400


REQUEST_FOREIGN_KEYS = [
    (model, field.name)
    for model in person_data_models()
    for field in model._meta.get_fields()
    if field.many_to_one and field.related_model is PlacementRequest
]


@pytest.mark.parametrize(
    ("model", "field_name"),
    REQUEST_FOREIGN_KEYS,
    ids=[f"{model._meta.label}.{name}" for model, name in REQUEST_FOREIGN_KEYS],
)
def test_autocomplete_finds_requests_by_reference_only_and_never_others_drafts(
    admin_client, world, model, field_name
):
    def found(term: str) -> list[str]:
        response = admin_client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field_name,
                "term": term,
            },
        )
        assert response.status_code == 200
        return [result["text"] for result in response.json()["results"]]

    assert [term for term in leaked_strings(world.protected) if found(term)] == []
    assert found(world.ordinary.reference) == [world.ordinary.reference]
    assert found(world.draft.reference) == []


def draft_pages(world: World) -> list[tuple[type[Model], Model]]:
    return [(PlacementRequest, world.draft), *world.draft_records.items()]


def test_another_users_draft_is_in_no_changelist_and_its_pages_are_not_found(admin_client, world):
    for model, obj in draft_pages(world):
        listed = admin_client.get(changelist_url(model)).context["cl"].queryset
        assert not listed.filter(pk=obj.pk).exists(), model
        page = admin_client.get(change_url(obj))
        assert page.status_code == 302, model
        assert page.url == reverse("admin:index")
    history = change_url(world.draft_records[Feedback], "history")
    assert admin_client.get(history).status_code == 404
    version = world.draft_records[Feedback].history.get()
    old = change_url(world.draft_records[Feedback], "simple_history", version.history_id)
    assert admin_client.get(old).status_code == 404


def test_the_drafts_author_finds_it_in_the_admin(client, world):
    client.force_login(world.author)

    for model, obj in draft_pages(world):
        assert obj in client.get(changelist_url(model)).context["cl"].queryset, model
        assert client.get(change_url(obj)).status_code == 200, model


def test_feedback_without_a_request_stays_in_the_admin(admin_client, world):
    unlinked = Feedback.objects.create(
        unit=UnitFactory(),
        category=FeedbackCategory.OTHER,
        description="Allmän synpunkt",
        lodged_by=world.administrator,
    )

    listed = admin_client.get(changelist_url(Feedback)).context["cl"].queryset
    assert unlinked in listed
    assert "Allmän synpunkt" in admin_client.get(change_url(unlinked)).content.decode()


# --- The rule holds for admins added later -----------------------------------------------------


def test_every_registered_admin_follows_the_rule():
    assert check_admin_safety() == []


def test_the_check_refuses_an_admin_that_names_person_data():
    site = AdminSite(name="check")

    class LooseRequestAdmin(admin.ModelAdmin):
        list_display = ["reference", "person_name"]
        search_fields = ["reference", "person_last_name"]
        date_hierarchy = "person_birth_date"

    class TimelineInline(admin.TabularInline):
        model = TimelineEvent

    class LooseDeviationAdmin(StrictLookupAdmin):
        list_filter = ["request__language"]
        ordering = ["-request__person_last_name"]
        fields = ["request", "description"]
        inlines = [TimelineInline]

    site.register(PlacementRequest, LooseRequestAdmin)
    site.register(Deviation, LooseDeviationAdmin)

    errors = {(error.id, error.msg) for error in check_admin_safety(site=site)}

    assert {error_id for error_id, _msg in errors} == {
        "spink.A001",
        "spink.A003",
        "spink.A005",
    }
    named = " ".join(msg for _id, msg in errors)
    for path in (
        "person_name",
        "person_last_name",
        "person_birth_date",
        "request__language",
        "-request__person_last_name",
    ):
        assert f"({path})" in named


def test_the_check_refuses_a_change_page_that_shows_a_person_field():
    site = AdminSite(name="check")

    class NamedRequestAdmin(StrictLookupAdmin):
        fields = ["reference", "person_first_name"]

    site.register(PlacementRequest, NamedRequestAdmin)

    assert [error.id for error in check_admin_safety(site=site)] == ["spink.A004"]


def test_the_project_site_puts_any_admin_registered_later_under_the_rule(rf, world):
    site = SpinkAdminSite(name="later")

    class LaterAdmin(admin.ModelAdmin):
        search_fields = [
            "reference",
            "person_identity_number",
            "timeline__request__person_last_name",
        ]
        list_display = ["reference", "person_first_name"]

    site.register(PlacementRequest, LaterAdmin)
    site.register(Group)
    request = rf.get("/")
    request.user = world.administrator
    model_admin = site._registry[PlacementRequest]

    assert isinstance(model_admin, StrictLookupAdmin)
    assert isinstance(site._registry[Group], StrictLookupAdmin)
    assert model_admin.get_search_fields(request) == ["reference"]
    assert model_admin.get_list_display(request) == ["reference"]
    assert not model_admin.lookup_allowed("person_identity_number__startswith", "2012", request)
    assert not model_admin.lookup_allowed("reference", "PF", request)


def test_a_history_admin_registered_later_gets_the_strict_history_views():
    from simple_history.admin import SimpleHistoryAdmin

    site = SpinkAdminSite(name="later")
    site.register(Feedback, SimpleHistoryAdmin)

    assert isinstance(site._registry[Feedback], StrictHistoryAdmin)
