"""Optimistic concurrency: an edit is saved only over the version of the record its author saw.

A record's *version* is a digest of the values of the fields people edit (the model's editable
field list, the same one the form, the serializer and the service use). A form carries the
values it was rendered with, signed (`seen_token`), so that a stale save can say which fields
changed meanwhile and the page can keep the user's input; the API carries the digest as an
`ETag` and takes it back in `If-Match`. The service compares under the row lock it already
takes, so two saves of the same version cannot both win.

Digests of values rather than a version counter: no column to add to every model, and a
record changed and changed back is, to its reader, the version they saw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.core import signing
from django.db.models import Field, Model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from spink.errors import RuleViolation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SALT = "spink.concurrency.seen"


class StaleEdit(RuleViolation):
    """The record changed after the user opened it. `changed` names the fields (verbose
    names) whose values differ, when the caller's token carried them."""

    def __init__(self, changed: Sequence[str] = ()):
        self.changed = list(changed)
        message: StrOrPromise
        if self.changed:
            message = _(
                "Someone else changed this after you opened it (%(fields)s). Your changes are "
                "still in the form: check them against the saved version and save again."
            ) % {"fields": ", ".join(self.changed)}
        else:
            message = _(
                "Someone else changed this after you opened it. Reload it and make your change "
                "again."
            )
        super().__init__(message, "stale")


def _field(instance: Model, name: str) -> Field[Any, Any]:
    # The names here are the model's own editable fields, never reverse relations.
    return cast("Field[Any, Any]", instance._meta.get_field(name))


def _value(instance: Model, name: str) -> str:
    field = _field(instance, name)
    return field.value_to_string(instance)


def snapshot(instance: Model, fields: Iterable[str]) -> dict[str, str]:
    """The edited fields' current values as text."""
    return {name: _value(instance, name) for name in fields}


def version(instance: Model, fields: Iterable[str]) -> str:
    """A short digest of the edited fields' values (the API's ETag, without quotes)."""
    encoded = json.dumps(snapshot(instance, fields), sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def etag(instance: Model, fields: Iterable[str]) -> str:
    return f'"{version(instance, fields)}"'


def seen_token(instance: Model, fields: Iterable[str]) -> str:
    """What a form carries: the values it was rendered with, signed so a client cannot pass
    off another record's values as the ones it saw."""
    return signing.dumps(
        {"pk": instance.pk, "values": snapshot(instance, fields)}, salt=SALT, compress=True
    )


def _changed(instance: Model, seen: dict[str, str]) -> list[str]:
    return [
        str(capfirst(_field(instance, name).verbose_name))
        for name, value in seen.items()
        if _value(instance, name) != value
    ]


def check(instance: Model, fields: Iterable[str], *, seen: str | None = None) -> None:
    """Refuse a save over a version the caller did not see. `seen` is a form's token or an
    If-Match value (a digest, quoted or not); None: the caller claims nothing (an API client
    without If-Match) and the save goes ahead. Call it on the row the service has locked."""
    if seen is None:
        return
    fields = list(fields)
    if seen.startswith(("W/", '"')) or len(seen) == 32:
        tags = {tag.strip().removeprefix("W/").strip('"') for tag in seen.split(",")}
        if "*" in tags or version(instance, fields) in tags:
            return
        raise StaleEdit()
    try:
        data = signing.loads(seen, salt=SALT)
    except signing.BadSignature:
        raise StaleEdit() from None
    if data.get("pk") != instance.pk:
        raise StaleEdit()
    values = {name: value for name, value in data.get("values", {}).items() if name in fields}
    changed = _changed(instance, values)
    if changed or set(values) != set(fields):
        raise StaleEdit(changed)


class StaleState(StaleEdit):
    """A workflow step (a status change, a decision, a stop) sent from a page that showed
    the record in another state: someone else moved it on meanwhile."""

    def __init__(self, label: str, now: str = ""):
        super().__init__([label])
        if now:
            message = "{} {}".format(self.message, _("It is now “%(state)s”.") % {"state": now})
            RuleViolation.__init__(self, message, "stale")


def check_state(instance: Model, field: str, *, seen: object = None) -> None:
    """Refuse a workflow step over a state the caller did not see. `seen` is the value of
    `field` (a status, a decision) the caller's page showed; None: the caller claims nothing.
    Call it on the row the service has locked, before the workflow's own rules, so that of two
    steps sent from the same stale page one wins and the other is told why."""
    if seen is None:
        return
    current = getattr(instance, field)
    if current == seen or (isinstance(current, str) and current == str(seen)):
        return
    model_field = _field(instance, field)
    now = str(getattr(instance, f"get_{field}_display")()) if model_field.choices else ""
    raise StaleState(str(capfirst(model_field.verbose_name)), now)
