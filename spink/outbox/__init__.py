"""Tasks recorded with the change that implies them, sent when the broker can take them
(`spink.outbox.sending` tells how). Call `outbox.enqueue(task, *args)` inside the caller's
transaction instead of `task.delay(*args)`."""

from __future__ import annotations

from typing import Any


def enqueue(task: Any, *args: Any, **kwargs: Any):
    # Imported on call: this package is imported before the app registry is ready.
    from spink.outbox.sending import enqueue as _enqueue

    return _enqueue(task, *args, **kwargs)


def in_flight(task: Any, *args: Any, sent_since=None) -> bool:
    """Whether a message for `task(*args)` is pending, or was sent after `sent_since`."""
    from spink.outbox.sending import in_flight as _in_flight

    return _in_flight(task, *args, sent_since=sent_since)
