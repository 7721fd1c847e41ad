from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework import exceptions

from spink.api import NUL, PayloadTooLarge, error_body, nul_error

API_PREFIX = "/api/"
# The largest body any endpoint takes: an evidence file (at most 10 MB) or an agreement's
# import file, with the rest of their multipart form.
API_MAX_BODY_BYTES = 16 * 1024 * 1024


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_language(request: HttpRequest) -> str:
    """The first supported language of the Accept-Language header; Swedish without one."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class SwedishByDefaultLocaleMiddleware(LocaleMiddleware):
    """Pages: Swedish unless the user picked another language with the language switcher.

    Django's own middleware follows the browser's Accept-Language, which would show many
    municipal workstations (installed in English) an English Spink. The API (/api/) is read
    by programs, which say what they want in Accept-Language: it follows that header, with
    Swedish when it names no language Spink has.
    """

    def process_request(self, request):
        if is_api(request):
            language = api_language(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            supported = {code for code, _name in settings.LANGUAGES}
            language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# Headers that the API's own checks answer for: a malformed token is an invalid token (401).
_HEADERS_CHECKED_ELSEWHERE = {"HTTP_AUTHORIZATION"}
# Headers kept when Django's own error page is replaced by a JSON error.
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class ApiMiddleware:
    """The API answers JSON, whatever goes wrong; nothing sends PostgreSQL a NUL.

    Before the view: a NUL character in the path, the query string, a header or a cookie is
    refused (PostgreSQL text cannot hold one, and nothing legitimate sends one), and so is
    an API body larger than any endpoint takes (413), before it is read. After: an error
    Django itself answers with an HTML page (no such URL, a bad Host header, a server error)
    becomes the API's JSON error of the same status. Pages refuse a NUL with Django's own
    400 page (their forms and filters look codes up in the database, and so does the session
    behind the session cookie).

    Sits after the locale middleware, so that its messages are in the request's language,
    and before anything reads the session or the query string.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            if _nul_outside_body(request) or _nul_in_form_body(request):
                raise SuspiciousOperation("NUL character in the request")
            return self.get_response(request)
        response = self.refusal(request) or self.get_response(request)
        return self.as_json(response)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        try:
            parameters = request.GET.lists()
        except SuspiciousOperation:  # more parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS
            return JsonResponse(
                error_body(_("The request has too many fields."), "too_many_fields"), status=400
            )
        for name, values in parameters:
            if NUL in name or any(NUL in value for value in values):
                # Like any other invalid parameter: a field error of the parameter.
                return JsonResponse(nul_error(None if NUL in name else name).detail, status=400)
        if _nul_outside_body(request):
            return JsonResponse(
                error_body(_("The request contains a NUL character."), "nul_character"),
                status=400,
            )
        if _content_length(request) > API_MAX_BODY_BYTES:
            return JsonResponse(
                error_body(PayloadTooLarge.default_detail, PayloadTooLarge.default_code),
                status=413,
            )
        return None

    def as_json(self, response: HttpResponse) -> HttpResponse:
        content_type = response.get("Content-Type", "")
        if response.status_code < 400 or "json" in content_type:
            return response
        detail, code = _generic_error(response.status_code)
        replacement = JsonResponse(error_body(detail, code), status=response.status_code)
        for header in _KEPT_HEADERS:
            if header in response:
                replacement[header] = response[header]
        return replacement


def _nul_outside_body(request: HttpRequest) -> bool:
    """A NUL character in the path, the query string, a header or a cookie."""
    query = request.META.get("QUERY_STRING", "")
    if NUL in request.path or NUL in query or "%00" in query:
        return True
    for name, value in request.META.items():
        is_header = name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")
        if (
            is_header
            and name not in _HEADERS_CHECKED_ELSEWHERE
            and isinstance(value, str)
            and NUL in value
        ):
            return True
    # Cookie values are unquoted ("\\000" is a NUL) after the header was checked.
    return any(NUL in name or NUL in value for name, value in request.COOKIES.items())


def _nul_in_form_body(request: HttpRequest) -> bool:
    """A NUL in a posted page form: a choice or lookup field would hand it to PostgreSQL."""
    if request.method != "POST" or request.content_type not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return False
    return any(
        NUL in name or any(NUL in value for value in values)
        for name, values in request.POST.lists()
    )


def _content_length(request: HttpRequest) -> int:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    if not (raw.isascii() and raw.isdigit()):
        return 0  # as Django reads it: no body
    # Beyond 19 digits it is larger than any limit (and int() of thousands of digits fails).
    return int(raw) if len(raw) <= 19 else API_MAX_BODY_BYTES + 1


def _generic_error(status_code: int) -> tuple[str, str]:
    """The API's message and code for an error Django answered with a page of its own."""
    known: dict[int, type[exceptions.APIException]] = {
        401: exceptions.NotAuthenticated,
        403: exceptions.PermissionDenied,
        404: exceptions.NotFound,
        406: exceptions.NotAcceptable,
        413: PayloadTooLarge,
        415: exceptions.UnsupportedMediaType,
        429: exceptions.Throttled,
    }
    if status_code == 400:
        return _("Bad request."), "bad_request"
    if status_code == 405:
        return _("The method is not allowed here."), "method_not_allowed"
    if status_code in known:
        exception = known[status_code]
        return str(exception.default_detail), str(exception.default_code)
    if status_code >= 500:
        return _("Something went wrong on our side. The error has been logged."), "server_error"
    return _("The request could not be answered."), "error"
