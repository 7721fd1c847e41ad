"""What every API endpoint shares: safe input, one error shape and the schema of the errors.

REST_FRAMEWORK in the settings points here (parsers, authentication, filter backend,
exception handler), and SPECTACULAR_SETTINGS adds the error responses to every operation.

Input that cannot be stored or looked up is refused before it reaches PostgreSQL: a NUL
character (PostgreSQL text cannot hold one), ids that are not ASCII digits within a positive
bigint (`"²".isdigit()` is true, `int("²")` fails; `int("٣")` is 3), JSON nested deeper than
any endpoint reads, and bodies larger than any endpoint takes. Whatever slips through anyway
answers 400, never 500 (`exception_handler`).

Errors have one of two shapes, both in the schema (`Error`, `ValidationError`):

* invalid input (400): the fields and their messages, `{"field": ["message", ...]}`, with
  `non_field_errors` for the body as a whole;
* everything else (401, 403, 404, 405, 406, 409, 413, 415, 429, and 400 for refusals by
  business rules or unreadable bodies): `{"detail": "message", "code": "machine_code"}`.

Messages are in the request's language (Accept-Language; Swedish by default).
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import django_filters
import django_filters.fields
import drf_spectacular.authentication
from django import forms
from django.conf import settings
from django.core.exceptions import (
    FieldDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import DataError, IntegrityError, models
from django.http import Http404, QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as drf_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import (
    authentication,
    exceptions,
    pagination,
    parsers,
    serializers,
    status,
    throttling,
)
from rest_framework.fields import empty
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.response import Response

from spink import concurrency
from spink.errors import RuleViolation

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView

    # What the mixins below are mixed into (at run time they stand alone).
    _ViewBase = GenericAPIView
    _FilterSetBase: TypeAlias = drf_filters.FilterSet  # untyped: Any
else:
    _ViewBase = _FilterSetBase = object

logger = logging.getLogger(__name__)

# Ids are bigint primary keys: 1 … 2**63 - 1.
MAX_ID = 2**63 - 1
# For `lookup_value_regex`: `\d` would also match the digits of other scripts.
ID_PATH_PATTERN = r"[0-9]{1,19}"
# No endpoint reads anything nested deeper than a list of objects in an object.
MAX_JSON_DEPTH = 16
# PostgreSQL text cannot hold it, and nothing legitimate sends it.
NUL = "\x00"
# A JSON or form body may be as large as Django's limit for non-file request data
# (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB); every body, file uploads included, at most
# spink.middleware.API_MAX_BODY_BYTES.


class VersionedViewMixin(_ViewBase):
    """Optimistic concurrency for a viewset's records (spink.concurrency): an answer about one
    record carries its version as `ETag`; a write may send it back in `If-Match` (the
    serializer hands `context["seen"]` to the service, which answers a stale one with 412).
    `version_fields` is the record's editable-field list, the one its service checks."""

    version_fields: tuple[str, ...] | list[str] = ()

    def get_object(self):
        self._versioned = super().get_object()
        return self._versioned

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "seen": self.request.headers.get("If-Match")}

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        instance = getattr(self, "_versioned", None)
        about_one = getattr(self, "action", None) in ("retrieve", "update", "partial_update")
        if instance is not None and about_one and 200 <= response.status_code < 300:
            response["ETag"] = concurrency.etag(instance, self.version_fields)
        return response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


def error_body(detail: str | Promise, code: str) -> dict[str, str]:
    """The shape of every error that is not about fields of the input."""
    return {"detail": str(detail), "code": code}


# --- Ids ------------------------------------------------------------------------------------


def parse_id(value: object) -> int | None:
    """The id in `value` (an int, or a string of ASCII digits), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and 0 < len(value) <= 19 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@extend_schema_field(ID_SCHEMA)
class IdField(serializers.IntegerField):
    """The id of a record, given in a body: a positive bigint, as a JSON number (in a form,
    in ASCII digits)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> int:
        number = parse_id(data)
        if number is None or (isinstance(data, str) and not _in_form(self)):
            self.fail("invalid")
        return number


_DIGITS = re.compile(r"[0-9]+")


@extend_schema_field(ID_SCHEMA)
class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """PrimaryKeyRelatedField that looks up only real ids: `1.5`, `"٣"` and `true` are the
    wrong type, `0`, `-1` and `2**64` no record, instead of being rounded, converted or sent
    to the database."""

    @classmethod
    def many_init(cls, *args, **kwargs) -> ManyIdRelatedField:
        # As DRF's, with a list field that refuses an object for a list.
        many_kwargs = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return ManyIdRelatedField(child_relation=cls(*args, **kwargs), **many_kwargs)

    def to_internal_value(self, data: object) -> models.Model:
        if isinstance(data, str) and not _in_form(self):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if self.pk_field is None and parse_id(data) is None:
            digits = isinstance(data, int | str) and _DIGITS.fullmatch(str(data).lstrip("-"))
            if isinstance(data, bool) or not digits:
                self.fail("incorrect_type", data_type=type(data).__name__)
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class ManyIdRelatedField(serializers.ManyRelatedField):
    """A list of ids: a JSON object is not one (DRF would read its keys)."""

    def to_internal_value(self, data: Any) -> Iterable[Any]:
        if isinstance(data, Mapping):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


# --- Scalars: the type the schema says ----------------------------------------------------
# DRF turns 0 into false, "7" and 7.0 into 7, 12 into "12" and 4100.5 into a decimal. In a
# JSON body the schema's type is what is accepted; a form body (strings only) is read as DRF
# reads it.


def _in_form(field: serializers.Field) -> bool:
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


class CharField(serializers.CharField):
    """A string (never a number)."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    """true or false (in a form: DRF's spellings of them)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool) and not _in_form(self):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class IntegerField(serializers.IntegerField):
    """A whole number (in a form: ASCII digits)."""

    def to_internal_value(self, data: Any) -> int:
        if _in_form(self):
            text = data.strip() if isinstance(data, str) else ""
            if not _DIGITS.fullmatch(text[1:] if text[:1] in "+-" else text):
                self.fail("invalid")
        elif isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class DecimalField(serializers.DecimalField):
    """A decimal number written as a string of ASCII digits, as the schema says."""

    def to_internal_value(self, data: object):
        if not isinstance(data, str) or not data.isascii():
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """The API's ModelSerializer. Its generated fields take the schema's types only (the
    scalars above, IdRelatedField for relations), and its read-only fields say what they
    may answer: "" where the model field may be blank (DRF drops `allow_blank` from
    read-only fields) and null where the source may be NULL, so that the schema does not
    promise that "" or null never comes back."""

    serializer_related_field = IdRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: CharField,
        models.TextField: CharField,
        models.BooleanField: BooleanField,
        models.DecimalField: DecimalField,
        **dict.fromkeys(
            (
                models.IntegerField,
                models.SmallIntegerField,
                models.BigIntegerField,
                models.PositiveIntegerField,
                models.PositiveSmallIntegerField,
                models.PositiveBigIntegerField,
            ),
            IntegerField,
        ),
    }

    def get_fields(self) -> dict[str, serializers.Field]:
        # A read-only field whose source passes through a nullable model field (a relation
        # that may be empty, a column that may be NULL) can answer null: the schema says so.
        fields = super().get_fields()
        model = getattr(getattr(self, "Meta", None), "model", None)
        for name, field in fields.items():
            source = field.source or name  # fields are bound (source filled in) later
            if field.read_only and not field.allow_null and _may_be_null(model, source):
                field.allow_null = True
            if field.read_only and field.allow_null and field.default is None:
                # `default=None` would leave the field out of a PATCH's answer (DRF skips
                # defaults of partial updates); allow_null answers null in every answer.
                field.default = empty
        return fields

    def build_standard_field(self, field_name: str, model_field: models.Field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        # DRF leaves `allow_blank` out for model fields that are not editable.
        if (
            model_field.blank
            and isinstance(model_field, models.CharField | models.TextField)
            and issubclass(field_class, serializers.CharField | serializers.ChoiceField)
        ):
            field_kwargs["allow_blank"] = True
        return field_class, field_kwargs

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs


def _may_be_null(model: type[models.Model] | None, source: str) -> bool:
    """Whether following `source` (dotted) from `model` can meet a NULL."""
    for name in source.split("."):
        if model is None or name == "*":
            return False
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a property or method: annotated where it may be None
            return False
        if model_field.many_to_many or model_field.one_to_many:
            return False  # a list, never null
        if getattr(model_field, "null", False):
            return True
        model = getattr(model_field, "related_model", None)
    return False


# --- Filters ----------------------------------------------------------------------------------


class IdFormField(forms.Field):
    default_error_messages = {
        "invalid": gettext_lazy("Enter a valid id (a positive whole number).")
    }

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid")
        return number


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.Filter):
    """Records whose `field_name` (an id) equals the parameter."""

    field_class = IdFormField


class IdModelChoiceField(django_filters.fields.ModelChoiceField):
    """ModelChoiceField that looks up integer keys only when they are real ids."""

    def to_python(self, value: object):
        if self.null_label is not None and value == self.null_value:
            return value
        if value not in self.empty_values and self._key_is_integer() and parse_id(value) is None:
            raise DjangoValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)

    def _key_is_integer(self) -> bool:
        meta = self.queryset.model._meta
        key = self.to_field_name or "pk"
        field = meta.pk if key == "pk" else meta.get_field(key)
        return isinstance(field, models.IntegerField)


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = IdModelChoiceField


class IntegerFormField(forms.IntegerField):
    """A whole number in ASCII digits within a bigint; no "1.0", "1e3" or other scripts."""

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid")
        number = int(text)
        if not -(2**63) <= number <= MAX_ID:
            raise DjangoValidationError(self.error_messages["invalid"], code="invalid")
        return number


@extend_schema_field({"type": "integer"})
class IntegerFilter(django_filters.NumberFilter):
    field_class = IntegerFormField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); anything else is an error, not "no filter"."""

    default_error_messages = {"invalid": gettext_lazy("Enter true or false.")}
    TRUE = {"true", "1"}
    FALSE = {"false", "0"}

    def to_python(self, value: object) -> bool | None:
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise DjangoValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field({"type": "boolean"})
class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


_FILTER_DEFAULTS = {
    **drf_filters.FilterSet.FILTER_DEFAULTS,
    **{
        field: {"filter_class": IntegerFilter}
        for field in (
            models.AutoField,
            models.SmallIntegerField,
            models.IntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
        )
    },
    models.BooleanField: {"filter_class": BooleanFilter},
    models.ForeignKey: {
        **drf_filters.FilterSet.FILTER_DEFAULTS[models.ForeignKey],
        "filter_class": ModelChoiceFilter,
    },
    models.OneToOneField: {
        **drf_filters.FilterSet.FILTER_DEFAULTS[models.OneToOneField],
        "filter_class": ModelChoiceFilter,
    },
}


def refuse_empty_parameters(form: forms.Form) -> None:
    """A query parameter given must have a value: `?submitted_before=` is not a date, and
    "no filter" is said by leaving the parameter out (Django's forms would read "" as that)."""
    data = form.data
    if not hasattr(data, "getlist"):  # unbound, or not a query string
        return
    for name in list(form.fields):
        key = form.add_prefix(name)
        if key in data and "" in data.getlist(key):
            form.add_error(name, _("Give the parameter a value, or leave it out."))


class StrictFilterSetMixin(_FilterSetBase):
    """FilterSets that refuse empty parameters (refuse_empty_parameters)."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        refuse_empty_parameters(self.form)
        return valid and not self.form.errors


class FilterSet(StrictFilterSetMixin, drf_filters.FilterSet):
    """The API's FilterSets: ids, numbers and booleans are validated strictly."""

    FILTER_DEFAULTS = _FILTER_DEFAULTS


class FilterBackend(drf_filters.DjangoFilterBackend):
    """DjangoFilterBackend whose `filterset_fields` FilterSets are spink.api.FilterSet."""

    filterset_base = FilterSet


# --- Paging -------------------------------------------------------------------------------


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, read strictly: one `page`, a positive number in ASCII digits (or
    `last`); `?page=`, `?page=1&page=2` and `?page=²` are an invalid page (404), like a page
    beyond the last, instead of the first page."""

    def get_page_number(self, request, paginator) -> int | str:
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        single = values[0] if len(values) == 1 else ""
        if single not in self.last_page_strings and parse_id(single) is None:
            raise exceptions.NotFound(str(self.invalid_page_message))
        return super().get_page_number(request, paginator)


# --- Parsers --------------------------------------------------------------------------------


def _has_nul(value: object) -> bool:
    return isinstance(value, str) and NUL in value


def nul_error(field: str | None) -> exceptions.ValidationError:
    """A NUL character as a field error of the (top-level) field that holds it, in Django's
    own words; `non_field_errors` when it is in a name rather than in a value."""
    return exceptions.ValidationError(
        {field or "non_field_errors": [str(ProhibitNullCharactersValidator.message)]}
    )


def _walk(document: object) -> Iterator[tuple[str | None, object, int]]:
    """Every key and value of a parsed JSON document with its depth and the top-level field
    it belongs to, without recursion (the document may be as deep as the parser allowed)."""
    stack: list[tuple[str | None, object, int]] = [(None, document, 0)]
    while stack:
        field, item, depth = stack.pop()
        yield field, item, depth
        if isinstance(item, dict):
            for key, value in item.items():
                # A NUL in a name is reported for the object that has it.
                yield field, key, depth + 1
                stack.append((key if depth == 0 else field, value, depth + 1))
        elif isinstance(item, list):
            stack.extend((field, value, depth + 1) for value in item)


def _read_limited(stream) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(body) > limit:
        raise PayloadTooLarge()
    return body


class JSONParser(parsers.JSONParser):
    """JSON bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE, nested at most MAX_JSON_DEPTH deep,
    without NUL characters; NaN and Infinity are not JSON."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]  # DRF has it, its stubs not
        body = _read_limited(stream)
        try:
            text = codecs.decode(body, encoding)
            document = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise self._too_deep() from None
        except (ValueError, UnicodeError):
            raise exceptions.ParseError(
                _("The request body is not valid JSON."), code="parse_error"
            ) from None
        for field, item, depth in _walk(document):
            if depth > MAX_JSON_DEPTH:
                raise self._too_deep()
            if _has_nul(item):
                raise nul_error(field if isinstance(field, str) and not _has_nul(field) else None)
        return document

    @staticmethod
    def _too_deep() -> exceptions.ParseError:
        return exceptions.ParseError(
            _("The JSON body is nested too deeply."), code="too_deeply_nested"
        )


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def check_form(data: QueryDict, files=None) -> None:
    """Refuse form fields, values and file names with a NUL character."""
    for key, values in data.lists():
        if _has_nul(key):
            raise nul_error(None)
        if any(_has_nul(value) for value in values):
            raise nul_error(key)
    for key, uploads in files.lists() if files is not None else []:
        if _has_nul(key):
            raise nul_error(None)
        if any(_has_nul(upload.name) for upload in uploads):
            raise nul_error(key)


class FormParser(parsers.FormParser):
    """URL-encoded bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE, without NUL characters."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]  # DRF has it, its stubs not
        data = QueryDict(_read_limited(stream), encoding=encoding)
        check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Multipart bodies (Django's limits on fields and files apply) without NUL characters
    in field names, values or file names."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_form(result.data, result.files)
        return result


# --- Authentication ---------------------------------------------------------------------------

_TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication. Its CSRF check makes Django parse a form body itself,
    and the request's data then comes from there instead of the parsers above: check it."""

    def enforce_csrf(self, request) -> None:
        super().enforce_csrf(request)
        django_request = request._request
        if hasattr(django_request, "_post"):
            check_form(django_request._post, getattr(django_request, "_files", None))


class SessionScheme(drf_spectacular.authentication.SessionScheme):
    """The schema's `cookieAuth` for SessionAuthentication above."""

    # drf-spectacular takes the class or its dotted path; its base class declares both.
    target_class = SessionAuthentication  # type: ignore[assignment]


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication; a key that cannot be a token (40 hex digits) is refused
    as an invalid token (401) without asking the database. Failed attempts count against
    the anonymous rate of the caller's address: guessing tokens ends in 429s."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle = FailedAuthenticationThrottle()
            # No view here: FailedAuthenticationThrottle's get_cache_key reads none.
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                raise exceptions.Throttled(throttle.wait()) from None
            raise

    def authenticate_credentials(self, key: str):
        if not _TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(key)


# --- Throttles ------------------------------------------------------------------------------


class _RatesFromSettings:
    """DRF reads the rates once, at import; these read REST_FRAMEWORK's current ones."""

    scope: str | None

    def get_rate(self) -> str | None:
        from rest_framework.settings import api_settings

        # Rates are strings ("100/minute"); DRF's stubs type them as numbers.
        rates = cast("dict[str | None, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
        return rates.get(self.scope)


class AnonRateThrottle(_RatesFromSettings, throttling.AnonRateThrottle):
    """Requests without credentials, per address."""


class UserRateThrottle(_RatesFromSettings, throttling.UserRateThrottle):
    """Requests of a signed-in user (session or token), per user."""


class FailedAuthenticationThrottle(_RatesFromSettings, throttling.SimpleRateThrottle):
    """Failed token attempts, per address, at the anonymous rate."""

    scope = "anon"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": "failed-auth", "ident": self.get_ident(request)}


# --- Errors ---------------------------------------------------------------------------------


def _field_errors(detail: object) -> object:
    """DRF's validation detail as `{"field": [...]}`; a bare list is the body's as a whole."""
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error as `{"detail", "code"}`, or field errors for invalid input; refusals by
    business rules, model validation and values the database cannot hold are the client's
    error (400), a lost race for a unique value is a 409. Never a 500 for bad input."""
    # Imported here: DRF imports this module (the authentication classes) from its views.
    from rest_framework.views import exception_handler as drf_exception_handler
    from rest_framework.views import set_rollback

    if isinstance(exc, RuleViolation):
        set_rollback()
        # A write over a version the client did not see (If-Match): 412, not a refusal.
        stale = exc.code == "stale"
        code = status.HTTP_412_PRECONDITION_FAILED if stale else status.HTTP_400_BAD_REQUEST
        return Response(error_body(exc.message, exc.code), status=code)
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
            error_body(_("The change conflicts with another change. Try again."), "conflict"),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        # A value that got past validation but that PostgreSQL cannot hold or compare
        # (out of range, NUL, …): the input is at fault. Logged so the gap gets closed.
        set_rollback()
        view = context.get("view")
        logger.warning("database refused a value in %s: %s", type(view).__name__, type(exc))
        return Response(
            error_body(_("The request contains a value that cannot be stored."), "invalid_value"),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body(PayloadTooLarge.default_detail, "too_large"), status=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response(
            error_body(_("The request has too many fields."), "too_many_fields"), status=400
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body(_("Bad request."), "bad_request"), status=400)
    if isinstance(exc, Http404):
        # The same answer for a record outside the caller's scope and one that does not
        # exist, in the caller's language (Django's own message names the model, in English).
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _field_errors(response.data)
    else:
        assert isinstance(exc, exceptions.APIException)  # DRF's handler answers no other
        response.data = error_body(_detail_text(exc.detail), _code(exc))
    return response


def _detail_text(detail: object) -> str:
    if isinstance(detail, list | tuple) and detail:
        return str(detail[0])
    return str(detail)


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


# --- Schema ---------------------------------------------------------------------------------

ERROR_COMPONENTS = {
    "Error": {
        "type": "object",
        "description": "Every error that is not about fields of the input.",
        "properties": {
            "detail": {"type": "string", "description": "A message for people."},
            "code": {"type": "string", "description": "A code for programs."},
        },
        "required": ["detail", "code"],
    },
    "ValidationError": {
        "type": "object",
        "description": (
            "Invalid input: each field with its messages (`non_field_errors` for the body "
            "as a whole); nested objects and lists for nested input."
        ),
        "additionalProperties": {
            "anyOf": [
                {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
                {"type": "object"},
            ]
        },
    },
}

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_RESPONSES: dict[str, dict[str, Any]] = {
    "400": {
        "description": "Invalid input (field errors), or refused by the rules.",
        "content": {
            "application/json": {
                "schema": {"anyOf": [{"$ref": "#/components/schemas/ValidationError"}, _ERROR]}
            }
        },
    },
    "401": {
        "description": "Not signed in, or the token is not valid.",
        "headers": {
            "WWW-Authenticate": {
                "required": True,
                "schema": {"type": "string"},
                "description": "How to authenticate: `Token`.",
            }
        },
    },
    "403": {"description": "The role may not do this."},
    "404": {"description": "No such record in the caller's scope."},
    "405": {"description": "The method is not allowed here."},
    "406": {"description": "No acceptable response format (the API answers JSON)."},
    "409": {"description": "The change conflicts with another change."},
    "413": {"description": "The request body is too large."},
    "415": {"description": "The body's media type is not accepted here."},
    "429": {
        "description": "Too many requests; try again after `Retry-After` seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: every operation documents every error it can
    answer, each with its JSON body; responses the views describe keep their description
    (and their body, where they have one)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_COMPONENTS)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, template in _ERROR_RESPONSES.items():
                response = responses.setdefault(code, {"description": template["description"]})
                ours = template.get("content", {"application/json": {"schema": _ERROR}})
                documented = response.get("content", {}).get("application/json", {})
                if "schema" in documented and documented != ours["application/json"]:
                    # A body of the view's own (an import report): the error shapes remain
                    # possible, for input refused before the view gets to it.
                    documented["schema"] = {
                        "anyOf": [documented["schema"], ours["application/json"]["schema"]]
                    }
                else:
                    response["content"] = ours
                if "headers" in template:
                    response.setdefault("headers", template["headers"])
            headers = {
                parameter.get("name", "").lower()
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "header"
            }
            if "if-match" in headers:
                responses.setdefault(
                    "412",
                    {
                        "description": "The record changed since the version in If-Match.",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                )
    return result


def document_path_ids(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: a path id (`lookup_value_regex = ID_PATH_PATTERN`)
    is documented as what it is, a positive bigint, not as a string with a pattern."""
    pattern = f"^{ID_PATH_PATTERN}$"
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("pattern") == pattern:
                    parameter["schema"] = dict(ID_SCHEMA)
    return result
