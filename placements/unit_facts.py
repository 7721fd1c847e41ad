"""Facts about units that apps above placements add to the comparison of shortlisted units
(follow-up adds the latest matching-focused site visit), so that placements need not import
them: the ladder stays one-way.

A source takes unit ids and answers {unit id: text} in one query; it is registered once, in
its app's ready().
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.utils.functional import Promise

UnitFactSource = Callable[[Collection[int]], dict[int, str]]


@dataclass(frozen=True)
class UnitFact:
    label: str | Promise
    source: UnitFactSource


_FACTS: dict[str, UnitFact] = {}


def register(code: str, label: str | Promise, source: UnitFactSource) -> None:
    _FACTS[code] = UnitFact(label, source)


def facts_for(unit_ids: Collection[int]) -> list[tuple[str | Promise, dict[int, str]]]:
    """Each registered fact's label with its texts for `unit_ids` (one query per fact)."""
    if not unit_ids:
        return [(fact.label, {}) for fact in _FACTS.values()]
    return [(fact.label, fact.source(unit_ids)) for fact in _FACTS.values()]
