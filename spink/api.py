"""API-wide error mapping (REST_FRAMEWORK["EXCEPTION_HANDLER"])."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from spink.errors import RuleViolation


def exception_handler(exc, context):
    """Refusals by business rules and model validation are the client's error (400), never a
    500; a lost race for a unique value is a 409."""
    if isinstance(exc, RuleViolation):
        set_rollback()
        return Response(
            {"detail": str(exc.message), "code": exc.code}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        set_rollback()
        return Response(
            {
                "detail": _("The change conflicts with another change. Try again."),
                "code": "conflict",
            },
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)
