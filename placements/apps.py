from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = _("Placement requests")

    def ready(self):
        # Services queue this app's jobs by name (spink.outbox); registering the tasks in
        # every process, not only the worker, lets a web process run them eagerly too.
        from placements import tasks  # noqa: F401
        from spink.accounts.saved_filters import register_list

        register_list("placements:request-list")
        register_list("placements:queue")

        # What the admin must never reveal of the records about a person (spink.admin_safety).
        from placements.models import CASE_DETAIL_FIELDS, PERSON_FIELDS, RequestStatus
        from spink.admin_safety import PersonData, register_person_data

        draft = RequestStatus.DRAFT
        register_person_data(
            "placements.PlacementRequest",
            PersonData(
                request_path="",
                # person_key is a keyed hash of the number: a stable pseudonym of the person.
                # person_name is the property that joins the names.
                never_shown=frozenset({*PERSON_FIELDS, "person_key", "person_name"}),
                # Where a protected person was placed is exactly what the protection is for.
                hidden_when_protected=frozenset(
                    {*CASE_DETAIL_FIELDS, "chosen_recommendation", "placement_start"}
                ),
                draft_status=draft,
            ),
        )
        for label, hidden in {
            "placements.TimelineEvent": {"text", "data"},
            "placements.Deviation": {"description", "handling_note", "closing_note"},
            "placements.PersonDataAccess": set(),
            "placements.Recommendation": {"offering", "comment"},
        }.items():
            register_person_data(
                label,
                PersonData(
                    request_path="request",
                    hidden_when_protected=frozenset(hidden),
                    draft_status=draft,
                ),
            )
