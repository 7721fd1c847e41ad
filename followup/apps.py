from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Supplier follow-up")

    def ready(self):
        # Services queue this app's jobs by name (spink.outbox); registering the tasks in
        # every process, not only the worker, lets a web process run them eagerly too.
        from followup import tasks  # noqa: F401
        from followup.forms import (
            ControlFilterForm,
            DeepControlFilterForm,
            FeedbackFilterForm,
            SiteVisitFilterForm,
        )
        from followup.monitoring.forms import SignalFilterForm
        from spink.accounts.saved_filters import register_list

        # A saved filter keeps the filter form's fields only: the control and site-visit lists
        # also take a statistics year, which a default filter must not hold fixed.
        for list_name, form in (
            ("followup:control-list", ControlFilterForm),
            ("followup:feedback-list", FeedbackFilterForm),
            ("followup:deep-control-list", DeepControlFilterForm),
            ("followup:proposal-list", DeepControlFilterForm),
            ("followup:site-visit-list", SiteVisitFilterForm),
            ("monitoring:signal-list", SignalFilterForm),
        ):
            register_list(list_name, fields=form.base_fields)

        # What the admin must never reveal of the records about a person (spink.admin_safety).
        from placements.models import RequestStatus
        from spink.admin_safety import PersonData, register_person_data

        register_person_data(
            "followup.Feedback",
            PersonData(
                request_path="placement_request",
                # The link itself ties the unit the feedback is about to the protected person.
                hidden_when_protected=frozenset(
                    {"placement_request", "description", "provider_answer", "closing_note"}
                ),
                draft_status=RequestStatus.DRAFT,
            ),
        )
        register_person_data(
            "followup.DeepControl",
            PersonData(
                request_path="feedback__placement_request",
                hidden_when_protected=frozenset({"feedback", "reason_details"}),
                draft_status=RequestStatus.DRAFT,
            ),
        )

        # A direct-procurement unit is published only after an approved pre-admission
        # control: followup adds the condition to the register's publication rules.
        from followup.rules import check_unit_publishable
        from providers import rules as register_rules

        if check_unit_publishable not in register_rules.PUBLICATION_CHECKS:
            register_rules.PUBLICATION_CHECKS.append(check_unit_publishable)

        # Basic monitoring: a paused, removed or stopped unit puts its related providers
        # (same corporate group, shared board members) in the team's inbox for review.
        from followup.monitoring.group_review import on_unit_status_changed
        from providers.signals import unit_status_changed

        unit_status_changed.connect(
            on_unit_status_changed, dispatch_uid="followup.monitoring.group_review"
        )

        # The comparison of shortlisted units shows each unit's latest matching-focused site
        # visit: followup adds the fact, placements never imports followup.
        from django.utils.translation import gettext_lazy as _

        from followup.selectors import latest_site_visit_texts
        from placements import unit_facts

        unit_facts.register("site_visit", _("Latest site visit"), latest_site_visit_texts)
