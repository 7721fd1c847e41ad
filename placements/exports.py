"""CSV exports of the request lists, and the person shown in any list.

An export has exactly the scope and filters of the page it comes from (the view passes the
same queryset). It never carries an identity number or an address; the person of a request
with a protected identity is masked for everyone, its own social worker included, and a
person the user may not see (`access.may_see_person`) is not named.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from placements.models import PlacementRequest
from spink.accounts import access
from spink.accounts.models import User

PROTECTED = gettext_lazy("Protected identity")
NOT_SHOWN = gettext_lazy("Not shown")

# Fields an export never reads: they stay in the database.
NEVER_EXPORTED = ("person_identity_number", "person_address", "person_key", "needs")


def list_person(request: PlacementRequest, user: User) -> str:
    """The person as a list may show them to `user`: the name, "protected identity", or "not
    shown" where the user has no need to know who it is."""
    if request.protected_identity:
        return str(PROTECTED)
    return request.person_name if access.may_see_person(user, request) else str(NOT_SHOWN)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _date(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
        return date_format(value, "Y-m-d H:i")
    return date_format(value, "Y-m-d")


def _columns(user: User) -> list[tuple[str, Callable[[PlacementRequest], object]]]:
    return [
        (_("Reference"), lambda r: r.reference),
        (_("Status"), lambda r: r.get_status_display()),
        (_("Urgency"), lambda r: r.get_urgency_display()),
        (_("Request type"), lambda r: r.get_kind_display()),
        (_("Service"), lambda r: r.service.name),
        (_("Subcategory"), lambda r: r.subcategory.name if r.subcategory_id else ""),
        (_("Person"), lambda r: list_person(r, user)),
        (_("Wanted start date"), lambda r: _date(r.wanted_start)),
        (_("Created"), lambda r: _date(r.created_at)),
        (_("Submitted"), lambda r: _date(r.submitted_at)),
        (_("Administration"), lambda r: r.administration.name),
        (_("Social worker"), lambda r: r.social_worker.get_full_name()),
        (_("Placement team"), lambda r: r.get_team_display()),
        (
            _("Placement officer"),
            lambda r: r.assigned_officer.get_full_name() if r.assigned_officer_id else "",
        ),
    ]


def _rows(requests: Iterator[PlacementRequest], language: str, user: User) -> Iterator[list[str]]:
    # The response streams after the view returned: keep the user's language for the labels.
    with translation.override(language):
        columns = _columns(user)
        yield [str(title) for title, _value in columns]
        for request in requests:
            yield [_cell(value(request)) for _title, value in columns]


def csv_response(
    requests: QuerySet[PlacementRequest], name: str, *, user: User
) -> StreamingHttpResponse:
    """Stream `requests` as a semicolon-separated UTF-8 CSV (what Swedish Excel opens)."""
    writer = csv.writer(_Echo(), delimiter=";")
    queryset = requests.defer(*NEVER_EXPORTED).iterator(chunk_size=2000)
    language = translation.get_language()

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in _rows(queryset, language, user):
            yield writer.writerow(row)

    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
