"""Saved filters: a user names the filters of a list, picks one, and may make one the list's
default, which the list then opens with.

A list takes part by registering its URL name (`register_list`, in its app's ready()) and by
asking `for_list` in its view. A saved filter keeps the list's filter fields only, never its
search term nor its page: a search term may be a person's name or identity number, which has no
place in a user's settings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from spink.accounts.models import SavedFilter, User

MAX_PER_LIST = 20
# Never kept: the search term (possibly person data), the page, and the list's "no default".
NOT_KEPT = frozenset({"q", "page", "clear"})
CLEAR = "clear"  # ?clear=1 opens the list unfiltered even when it has a default

# Each list's URL name, with the query fields that are its filters (None: every field but
# NOT_KEPT). A list whose page has other parameters (a statistics year) names its fields.
_lists: dict[str, frozenset[str] | None] = {}


def register_list(url_name: str, fields: Iterable[str] | None = None) -> None:
    _lists[url_name] = None if fields is None else frozenset(fields)


def registered_lists() -> frozenset[str]:
    return frozenset(_lists)


def clean_query(query: str, list_name: str | None = None) -> str:
    """The query string of a list's filters: its filter fields only (register_list), never
    what is never kept, empty values dropped."""
    data = QueryDict(query)
    fields = _lists.get(list_name) if list_name is not None else None
    kept = [
        (key, value)
        for key in sorted(data)
        if key not in NOT_KEPT and (fields is None or key in fields)
        for value in data.getlist(key)
        if value
    ]
    return urlencode(kept)


# --- Reads ---------------------------------------------------------------------------------------


@dataclass
class ListFilters:
    """What a list page needs: the user's filters of the list and the query it shows."""

    list_name: str
    filters: list[SavedFilter] = field(default_factory=list)
    query: str = ""

    @property
    def current(self) -> SavedFilter | None:
        return next((saved for saved in self.filters if saved.query == self.query), None)

    @property
    def default(self) -> SavedFilter | None:
        return next((saved for saved in self.filters if saved.is_default), None)


def for_list(
    request: HttpRequest, list_name: str
) -> tuple[ListFilters, HttpResponseRedirect | None]:
    """The user's saved filters of the list (one query), and a redirect to the list's default
    filter when the list was opened with no filter at all."""
    filters = list(SavedFilter.objects.filter(user_id=request.user.pk or 0, list_name=list_name))
    state = ListFilters(list_name, filters, clean_query(request.GET.urlencode(), list_name))
    default = state.default
    htmx = getattr(request, "htmx", None)
    if default is not None and default.query and not request.GET and not htmx:
        return state, HttpResponseRedirect(f"{reverse(list_name)}?{default.query}")
    return state, None


# --- Writes --------------------------------------------------------------------------------------


def _own(actor: User, saved_filter: SavedFilter | int) -> SavedFilter:
    pk = saved_filter.pk if isinstance(saved_filter, SavedFilter) else saved_filter
    try:
        return SavedFilter.objects.select_for_update().get(pk=pk, user_id=actor.pk)
    except SavedFilter.DoesNotExist:
        raise SavedFilter.DoesNotExist from None  # another user's looks like none at all


@transaction.atomic
def save_filter(
    *, actor: User, list_name: str, name: str, query: str, make_default: bool = False
) -> SavedFilter:
    """Save the list's current filters under `name` (the same name again replaces them)."""
    if list_name not in _lists:
        raise ValidationError({"list_name": _("This list has no saved filters.")})
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the filter a name.")})
    if len(name) > SavedFilter._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationError({"name": _("The name is too long (at most 80 characters).")})
    query = clean_query(query, list_name)
    if not query:
        raise ValidationError({"name": _("Choose some filters first: this one shows everything.")})
    if len(query) > SavedFilter._meta.get_field("query").max_length:  # type: ignore[operator]
        raise ValidationError({"name": _("The filter is too long to be saved.")})
    # The user's row lock keeps two tabs from both passing the limit or both taking the default.
    User.objects.select_for_update().filter(pk=actor.pk).get()
    mine = SavedFilter.objects.filter(user_id=actor.pk, list_name=list_name)
    existing = mine.filter(name=name).first()
    if existing is None and mine.count() >= MAX_PER_LIST:
        raise ValidationError(
            {
                "name": _("You have %(count)d saved filters here: remove one first.")
                % {"count": MAX_PER_LIST}
            }
        )
    if make_default:
        mine.filter(is_default=True).update(is_default=False)
    saved = existing or SavedFilter(user=actor, list_name=list_name, name=name)
    saved.query = query
    saved.is_default = make_default or (existing is not None and existing.is_default)
    saved.save()
    return saved


@transaction.atomic
def make_default(*, actor: User, saved_filter: SavedFilter | int, is_default: bool) -> SavedFilter:
    """Make the filter the one its list opens with (or stop it being that)."""
    saved = _own(actor, saved_filter)
    if is_default:
        SavedFilter.objects.filter(
            user_id=actor.pk, list_name=saved.list_name, is_default=True
        ).exclude(pk=saved.pk).update(is_default=False)
    saved.is_default = is_default
    saved.save(update_fields=["is_default"])
    return saved


@transaction.atomic
def delete_filter(*, actor: User, saved_filter: SavedFilter | int) -> str:
    """Remove the filter; returns its list's URL name."""
    saved = _own(actor, saved_filter)
    saved.delete()
    return saved.list_name
