"""Read a monitoring source into Records: an HTTP JSON feed, an RSS/Atom feed or the CSV/XLSX
files of a drop folder.

Fetchers only read: they never touch the database, so a run that fails half-way has written
nothing. A source that cannot be reached raises SourceUnavailable (the task retries); one that
answers with something unreadable raises SourceError (the run fails at once); a single
unreadable record is reported as a Skip and the others are kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from followup.models import MonitoringSource, Severity
from followup.monitoring.records import (
    Fetched,
    Record,
    RecordInvalid,
    Skip,
    SourceError,
    SourceUnavailable,
    content_hash,
)
from providers.importer import ImportFileError, read_table
from providers.validators import normalise_org_number

# Canonical record fields; a source's field_mapping names the feed's field (or file column)
# for each, and a missing entry means the feed uses the canonical name itself.
FIELDS = ("id", "org_number", "permit_number", "name", "title", "severity", "date", "url")
OPTIONAL_FIELDS = ("details", "items")  # free text, and the list's key in an object feed
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_IDENT_LENGTH = 200  # dedup keys hold "<source>:<ident>" within 300 characters
FILE_SUFFIXES = (".csv", ".xlsx")
USER_AGENT = "Spink basic monitoring"

SEVERITY_WORDS = {
    "low": Severity.LOW,
    "låg": Severity.LOW,
    "1": Severity.LOW,
    "medium": Severity.MEDIUM,
    "medel": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "2": Severity.MEDIUM,
    "high": Severity.HIGH,
    "hög": Severity.HIGH,
    "critical": Severity.HIGH,
    "kritisk": Severity.HIGH,
    "3": Severity.HIGH,
}


def fetch(
    source: MonitoringSource, *, timeout: float, already_read: Iterable[tuple[str, str]] = ()
) -> Fetched:
    """Every record the source holds now (for a file drop: in files not read before)."""
    if source.format == MonitoringSource.Format.JSON:
        return fetch_json(source, timeout=timeout)
    if source.format == MonitoringSource.Format.RSS:
        return fetch_rss(source, timeout=timeout)
    if source.format == MonitoringSource.Format.FILE:
        return fetch_files(source, already_read=set(already_read))
    raise SourceError(_("Unknown source format “%(format)s”.") % {"format": source.format})


# --- Field mapping and values ---------------------------------------------------------------------


def field_names(source: MonitoringSource) -> dict[str, str]:
    mapping = source.field_mapping if isinstance(source.field_mapping, dict) else {}
    return {name: str(mapping.get(name) or name) for name in FIELDS + OPTIONAL_FIELDS}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id typed into a spreadsheet comes back as 1001.0
    return " ".join(str(value).split())


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for parse in (dt.date.fromisoformat, lambda t: dt.datetime.fromisoformat(t).date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise RecordInvalid(
        _("The date “%(value)s” is not a date (write YYYY-MM-DD).") % {"value": text[:40]}
    )


def _severity(value: Any) -> str:
    text = _text(value).casefold()
    if not text:
        return ""
    try:
        return SEVERITY_WORDS[text]
    except KeyError:
        raise RecordInvalid(
            _("Unknown severity “%(value)s” (use low, medium or high).") % {"value": text[:40]}
        ) from None


def _url(value: Any) -> str:
    # Only web links are shown as links; anything else (javascript:, file:) is dropped.
    text = _text(value)
    if len(text) <= 500 and urlsplit(text).scheme in ("http", "https"):
        return text
    return ""


def _ident(value: Any, raw: Any) -> str:
    ident = _text(value) or content_hash(raw)
    if len(ident) > MAX_IDENT_LENGTH:
        ident = hashlib.sha256(ident.encode()).hexdigest()
    return ident


def build_record(get: Callable[[str], Any], ref: str, raw: Any) -> Record:
    """A Record from a mapped item; `get(field)` returns the item's value for a canonical field."""
    org_number = _text(get("org_number"))
    return Record(
        ref=ref,
        ident=_ident(get("id"), raw),
        title=_text(get("title"))[:300],
        details=str(get("details") or "").strip(),
        org_number=normalise_org_number(org_number) if org_number else "",
        permit_number=_text(get("permit_number")),
        name=_text(get("name")),
        severity=_severity(get("severity")),
        date=_date(get("date")),
        url=_url(get("url")),
    )


# --- HTTP -----------------------------------------------------------------------------------------


class _TokenStaysHomeRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects to web addresses only, and never sends the source's token on to
    another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect outside the web", headers, fp)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc != urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


_opener = urllib.request.build_opener(_TokenStaysHomeRedirectHandler)


def http_get(url: str, *, token: str = "", timeout: float, accept: str) -> bytes:
    """GET a feed. Down (retry later) and unreadable (fail now) are told apart here."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(_("The source's URL must start with http:// or https://."))
    headers = {"Accept": accept, "User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    try:
        with _opener.open(request, timeout=timeout) as response:
            if response.length is not None and response.length > MAX_FEED_BYTES:
                raise SourceError(_("The feed is larger than 20 MB."))
            # With a known length, read() notices a connection cut mid-body (IncompleteRead);
            # read(n) would quietly return the part that arrived.
            body = (
                response.read()
                if response.length is not None
                else response.read(MAX_FEED_BYTES + 1)
            )
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code in (408, 429):
            raise SourceUnavailable(
                _("The source answered HTTP %(code)s.") % {"code": error.code}
            ) from error
        raise SourceError(
            _("The source refused the request: HTTP %(code)s.") % {"code": error.code}
        ) from error
    except urllib.error.URLError as error:
        raise SourceUnavailable(
            _("The source could not be reached: %(reason)s.") % {"reason": error.reason}
        ) from error
    except TimeoutError as error:
        raise SourceUnavailable(
            _("The source did not answer within %(seconds)s seconds.") % {"seconds": timeout}
        ) from error
    except (OSError, http.client.HTTPException) as error:
        # A connection dropped while reading the answer.
        raise SourceUnavailable(
            _("The connection to the source broke: %(error)s.") % {"error": error}
        ) from error
    if len(body) > MAX_FEED_BYTES:
        raise SourceError(_("The feed is larger than 20 MB."))
    return body


# --- JSON feed ------------------------------------------------------------------------------------


def _lookup(item: dict, path: str) -> Any:
    """A field of a JSON object; dots reach into nested objects ("company.orgNo")."""
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def fetch_json(source: MonitoringSource, *, timeout: float) -> Fetched:
    body = http_get(source.url, token=source.token, timeout=timeout, accept="application/json")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise SourceError(
            _("The feed is not valid JSON: %(error)s.") % {"error": str(error)[:200]}
        ) from error
    names = field_names(source)
    items = data.get(names["items"]) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise SourceError(
            _(
                "The feed holds no list of records: expected a list, or an object with a list "
                "under “%(key)s”."
            )
            % {"key": names["items"]}
        )
    fetched = Fetched()
    for number, item in enumerate(items, 1):
        ref = _("item %(number)s") % {"number": number}
        if not isinstance(item, dict):
            fetched.skipped.append(Skip(ref, _("The record is not a JSON object.")))
            continue

        def get(name: str, item: dict = item) -> Any:
            return _lookup(item, names[name]) if name in names else None

        try:
            record = build_record(get, ref, item)
        except RecordInvalid as error:
            fetched.skipped.append(Skip(ref, str(error)))
        else:
            fetched.records.append(record)
    return fetched


# --- RSS/Atom feed --------------------------------------------------------------------------------


def _plain(value: Any) -> str:
    return " ".join(html.unescape(strip_tags(str(value or ""))).split())


def fetch_rss(source: MonitoringSource, *, timeout: float) -> Fetched:
    body = http_get(
        source.url,
        token=source.token,
        timeout=timeout,
        accept="application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1",
    )
    parsed = feedparser.parse(body)
    problem = parsed.get("bozo_exception")
    # feedparser reads almost anything leniently; a feed that is not well-formed XML could be
    # missing items silently, so the run fails and says why instead.
    if parsed.get("bozo") and not isinstance(problem, feedparser.CharacterEncodingOverride):
        raise SourceError(
            _("The feed is not valid RSS/Atom XML: %(error)s.") % {"error": str(problem)[:200]}
        )
    if not parsed.get("version"):
        raise SourceError(_("The document is not an RSS or Atom feed."))
    fetched = Fetched()
    for number, entry in enumerate(parsed.entries, 1):
        ref = _("entry %(number)s") % {"number": number}
        title = _plain(entry.get("title"))[:300]
        summary = _plain(entry.get("summary"))
        if not (title or summary):
            fetched.skipped.append(Skip(ref, _("The entry has neither a title nor a summary.")))
            continue
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        link = _url(entry.get("link"))
        fetched.records.append(
            Record(
                ref=ref,
                ident=_ident(entry.get("id") or link, {"title": title, "summary": summary}),
                title=title or summary[:120],
                details=summary,
                date=dt.date(*published[:3]) if published else None,
                url=link,
                text=f"{title}\n{summary}",
            )
        )
    return fetched


# --- CSV/XLSX file drop ---------------------------------------------------------------------------


def fetch_files(source: MonitoringSource, *, already_read: set[tuple[str, str]]) -> Fetched:
    """Rows of every CSV/XLSX file in the drop folder not read before (same name and content)."""
    if not source.file_path:
        raise SourceError(_("The source has no file drop folder."))
    folder = Path(source.file_path)
    try:
        paths = sorted(
            path
            for path in folder.iterdir()
            if path.is_file()
            and not path.name.startswith(".")
            and path.suffix.lower() in FILE_SUFFIXES
        )
    except OSError as error:
        # A network share that is not mounted yet: worth another try.
        raise SourceUnavailable(
            _("The file drop folder cannot be read: %(error)s.") % {"error": error.strerror}
        ) from error
    names = field_names(source)
    columns = {name: column.casefold() for name, column in names.items()}
    fetched = Fetched()
    for path in paths:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise SourceUnavailable(
                _("The file %(file)s cannot be read: %(error)s.")
                % {"file": path.name, "error": error.strerror}
            ) from error
        digest = hashlib.sha256(content).hexdigest()
        if (path.name, digest) in already_read:
            continue
        fetched.files.append((path.name, digest))
        try:
            header, rows = read_table(content, path.name)
        except ImportFileError as error:
            fetched.skipped.append(Skip(path.name, str(error)))
            continue
        keys = [column.strip().casefold() for column in header]
        for number, values in rows:
            ref = _("%(file)s, row %(row)s") % {"file": path.name, "row": number}
            row = {key: value for key, value in zip(keys, values, strict=False) if key}

            def get(name: str, row: dict = row) -> Any:
                return row.get(columns[name]) if name in columns else None

            try:
                record = build_record(get, ref, row)
            except RecordInvalid as error:
                fetched.skipped.append(Skip(ref, str(error)))
            else:
                fetched.records.append(record)
    return fetched
