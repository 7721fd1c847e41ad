"""In-app notifications of the events on a placement request that concern a user, the
reminders the beat jobs raise, and each user's choice of which kinds also come by e-mail.

A notification stores no text: what it says is made when it is shown, from its kind and the
request's reference (notifications.rules.MESSAGES), so no name, identity number or free text
written about the person ever lands here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    # Events on the request's timeline (placements.models.TimelineEvent.Kind)
    RECOMMENDATION = "recommendation", _("Recommendation sent")
    MESSAGE = "message", _("New message")
    ASSIGNED = "assigned", _("Request assigned to you")
    WITHDRAWN = "withdrawn", _("Request withdrawn")
    PROVIDER_CHOSEN = "provider_chosen", _("Provider chosen")
    NOT_PLACED = "not_placed", _("None of the recommendations chosen")
    NO_PROVIDER_FOUND = "no_provider_found", _("No provider found")
    DEVIATION = "deviation", _("Deviation lodged")
    DEVIATION_HANDLED = "deviation_handled", _("Deviation being handled")
    DEVIATION_CLOSED = "deviation_closed", _("Deviation closed")
    # Reminders (notifications.tasks, celery beat)
    CHOICE_WAITING = "choice_waiting", _("Reminder: recommendations await a choice")
    START_SOON = "start_soon", _("Reminder: wanted start soon, no recommendation")
    STALE_DRAFT = "stale_draft", _("Reminder: draft left untouched")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    request = models.ForeignKey(
        "placements.PlacementRequest",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("placement request"),
    )
    # The timeline event it tells of; none for a reminder.
    event = models.ForeignKey(
        "placements.TimelineEvent",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("event"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # A reminder's occasion (e.g. the date it is about): with recipient, request and kind it
    # makes a reminder once only, however often its job runs. Empty for events.
    occasion = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("marked read"), null=True, blank=True)
    # Set by the e-mail task: makes a second delivery of the task a no-op.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # A user's list, newest first; the unread count reads the partial index.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event"],
                condition=Q(event__isnull=False),
                name="uniq_notification_event",
            ),
            models.UniqueConstraint(
                fields=["recipient", "request", "kind", "occasion"],
                condition=Q(event__isnull=True),
                name="uniq_notification_reminder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Preference(models.Model):
    """A user's choice for one kind: in the app only, or in the app and by e-mail. Without a
    row, notifications.rules.EMAIL_BY_DEFAULT decides."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    by_email = models.BooleanField(_("also by e-mail"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="uniq_notification_preference")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {'e-mail' if self.by_email else 'in-app'}"
