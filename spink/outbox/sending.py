"""The outbox: Celery tasks recorded in the database with the change that implies them, then
handed to the broker.

`enqueue` writes an `OutboxMessage` in the caller's transaction, so a task exists exactly when
its change was committed. When the transaction commits, one quick attempt to publish is made
(best effort: short timeouts, no retry, no result wanted, every error swallowed after a log
line), so a web request never waits on the broker and the user sees success for what was saved.
What that attempt could not send, `dispatch` (celery beat, every minute) sends later: when
Redis comes back, everything pending goes out by itself.

A message may be published twice (a crash between publishing and marking it sent), so every
task sent through here is idempotent. Rows are claimed with `SELECT … FOR UPDATE SKIP LOCKED`,
so the commit-time attempt and any number of dispatchers never publish the same row at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Task
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from spink.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

# Errors that mean "the broker is not there", as opposed to a bug in what is sent.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)

# After a failed commit-time attempt, this process leaves the next ones to the dispatcher for
# a while: during an outage every request would otherwise pay a connect timeout.
BROKER_PAUSE_SECONDS = 10.0
# Sent rows are kept this long (what was sent when, for support), then deleted.
KEEP_SENT = dt.timedelta(days=7)
BATCH_SIZE = 100

_broker_down_until = 0.0


def enqueue(task: Task | str, *args: Any, **kwargs: Any) -> OutboxMessage:
    """Record `task(*args, **kwargs)` in the current transaction and try to send it once the
    transaction commits. Arguments must be JSON: IDs, never person data."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the row and the change could be committed apart, which is
        # exactly what the outbox is there to rule out.
        raise RuntimeError("outbox.enqueue must be called inside the caller's transaction")
    name = task if isinstance(task, str) else task.name
    message = OutboxMessage.objects.create(task=name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: send_now(message.pk))
    return message


def send_now(message_id: int) -> bool:
    """The commit-time attempt: publish the message unless someone else has or is doing so.
    Never raises: the change is committed, and what is not sent now the dispatcher sends."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                return False
            message.attempts += 1
            _publish(message)
            message.sent_at = timezone.now()
            message.save(update_fields=["attempts", "sent_at"])
        _broker_down_until = 0.0
        return True
    except Exception as error:  # the user's change is saved; this must not turn it into a 500
        if isinstance(error, BROKER_ERRORS):
            _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        _log_failure(message_id, error, "left for the dispatcher")
        _note_failure(message_id, error)
        return False


def dispatch(batch_size: int = BATCH_SIZE) -> int:
    """Send every pending message, oldest first; stop at the first broker error (the next run
    tries again). Returns how many were sent."""
    global _broker_down_until
    sent = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            for message in batch:
                last_pk = message.pk
                message.attempts += 1
                try:
                    _publish(message)
                except Exception as error:
                    message.last_error = _describe(error)
                    message.save(update_fields=["attempts", "last_error"])
                    _log_failure(message.pk, error, "still pending")
                    if isinstance(error, BROKER_ERRORS):
                        # Leaving the block commits what was sent before the broker went away.
                        return sent
                    continue  # a message that cannot be sent must not hold up the others
                message.sent_at = timezone.now()
                message.last_error = ""
                message.save(update_fields=["attempts", "sent_at", "last_error"])
                sent += 1
        if len(batch) < batch_size:
            break
    _broker_down_until = 0.0
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT).delete()
    if sent:
        logger.info("outbox: %s pending messages sent", sent)
    return sent


def in_flight(task: Task | str, *args: Any, sent_since: dt.datetime | None = None) -> bool:
    """Whether a message for `task(*args)` is still pending, or was sent after `sent_since`:
    the task is on its way, not lost."""
    name = task if isinstance(task, str) else task.name
    on_its_way = Q(sent_at__isnull=True)
    if sent_since is not None:
        on_its_way |= Q(sent_at__gte=sent_since)
    return OutboxMessage.objects.filter(on_its_way, task=name, args=list(args)).exists()


def _publish(message: OutboxMessage) -> None:
    from spink.celery import app

    options = {
        # One try with the broker's short timeouts: the dispatcher is the retry.
        "retry": False,
        # Nobody waits on these results; asking for one would subscribe to the result store,
        # which is the same Redis and would block when it is down.
        "ignore_result": True,
        # The same message sent twice has the same id in the worker's log.
        "task_id": f"outbox-{message.pk}",
    }
    task = app.tasks.get(message.task)
    if task is None:
        app.send_task(message.task, message.args, message.kwargs, **options)
    else:
        task.apply_async(message.args, message.kwargs, **options)


def _describe(error: BaseException) -> str:
    # Broker and database errors name hosts and ports, never a person; cut all the same.
    return f"{type(error).__name__}: {error}"[:500]


def _log_failure(message_id: int, error: BaseException, outcome: str) -> None:
    if isinstance(error, BROKER_ERRORS + (DatabaseError,)):
        logger.warning(
            "outbox message %s not sent (%s), %s", message_id, type(error).__name__, outcome
        )
    else:
        logger.exception("outbox message %s not sent, %s", message_id, outcome)


def _note_failure(message_id: int, error: BaseException) -> None:
    # If the database is away too, the dispatcher finds the row as it is.
    with contextlib.suppress(DatabaseError):
        OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
            attempts=F("attempts") + 1, last_error=_describe(error)
        )
