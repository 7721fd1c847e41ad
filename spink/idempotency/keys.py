"""Once-only creates.

* A create form carries a key made when it was rendered (`FormKeyField`); the view makes the
  record inside `once(...)`, so the same form posted twice (a double click, a resent POST after
  a timeout) makes one record and the second post is sent to it.
* An API POST with an `Idempotency-Key` header is answered once; a retry with the same key and
  body gets the first answer again (`IdempotencyMiddleware`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeGuard

from django import forms
from django.db import transaction
from django.utils import timezone

from spink.idempotency.models import IdempotencyKey

FORM_FIELD = "form_key"
# Visible ASCII without separators the fingerprint could be confused by; long enough to be
# unguessable, short enough to index.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{8,128}")


def valid_key(key: str | None) -> TypeGuard[str]:
    return key is not None and KEY_PATTERN.fullmatch(key) is not None


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


class FormKeyField(forms.CharField):
    """A hidden field holding the key of one rendered form."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("initial", lambda: uuid.uuid4().hex)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return value if valid_key(value) else ""


@dataclass
class Once:
    """The outcome of `once`: `previous_url` is set when the key was used before, and the
    caller then makes nothing; otherwise it makes the record and calls `made(url)`."""

    claim: IdempotencyKey | None
    previous_url: str | None = None

    @property
    def repeated(self) -> bool:
        return self.previous_url is not None

    def made(self, url: str) -> None:
        if self.claim is not None:
            self.claim.object_url = url
            self.claim.completed_at = timezone.now()
            self.claim.save(update_fields=["object_url", "completed_at"])


def _form_fingerprint(actor, key: str, scope: str) -> str:
    return fingerprint("form", scope, getattr(actor, "pk", None), key)


def made_before(*, actor, key: str | None, scope: str) -> str | None:
    """The url of the record a form key already made, if it did (read before the form is
    validated: a second post of the form could fail validation against its own record)."""
    if not valid_key(key):
        return None
    return (
        IdempotencyKey.objects.filter(
            fingerprint=_form_fingerprint(actor, key, scope), completed_at__isnull=False
        )
        .values_list("object_url", flat=True)
        .first()
    )


@contextmanager
def once(*, actor, key: str | None, scope: str) -> Iterator[Once]:
    """Make a record at most once per form key, in one transaction with the key.

    A second submission of the same key waits for the first one's transaction (the key's
    unique index) and is then told where the record is.
    """
    with transaction.atomic():
        if not valid_key(key):
            yield Once(claim=None)
            return
        claim, created = IdempotencyKey.objects.get_or_create(
            fingerprint=_form_fingerprint(actor, key, scope)
        )
        if not created:
            yield Once(claim=None, previous_url=claim.object_url)
            return
        yield Once(claim=claim)


# How long a retry may come: a client that has not retried within a day never will.
KEPT_FOR = dt.timedelta(hours=24)


def purge(*, older_than: dt.timedelta = KEPT_FOR) -> int:
    """Keys are only needed while a client may still retry; old ones are forgotten."""
    cutoff = timezone.now() - older_than
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
