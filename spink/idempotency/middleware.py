"""`Idempotency-Key` on API POSTs: a retry of a POST gets the first answer, not a second record."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from spink.idempotency.keys import fingerprint, valid_key
from spink.idempotency.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
# A claim older than this with no answer belongs to a request that died: a retry may run.
ABANDONED_AFTER = dt.timedelta(minutes=2)


def _credentials(request: HttpRequest) -> str:
    """Who is asking, before authentication has run: the token or the session cookie, so
    that one client's key never replays to another."""
    from django.conf import settings

    return hashlib.sha256(
        (
            request.META.get("HTTP_AUTHORIZATION", "")
            + "|"
            + request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
        ).encode()
    ).hexdigest()


def _error(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message, "code": code}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.META.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not valid_key(key):
            return _error(
                _("Idempotency-Key must be 8–128 letters, digits or . _ : -"),
                "invalid_idempotency_key",
                400,
            )
        digest = hashlib.sha256(request.body).hexdigest()
        print_ = fingerprint("api", _credentials(request), request.path, key)
        claim, replay = self._claim(print_, digest)
        if replay is not None:
            return replay
        try:
            response = self.get_response(request)
        except BaseException:
            claim.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            claim.delete()  # nothing was made: a retry may try again
            return response
        claim.response_status = response.status_code
        claim.response_content_type = response.get("Content-Type", "")
        claim.response_body = response.content
        claim.completed_at = timezone.now()
        claim.save(
            update_fields=[
                "response_status",
                "response_content_type",
                "response_body",
                "completed_at",
            ]
        )
        return response

    def _claim(self, print_: str, digest: str) -> tuple[IdempotencyKey, HttpResponse | None]:
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    fingerprint=print_, request_digest=digest
                ), None
        except IntegrityError:
            pass
        previous = IdempotencyKey.objects.get(fingerprint=print_)
        if previous.request_digest != digest:
            return previous, _error(
                _("This Idempotency-Key was used with another request body."),
                "idempotency_key_reused",
                422,
            )
        if previous.completed_at is None:
            if timezone.now() - previous.created_at < ABANDONED_AFTER:
                return previous, _error(
                    _("A request with this Idempotency-Key is still being handled."),
                    "idempotency_key_in_progress",
                    409,
                )
            previous.created_at = timezone.now()
            previous.save(update_fields=["created_at"])
            return previous, None
        replay = HttpResponse(
            bytes(previous.response_body or b""),
            status=previous.response_status,
            content_type=previous.response_content_type or "application/json",
        )
        replay["Idempotent-Replayed"] = "true"
        return previous, replay
