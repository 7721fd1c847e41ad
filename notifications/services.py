"""Writes of notifications: made from the requests' timeline events (the hook in
notifications.apps) and by the reminder jobs (notifications.tasks), read and marked read by
their recipient, e-mailed per the recipient's preference through the outbox.

Every service takes keyword arguments, the actor first where there is one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import rules, selectors
from notifications.models import Kind, Notification, Preference
from placements.models import PlacementRequest, Recommendation, RequestStatus, TimelineEvent
from spink import outbox
from spink.accounts.models import User

logger = logging.getLogger(__name__)

# The job that e-mails one notification (declared, under this name, in notifications.tasks).
SEND_EMAIL_TASK = "notifications.send_email"


def _pk(record) -> int:
    return record if isinstance(record, int) else record.pk


def _recipients(
    row: rules.Row,
    request: PlacementRequest,
    event: TimelineEvent | None = None,
    actor_id: int | None = None,
) -> list[User]:
    """The row's recipients for the request: each once, never the actor, only those who may
    see the request."""
    found: dict[int, User] = {}
    for recipient in row.recipients:
        for user in selectors.recipients(recipient, request, event):
            if user.pk != actor_id and user.is_active:
                found.setdefault(user.pk, user)
    return [user for user in found.values() if selectors.may_see(user, request)]


def _email_if_wanted(notification: Notification, user: User) -> None:
    if user.email and selectors.wants_email(user, notification.kind):
        outbox.enqueue(SEND_EMAIL_TASK, notification.pk)


# --- From the timeline -------------------------------------------------------------------------


def notify_event(*, event: TimelineEvent) -> list[Notification]:
    """Tell whoever rules.EVENTS names of a new timeline event, in the event's own
    transaction. Idempotent: a recipient gets one notification per event. Events no row
    names (a draft created or edited, a submission) cost nothing."""
    row = rules.EVENTS.get(event.kind)
    if row is None:
        return []
    with transaction.atomic():
        request = event.request
        made = []
        for user in _recipients(row, request, event, actor_id=event.actor_id):
            notification, created = Notification.objects.get_or_create(
                recipient=user, event=event, defaults={"request": request, "kind": row.kind}
            )
            if created:
                made.append(notification)
                _email_if_wanted(notification, user)
        return made


# --- Reminders -----------------------------------------------------------------------------------


def _remind(kind: Kind, requests: Iterable[PlacementRequest], occasion_of) -> int:
    """One reminder of `kind` per recipient, request and occasion; returns how many are new."""
    row = rules.REMINDERS[kind]
    made = 0
    for request in requests:
        with transaction.atomic():
            for user in _recipients(row, request):
                notification, created = Notification.objects.get_or_create(
                    recipient=user,
                    request=request,
                    kind=kind,
                    occasion=occasion_of(request),
                    event=None,
                )
                if created:
                    made += 1
                    _email_if_wanted(notification, user)
    if made:
        logger.info("notifications: %s reminders of %s", made, kind)
    return made


# What the recipients and the scope check read of a request, and nothing of the person.
REMINDER_FIELDS = (
    "reference",
    "status",
    "team",
    "org_unit",
    "protected_identity",
    "administration__municipality",
    "social_worker",
    "assigned_officer",
)


def _reminder_requests(*fields: str) -> QuerySet[PlacementRequest]:
    return PlacementRequest.objects.select_related(
        "administration", "social_worker", "assigned_officer"
    ).only(*REMINDER_FIELDS, *fields)


def remind_choice_waiting(*, now: dt.datetime | None = None) -> int:
    """Recommendations waiting for the social worker's choice longer than
    NOTIFICATIONS_CHOICE_WAITING_DAYS: the social worker and the assigned officer are reminded,
    once per latest recommendation (a new recommendation starts the wait again)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.NOTIFICATIONS_CHOICE_WAITING_DAYS)
    requests = (
        _reminder_requests()
        .filter(status=RequestStatus.RECOMMENDED)
        .annotate(last_recommendation=Max("recommendations__id"))
        .annotate(last_recommended_at=Max("recommendations__created_at"))
        .filter(last_recommended_at__lt=cutoff)
        .order_by("pk")
    )
    return _remind(Kind.CHOICE_WAITING, requests, lambda request: f"r{request.last_recommendation}")


def remind_start_soon(*, now: dt.datetime | None = None) -> int:
    """Open requests without a recommendation whose wanted start is within
    NOTIFICATIONS_START_SOON_DAYS (or has passed): the assigned officer is reminded, or the
    team's officers while nobody has taken it; once per wanted start."""
    today = timezone.localdate(now or timezone.now())
    horizon = today + dt.timedelta(days=settings.NOTIFICATIONS_START_SOON_DAYS)
    requests = (
        _reminder_requests("wanted_start")
        .filter(
            status__in=[RequestStatus.SUBMITTED, RequestStatus.IN_MATCHING],
            wanted_start__lte=horizon,
        )
        .filter(~Exists(Recommendation.objects.filter(request=OuterRef("pk"))))
        .order_by("pk")
    )
    return _remind(Kind.START_SOON, requests, lambda request: request.wanted_start.isoformat())


def remind_stale_drafts(*, now: dt.datetime | None = None) -> int:
    """Drafts nobody has touched for NOTIFICATIONS_STALE_DRAFT_DAYS: their author is reminded,
    once per last touch (a draft edited and left again is reminded of again)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.NOTIFICATIONS_STALE_DRAFT_DAYS)
    requests = (
        _reminder_requests()
        .filter(status=RequestStatus.DRAFT)
        .annotate(touched_at=Max("timeline__created_at"), last_event=Max("timeline__id"))
        .filter(touched_at__lt=cutoff)
        .order_by("pk")
    )
    return _remind(Kind.STALE_DRAFT, requests, lambda request: f"e{request.last_event}")


# --- The recipient's own ---------------------------------------------------------------------


def mark_read(*, actor: User, notification: Notification | int) -> Notification:
    """Mark one of the actor's notifications read (someone else's does not exist for them:
    Notification.DoesNotExist)."""
    found = Notification.objects.get(pk=_pk(notification), recipient=actor)
    if found.read_at is None:
        found.read_at = timezone.now()
        Notification.objects.filter(pk=found.pk, read_at__isnull=True).update(read_at=found.read_at)
    return found


def mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def set_email_preferences(*, actor: User, choices: dict[str, bool]) -> None:
    """The actor's choice per kind: True for in the app and by e-mail, False for in the app
    only. Kinds without a choice (rules.Row.email_choice) are refused."""
    for kind, by_email in choices.items():
        if not rules.ROWS[kind].email_choice:
            raise ValueError(f"no e-mail choice for {kind}")
        Preference.objects.update_or_create(
            user=actor, kind=kind, defaults={"by_email": bool(by_email)}
        )


# --- E-mail --------------------------------------------------------------------------------------


def send_email(*, notification: Notification | int) -> bool:
    """E-mail one notification (the task notifications.send_email): what happened, the
    request's reference and a link, never person data. At most once (the row lock and
    emailed_at make a second delivery a no-op); nothing for a notification already read in
    the app. Returns whether a mail was sent."""
    with transaction.atomic():
        locked = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient", "request")
            .only(
                "id",
                "kind",
                "read_at",
                "emailed_at",
                "recipient__email",
                "recipient__is_active",
                "request__reference",
            )
            .filter(pk=_pk(notification))
            .first()
        )
        if locked is None or locked.emailed_at is not None or locked.read_at is not None:
            return False
        recipient = locked.recipient
        if not (recipient.email and recipient.is_active):
            return False
        reference = locked.request.reference or ""
        with translation.override("sv"):
            subject = _("Spink: %(what)s – %(reference)s") % {
                "what": locked.get_kind_display(),
                "reference": reference,
            }
            body = _(
                "%(message)s\n\nOpen it in Spink:\n%(url)s\n\n"
                "You can choose which notifications also come by e-mail under Notifications "
                "in Spink.\n"
            ) % {
                "message": rules.message(locked.kind, reference),
                "url": settings.SITE_URL + reverse("notifications:open", args=[locked.pk]),
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
        locked.emailed_at = timezone.now()
        locked.save(update_fields=["emailed_at"])
    return True
