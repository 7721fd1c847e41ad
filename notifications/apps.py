from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """In-app notifications and reminders of the events that concern a user. It stands above
    placements: it listens to the requests' events, placements never calls it."""

    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Services queue this app's jobs by name (spink.outbox); registering the tasks in every
        # process, not only the worker, lets a web process run them eagerly too.
        from django.db.models.signals import post_save

        from notifications import tasks  # noqa: F401
        from placements.models import TimelineEvent

        post_save.connect(
            _event_recorded, sender=TimelineEvent, dispatch_uid="notifications.event_recorded"
        )


def _event_recorded(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Every placement event is a timeline event written by placements.services inside its
    transaction: the notifications it implies are written in the same transaction."""
    if not created or raw:
        return
    from notifications import services

    services.notify_event(event=instance)
