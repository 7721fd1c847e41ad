"""503 Service Unavailable, not 500, while PostgreSQL or the broker (Redis) cannot be reached.

A lost database or broker is an outage, not a bug: the user gets a short "temporarily
unavailable" page (JSON under /api/) with `Retry-After`, and the log gets one WARNING line
with the view's name and record ids, never a traceback at ERROR level (which would page
someone once per request) and never a query string, a message text or a user (which may
carry personal data).

Two ways in, because Django turns every exception into a response inside each middleware
layer (`convert_exception_to_response`), so no middleware's `__call__` ever sees an
exception raised by the layers inside it:

* `ServiceUnavailableMiddleware.process_exception` takes what the view (or the rendering of
  its template response) raises: most outages show up there, when the view first evaluates
  `request.user` (session and user lookups) or runs a query;
* `server_error`, the project's `handler500`, takes what middleware raises outside the view
  (e.g. the session saved in `SessionMiddleware.process_response`); every other error gets
  Django's own 500 page as before.

Recovery needs nothing from here: `CONN_HEALTH_CHECKS` (settings) makes Django replace a
connection that broke while the database was away at the start of the next request.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import kombu.exceptions
import psycopg
import redis.exceptions
from django import db
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
API_PREFIX = "/api/"

# SQLSTATEs of a server that is away, not of a query that failed: class 08 (connection
# exception), the server shutting down or starting up (57P01–57P03) and a full connection
# table (53300), which clears by itself. A serialization failure (40001), a deadlock (40P01)
# or a statement timeout (57014) is also an OperationalError but a real error of the request.
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}

_BROKER_ERRORS = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it was explicitly raised from (Django's database errors wrap
    psycopg's; kombu's wrap redis-py's), a few levels deep."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__
    return chain


def _database_down(exc: BaseException) -> bool:
    if isinstance(exc, (db.InterfaceError, psycopg.InterfaceError)):
        # "connection already closed": a connection the server dropped.
        return True
    if not isinstance(exc, (db.OperationalError, psycopg.OperationalError)):
        return False
    for error in _causes(exc):
        if isinstance(error, psycopg.Error):
            sqlstate = error.sqlstate
            # No SQLSTATE: the client library failed to connect or lost the socket.
            return sqlstate is None or sqlstate[:2] == "08" or sqlstate in _UNAVAILABLE_SQLSTATES
    return False


def unavailable_service(exc: BaseException | None) -> str | None:
    """'database' or 'broker' if `exc` means that service cannot be reached, else None."""
    if exc is None:
        return None
    if _database_down(exc):
        return "database"
    if any(isinstance(error, _BROKER_ERRORS) for error in _causes(exc)):
        return "broker"
    return None


def _where(request: HttpRequest) -> str:
    """The view's name and its numeric URL arguments (record ids): what an operator needs,
    without the path's free text or the query string, which may name a person."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unresolved path"
    arguments = " ".join(
        f"{name}={value}" if str(value).isdigit() else f"{name}=…"
        for name, value in sorted(match.kwargs.items())
    )
    return f"{match.view_name} {arguments}".strip()


def _stylesheet() -> str | None:
    # The manifest storage raises for a file collectstatic did not write; the page must
    # render all the same, only plainer.
    try:
        return static("css/spink.css")
    except ValueError:
        return None


def _language(request: HttpRequest) -> str:
    """The language the page would have had: set by the locale middleware, or when the
    outage came before it, the same rule (the chosen language, else Swedish)."""
    if getattr(request, "LANGUAGE_CODE", None):
        return request.LANGUAGE_CODE
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


def unavailable_response(request: HttpRequest, exc: BaseException, service: str) -> HttpResponse:
    """The 503 answer. It touches neither the database nor the session: a template rendered
    without a request, so no context processor (user, navigation, messages) runs."""
    errors = [error for error in _causes(exc) if isinstance(error, psycopg.Error)]
    sqlstate = errors[0].sqlstate if errors else None
    logger.warning(
        "%s unavailable (%s%s): %s %s answered 503",
        service,
        type(exc).__name__,
        f", sqlstate {sqlstate}" if sqlstate else "",
        request.method,
        _where(request),
    )
    with translation.override(_language(request)):
        if request.path_info.startswith(API_PREFIX):
            response: HttpResponse = JsonResponse(
                {
                    "detail": _("The service is temporarily unavailable. Try again shortly."),
                    "code": "service_unavailable",
                },
                status=503,
            )
        else:
            html = render_to_string(
                "503.html",
                {
                    "LANGUAGE_CODE": translation.get_language(),
                    "retry_url": request.path,
                    "stylesheet": _stylesheet(),
                    "retry_after": RETRY_AFTER_SECONDS,
                },
            )
            response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Logged above as one WARNING line; keeps django.request from adding an ERROR line.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class ServiceUnavailableMiddleware:
    """Turns the view's database/broker connection errors into 503 (see the module's doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        service = unavailable_service(exception)
        if service is None:
            return None
        return unavailable_response(request, exception, service)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: the 503 answer for an outage met outside the view, Django's 500 page for
    everything else. Django calls it while handling the exception, so sys.exc_info() has it."""
    exc = sys.exc_info()[1]
    service = unavailable_service(exc)
    if exc is not None and service is not None:
        return unavailable_response(request, exc, service)
    return defaults.server_error(request)
