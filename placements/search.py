"""Finding a placement request by what its users know of it: the reference, the person's
identity number, or the person's name.

One search term is read as exactly one of these (`parse`):

* a reference (`PF-2025-000123`, any case, the number with or without its leading zeros);
* a personnummer or samordningsnummer (ten or twelve digits, with or without the hyphen), or a
  reserve number (letters and digits, at least one digit): matched exactly, through the keyed
  hash of the number (`person_key`), so the number itself is never compared nor indexed;
* otherwise a name (`_name_filter`).

A person search (number or name) only finds requests whose person the user may see
(`access.person_visible_filter`, the rule of `access.may_see_person`): a search must not
tell a user without the need to know that a person has a request here, least of all a person
with a protected identity. The requests a person search shows are logged as person-data
accesses (`services.log_person_reads`), like opening them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import BooleanField, Expression, Q, QuerySet
from django.db.models.functions import Upper

from placements.identity import parse_personal_number, person_key, validate_reserve_number
from placements.models import PlacementRequest
from spink.accounts import access
from spink.accounts.models import User

REFERENCE = re.compile(r"^PF-?(\d{4})-?(\d{1,6})$", re.IGNORECASE)
NUMBER_LIKE = re.compile(r"^[0-9][0-9 +-]{5,14}$")
MAX_TERM_LENGTH = 100
MAX_NAME_WORDS = 4
# A person search counts its hits this far ("more than 100: narrow the search"): four pages
# of one name are more than anyone reads, and counting a common name further (a region's
# Karlssons) costs more than the page itself.
PERSON_SEARCH_COUNT_CAP = 100
FIRST, LAST = "person_first_name", "person_last_name"


class TermKind(StrEnum):
    REFERENCE = "reference"
    IDENTITY_NUMBER = "identity_number"
    NAME = "name"


@dataclass(frozen=True)
class SearchTerm:
    kind: TermKind
    reference: str = ""
    person_key: str = ""
    words: tuple[str, ...] = ()

    @property
    def is_person_search(self) -> bool:
        return self.kind != TermKind.REFERENCE


def parse(text: str) -> SearchTerm | None:
    """The search a user's term asks for; None for an empty term. A term that looks like an
    identity number but is not a valid one raises ValidationError (said next to the field)."""
    text = " ".join((text or "").split())[:MAX_TERM_LENGTH]
    if not text:
        return None
    reference = REFERENCE.match(text)
    if reference:
        year, number = reference.groups()
        return SearchTerm(TermKind.REFERENCE, reference=f"PF-{year}-{int(number):06d}")
    if NUMBER_LIKE.match(text):
        number = parse_personal_number(text).normalised  # its ValidationError says why not
        return SearchTerm(TermKind.IDENTITY_NUMBER, person_key=person_key(number))
    if any(character.isdigit() for character in text) and " " not in text:
        number = validate_reserve_number(text)
        return SearchTerm(TermKind.IDENTITY_NUMBER, person_key=person_key(number))
    words = tuple(word for word in re.split(r"[\s,]+", text) if word)[:MAX_NAME_WORDS]
    return SearchTerm(TermKind.NAME, words=words)


class BeginsWith(Expression):
    """`expression` (in capitals) begins with `prefix` in capitals, as a range in the pattern
    operators' byte order: from the prefix up to its successor (the last character one code
    point on; UTF-8's byte order is the code points' order). Capitals by the database's own
    upper(), like the index; the planner folds the constants, so the range reads the index.

    A LIKE 'LARS%' could also be served by the names' trigram indexes, and the planner takes
    them, though a common trigram ('SON' of every -sson) makes them slow: the pattern
    operators only the B-tree prefix indexes serve (migration 0005), reading just the range."""

    conditional = True
    output_field = BooleanField()
    # A prefix with a character from here on takes LIKE instead (chr() of a surrogate fails).
    LAST_SAFE = 0xD7FF

    def __init__(self, expression: Expression, prefix: str):
        super().__init__()
        self.expression = expression
        self.prefix = prefix

    def get_source_expressions(self) -> list[Expression]:
        return [self.expression]

    def set_source_expressions(self, expressions) -> None:
        (self.expression,) = expressions

    def as_sql(self, compiler, connection) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.expression)
        successor = "(left(upper(%s), -1) || chr(ascii(right(upper(%s), 1)) + 1))"
        return (
            f"({sql} ~>=~ upper(%s) AND {sql} ~<~ {successor})",
            (*params, self.prefix, *params, self.prefix, self.prefix),
        )


def _name_filter(words: tuple[str, ...]) -> Q:
    """One word: anywhere in the first or the last name ("sven" finds Svensson, "karin"
    Anna-Karin). Several: a name as people say it, the first word beginning the first name and
    the last word the last name, or the other way round ("Svensson Anna"); words between begin
    either. So "Erik Eriksson" finds Erik and Erika Eriksson, not every Eriksson."""
    if len(words) == 1:
        return Q(**{f"{FIRST}__icontains": words[0]}) | Q(**{f"{LAST}__icontains": words[0]})

    def begins(field: str, word: str) -> Q:
        if max(map(ord, word)) >= BeginsWith.LAST_SAFE:  # no successor to compute in SQL
            return Q(**{f"{field}__istartswith": word})
        return Q(BeginsWith(Upper(field), word))

    between = Q()
    for word in words[1:-1]:
        between &= begins(FIRST, word) | begins(LAST, word)
    head, tail = words[0], words[-1]
    given_first = begins(FIRST, head) & begins(LAST, tail)
    family_first = begins(LAST, head) & begins(FIRST, tail)
    return (given_first | family_first) & between


def apply(
    user: User, requests: QuerySet[PlacementRequest], term: SearchTerm | None
) -> QuerySet[PlacementRequest]:
    """`requests` (already within the user's scope) narrowed to the term."""
    if term is None:
        return requests
    if term.kind == TermKind.REFERENCE:
        return requests.filter(reference=term.reference)
    # Searching by person: only among the persons the user may see.
    requests = requests.filter(access.person_visible_filter(user))
    if term.kind == TermKind.IDENTITY_NUMBER:
        return requests.filter(person_key=term.person_key)
    return requests.filter(_name_filter(term.words))
