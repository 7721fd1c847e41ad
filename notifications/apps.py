from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """In-app notifications and reminders of the events that concern a user. It stands above
    placements: it listens to the requests' events, placements never calls it."""

    name = "notifications"
    verbose_name = _("Notifications")
