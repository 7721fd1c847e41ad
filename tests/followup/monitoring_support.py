"""Shared by the monitoring tests: a real local HTTP server for the feeds, the register the
fixture feeds talk about, and waiting on the real worker.

Importing this module (at collection, before the session's worker starts) points the worker's
e-mail at files in MAIL_DIR and keeps the tasks it sends itself (retries, notifications, one
run per source) on the test queue.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from followup.models import MonitoringKind, MonitoringRun, MonitoringSource
from providers.models import CorporateGroup, ProviderPerson, PublicationStatus
from tests.conftest import CELERY_WORKER_ENV, TEST_QUEUE
from tests.factories import ProviderFactory, UnitFactory, offering, permit

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MAIL_DIR = Path(tempfile.mkdtemp(prefix="spink-worker-mail-"))

CELERY_WORKER_ENV.update(
    {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(MAIL_DIR),
        "CELERY_TASK_DEFAULT_QUEUE": TEST_QUEUE,
    }
)

# Retries in tests: 0.1 s, then 0.2 s.
BACKOFF = 0.1

CONTENT_TYPES = {".json": "application/json", ".rss": "application/rss+xml"}

# Organisation numbers, permit and names used by the fixture feeds.
SOLGLANTAN = ("Solgläntan Omsorg AB", "556812-3458")
BJORKEN = ("Björkens Vård AB", "556923-4569")
HAVSBRIS = ("Stiftelsen Havsbris", "802471-2344")
EKBACKEN = ("Ekbacken Behandling AB", "559001-1226")
EKBACKEN_PERMIT = "IVO 3.5.1-4410/2021"
EKBACKEN_UNIT = "HVB Ekbacken"
UNKNOWN_ORG_NUMBER = "556700-1127"


# --- The feed server ------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    cut_after: int | None = None  # send only this many bytes of the body, then hang up
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FeedServer:
    """Serves tests/followup/fixtures/<name> at /<name>; routes override a path with replies
    (the last one repeats)."""

    routes: dict[str, list[Reply]] = field(default_factory=dict)
    hits: Counter = field(default_factory=Counter)
    authorization: dict[str, str] = field(default_factory=dict)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def reply(self, path: str, *replies: Reply) -> None:
        self.routes["/" + path.lstrip("/")] = list(replies)

    def next_reply(self, path: str) -> Reply:
        replies = self.routes.get(path)
        if replies:
            return replies.pop(0) if len(replies) > 1 else replies[0]
        fixture = FIXTURES / path.lstrip("/")
        if path.count("/") != 1 or not fixture.is_file():
            return Reply(404, b"not found", "text/plain")
        return Reply(200, fixture.read_bytes(), CONTENT_TYPES.get(fixture.suffix, "text/plain"))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _handler(feeds: FeedServer):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            feeds.hits[self.path] += 1
            feeds.authorization[self.path] = self.headers.get("Authorization", "")
            reply = feeds.next_reply(self.path)
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
            with contextlib.suppress(OSError):
                self.wfile.write(body)
            if reply.cut_after is not None:
                self.close_connection = True

        def log_message(self, format, *args):  # quiet
            pass

    return Handler


@contextlib.contextmanager
def running_feed_server() -> Iterator[FeedServer]:
    feeds = FeedServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(feeds))
    server.daemon_threads = True
    feeds.port = server.server_address[1]
    feeds._server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield feeds
    finally:
        feeds.stop()


# --- Register and sources -------------------------------------------------------------------------


def source(name: str, kind: str, fmt: str, **fields) -> MonitoringSource:
    return MonitoringSource.objects.create(name=name, kind=kind, format=fmt, **fields)


CREDIT_MAPPING = {
    "items": "events",
    "id": "eventId",
    "org_number": "company.orgNo",
    "name": "company.name",
    "title": "headline",
    "severity": "riskClass",
    "date": "eventDate",
    "url": "link",
    "details": "description",
}
IVO_MAPPING = {
    "id": "diarienummer",
    "permit_number": "tillstand",
    "name": "verksamhet",
    "org_number": "orgnr",
    "title": "rubrik",
    "date": "beslutsdatum",
    "url": "lank",
}
FILE_MAPPING = {
    "id": "Händelse-ID",
    "org_number": "Organisationsnummer",
    "name": "Företag",
    "title": "Rubrik",
    "severity": "Allvarlighet",
    "date": "Datum",
    "url": "Länk",
}


def credit_source(feeds: FeedServer, path: str = "credit_events.json", **fields):
    fields.setdefault("name", "Kreditbevakning")
    return source(
        kind=MonitoringKind.CREDIT,
        fmt=MonitoringSource.Format.JSON,
        url=feeds.url(path),
        field_mapping=CREDIT_MAPPING,
        **fields,
    )


def ivo_source(feeds: FeedServer, **fields):
    return source(
        "IVO återkallelser",
        MonitoringKind.IVO_REVOCATION,
        MonitoringSource.Format.JSON,
        url=feeds.url("ivo_revocations.json"),
        field_mapping=IVO_MAPPING,
        **fields,
    )


def media_source(feeds: FeedServer, path: str = "media.rss", **fields):
    fields.setdefault("name", "Mediebevakning")
    return source(
        kind=MonitoringKind.MEDIA, fmt=MonitoringSource.Format.RSS, url=feeds.url(path), **fields
    )


def credit_register() -> dict:
    """The providers the credit feed and the media feed name."""
    return {
        "solglantan": ProviderFactory(legal_name=SOLGLANTAN[0], org_number=SOLGLANTAN[1]),
        "bjorken": ProviderFactory(legal_name=BJORKEN[0], org_number=BJORKEN[1]),
        "havsbris": ProviderFactory(legal_name=HAVSBRIS[0], org_number=HAVSBRIS[1]),
    }


def ekbacken_register() -> dict:
    """HVB Ekbacken (published, permit in the IVO feed), a sister company in its corporate
    group, a provider sharing its chair, and one merely sharing the chair's name."""
    group = CorporateGroup.objects.create(name="Ekbacken Gruppen")
    provider = ProviderFactory(
        legal_name=EKBACKEN[0], org_number=EKBACKEN[1], corporate_group=group
    )
    unit = UnitFactory(provider=provider, name=EKBACKEN_UNIT, status=PublicationStatus.PUBLISHED)
    offering(unit, "hvb", "direct", price=3200)
    the_permit = permit(unit, "hvb", permit_number=EKBACKEN_PERMIT)
    sister = ProviderFactory(legal_name="Ekbacken Ungdom AB", corporate_group=group)
    board_peer = ProviderFactory(legal_name="Lyktan Stöd AB")
    namesake = ProviderFactory(legal_name="Annat Namn AB")
    chair = {
        "name": "Karin Ek",
        "role": ProviderPerson.Role.CHAIR,
        "valid_from": dt.date(2020, 1, 1),
    }
    ProviderPerson.objects.create(provider=provider, birth_date=dt.date(1968, 4, 2), **chair)
    ProviderPerson.objects.create(provider=board_peer, birth_date=dt.date(1968, 4, 2), **chair)
    ProviderPerson.objects.create(provider=namesake, birth_date=dt.date(1975, 9, 9), **chair)
    return {
        "provider": provider,
        "unit": unit,
        "permit": the_permit,
        "sister": sister,
        "board_peer": board_peer,
        "namesake": namesake,
    }


# --- Waiting on the worker ------------------------------------------------------------------------


def wait_for(condition: Callable[[], object], timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"Timed out waiting for {what}.")


def finished(run_id: int, timeout: float = 60) -> MonitoringRun:
    def done():
        run = MonitoringRun.objects.get(pk=run_id)
        return run if run.status != MonitoringRun.Status.RUNNING else None

    return wait_for(done, timeout, f"run {run_id} to finish")


def mails_to(address: str) -> list[email.message.Message]:
    messages = []
    for path in sorted(MAIL_DIR.glob("*.log")):
        # The file backend writes each message followed by a line of dashes.
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk.strip())
                if address in (message.get("To") or ""):
                    messages.append(message)
    return messages
