"""The shape every fetcher hands the runner, and the two ways a source can fail."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


class SourceUnavailable(Exception):
    """The source is down (connection refused, timeout, HTTP 5xx): worth trying again later."""


class SourceError(Exception):
    """The source answered, but with something we cannot read (e.g. malformed JSON or XML).
    Trying again would give the same answer, so the run fails at once."""


class RecordInvalid(Exception):
    """One record cannot be read; the others of the run are kept."""


@dataclass(frozen=True)
class Record:
    """One item of a feed or row of a file, in the monitoring's own terms."""

    ref: str  # where it is in the source ("#3", "fil.csv rad 4"): for the run's report
    ident: str  # the record's own id, or a hash of its content: the signal's identity
    title: str
    details: str = ""
    org_number: str = ""
    permit_number: str = ""
    name: str = ""
    severity: str = ""  # a Severity value, or "" for the kind's default
    date: dt.date | None = None
    url: str = ""
    text: str = ""  # free text (RSS title and summary) scanned for provider names


@dataclass(frozen=True)
class Skip:
    ref: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"ref": self.ref, "reason": self.reason}


@dataclass
class Fetched:
    records: list[Record] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    # (name, sha256) of drop-folder files read this time; remembered when the run is written.
    files: list[tuple[str, str]] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return len(self.records) + len(self.skipped)


def content_hash(value: Any) -> str:
    """A stable identity for a record without an id of its own."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
